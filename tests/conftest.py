"""Fixtures for every test: apps bound to SQLite or PostgreSQL, clients, fresh keys.

A test marked ``@pytest.mark.db`` runs twice, ``[sqlite]`` and ``[postgresql]``; any
other test that needs a database gets SQLite only. Each test gets a database of its
own, already migrated (`database_url`) or empty (`empty_database_url`): on SQLite a
file in ``tmp_path``, on PostgreSQL a throwaway ``selection_test_<hex>`` database on
the server at ``TEST_DATABASE_URL`` (default: the local postgres superuser), dropped
afterwards. When no server answers, the PostgreSQL variants are skipped and the
terminal summary says so.
"""

from __future__ import annotations

import base64
import os
import secrets
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import flask_migrate
import psycopg
import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.engine import make_url

from selection import create_app
from selection.auth import stamp_session
from selection.extensions import db as _db
from selection.models import Role, User
from selection.services import create_user

DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
BACKENDS = ("sqlite", "postgresql")
_POSTGRES_UNREACHABLE = pytest.StashKey[str]()
_REDIS_UNREACHABLE = pytest.StashKey[str]()


# ---------------------------------------------------------------- environment and keys


@pytest.fixture(scope="session", autouse=True)
def _isolated_environment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """No developer setting leaks in: DATABASE_URL, FLASK_DEBUG, the instance folder."""
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("DATABASE_URL", raising=False)
        patch.delenv("FLASK_DEBUG", raising=False)
        patch.setenv("SELECTION_INSTANCE_PATH", str(tmp_path_factory.mktemp("instance")))
        yield


@pytest.fixture(autouse=True)
def _instance_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test's app keeps its instance folder (keys.json, SQLite file) in tmp_path."""
    path = tmp_path / "instance"
    monkeypatch.setenv("SELECTION_INSTANCE_PATH", str(path))
    return path


def fresh_key_config() -> dict[str, Any]:
    """Newly generated keys and SECRET_KEY, as config values."""
    def key() -> str:
        return base64.b64encode(secrets.token_bytes(32)).decode("ascii")

    return {
        "SECRET_KEY": secrets.token_hex(32),
        "FIELD_KEYS": {"1": key()},
        "FIELD_KEY_VERSION": 1,
        "BLIND_INDEX_KEY": key(),
        "AUDIT_KEY": key(),
        "RECEIPT_PEPPER": key(),
    }


def make_test_config(database_url: str, **overrides: Any) -> dict[str, Any]:
    """The config tests run with: fresh keys, CSRF off, the given database."""
    return {
        "TESTING": True,
        "WTF_CSRF_ENABLED": False,
        "SQLALCHEMY_DATABASE_URI": database_url,
        **fresh_key_config(),
        **overrides,
    }


# ---------------------------------------------------------------- PostgreSQL server


def _postgres_admin_url() -> str:
    raw = os.environ.get("TEST_DATABASE_URL") or DEFAULT_POSTGRES_URL
    return make_url(raw).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def postgres_server(request: pytest.FixtureRequest) -> str:
    """The admin URL of a PostgreSQL server that answers, or a skip (tried once)."""
    url = _postgres_admin_url()
    try:
        psycopg.connect(url, connect_timeout=2).close()
    except psycopg.Error as error:
        where = make_url(url).render_as_string(hide_password=True)
        message = f"PostgreSQL not reachable at {where}: database tests ran on SQLite only"
        request.config.stash[_POSTGRES_UNREACHABLE] = message
        pytest.skip(f"{message} ({str(error).strip().splitlines()[0]})")
    return url


