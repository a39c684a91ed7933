"""P04: stored password hashes are argon2id."""

from __future__ import annotations

from typing import Any

from flask_sqlalchemy import SQLAlchemy

from selection.accounts import services
from selection.models import Role
from tests.selection.test_accounts import PASSPHRASE_ZH


def test_p04_stored_password_hash_is_argon2id(db: SQLAlchemy, create_account: Any) -> None:
    admin = create_account(Role.ADMIN)
    account = services.create_staff_account("wq", display_name="王强", role=Role.INSPECTOR, actor=admin)

    services.change_password(account.user, account.password, PASSPHRASE_ZH)

    assert account.user.password_hash.startswith("$argon2id$")
    assert admin.password_hash.startswith("$argon2id$")
