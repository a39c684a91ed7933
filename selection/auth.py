"""Who may open which page (访问控制), and sessions the server can end (会话).

Every route declares its audience with exactly one decorator, and that declaration is
data: ``view.allowed_roles`` is `PUBLIC` or a frozenset of roles. One ``before_request``
hook enforces it for the whole app, so a route is refused to everyone until it says who
may use it (SECURITY.md P15)::

    @bp.get("/rounds/<code>/scores")
    @requires_role(Role.ADMIN, Role.SUPERVISION)
    def show_scores(code: str) -> ResponseReturnValue: ...

The same hook ends sessions that are idle or too old (P11), drops cookies whose user was
disabled, logged out or given a new role (P09, P10: `load_session_user` refuses a stale
``session_version``), and sends a user who must change their password to that page.

A sensitive action (再次验证身份, P12) adds ``@requires_recent_login``: unless the user typed
their password within ``REAUTH_MINUTES``, the hook sends them to ``/reauth`` first.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, MutableMapping
from typing import Any, Final, TypeVar

from flask import (
    Flask, abort, current_app, flash, g, redirect, render_template, request, session, url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_user, logout_user
from werkzeug.exceptions import Forbidden, TooManyRequests

from .accounts.rules import is_recent, same_site_path
from .audit import record_audit
from .extensions import db, login_manager
from .i18n import _
from .labels import ROLE_LABELS
from .models import Role, User

__all__ = [
    "EVERY_ROLE", "PUBLIC", "ROLE_COLUMNS", "STAFF_ROLES", "access_matrix", "allowed_roles",
    "init_auth", "needs_recent_login", "now", "public", "requires_recent_login", "requires_role",
    "signed_in_user", "stamp_password", "stamp_session", "start_session",
]

F = TypeVar("F", bound=Callable[..., Any])


class _Public:
    """The declaration of a route anyone may use, logged in or not."""

    def __repr__(self) -> str:
        return "PUBLIC"


PUBLIC: Final = _Public()
EVERY_ROLE: Final = tuple(Role)
STAFF_ROLES: Final = (Role.ADMIN, Role.SUPERVISION, Role.INSPECTOR, Role.COMMITTEE_MEMBER)
#: the audiences of the access matrix, in its column order ("anonymous" is nobody logged in)
ROLE_COLUMNS: Final = ("anonymous", Role.CANDIDATE, Role.INSPECTOR, Role.COMMITTEE_MEMBER,
                       Role.SUPERVISION, Role.ADMIN)

#: where a user who must change their password may still go
LOGIN_ENDPOINT = "accounts.login"
_PASSWORD_ENDPOINTS = frozenset({"accounts.change_password", "accounts.logout"})
#: session keys: when the user logged in and when they were last seen (epoch seconds)
SESSION_STARTED = "auth_at"
SESSION_SEEN = "seen_at"
#: session key: when the user last typed their password, at login or at re-authentication (P12)
SESSION_PASSWORD = "password_at"
REAUTH_ENDPOINT = "accounts.reauthenticate"


# ---------------------------------------------------------------- declarations


def public(view: F) -> F:
    """Declare a route open to everyone, logged in or not."""
    _declare(view, PUBLIC)
    return view


def requires_role(*roles: Role) -> Callable[[F], F]:
    """Declare a route open only to users with one of `roles`.

    Anonymous visitors are sent to the login page; a logged-in user with another role
    gets 403. ``requires_role(*EVERY_ROLE)`` means "any logged-in user".
    """
    if not roles or not all(isinstance(role, Role) for role in roles):
        raise TypeError("requires_role needs at least one Role")
    allowed = frozenset(roles)

    def decorate(view: F) -> F:
        _declare(view, allowed)
        return view

    return decorate


def _declare(view: Callable[..., Any], allowed: _Public | frozenset[Role]) -> None:
    if hasattr(view, "allowed_roles"):
        raise TypeError(f"{view.__name__} declares its access twice")
    view.allowed_roles = allowed  # type: ignore[attr-defined]


def requires_recent_login(view: F) -> F:
    """Declare a sensitive action: it needs the password typed within ``REAUTH_MINUTES`` (P12).

    Goes with `requires_role`, never `public`; the guard checks the role first, so a user
    without it gets 403 and never the re-authentication page.
    """
    view.needs_recent_login = True  # type: ignore[attr-defined]
    return view


def needs_recent_login(view: Callable[..., Any]) -> bool:
    """Whether `view` is declared a sensitive action (`requires_recent_login`)."""
    return bool(getattr(view, "needs_recent_login", False))


def allowed_roles(view: Callable[..., Any]) -> _Public | frozenset[Role] | None:
    """What `view` declares: `PUBLIC`, a set of roles, or None (undeclared: refused)."""
    return getattr(view, "allowed_roles", None)


def is_exempt(endpoint: str) -> bool:
    """Static files need no declaration."""
    return endpoint == "static" or endpoint.endswith(".static")


def may_visit(endpoint: str, role: Role | None) -> bool:
    """Whether `role` (None: anonymous) may use the route `endpoint` of the current app."""
    view = current_app.view_functions.get(endpoint)
    declared = allowed_roles(view) if view is not None else None
    if declared is PUBLIC:
        return True
    return role is not None and declared is not None and role in declared


# ---------------------------------------------------------------- sessions


def now() -> float:
    """The time sessions are measured by, in epoch seconds (tests move it)."""
    return time.time()


def signed_in_user() -> User:
    """The logged-in user itself (not the `current_user` proxy), for services and sessions."""
    user = current_user._get_current_object()  # type: ignore[attr-defined]
    if not isinstance(user, User):
        raise RuntimeError("no user is logged in")
    return user


def stamp_session(store: MutableMapping[str, Any], at: float | None = None) -> None:
    """Mark a session as started, and last seen, at `at` (default: now)."""
    at = now() if at is None else at
    store[SESSION_STARTED] = store[SESSION_SEEN] = store[SESSION_PASSWORD] = int(at)


def stamp_password(store: MutableMapping[str, Any]) -> None:
    """Note that the user has just typed their password again (re-authentication, P12)."""
    store[SESSION_PASSWORD] = int(now())


def has_recent_login() -> bool:
    """Whether this session's user typed their password within ``REAUTH_MINUTES``."""
    return is_recent(session.get(SESSION_PASSWORD), now(), current_app.config["REAUTH_MINUTES"] * 60)


