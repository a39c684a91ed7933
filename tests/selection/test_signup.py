"""Candidate accounts (selection/signup.py): signing up with an ID number, claiming a person on file,
logging in with the ID number (the P21 and P32 probes: tests/security/)."""

from __future__ import annotations

from typing import Any

import pytest
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import func, select

from selection.accounts.rules import PasswordProblem, PasswordRefused
from selection.accounts.services import account_named, authenticate
from selection.models import AuditEvent, Person, Role, User
from selection.rules import id_check_digit
from selection.services import find_or_create_person, reveal_phone
from selection.signup import SignupDetails, SignupRefused, sign_up

PASSWORD = "a-long-passphrase-2026"


def id_number(first17: str = "11010119900307003") -> str:
    """A valid GB 11643 number (this one: born 1990-03-07, male)."""
    return first17 + id_check_digit(first17)


ID = id_number()
X_ID = next(n for n in (id_number(f"1101011992051200{d}") for d in range(10)) if n.endswith("X"))


def details(**changes: Any) -> SignupDetails:
    values = {"name": "王小明", "id_number": ID, "phone": "13912345678", "email": None, "password": PASSWORD}
    return SignupDetails(**{**values, **changes})


@pytest.mark.db
def test_sign_up_makes_a_candidate_account_for_a_new_person(db: SQLAlchemy) -> None:
    account = sign_up(details(email="wang@example.cn"))
    db.session.commit()

    user = account.user
    assert not account.claimed
    assert (user.role, user.display_name, user.email) == (Role.CANDIDATE, "王小明", "wang@example.cn")
    assert user.username.startswith("k") and len(user.username) == 9 and user.username[1:].isdigit()
    assert user.person is not None and reveal_phone(user.person) == "13912345678"
    assert not user.must_change_password
    # the audit trail says what happened, never the number
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.subject == f"user:{user.id}")).all()
    assert {e.action for e in events} == {"user.create", "user.signup"}
    assert ID not in str([(e.before, e.after) for e in events])


@pytest.mark.parametrize(("password", "problem"), [
    ("short", PasswordProblem.TOO_SHORT), ("password1", PasswordProblem.COMMON), (ID, PasswordProblem.LIKE_USERNAME),
])
def test_a_weak_password_is_refused_and_nothing_is_stored(db: SQLAlchemy, password: str,
                                                          problem: PasswordProblem) -> None:
    with pytest.raises(PasswordRefused) as refused:
        sign_up(details(password=password))
    db.session.rollback()

    assert refused.value.problem is problem
    assert db.session.scalar(select(func.count(Person.id))) == 0


@pytest.mark.db
def test_a_person_on_file_without_an_account_is_claimed_with_the_mobile_number_on_file(db: SQLAlchemy) -> None:
    # Given a person imported with a registration, phone on file, no account
    person = find_or_create_person(ID, "13912345678")
    db.session.commit()

    account = sign_up(details(phone="139 1234 5678"))
    db.session.commit()

    assert account.claimed and account.user.person_id == person.id
    assert db.session.scalar(select(func.count(Person.id))) == 1


@pytest.mark.db
@pytest.mark.parametrize("on_file", ["13800000000", None])
def test_a_person_on_file_is_not_claimed_with_another_mobile_number(db: SQLAlchemy, on_file: str | None) -> None:
    find_or_create_person(ID, on_file)
    db.session.commit()

    with pytest.raises(SignupRefused, match="Contact the organisation department") as refused:
        sign_up(details())

    assert refused.value.field == "phone"
    assert db.session.scalar(select(func.count(User.id))) == 0


@pytest.mark.db
def test_a_candidate_logs_in_with_the_id_number_in_any_spelling(db: SQLAlchemy) -> None:
    user = sign_up(details(id_number=X_ID)).user
    db.session.commit()

    for login in (user.username, X_ID, X_ID.lower(), f"{X_ID[:6]} {X_ID[6:]}"):
        assert authenticate(login, PASSWORD) == user, login
    assert authenticate(X_ID, "wrong-password-2026") is None


def test_only_a_candidate_account_is_found_by_an_id_number(db: SQLAlchemy, create_account: Any) -> None:
    # Given a staff account somehow linked to a person: staff log in by username only
    staff = create_account(Role.ADMIN, "zzb")
    staff.person = find_or_create_person(ID, None)
    db.session.commit()

    assert account_named(ID) is None
    assert account_named("zzb") == staff
