"""Candidate accounts (考生账户): signing up with a national ID number, and logging in with it.

A candidate's account is tied to a person (`Person`, found by the blind index of the ID
number, never by the number itself). One person has at most one account (SECURITY.md
P32). A person already on file without an account (a registration the organisation
department imported) is claimed only by someone who gives the mobile number on file: the
ID number alone is too easy to know about someone else.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from flask import has_request_context
from sqlalchemy import select

from .accounts.rules import check_new_password
from .accounts.services import common_passwords
from .audit import record_audit
from .crypto import blind_index
from .extensions import db
from .i18n import _
from .models import Person, Role, User
from .rules import DomainError, IdNumberError, check_id_number, is_valid_phone
from .services import ID_NUMBER, PHONE, create_user, find_or_create_person

#: attempts at a free generated username before giving up (a clash is already one in 10^8)
_USERNAME_ATTEMPTS = 10


def N_(message: str) -> str:
    """Mark a msgid for extraction; SignupRefused translates it when shown."""
    return message


class SignupRefused(DomainError):
    """A sign-up refused; `field` is the form field it is about (None: the whole form)."""

    def __init__(self, field: str | None, message: str, **params: object) -> None:
        super().__init__(message % params if params else message)
        self.field = field
        self.message = message
        self.params = params

    def __str__(self) -> str:
        if has_request_context():
            return _(self.message, **self.params)
        return str(self.args[0])


@dataclass(frozen=True)
class SignupDetails:
    """What the sign-up form says, as typed (trimmed)."""

    name: str
    id_number: str
    phone: str
    email: str | None
    password: str


@dataclass(frozen=True)
class NewCandidateAccount:
    """A candidate account just made: the user, and whether it claimed a person already on file."""

    user: User
    claimed: bool


def normalize_phone(raw: str) -> str:
    return "".join(raw.split())


def sign_up(details: SignupDetails) -> NewCandidateAccount:
    """Create a candidate account (考生注册) for the person with this ID number; audited.

    Refuses (SignupRefused, naming the field) a number that fails GB 11643, a phone that is
    not a mobile number, a person who has an account already, and a person on file whose
    mobile number on file is not the one given; PasswordRefused for a weak password.
    Flushes, never commits.
    """
    try:
        number = check_id_number(details.id_number)
    except IdNumberError as error:
        raise SignupRefused("id_number", error.message, **error.params) from None
    phone = normalize_phone(details.phone)
    if not is_valid_phone(phone):
        raise SignupRefused("phone", N_("is not a mobile number (1[3-9] and nine more digits)"))
    # the ID number is a login name too: a password equal to it is refused like a username
    check_new_password(details.password, username=number, common=common_passwords())
    person = db.session.scalar(select(Person).where(Person.id_number_index == blind_index(number, purpose=ID_NUMBER)))
    claimed = person is not None
    if person is not None:
        if db.session.scalar(select(User.id).where(User.person_id == person.id)) is not None:
            raise SignupRefused("id_number", N_("An account exists already for this ID number. Log in with it, "
                                                "or ask the organisation department to reset its password."))
        if person.phone_index is None or person.phone_index != blind_index(phone, purpose=PHONE):
            raise SignupRefused("phone", N_("This ID number is on file with another mobile number. Contact the "
                                            "organisation department to have your account set up."))
    else:
        person = find_or_create_person(number, phone)
    user = create_user(_free_username(), display_name=details.name, password=details.password,
                       role=Role.CANDIDATE, actor="signup")
    user.person_id = person.id
    user.email = details.email or None
    record_audit("user.signup", actor=f"user:{user.username}", subject=f"user:{user.id}",
                 after={"claimed_person_on_file": claimed, "email": bool(user.email)})
    db.session.flush()
    return NewCandidateAccount(user, claimed)


def _free_username() -> str:
    """A username no account has: ``k`` (考生) and eight random digits."""
    for _attempt in range(_USERNAME_ATTEMPTS):
        name = f"k{secrets.randbelow(10**8):08d}"
        if db.session.scalar(select(User.id).where(User.username == name)) is None:
            return name
    raise RuntimeError("no free candidate username found")