def start_session(user: User) -> None:
    """Log `user` in on a fresh session: nothing of the previous session survives (P08).

    Never a remember-me cookie: every session must be one the server can end.
    """
    session.clear()
    login_user(user, remember=False)
    stamp_session(session)


def _session_expired(stamp: float) -> bool:
    config = current_app.config
    started, seen = session.get(SESSION_STARTED), session.get(SESSION_SEEN)
    if not isinstance(started, int) or not isinstance(seen, int):
        return True
    return (stamp - seen > config["SESSION_IDLE_MINUTES"] * 60
            or stamp - started > config["SESSION_ABSOLUTE_HOURS"] * 3600)


def _check_session() -> None:
    """End a session that is stale, idle or too old; else note that it was seen now."""
    if "_user_id" not in session:
        return
    if not current_user.is_authenticated:
        # logged out elsewhere, disabled, or given a new role: the cookie is worthless
        session.clear()
        return
    stamp = now()
    if _session_expired(stamp):
        logout_user()
        session.clear()
        flash(_("Your session has ended. Please log in again."), "warning")
        return
    session[SESSION_SEEN] = int(stamp)


# ---------------------------------------------------------------- the guard


def guard_request() -> ResponseReturnValue | None:
    """Enforce sessions and every route's declaration (a ``before_request`` hook)."""
    # An app context can outlive a request (tests keep one open): never reuse the user
    # or the login outcome that an earlier request left in `g`.
    g.pop("_login_user", None)
    g.pop("auth_failed", None)
    endpoint = request.endpoint
    if endpoint is None or is_exempt(endpoint):
        return None
    _check_session()
    view = current_app.view_functions[endpoint]
    declared = allowed_roles(view)
    if declared is None:
        current_app.logger.error("route %s declares no access: refused to everyone", endpoint)
        abort(403)
    if current_user.is_authenticated and current_user.must_change_password \
            and endpoint not in _PASSWORD_ENDPOINTS:
        return redirect(url_for("accounts.change_password"))
    if declared is PUBLIC:
        return None
    if not current_user.is_authenticated:
        return redirect_to_login()
    if current_user.role not in declared:
        if needs_recent_login(view):
            _audit_refusal(endpoint)
        abort(403)
    if needs_recent_login(view) and not has_recent_login():
        return redirect_to_reauth()
    return None


def _audit_refusal(endpoint: str) -> None:
    """A logged-in user knocking at a sensitive action their role does not allow (P49)."""
    user = signed_in_user()
    record_audit("access.refused", actor=f"user:{user.username}", subject=f"user:{user.id}",
                 after={"endpoint": endpoint, "method": request.method})
    db.session.commit()


