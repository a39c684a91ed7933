"""Use cases of accounts (账户): log in and out, change a password, manage staff accounts.

Every change bumps ``User.session_version`` where it must end sessions, is audited
without any password or hash, flushes, and never commits.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from sqlalchemy import select

from selection.audit import record_audit
from selection.crypto import blind_index
from selection.extensions import db
from selection.models import Person, Role, User
from selection.passwords import WeakPassword, hash_password, needs_rehash, verify_password
from selection.rules import normalize_id_number
from selection.services import ID_NUMBER, create_user

from .rules import (
    WrongPassword, check_account_change, check_new_password, check_role_change,
    parse_common_passwords,
)

COMMON_PASSWORDS_FILE = Path(__file__).with_name("common_passwords.txt")
#: what a login name must look like to be tried as an ID number (GB 11643's shape)
ID_NUMBER_SHAPE = re.compile(r"[0-9]{17}[0-9X]")
#: no 0/o, 1/l/i: an initial password is read off a screen and typed in
_INITIAL_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


@dataclass(frozen=True)
class NewAccount:
    """A staff account just created, with its initial password (shown once, never stored)."""

    user: User
    password: str


@cache
def common_passwords() -> frozenset[str]:
    """The shipped list of common passwords, refused as new passwords (P03)."""
    with COMMON_PASSWORDS_FILE.open(encoding="utf-8") as lines:
        return parse_common_passwords(lines)


@cache
def _dummy_hash() -> str:
    """A hash no password matches, verified for unknown users so they cost the same (P01)."""
    return hash_password(secrets.token_urlsafe(32))


def actor_name(user: User) -> str:
    """How the audit trail names a user acting through the web."""
    return f"user:{user.username}"


def authenticate(username: str, password: str) -> User | None:
    """The active user these credentials belong to, or None; audited either way.

    An unknown username, a wrong password and a disabled account do the same work (one
    lookup, one argon2 verification, one audit row) and give the same answer (P01).
    A candidate may give their ID number instead of the username (`account_named`).
    """
    user = account_named(username)
    if user is None:
        verify_password(_dummy_hash(), password)
        record_audit("login.refused", actor="anonymous", subject="user:unknown")
        return None
    if not verify_password(user.password_hash, password) or not user.active:
        record_audit("login.refused", actor="anonymous", subject=f"user:{user.id}")
        return None
    if needs_rehash(user.password_hash):
        try:
            user.password_hash = hash_password(password)
        except WeakPassword:
            user.must_change_password = True
    record_audit("login", actor=actor_name(user), subject=f"user:{user.id}")
    db.session.flush()
    return user


def account_named(login: str) -> User | None:
    """The account with this username or, for a candidate, whose person has this ID number.

    The number is looked up by its blind index (any spelling: spaces, lowercase x), never
    stored or compared in plain text.
    """
    user = db.session.scalar(select(User).where(User.username == login))
    number = normalize_id_number(login)
    if user is not None or not ID_NUMBER_SHAPE.fullmatch(number):
        return user
    return db.session.scalar(
        select(User).join(Person, User.person_id == Person.id)
        .where(Person.id_number_index == blind_index(number, purpose=ID_NUMBER), User.role == Role.CANDIDATE)
    )


def log_out(user: User) -> None:
    """End every session of `user`: cookies copied before stay refused after (P09)."""
    user.session_version += 1
    record_audit("logout", actor=actor_name(user), subject=f"user:{user.id}")
    db.session.flush()


def reauthenticate(user: User, password: str) -> bool:
    """Whether `password` is `user`'s, for a sensitive action (P12); audited either way.

    The password is never in the audit row; the caller stamps the session on success.
    """
    confirmed = verify_password(user.password_hash, password)
    record_audit("reauth" if confirmed else "reauth.refused", actor=actor_name(user), subject=f"user:{user.id}")
    db.session.flush()
    return confirmed


def change_password(user: User, current: str, new: str) -> None:
    """Replace the user's password and end their other sessions (P06).

    Raises WrongPassword if `current` does not match, PasswordRefused for a weak `new`.
    The caller logs the current session in again.
    """
    if not verify_password(user.password_hash, current):
        raise WrongPassword()
    check_new_password(new, username=user.username, common=common_passwords(), current=current)
    user.password_hash = hash_password(new)
    user.must_change_password = False
    user.session_version += 1
    record_audit("user.password", actor=actor_name(user), subject=f"user:{user.id}")
    db.session.flush()


def initial_password() -> str:
    """A random password for a new account, e.g. ``k7mp-q3xa-9rtd-h2nw`` (about 79 bits)."""
    return "-".join(
        "".join(secrets.choice(_INITIAL_ALPHABET) for _ in range(4)) for _ in range(4)
    )


def create_staff_account(
    username: str, *, display_name: str, role: Role, actor: User
) -> NewAccount:
    """A staff account with a random password to be changed at first login (P05).

    Raises UsernameTaken, or NotStaffRole for the candidate role.
    """
    check_role_change(role, role)
    password = initial_password()
    user = create_user(
        username, display_name=display_name, password=password, role=role,
        actor=actor_name(actor),
    )
    user.must_change_password = True
    db.session.flush()
    return NewAccount(user=user, password=password)


def set_account_active(user: User, active: bool, *, actor: User) -> None:
    """Disable or enable an account; disabling ends its sessions at the next request (P10)."""
    check_account_change(actor.id, user.id)
    if user.active == active:
        return
    record_audit(
        "user.active", actor=actor_name(actor), subject=f"user:{user.id}",
        before={"active": user.active}, after={"active": active},
    )
    user.active = active
    user.session_version += 1
    db.session.flush()


def set_role(user: User, role: Role, *, actor: User) -> None:
    """Give a staff account another staff role, effective at its next request (P10)."""
    check_account_change(actor.id, user.id)
    check_role_change(user.role, role)
    if user.role == role:
        return
    record_audit(
        "user.role", actor=actor_name(actor), subject=f"user:{user.id}",
        before={"role": user.role}, after={"role": role},
    )
    user.role = role
    user.session_version += 1
    db.session.flush()


def list_accounts() -> list[User]:
    """Every account, staff first by role, then by username."""
    order = {role: index for index, role in enumerate(Role)}
    users = db.session.scalars(select(User)).all()
    return sorted(users, key=lambda user: (order[user.role], user.username))
