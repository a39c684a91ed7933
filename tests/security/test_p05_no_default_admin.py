"""P05: a fresh install has no account; the first admin comes from the CLI; new passwords are random and must be changed."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskCliRunner
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import func, select

from selection.models import Role, User
from selection.passwords import verify_password
from tests.selection.test_accounts import PASSPHRASE_ZH, _shown_password, log_in


def test_p05_fresh_install_has_no_user_and_first_admin_comes_from_the_cli(
    runner: FlaskCliRunner, db: SQLAlchemy
) -> None:
    assert db.session.scalar(select(func.count(User.id))) == 0

    result = runner.invoke(args=["users", "create-admin", "--username", "zzb", "--password-stdin"],
                           input=PASSPHRASE_ZH + "\n")

    assert result.exit_code == 0
    assert db.session.scalars(select(User)).one().role is Role.ADMIN


def test_p05_new_staff_account_has_a_random_password_to_change_at_first_login(
    app: Flask, create_account: Any, login_as: Any, db: SQLAlchemy
) -> None:
    admin = login_as(app.test_client(), create_account(Role.ADMIN))

    page = admin.post("/admin/users/new", data={"username": "wq", "display_name": "王强", "role": "inspector"})
    password = _shown_password(page.get_data(as_text=True))
    user = db.session.scalars(select(User).where(User.username == "wq")).one()
    again = admin.post("/admin/users/new", data={"username": "wq2", "display_name": "王强", "role": "inspector"})

    assert page.status_code == 201 and page.headers["Cache-Control"] == "no-store"
    assert user.must_change_password and verify_password(user.password_hash, password)
    assert _shown_password(again.get_data(as_text=True)) != password
    # the first login leads to the password page, and nowhere else until it is changed
    client = app.test_client()
    assert log_in(client, "wq", password).location == "/account/password"
    assert client.get("/").location == "/account/password"
    response = client.post("/account/password", data={
        "current_password": password, "new_password": PASSPHRASE_ZH, "confirm": PASSPHRASE_ZH})
    assert response.location == "/"
    assert client.get("/").status_code == 200
