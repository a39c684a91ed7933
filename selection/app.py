"""The application factory (应用工厂): config, keys, database, extensions, blueprints, CLI."""

from __future__ import annotations

import os
import sqlite3
import uuid
from collections.abc import Mapping
from functools import partial
from typing import Any

from flask import Flask, render_template, request
from flask.typing import ResponseReturnValue
from sqlalchemy import event
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import InternalServerError, NotFound, RequestEntityTooLarge
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from .auth import init_auth
from .crypto import EXTENSION_KEY
from .extensions import babel, csrf, db, limiter, login_manager, migrate
from .headers import init_headers
from .i18n import html_lang, init_i18n, remember_locale, select_locale
from .keys import load_keys, watch_keys

#: Where the schema's Alembic scripts live (a top-level folder of the checkout).
MIGRATIONS_DIR = os.path.join(os.path.dirname(os.path.dirname(__file__)), "migrations")


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app. `test_config` replaces ``instance/config.py`` and the environment.

    The environment variable ``DATABASE_URL`` overrides the database in every case;
    ``SELECTION_INSTANCE_PATH`` moves the instance folder (keys, SQLite file).
    """
    app = Flask(
        "selection",
        instance_path=os.environ.get("SELECTION_INSTANCE_PATH") or None,
        instance_relative_config=True,
    )
    app.config.from_object("selection.config")
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        app.config.from_prefixed_env("SELECTION")
    else:
        app.config.from_mapping(test_config)
    os.makedirs(app.instance_path, exist_ok=True)
    if app.config["PRODUCTION"] and app.debug:
        # the interactive debugger would hand out a shell (SECURITY.md P23)
        raise RuntimeError("debug mode is refused in production: unset FLASK_DEBUG")
    if app.config["PRODUCTION"] and app.config.get("TODAY"):
        # a pinned clock would let statuses and deadlines lie (selection/clock.py)
        raise RuntimeError("TODAY pins the clock for tests and demos; it is refused in production")
    app.config["SQLALCHEMY_DATABASE_URI"] = database_uri(app)
    app.extensions[EXTENSION_KEY] = load_keys(app)
    watch_keys(app)

    if proxies := int(app.config["TRUSTED_PROXIES"]):
        # the client's address (per-client limits) and scheme (secure cookies) as the proxy saw them
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)  # type: ignore[method-assign]

    _register_extensions(app)
    # before any route is added: every <int:...> of every blueprint is read by it
    app.url_map.converters["int"] = DatabaseInteger
    _register_blueprints(app)
    _register_commands(app)
    _register_error_pages(app)
    return app


class DatabaseInteger(IntegerConverter):
    """``<int:...>`` in a URL: an id or a year, which a database INTEGER holds. A longer number
    matches no route (404); it used to reach the query, where SQLite refuses to bind a number
    past 64 bits (a 500, found probing P22)."""

    def __init__(self, url_map: Any, fixed_digits: int = 0, min: int | None = None,  # noqa: A002
                 max: int | None = 2**31 - 1, signed: bool = False) -> None:  # noqa: A002
        super().__init__(url_map, fixed_digits, min, max, signed)


def database_uri(app: Flask) -> str:
    """DATABASE_URL, else the configured URI, else SQLite in the instance folder.

    ``postgresql://`` and ``postgres://`` URLs are sent to psycopg 3.
    """
    uri = (
        os.environ.get("DATABASE_URL")
        or app.config.get("SQLALCHEMY_DATABASE_URI")
        or "sqlite:///" + os.path.join(app.instance_path, "selection.db")
    )
    for scheme in ("postgresql://", "postgres://"):
        if uri.startswith(scheme):
            return "postgresql+psycopg://" + uri[len(scheme):]
    return uri


def _register_extensions(app: Flask) -> None:
    # Import every package's models so the metadata (and Alembic) sees all tables.
    import exams.models  # noqa: F401
    import publicity.models  # noqa: F401
    import selection.models  # noqa: F401
    import vetting.models  # noqa: F401

    from .record import cache
    from .services import load_session_user

    db.init_app(app)
    busy_ms = int(float(app.config["SQLITE_BUSY_TIMEOUT_SECONDS"]) * 1000)
    with app.app_context():
        for engine in db.engines.values():
            if engine.dialect.name == "sqlite":
                event.listen(engine, "connect", partial(_configure_sqlite, busy_ms=busy_ms))
    # every change to a round gives it a new data revision, the round-state cache's key
    cache.install(db.session.session_factory.class_)
    app.extensions[cache.EXTENSION_KEY] = cache.RoundCache(int(app.config["ROUND_CACHE_SIZE"]))
    migrate.init_app(app, db, directory=MIGRATIONS_DIR)
    login_manager.init_app(app)
    login_manager.user_loader(load_session_user)
    init_auth(app)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    init_i18n(app)
    limiter.init_app(app)
    app.after_request(remember_locale)
    init_headers(app)
    app.jinja_env.globals["html_lang"] = html_lang


def _configure_sqlite(connection: sqlite3.Connection, _record: Any, *, busy_ms: int) -> None:
    """WAL for concurrent readers, enforced foreign keys, and waiting out busy writers.

    A save in a large round holds the write lock while the rule engine recomputes every
    status (a second or more for thousands of candidates), so several staff saving at once
    queue behind one another: 5 s was too short for eight of them (SECURITY.md P50a).
    """
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={int(busy_ms)}")
    cursor.close()


def _register_blueprints(app: Flask) -> None:
    from exams import candidates, publication, tickets
    from exams.views import bp as exams_bp
    from publicity.calendar_views import bp as calendar_bp
    from publicity.complaint_views import bp as complaints_bp
    from publicity.notice_views import bp as notices_bp
    from publicity.supervision_views import bp as supervision_bp
    from publicity.views import bp as publicity_bp
    from selection import outbox, public
    from selection.accounts.views import bp as accounts_bp
    from selection.views import bp as selection_bp
    from vetting.ballot_views import bp as ballots_bp
    from vetting.committee_views import bp as committee_bp
    from vetting.inspect_views import bp as inspect_bp
    from vetting.views import bp as vetting_bp

    app.register_blueprint(selection_bp)
    app.register_blueprint(accounts_bp)
    app.register_blueprint(public.bp)
    app.register_blueprint(outbox.bp)
    app.register_blueprint(exams_bp)
    # the exams package's newer screens, one blueprint per audience and task
    app.register_blueprint(candidates.bp)
    app.register_blueprint(tickets.bp)
    app.register_blueprint(publication.bp)
    app.register_blueprint(vetting_bp)
    # the inspection teams' own pages (考察组), for inspectors only
    app.register_blueprint(inspect_bp)
    # the committee members' own pages (差额票决): their sittings, the briefing and the ballot
    app.register_blueprint(committee_bp)
    app.register_blueprint(ballots_bp)  # online secret ballots at the units, and `ballots verify`
    app.register_blueprint(publicity_bp)
    app.register_blueprint(complaints_bp)  # the public complaint form and receipt lookup
    app.register_blueprint(notices_bp)  # the public notices (公告公示) and the free notices staff write
    app.register_blueprint(calendar_bp)  # the holiday calendar publicity periods are counted with
    app.register_blueprint(supervision_bp)  # the supervision staff's complaint workbench (干部监督)


def _register_commands(app: Flask) -> None:
    from selection.cli import audit_cli, routes_matrix, users_cli
    from selection.maintenance.cli import backup_cli, keys_cli
    from selection.outbox import outbox_cli
    from selection.record.cli import round_cli
    from selection.record.demo import demo_cli

    for group in (users_cli, audit_cli, round_cli, demo_cli, outbox_cli, keys_cli, backup_cli):
        app.cli.add_command(group)
    app.cli.add_command(routes_matrix)


def _register_error_pages(app: Flask) -> None:
    @app.errorhandler(NotFound)
    def show_not_found(error: NotFound) -> ResponseReturnValue:
        # Werkzeug's own page is in English and without the site's navigation
        return render_template("selection/error_404.html"), 404

    @app.errorhandler(RequestEntityTooLarge)
    def show_too_large(error: RequestEntityTooLarge) -> ResponseReturnValue:
        # a route may allow more than the app-wide cap (the complaint form's evidence files)
        limit = request.max_content_length or app.config.get("MAX_CONTENT_LENGTH") or 0
        return render_template("selection/error_413.html", megabytes=limit // (1024 * 1024)), 413

    @app.errorhandler(InternalServerError)
    def show_server_error(error: InternalServerError) -> ResponseReturnValue:
        request_id = uuid.uuid4().hex
        original = error.original_exception or error
        app.logger.error("request %s failed", request_id, exc_info=original)
        return render_template("selection/error_500.html", request_id=request_id), 500

    @app.errorhandler(IntegrityError)
    @app.errorhandler(StaleDataError)
    def show_concurrent_save(error: IntegrityError | StaleDataError) -> ResponseReturnValue:
        # Two saves of the same thing at one moment (a double-clicked import, two staff on one
        # candidate) both pass the service's checks; the database's unique key, or the ORM's
        # version counter, lets the first through and refuses the second, whose whole transaction
        # is rolled back. That is a refusal to explain, not a failure (SECURITY.md P50a); any
        # other integrity error is a bug.
        db.session.rollback()
        if isinstance(error, IntegrityError) and not _is_unique_violation(error):
            return show_server_error(InternalServerError(original_exception=error))
        app.logger.warning("request refused: a concurrent save came first (%s)", _cause_name(error))
        return render_template("selection/error_409.html"), 409

    @app.errorhandler(OperationalError)
    def show_busy(error: OperationalError) -> ResponseReturnValue:
        # SQLite's one writer kept this save waiting past SQLITE_BUSY_TIMEOUT_SECONDS, or
        # PostgreSQL broke a deadlock by aborting this transaction: nothing was stored, and
        # the same save a moment later goes through (SECURITY.md P50a).
        db.session.rollback()
        if not _is_busy(error):
            return show_server_error(InternalServerError(original_exception=error))
        app.logger.warning("request refused: the database was busy (%s)", _cause_name(error))
        return render_template("selection/error_503.html"), 503, {"Retry-After": "5"}


def _cause_name(error: Exception) -> str:
    return type(getattr(error, "orig", None) or error).__name__


def _is_unique_violation(error: IntegrityError) -> bool:
    """Whether the database refused a row because its unique key was taken (not a missing or bad value)."""
    cause = error.orig
    if getattr(cause, "sqlstate", None) == "23505":  # PostgreSQL's unique_violation
        return True
    return getattr(cause, "sqlite_errorname", None) in ("SQLITE_CONSTRAINT_UNIQUE", "SQLITE_CONSTRAINT_PRIMARYKEY")


#: PostgreSQL's serialization_failure, deadlock_detected and lock_not_available
_BUSY_SQLSTATES = frozenset({"40001", "40P01", "55P03"})


def _is_busy(error: OperationalError) -> bool:
    """Whether the database refused for now because of other transactions (not a broken connection)."""
    cause = error.orig
    if getattr(cause, "sqlstate", None) in _BUSY_SQLSTATES:
        return True
    return str(getattr(cause, "sqlite_errorname", "")).startswith(("SQLITE_BUSY", "SQLITE_LOCKED"))
