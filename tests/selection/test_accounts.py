"""Accounts (selection/accounts/): passwords, login, throttling, account management.

Probes P01–P06 and P10 of SECURITY.md.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import func, select

from selection.accounts import services
from selection.accounts.rules import (
    STAFF_ROLES, NotStaffRole, OwnAccount, PasswordProblem, PasswordRefused, WrongPassword,
    check_new_password, parse_common_passwords,
)
from selection.extensions import limiter
from selection.models import AuditEvent, Role, User
from selection.passwords import verify_password

PASSWORD = "a-long-enough-secret"
PASSPHRASE_ZH = "春眠不觉晓处处闻啼鸟夜来风雨声花落知多少" * 3 + "白日依山"  # 64 characters
COMMON = frozenset({"password1", "iloveyou", "woaini1314"})
ROOT = Path(__file__).resolve().parents[2]


def log_in(client: Any, username: str, password: str = PASSWORD) -> Any:
    return client.post("/login", data={"username": username, "password": password})


# ---------------------------------------------------------------- rules (pure)


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


def test_p04_stored_password_hash_is_argon2id(db: SQLAlchemy, create_account: Any) -> None:
    admin = create_account(Role.ADMIN)
    account = services.create_staff_account("wq", display_name="王强", role=Role.INSPECTOR, actor=admin)

    services.change_password(account.user, account.password, PASSPHRASE_ZH)

    assert account.user.password_hash.startswith("$argon2id$")
    assert admin.password_hash.startswith("$argon2id$")


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


def _shown_password(body: str) -> str:
    return body.split('<code class="secret">', 1)[1].split("</code>", 1)[0]


# ---------------------------------------------------------------- throttling (P02)


def test_p02_five_failures_lock_the_username_not_the_client(app: Flask, create_account: Any) -> None:
    create_account(Role.ADMIN, "x-user", password=PASSWORD)
    create_account(Role.ADMIN, "y-user", password=PASSWORD)
    client = app.test_client()

    failures = [log_in(client, "x-user", f"wrong-{n}").status_code for n in range(5)]
    refused = log_in(client, "x-user", PASSWORD)  # even the right password now
    other = log_in(client, "y-user", PASSWORD)

    assert failures == [200] * 5
    assert refused.status_code == 429
    assert "此账户登录失败次数过多" in refused.get_data(as_text=True)
    assert (other.status_code, other.location) == (302, "/")


def test_p02_successful_logins_do_not_count_as_failures(app: Flask, create_account: Any) -> None:
    create_account(Role.ADMIN, "x-user", password=PASSWORD)

    statuses = [log_in(app.test_client(), "x-user").status_code for _ in range(7)]

    assert statuses == [302] * 7


def test_p02_one_client_has_a_looser_limit_over_every_username(
    make_app: Callable[..., Flask], create_account: Any
) -> None:
    app = make_app(LOGIN_LIMIT_PER_CLIENT="8 per 15 minutes")
    client = app.test_client()

    statuses = [log_in(client, f"user-{n}", "wrong-password").status_code for n in range(9)]

    assert statuses == [200] * 8 + [429]
    assert "登录尝试过多" in log_in(client, "another", "x").get_data(as_text=True)


def test_p02_limiter_never_stores_the_username(app: Flask) -> None:
    log_in(app.test_client(), "someone-unknown", "wrong-password")

    stored = json.dumps(limiter.storage.__dict__, default=repr)
    assert "someone-unknown" not in stored and "login:" in stored


# ---------------------------------------------------------------- password change (P03, P06)


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


def test_password_page_refuses_a_wrong_current_password(
    app: Flask, create_account: Any, login_as: Any
) -> None:
    client = login_as(app.test_client(), create_account(Role.INSPECTOR, password=PASSWORD))

    response = client.post("/account/password", data={
        "current_password": "wrong-password", "new_password": PASSPHRASE_ZH, "confirm": PASSPHRASE_ZH})

    assert response.status_code == 200 and "当前密码不正确" in response.get_data(as_text=True)


# ---------------------------------------------------------------- account management (P10)


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
