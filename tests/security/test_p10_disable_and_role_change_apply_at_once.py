"""P10: disabling a user or changing their role takes effect on their next request."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_sqlalchemy import SQLAlchemy

from selection.models import Role
from tests.selection.test_accounts import PASSWORD, log_in


def test_p10_disabling_a_user_takes_effect_on_their_next_request(
    app: Flask, create_account: Any, login_as: Any
) -> None:
    victim = create_account(Role.SUPERVISION, "li", password=PASSWORD)
    their_client = app.test_client()
    log_in(their_client, "li")
    assert their_client.get("/account/password").status_code == 200
    admin = login_as(app.test_client(), create_account(Role.ADMIN))

    admin.post(f"/admin/users/{victim.id}/active", data={"active": "0"})

    assert their_client.get("/account/password").location.startswith("/login")
    assert log_in(app.test_client(), "li").status_code == 200  # and they cannot log in again


def test_p10_a_role_change_takes_effect_on_their_next_request(
    app: Flask, create_account: Any, login_as: Any, db: SQLAlchemy
) -> None:
    demoted = create_account(Role.ADMIN, "former-admin", password=PASSWORD)
    their_client = app.test_client()
    log_in(their_client, "former-admin")
    assert their_client.get("/admin/users").status_code == 200
    admin = login_as(app.test_client(), create_account(Role.ADMIN))

    admin.post(f"/admin/users/{demoted.id}/role", data={"role": "inspector"})

    assert their_client.get("/admin/users").location.startswith("/login")
    log_in(their_client, "former-admin")
    assert their_client.get("/admin/users").status_code == 403
    db.session.refresh(demoted)
    assert demoted.role is Role.INSPECTOR
