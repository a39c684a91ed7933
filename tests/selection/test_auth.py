"""Route declarations and sessions (selection/auth.py): P07, P08, P09, P11, P25, P26."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import func, select

from selection import auth
from selection.accounts.rules import is_safe_next
from selection.auth import EVERY_ROLE, PUBLIC, allowed_roles, public, requires_role
from selection.models import Role, User

PASSWORD = "a-long-enough-secret"


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Callable[[float], None]:
    """Set the session clock: ``clock(seconds)`` moves it to that epoch second."""
    now = [1_800_000_000.0]
    monkeypatch.setattr(auth, "now", lambda: now[0])

    def move_to(seconds: float) -> None:
        now[0] = seconds

    return move_to


def log_in(client: FlaskClient, username: str, password: str = PASSWORD, **query: str) -> Any:
    return client.post("/login", query_string=query, data={"username": username, "password": password})


# ---------------------------------------------------------------- declarations


def test_public_declares_the_view_open_to_everyone() -> None:
    @public
    def view() -> str:
        return ""

    assert allowed_roles(view) is PUBLIC


def test_requires_role_declares_the_roles_on_the_view() -> None:
    @requires_role(Role.ADMIN, Role.SUPERVISION)
    def view() -> str:
        return ""

    assert allowed_roles(view) == frozenset({Role.ADMIN, Role.SUPERVISION})
    assert allowed_roles(requires_role(*EVERY_ROLE)(lambda: "")) == frozenset(Role)


@pytest.mark.parametrize("roles", [(), ("admin",)])
def test_requires_role_needs_roles(roles: tuple[Any, ...]) -> None:
    with pytest.raises(TypeError):
        requires_role(*roles)


def test_a_view_declares_its_access_once() -> None:
    with pytest.raises(TypeError, match="twice"):
        public(requires_role(Role.ADMIN)(lambda: ""))


def test_undeclared_route_is_refused_even_to_an_admin(
    app: Flask, create_account: Any, login_as: Any
) -> None:
    app.add_url_rule("/undeclared", "undeclared", lambda: "secret")
    client = login_as(app.test_client(), create_account(Role.ADMIN))

    response = client.get("/undeclared")

    assert response.status_code == 403 and "secret" not in response.get_data(as_text=True)


def test_anonymous_is_sent_to_login_and_back(client: FlaskClient) -> None:
    response = client.get("/admin/users?page=2")

    assert response.status_code == 302
    assert response.location == "/login?next=/admin/users?page%3D2"


def test_user_without_the_role_gets_403(app: Flask, create_account: Any, login_as: Any) -> None:
    client = login_as(app.test_client(), create_account(Role.INSPECTOR))

    response = client.get("/admin/users")

    assert response.status_code == 403
    assert "您的账户不能打开此页面" in response.get_data(as_text=True)


def test_home_page_is_public(client: FlaskClient) -> None:
    assert client.get("/").status_code == 200


def test_nav_shows_links_by_role(app: Flask, create_account: Any, login_as: Any) -> None:
    admin = login_as(app.test_client(), create_account(Role.ADMIN, display_name="组织部 张明"))
    inspector = login_as(app.test_client(), create_account(Role.INSPECTOR))

    admin_page = admin.get("/").get_data(as_text=True)
    inspector_page = inspector.get("/").get_data(as_text=True)
    anonymous_page = app.test_client().get("/").get_data(as_text=True)

    assert 'href="/admin/users"' in admin_page and "组织部 张明" in admin_page
    assert 'href="/admin/users"' not in inspector_page
    assert 'action="/logout"' in inspector_page and 'action="/logout"' not in anonymous_page
    assert 'href="/login"' in anonymous_page
    assert "<script" not in admin_page


# ---------------------------------------------------------------- login, logout, cookies


def test_login_then_logout(app: Flask, create_account: Any) -> None:
    create_account(Role.SUPERVISION, "li", password=PASSWORD)
    client = app.test_client()

    response = log_in(client, "li")
    # supervision staff land on their complaint workbench (publicity/supervision_views.py)
    assert (response.status_code, response.location) == (302, "/supervision/complaints")
    assert client.get("/account/password").status_code == 200

    response = client.post("/logout")
    assert (response.status_code, response.location) == (302, "/login")
    assert client.get("/account/password").status_code == 302


def test_p07_session_cookie_is_httponly_and_samesite_and_never_remembered(
    app: Flask, create_account: Any
) -> None:
    create_account(Role.ADMIN, "zzb", password=PASSWORD)

    response = log_in(app.test_client(), "zzb")

    cookies = response.headers.getlist("Set-Cookie")
    session_cookie = next(c for c in cookies if c.startswith("session="))
    assert "HttpOnly" in session_cookie and "SameSite=Lax" in session_cookie
    assert "Secure" not in session_cookie  # local development: plain http
    assert not any(c.startswith("remember_token=") for c in cookies)


def test_p07_session_cookie_is_secure_in_production(
    make_app: Callable[..., Flask], create_account: Any
) -> None:
    app = make_app(PRODUCTION=True)
    create_account(Role.ADMIN, "zzb", password=PASSWORD)

    response = log_in(app.test_client(), "zzb")

    session_cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "Secure" in session_cookie and "HttpOnly" in session_cookie
    assert app.config["REMEMBER_COOKIE_SECURE"] and app.config["REMEMBER_COOKIE_HTTPONLY"]


def test_p08_session_cookie_changes_at_login(app: Flask, create_account: Any) -> None:
    # Given a visitor whose session already holds something (say, planted by an attacker)
    create_account(Role.ADMIN, "zzb", password=PASSWORD)
    client = app.test_client()
    with client.session_transaction() as session:
        session["planted"] = "by someone else"
    before = client.get_cookie("session").value

    log_in(client, "zzb")

    assert client.get_cookie("session").value != before
    assert "planted" not in _session(client) and "_user_id" in _session(client)


def test_p09_cookie_copied_before_logout_is_rejected_after(app: Flask, create_account: Any) -> None:
    create_account(Role.ADMIN, "zzb", password=PASSWORD)
    client = app.test_client()
    log_in(client, "zzb")
    copied = client.get_cookie("session").value

    client.post("/logout")
    thief = app.test_client()
    thief.set_cookie("session", copied)
    response = thief.get("/admin/users")

    assert response.status_code == 302 and response.location.startswith("/login")


def test_p11_idle_session_ends_after_30_minutes(
    app: Flask, create_account: Any, clock: Callable[[float], None]
) -> None:
    create_account(Role.ADMIN, "zzb", password=PASSWORD)
    client = app.test_client()
    clock(1_800_000_000)
    log_in(client, "zzb")

    clock(1_800_000_000 + 29 * 60)
    assert client.get("/admin/users").status_code == 200  # activity resets the idle clock
    clock(1_800_000_000 + 58 * 60)
    assert client.get("/admin/users").status_code == 200
    clock(1_800_000_000 + 88 * 60 + 1)
    response = client.get("/admin/users")

    assert response.status_code == 302 and response.location.startswith("/login")
    assert "_user_id" not in _session(client)


def test_p11_session_ends_12_hours_after_login_however_busy(
    app: Flask, create_account: Any, clock: Callable[[float], None]
) -> None:
    create_account(Role.ADMIN, "zzb", password=PASSWORD)
    client = app.test_client()
    start = 1_800_000_000
    clock(start)
    log_in(client, "zzb")

    for minutes in range(20, 12 * 60, 20):
        clock(start + minutes * 60)
        assert client.get("/admin/users").status_code == 200
    clock(start + 12 * 3600 + 1)
    response = client.get("/admin/users")

    assert response.status_code == 302 and response.location.startswith("/login")


def test_p11_timeouts_come_from_config(
    make_app: Callable[..., Flask], create_account: Any, clock: Callable[[float], None]
) -> None:
    app = make_app(SESSION_IDLE_MINUTES=5, SESSION_ABSOLUTE_HOURS=1)
    create_account(Role.ADMIN, "zzb", password=PASSWORD)
    client = app.test_client()
    clock(1_800_000_000)
    log_in(client, "zzb")

    clock(1_800_000_000 + 5 * 60 + 1)

    assert client.get("/admin/users").status_code == 302


def test_p11_a_session_without_timestamps_is_ended(
    app: Flask, create_account: Any
) -> None:
    user = create_account(Role.ADMIN)
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()

    assert client.get("/admin/users").status_code == 302


def _session(client: FlaskClient) -> dict[str, Any]:
    with client.session_transaction() as session:
        return dict(session)


# ---------------------------------------------------------------- next= (P25)


@pytest.mark.parametrize("target", ["/", "/admin/users", "/admin/users?page=2", "/a/b#c"])
def test_p25_is_safe_next_accepts_paths_on_this_site(target: str) -> None:
    assert is_safe_next(target)


@pytest.mark.parametrize("target", [
    None, "", "https://evil.example/", "http://evil.example", "//evil.example", "///evil.example",
    "/\\evil.example", "\\\\evil.example", "/\t/evil.example", "/\n/evil.example", "evil.example",
    "javascript:alert(1)", " /x", "/x y", "https:/evil.example", "/\x7f",
])
def test_p25_is_safe_next_refuses_other_sites(target: str | None) -> None:
    assert not is_safe_next(target)


@pytest.mark.parametrize("target, expected", [
    ("/admin/users", "/admin/users"),
    ("https://evil.example/x", "/"),
    ("//evil.example/x", "/"),
    ("/\\evil.example", "/"),
    ("\\/evil.example", "/"),
])
def test_p25_next_after_login_never_leaves_the_site(
    app: Flask, create_account: Any, target: str, expected: str
) -> None:
    create_account(Role.ADMIN, "zzb", password=PASSWORD)

    response = log_in(app.test_client(), "zzb", next=target)

    assert (response.status_code, response.location) == (302, expected)


# ---------------------------------------------------------------- CSRF (P26)


def test_p26_post_without_csrf_token_is_refused_and_changes_nothing(
    make_app: Callable[..., Flask], create_account: Any, login_as: Any, db: SQLAlchemy
) -> None:
    app = make_app(WTF_CSRF_ENABLED=True)
    admin = create_account(Role.ADMIN, "zzb", password=PASSWORD)
    other = create_account(Role.INSPECTOR, "wq")
    client = login_as(app.test_client(), admin)
    users_before = db.session.scalar(select(func.count(User.id)))

    responses = [
        client.post("/admin/users/new", data={"username": "new", "display_name": "新", "role": "admin"}),
        client.post(f"/admin/users/{other.id}/active", data={"active": "0"}),
        client.post(f"/admin/users/{other.id}/role", data={"role": "admin"}),
        client.post("/account/password", data={"current_password": PASSWORD,
                                                "new_password": "另一个足够长的口令", "confirm": "另一个足够长的口令"}),
        client.post("/logout"),
        app.test_client().post("/login", data={"username": "zzb", "password": PASSWORD}),
    ]

    assert [r.status_code for r in responses] == [400] * 6
    db.session.expire_all()
    assert db.session.scalar(select(func.count(User.id))) == users_before
    assert (other.active, other.role) == (True, Role.INSPECTOR)
    assert client.get("/admin/users").status_code == 200  # still logged in: logout was refused


def test_p26_forms_carry_a_csrf_token(make_app: Callable[..., Flask], create_account: Any, login_as: Any) -> None:
    app = make_app(WTF_CSRF_ENABLED=True)
    client = login_as(app.test_client(), create_account(Role.ADMIN))

    for url in ("/login", "/admin/users", "/admin/users/new", "/account/password"):
        body = app.test_client().get(url).get_data(as_text=True) if url == "/login" else \
            client.get(url).get_data(as_text=True)
        assert 'name="csrf_token"' in body, url


# ---------------------------------------------------------------- the matrix command


def test_routes_matrix_prints_every_route_and_role(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["routes-matrix"])

    assert result.exit_code == 0
    assert "| `/admin/users` | GET | `accounts.list_users` | · | · | · | · | · | ✓ |" in result.output
    assert "| `/` | GET | `selection.list_rounds` | ✓ | ✓ | ✓ | ✓ | ✓ | ✓ |" in result.output
