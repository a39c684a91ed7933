"""Rules of accounts (账户规则): acceptable passwords, safe redirects, who may change whom.

Pure: no Flask, no database, no clock.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from urllib.parse import urlsplit

from selection.rules import DomainError

MIN_PASSWORD_LENGTH = 8
#: long enough for any passphrase, short enough that hashing it costs nothing extra
MAX_PASSWORD_LENGTH = 256
#: the values of the staff roles (`selection.models.Role` is a StrEnum of these): the roles
#: an administrator gives; candidates get their accounts on registration
STAFF_ROLES = frozenset({"admin", "supervision", "inspector", "committee_member"})


class AccountsError(DomainError):
    """A refused change to an account."""


class PasswordProblem(StrEnum):
    TOO_SHORT = "too_short"
    TOO_LONG = "too_long"
    COMMON = "common"
    LIKE_USERNAME = "like_username"
    UNCHANGED = "unchanged"


class PasswordRefused(AccountsError):
    """A new password that is too short, too long, common, the username or the old one (P03)."""

    def __init__(self, problem: PasswordProblem) -> None:
        super().__init__(problem.value)
        self.problem = problem


class WrongPassword(AccountsError):
    """The current password given does not match."""


class OwnAccount(AccountsError):
    """An administrator may not disable their own account or change their own role."""


class NotStaffRole(AccountsError):
    """Only staff accounts, and only to staff roles, change role here."""


def check_new_password(
    password: str, *, username: str, common: frozenset[str], current: str | None = None
) -> None:
    """Refuse a password under 8 or over 256 characters, a common one, the username, or
    the `current` one (an initial password must really be replaced).

    Length counts characters, not bytes, so a Chinese passphrase is as good as any
    (ASVS 5.0 §6.2: no composition rules; check against breached/common passwords).
    """
    if len(password) < MIN_PASSWORD_LENGTH:
        raise PasswordRefused(PasswordProblem.TOO_SHORT)
    if len(password) > MAX_PASSWORD_LENGTH:
        raise PasswordRefused(PasswordProblem.TOO_LONG)
    folded = password.casefold()
    if folded in common:
        raise PasswordRefused(PasswordProblem.COMMON)
    if folded == username.casefold():
        raise PasswordRefused(PasswordProblem.LIKE_USERNAME)
    if password == current:
        raise PasswordRefused(PasswordProblem.UNCHANGED)


def parse_common_passwords(lines: Iterable[str]) -> frozenset[str]:
    """The common-password list: one a line, ``#`` comments and blank lines ignored."""
    return frozenset(
        line.strip().casefold() for line in lines if line.strip() and not line.startswith("#")
    )


def is_safe_next(target: str | None) -> bool:
    """Whether a ``next=`` target is a path on this site (SECURITY.md P25).

    Refused: absolute URLs and ``//host`` (scheme-relative), backslashes (browsers read
    ``/\\host`` as ``//host``), and control characters or spaces (browsers drop tabs and
    newlines, turning ``/\\t/host`` into ``//host``).
    """
    if not target or not target.startswith("/") or target.startswith("//"):
        return False
    if "\\" in target or any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def check_account_change(actor_id: int, target_id: int) -> None:
    """Refuse an administrator's disabling or re-roling their own account (no lock-out)."""
    if actor_id == target_id:
        raise OwnAccount()


def check_role_change(current: str, new: str) -> None:
    """Only a staff account changes role, and only to another staff role."""
    if current not in STAFF_ROLES or new not in STAFF_ROLES:
        raise NotStaffRole()


def is_recent(stamp: object, now: float, max_age_seconds: float) -> bool:
    """Whether a password typed at `stamp` (epoch seconds) is recent enough at `now` (P12).

    A missing or malformed stamp, or one in the future, is never recent.
    """
    if not isinstance(stamp, int) or isinstance(stamp, bool):
        return False
    return 0 <= now - stamp <= max_age_seconds


def same_site_path(url: str | None, host: str) -> str | None:
    """The path and query of `url` when it points at `host` (this site), else None.

    Used to bring a user back to the page a form was on (its ``Referer``) after they
    re-authenticate; the result is also held to `is_safe_next`.
    """
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or parts.netloc != host:
        return None
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    return target if is_safe_next(target) else None
