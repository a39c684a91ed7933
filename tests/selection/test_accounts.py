"""Accounts (selection/accounts/): passwords, login, throttling, account management.

The probes P01–P06 and P10 of SECURITY.md are in tests/security/.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import select

from selection.accounts import services
from selection.accounts.rules import (
    STAFF_ROLES, NotStaffRole, OwnAccount, parse_common_passwords,
)
from selection.models import AuditEvent, Role

PASSWORD = "a-long-enough-secret"
PASSPHRASE_ZH = "春眠不觉晓处处闻啼鸟夜来风雨声花落知多少" * 3 + "白日依山"  # 64 characters
COMMON = frozenset({"password1", "iloveyou", "woaini1314"})
ROOT = Path(__file__).resolve().parents[2]


def log_in(client: Any, username: str, password: str = PASSWORD) -> Any:
    return client.post("/login", data={"username": username, "password": password})


# ---------------------------------------------------------------- rules (pure)


def test_common_password_list_ships_about_a_thousand_entries() -> None:
    common = services.common_passwords()

    assert len(common) >= 1000
    assert {"password", "12345678", "qwerty123", "iloveyou", "woaini1314", "5201314"} <= common
    assert all(entry == entry.casefold().strip() and entry for entry in common)


def test_parse_common_passwords_skips_comments_and_blanks() -> None:
    assert parse_common_passwords(["# list", "", "  Dragon \n", "abc"]) == {"dragon", "abc"}


def test_staff_roles_are_every_role_but_candidate() -> None:
    assert STAFF_ROLES == {role.value for role in Role} - {Role.CANDIDATE.value}


def test_initial_passwords_are_random_and_long() -> None:
    passwords = {services.initial_password() for _ in range(50)}

    assert len(passwords) == 50
    assert all(len(p) == 19 and p.count("-") == 3 for p in passwords)


def test_accounts_rules_import_no_flask_or_database() -> None:
    tree = ast.parse((ROOT / "selection/accounts/rules.py").read_text(encoding="utf-8"))
    imported = [node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)]
    imported += [alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
                 for alias in node.names]

    assert [name for name in imported if name and name.split(".")[0] in {"flask", "sqlalchemy"}
            or name in {"selection.models", "selection.extensions"}] == []


# ---------------------------------------------------------------- login (P01, P04, P05)


def test_logins_and_refusals_are_audited_without_secrets(db: SQLAlchemy, create_account: Any) -> None:
    user = create_account(Role.ADMIN, "zzb", password=PASSWORD)

    services.authenticate("zzb", PASSWORD)
    services.authenticate("zzb", "wrong-password")
    services.authenticate("nobody", "wrong-password")

    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action.like("login%"))
                                .order_by(AuditEvent.id)).all()
    assert [(e.action, e.subject) for e in events] == [
        ("login", f"user:{user.id}"), ("login.refused", f"user:{user.id}"),
        ("login.refused", "user:unknown"),
    ]
    assert not _audit_mentions(db, PASSWORD, "wrong-password", "nobody", "$argon2")


def _shown_password(body: str) -> str:
    return body.split('<code class="secret">', 1)[1].split("</code>", 1)[0]


# ---------------------------------------------------------------- throttling (P02)


# ---------------------------------------------------------------- password change (P03, P06)


def test_password_page_refuses_a_wrong_current_password(
    app: Flask, create_account: Any, login_as: Any
) -> None:
    client = login_as(app.test_client(), create_account(Role.INSPECTOR, password=PASSWORD))

    response = client.post("/account/password", data={
        "current_password": "wrong-password", "new_password": PASSPHRASE_ZH, "confirm": PASSPHRASE_ZH})

    assert response.status_code == 200 and "当前密码不正确" in response.get_data(as_text=True)


# ---------------------------------------------------------------- account management (P10)


def test_enabling_a_disabled_account_lets_it_log_in(app: Flask, create_account: Any, login_as: Any) -> None:
    user = create_account(Role.INSPECTOR, "wq", password=PASSWORD, active=False)
    admin = login_as(app.test_client(), create_account(Role.ADMIN))

    response = admin.post(f"/admin/users/{user.id}/active", data={"active": "1"})

    assert response.location == "/admin/users"
    assert log_in(app.test_client(), "wq").status_code == 302


def test_user_list_shows_every_account_with_role_labels(
    app: Flask, create_account: Any, login_as: Any
) -> None:
    create_account(Role.INSPECTOR, "wq", display_name="考察组 王强")
    create_account(Role.CANDIDATE, "cxy", display_name="陈晓燕")
    client = login_as(app.test_client(), create_account(Role.ADMIN, "zzb"))

    body = client.get("/admin/users").get_data(as_text=True)

    for text in ("wq", "考察组 王强", "cxy", "陈晓燕", "zzb", "考察组", "考生", "组织部", "停用"):
        assert text in body, text


def test_admin_cannot_disable_or_demote_themselves(db: SQLAlchemy, create_account: Any) -> None:
    admin = create_account(Role.ADMIN)

    with pytest.raises(OwnAccount):
        services.set_account_active(admin, False, actor=admin)
    with pytest.raises(OwnAccount):
        services.set_role(admin, Role.INSPECTOR, actor=admin)

    assert admin.active and admin.role is Role.ADMIN


def test_candidate_accounts_keep_their_role(db: SQLAlchemy, create_account: Any) -> None:
    admin, candidate = create_account(Role.ADMIN), create_account(Role.CANDIDATE)
    inspector = create_account(Role.INSPECTOR)

    with pytest.raises(NotStaffRole):
        services.set_role(candidate, Role.ADMIN, actor=admin)
    with pytest.raises(NotStaffRole):
        services.set_role(inspector, Role.CANDIDATE, actor=admin)
    with pytest.raises(NotStaffRole):
        services.create_staff_account("c2", display_name="c", role=Role.CANDIDATE, actor=admin)


def test_create_account_refuses_a_taken_username(
    app: Flask, create_account: Any, login_as: Any
) -> None:
    create_account(Role.INSPECTOR, "wq")
    client = login_as(app.test_client(), create_account(Role.ADMIN))

    response = client.post("/admin/users/new", data={"username": "wq", "display_name": "x", "role": "inspector"})

    assert response.status_code == 200 and "用户名已被占用" in response.get_data(as_text=True)


def test_account_changes_are_audited_without_passwords(db: SQLAlchemy, create_account: Any) -> None:
    admin = create_account(Role.ADMIN, "zzb")
    account = services.create_staff_account("wq", display_name="王强", role=Role.INSPECTOR, actor=admin)
    services.set_role(account.user, Role.SUPERVISION, actor=admin)
    services.set_account_active(account.user, False, actor=admin)
    services.log_out(admin)

    events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()[-4:]

    assert [(e.action, e.actor) for e in events] == [
        ("user.create", "user:zzb"), ("user.role", "user:zzb"), ("user.active", "user:zzb"),
        ("logout", "user:zzb"),
    ]
    assert events[1].after == {"role": "supervision"} and events[2].after == {"active": False}
    assert not _audit_mentions(db, account.password, "$argon2")


def test_set_role_and_active_bump_the_session_version(db: SQLAlchemy, create_account: Any) -> None:
    admin, user = create_account(Role.ADMIN), create_account(Role.INSPECTOR)
    before = user.session_version

    services.set_role(user, Role.SUPERVISION, actor=admin)
    services.set_account_active(user, False, actor=admin)
    services.set_account_active(user, False, actor=admin)  # no change, no bump

    assert user.session_version == before + 2


def _audit_mentions(db: SQLAlchemy, *needles: str) -> bool:
    rows = db.session.scalars(select(AuditEvent)).all()
    text = json.dumps([[e.actor, e.subject, e.before, e.after] for e in rows], ensure_ascii=False)
    return any(needle in text for needle in needles)
