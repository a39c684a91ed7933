"""P01: a wrong password, an unknown user and a disabled account get the same reply, at the same cost."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask_sqlalchemy import SQLAlchemy

from selection.accounts import services
from selection.models import Role
from tests.selection.test_accounts import PASSWORD, log_in


def test_p01_wrong_password_and_unknown_user_reply_alike(app: Flask, create_account: Any) -> None:
    create_account(Role.ADMIN, "zzb", password=PASSWORD)

    wrong = log_in(app.test_client(), "zzb", "not-the-password")
    unknown = log_in(app.test_client(), "nobody", "not-the-password")

    assert wrong.status_code == unknown.status_code == 200
    assert wrong.get_data() == unknown.get_data()
    assert "用户名或密码错误" in wrong.get_data(as_text=True)


def test_p01_disabled_account_replies_like_a_wrong_password(app: Flask, create_account: Any) -> None:
    create_account(Role.ADMIN, "zzb", password=PASSWORD)
    create_account(Role.INSPECTOR, "wq", password=PASSWORD, active=False)

    wrong = log_in(app.test_client(), "zzb", "not-the-password")
    disabled = log_in(app.test_client(), "wq", PASSWORD)

    assert (disabled.status_code, disabled.get_data()) == (wrong.status_code, wrong.get_data())


def test_p01_unknown_user_costs_one_password_verification(
    db: SQLAlchemy, create_account: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    create_account(Role.ADMIN, "zzb", password=PASSWORD)
    calls: list[str] = []
    real = services.verify_password

    def spy(password_hash: str, password: str) -> bool:
        calls.append(password_hash[:10])
        return real(password_hash, password)

    monkeypatch.setattr(services, "verify_password", spy)

    assert services.authenticate("nobody", "whatever-it-is") is None
    assert services.authenticate("zzb", "whatever-it-is") is None

    assert calls == ["$argon2id$", "$argon2id$"]
