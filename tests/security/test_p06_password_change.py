"""P06: changing a password needs the current one and ends the user's other sessions."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import select

from selection.accounts import services
from selection.accounts.rules import (
    WrongPassword,
)
from selection.models import AuditEvent, Role
from selection.passwords import verify_password
from tests.selection.test_accounts import (
    PASSPHRASE_ZH,
    PASSWORD,
    _audit_mentions,
    log_in,
)


def test_p06_password_change_needs_the_current_password(db: SQLAlchemy, create_account: Any) -> None:
    user = create_account(Role.INSPECTOR, password=PASSWORD)

    with pytest.raises(WrongPassword):
        services.change_password(user, "not-it-at-all", PASSPHRASE_ZH)

    assert verify_password(user.password_hash, PASSWORD)


def test_p06_password_change_ends_other_sessions_and_keeps_this_one(
    app: Flask, create_account: Any, db: SQLAlchemy
) -> None:
    user = create_account(Role.INSPECTOR, "wq", password=PASSWORD)
    here, elsewhere = app.test_client(), app.test_client()
    log_in(here, "wq")
    log_in(elsewhere, "wq")

    response = here.post("/account/password", data={
        "current_password": PASSWORD, "new_password": PASSPHRASE_ZH, "confirm": PASSPHRASE_ZH})

    assert response.status_code == 302
    assert here.get("/account/password").status_code == 200
    assert elsewhere.get("/account/password").location.startswith("/login")
    db.session.refresh(user)
    assert verify_password(user.password_hash, PASSPHRASE_ZH)
    assert [e.action for e in db.session.scalars(select(AuditEvent))][-1] == "user.password"
    assert not _audit_mentions(db, PASSWORD, PASSPHRASE_ZH, "$argon2")