def redirect_to_login() -> ResponseReturnValue:
    """To the login page, coming back here afterwards when this was a page (GET)."""
    target = request.full_path.rstrip("?") if request.method == "GET" else None
    return redirect(url_for(LOGIN_ENDPOINT, next=target))


def redirect_to_reauth() -> ResponseReturnValue:
    """To the re-authentication page, coming back to this page (GET) or the form's page (POST).

    A POST is never replayed after re-authentication (its CSRF token and intent are this
    request's): the user comes back to the page the form was on and submits it again.
    """
    if request.method == "GET":
        return redirect(url_for(REAUTH_ENDPOINT, next=request.full_path.rstrip("?")))
    back = same_site_path(request.referrer, request.host)
    return redirect(url_for(REAUTH_ENDPOINT, next=back, again=1))


def _show_forbidden(error: Forbidden) -> ResponseReturnValue:
    return render_template("selection/error_403.html"), 403


def _show_too_many(error: TooManyRequests) -> ResponseReturnValue:
    return render_template("selection/error_429.html", message=error.description), 429


# ---------------------------------------------------------------- wiring


def init_auth(app: Flask) -> None:
    """Cookie flags, the login manager, the guard, the error pages and the nav helper."""
    production = bool(app.config["PRODUCTION"])
    for prefix in ("SESSION_COOKIE_", "REMEMBER_COOKIE_"):
        app.config[prefix + "HTTPONLY"] = True
        app.config.setdefault(prefix + "SAMESITE", "Lax")
        app.config[prefix + "SECURE"] = bool(app.config.get(prefix + "SECURE")) or production
    if production and app.config["SESSION_COOKIE_NAME"] == "session":
        # ASVS 5.0 3.3.1: a __Host- cookie is sent only over HTTPS, to this host, for every path,
        # so no sibling subdomain can set or shadow it; under a sub-path __Secure- is what holds
        whole_host = app.config.get("APPLICATION_ROOT", "/") == "/" and not app.config.get("SESSION_COOKIE_DOMAIN")
        app.config["SESSION_COOKIE_NAME"] = "__Host-session" if whole_host else "__Secure-session"
    login_manager.login_view = LOGIN_ENDPOINT
    login_manager.login_message = None
    app.before_request(guard_request)
    app.register_error_handler(Forbidden, _show_forbidden)
    app.register_error_handler(TooManyRequests, _show_too_many)
    app.jinja_env.globals["may_visit"] = lambda endpoint: may_visit(
        endpoint, current_user.role if current_user.is_authenticated else None
    )
    app.jinja_env.globals["role_labels"] = ROLE_LABELS


# ---------------------------------------------------------------- the documented matrix


def access_matrix(app: Flask) -> str:
    """docs/access.md: every route × every audience, as its declaration says."""
    lines = [
        "# Access matrix (访问权限)",
        "",
        "Who may use each route, as the routes declare it (`selection/auth.py`: `@public` or",
        "`@requires_role(...)`). Generated by `flask --app selection routes-matrix`; do not",
        "edit by hand. ✓ allowed; · refused (anonymous: sent to the login page; a logged-in",
        "user: 403). Static files are left out. An undeclared route is refused to everyone.",
        "An endpoint marked *re-auth* is a sensitive action: it also needs the password typed",
        "within the last `REAUTH_MINUTES` (at login or at `/reauth`; SECURITY.md P12).",
        "",
        "| Route | Methods | Endpoint | " + " | ".join(_column(c) for c in ROLE_COLUMNS) + " |",
        "|---|---|---|" + "---|" * len(ROLE_COLUMNS),
    ]
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint)):
        if is_exempt(rule.endpoint):
            continue
        methods = ", ".join(sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}))
        view = app.view_functions[rule.endpoint]
        cells = _cells(allowed_roles(view))
        endpoint = f"`{rule.endpoint}`" + (" *re-auth*" if needs_recent_login(view) else "")
        lines.append(f"| `{rule.rule}` | {methods} | {endpoint} | {' | '.join(cells)} |")
    return "\n".join(lines) + "\n"


def _column(audience: str | Role) -> str:
    return audience.value if isinstance(audience, Role) else audience


def _cells(declared: _Public | frozenset[Role] | None) -> Iterable[str]:
    if declared is None:
        return ["**undeclared**"] + ["·"] * (len(ROLE_COLUMNS) - 1)
    if declared is PUBLIC:
        return ["✓"] * len(ROLE_COLUMNS)
    return ["✓" if isinstance(c, Role) and c in declared else "·" for c in ROLE_COLUMNS]
