"""P03: short and common passwords are refused; a 64-character Chinese passphrase is accepted."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask_sqlalchemy import SQLAlchemy

from selection.accounts.rules import (
    PasswordProblem,
    PasswordRefused,
    check_new_password,
)
from selection.models import Role
from selection.passwords import verify_password
from tests.selection.test_accounts import COMMON, PASSPHRASE_ZH, PASSWORD


def test_p03_passphrase_of_64_chinese_characters_is_accepted() -> None:
    assert len(PASSPHRASE_ZH) == 64

    check_new_password(PASSPHRASE_ZH, username="zzb", common=COMMON)


@pytest.mark.parametrize("password, problem", [
    ("", PasswordProblem.TOO_SHORT),
    ("七个汉字的口令", PasswordProblem.TOO_SHORT),
    ("1234567", PasswordProblem.TOO_SHORT),
    ("x" * 257, PasswordProblem.TOO_LONG),
    ("password1", PasswordProblem.COMMON),
    ("PassWord1", PasswordProblem.COMMON),
    ("WoAiNi1314", PasswordProblem.COMMON),
    ("zhangming", PasswordProblem.LIKE_USERNAME),
    ("old-secret-1", PasswordProblem.UNCHANGED),
])
def test_p03_weak_passwords_are_refused(password: str, problem: PasswordProblem) -> None:
    with pytest.raises(PasswordRefused) as refused:
        check_new_password(password, username="ZhangMing", common=COMMON, current="old-secret-1")

    assert refused.value.problem is problem


@pytest.mark.parametrize("new, message", [
    ("short", "至少需要 8 个字符"),
    ("iloveyou", "过于常见"),
    ("Password123", "过于常见"),
])
def test_p03_password_page_refuses_weak_passwords(
    app: Flask, create_account: Any, login_as: Any, db: SQLAlchemy, new: str, message: str
) -> None:
    user = create_account(Role.INSPECTOR, password=PASSWORD)
    client = login_as(app.test_client(), user)

    response = client.post("/account/password", data={
        "current_password": PASSWORD, "new_password": new, "confirm": new})

    assert response.status_code == 200 and message in response.get_data(as_text=True)
    db.session.refresh(user)
    assert verify_password(user.password_hash, PASSWORD)
