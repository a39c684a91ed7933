"""P26: a POST without a valid CSRF token is refused with 400 and changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import func, select

from selection.models import Role, User
from tests.selection.test_auth import PASSWORD


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