@pytest.fixture(scope="session")
def redis_server(request: pytest.FixtureRequest) -> str:
    """The URL of a Redis server that answers (``TEST_REDIS_URL``), for the limiter's shared store, or a skip."""
    url = os.environ.get("TEST_REDIS_URL") or DEFAULT_REDIS_URL
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        message = f"Redis not reachable at {url}: the limiter's shared-store tests were skipped"
        request.config.stash[_REDIS_UNREACHABLE] = message
        pytest.skip(f"{message} ({error})")
    return url


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    for key in (_POSTGRES_UNREACHABLE, _REDIS_UNREACHABLE):
        message = config.stash.get(key, None)
        if message:
            terminalreporter.write_sep("-", message, yellow=True, bold=True)
    # asked here, in the process that prints the summary (with -n, the journeys run elsewhere)
    if not (os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")):
        terminalreporter.write_sep("-", "Chromium not installed (apt-get install chromium): browser journeys skipped",
                                   yellow=True, bold=True)


def _admin(server_url: str, statement: str) -> None:
    with psycopg.connect(server_url, autocommit=True, connect_timeout=2) as connection:
        connection.execute(statement)


@contextmanager
def _postgres_database(server_url: str, *, template: str | None = None) -> Iterator[str]:
    name = f"selection_test_{secrets.token_hex(6)}"
    create = f'CREATE DATABASE "{name}"'
    if template:
        create += f' TEMPLATE "{template}"'
    _admin(server_url, create)
    try:
        yield name
    finally:
        _admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _postgres_url(server_url: str, name: str) -> str:
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


# ---------------------------------------------------------------- migrated templates


def migrate_to_head(database_url: str) -> None:
    """Build the schema the one way it is ever built: ``flask db upgrade``."""
    app = create_app(make_test_config(database_url))
    with app.app_context():
        flask_migrate.upgrade()
        _db.engine.dispose()


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "selection.db"
    migrate_to_head(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def _postgres_template(postgres_server: str) -> Iterator[str]:
    with _postgres_database(postgres_server) as name:
        migrate_to_head(_postgres_url(postgres_server, name))
        yield name


# ---------------------------------------------------------------- databases


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "database_backend" in metafunc.fixturenames and metafunc.definition.get_closest_marker("db"):
        metafunc.parametrize("database_backend", BACKENDS, indirect=True)


@pytest.fixture
def database_backend(request: pytest.FixtureRequest) -> str:
    """"sqlite" or "postgresql": both for tests marked ``db``, else "sqlite"."""
    backend: str = getattr(request, "param", "sqlite")
    if backend == "postgresql":
        request.getfixturevalue("postgres_server")
    return backend


@pytest.fixture
def database_url(
    database_backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[str]:
    """A fresh database of this test's backend, migrated to the newest revision."""
    if database_backend == "sqlite":
        path = tmp_path / "selection.db"
        shutil.copyfile(request.getfixturevalue("_sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    server = request.getfixturevalue("postgres_server")
    with _postgres_database(server, template=request.getfixturevalue("_postgres_template")) as name:
        yield _postgres_url(server, name)


@pytest.fixture
def empty_database_url(
    database_backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[str]:
    """A fresh database of this test's backend with no schema at all."""
    if database_backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    server = request.getfixturevalue("postgres_server")
    with _postgres_database(server) as name:
        yield _postgres_url(server, name)


# ---------------------------------------------------------------- apps


@pytest.fixture
def test_config(database_url: str) -> dict[str, Any]:
    """The config `app` is built with (fresh keys, CSRF off, this test's database)."""
    return make_test_config(database_url)


@pytest.fixture
def make_app(test_config: dict[str, Any]) -> Iterator[Callable[..., Flask]]:
    """Factory: ``make_app(**overrides)`` builds an app on this test's database."""
    apps: list[Flask] = []

    def make(**overrides: Any) -> Flask:
        app = create_app({**test_config, **overrides})
        apps.append(app)
        return app

    yield make
    for app in apps:
        with app.app_context():
            _db.engine.dispose()


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    return make_app()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


@pytest.fixture
def db(app: Flask) -> Iterator[SQLAlchemy]:
    """The extension inside an app context; ``db.session`` talks to this test's database."""
    with app.app_context():
        yield _db
        _db.session.remove()


# ---------------------------------------------------------------- accounts


@pytest.fixture
def create_account(db: SQLAlchemy) -> Callable[..., User]:
    """Factory: ``create_account(role, username=None, **fields)``, committed.

    The password is ``"<username>-secret-2026"`` unless given.
    """
    serials = iter(range(1, 10_000))

    def create(role: Role = Role.ADMIN, username: str | None = None, *,
               password: str | None = None, **fields: Any) -> User:
        username = username or f"{role.value}-{next(serials)}"
        user = create_user(
            username, display_name=fields.pop("display_name", username),
            password=password or f"{username}-secret-2026", role=role, actor="test",
        )
        for name, value in fields.items():
            setattr(user, name, value)
        db.session.commit()
        return user

    return create


@pytest.fixture
def login_as(db: SQLAlchemy) -> Callable[[FlaskClient, User], FlaskClient]:
    """``login_as(client, user)``: the client's session is `user`'s, as after a real login."""

    def login(client: FlaskClient, user: User) -> FlaskClient:
        db.session.refresh(user)
        with client.session_transaction() as session:
            session.clear()
            session["_user_id"] = user.get_id()
            session["_fresh"] = True
            stamp_session(session)
        return client

    return login
