"""Route declarations and sessions (selection/auth.py); its probes P07–P11, P25, P26 are in tests/security/."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from selection import auth
from selection.auth import EVERY_ROLE, PUBLIC, allowed_roles, public, requires_role
from selection.models import Role

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


def _session(client: FlaskClient) -> dict[str, Any]:
    with client.session_transaction() as session:
        return dict(session)


# ---------------------------------------------------------------- next= (P25)


# ---------------------------------------------------------------- CSRF (P26)


# ---------------------------------------------------------------- the matrix command


def test_routes_matrix_prints_every_route_and_role(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["routes-matrix"])

    assert result.exit_code == 0
    assert "| `/admin/users` | GET | `accounts.list_users` | · | · | · | · | · | ✓ |" in result.output
    assert "| `/` | GET | `selection.list_rounds` | ✓ | ✓ | ✓ | ✓ | ✓ | ✓ |" in result.output
