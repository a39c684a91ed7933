"""Setting up a round (选拔工作的设置): open it, its settings, calendar and positions, publish it.

Verbs that check the rules, write the rows, audit before → after, flush and never commit.
Like the pages, this module stands above the record engine: a change that can move a
candidate's status ends with `refresh_statuses`. Selection's core (rules, pipeline, models,
services) never imports it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import has_request_context
from sqlalchemy import select

from .audit import record_audit
from .extensions import db
from .i18n import _
from .models import DayKind, Education, HolidayAddition, Position, Round, utcnow
from .record.services import refresh_statuses
from .rules import (
    SETTING_NAMES, DomainError, Settings, final_fields, is_registration_window, resolve_settings,
    settings_as_strings,
)
from .services import claim_version

#: the fields of a round's own record (its settings are audited on their own)
_ROUND_FIELDS = ("title", "cutoff_date", "registration_opens", "registration_closes")
_POSITION_FIELDS = ("title", "unit", "posts", "max_age", "min_education", "min_years_in_rank")


def N_(message: str) -> str:
    """Mark a msgid for extraction; SetupRefused translates it when shown."""
    return message


class SetupRefused(DomainError):
    """A set-up change the rules refuse; its message, translated when shown on a page, says why."""

    def __init__(self, message: str, **params: object) -> None:
        super().__init__(message % params if params else message)
        self.message = message
        self.params = params

    def __str__(self) -> str:
        if has_request_context():
            return _(self.message, **self.params)
        return str(self.args[0])


@dataclass(frozen=True)
class RoundDetails:
    """What the set-up form says about a round, apart from its code and settings."""

    title: str
    cutoff_date: date
    registration_opens: date | None = None
    registration_closes: date | None = None


@dataclass(frozen=True)
class PositionDetails:
    """What the position form says: the post and its requirements (RULES.md §3)."""

    title: str
    unit: str
    posts: int
    max_age: int | None = None
    min_education: Education | None = None
    min_years_in_rank: int | None = None


def find_round(code: str) -> Round | None:
    """The round with this code, if any."""
    return db.session.scalar(select(Round).where(Round.code == code))


def find_position(round_: Round, code: str) -> Position | None:
    """The position `code` of the round, if any."""
    return db.session.scalar(select(Position).where(Position.round_id == round_.id, Position.code == code))


def _subject(round_: Round) -> str:
    return f"round:{round_.code}"


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def _changes(obj: object, details: object, names: tuple[str, ...]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The fields `details` changes on `obj`, as (before, after)."""
    before, after = {}, {}
    for name in names:
        old, new = getattr(obj, name), getattr(details, name)
        if old != new:
            before[name], after[name] = _plain(old), _plain(new)
    return before, after


def _check_window(details: RoundDetails) -> None:
    if not is_registration_window(details.registration_opens, details.registration_closes):
        raise SetupRefused(N_("Registration cannot close before it opens."))


def _refuse_final(names: list[str]) -> None:
    if names:
        raise SetupRefused(N_("%(names)s can no longer change: the stage it governs has started."),
                              names=", ".join(names))


def setting_overrides(given: Mapping[str, object]) -> dict[str, object]:
    """The settings of `given` that differ from RULES.md §2, exactly as given (strings stay strings).

    Every value is checked first (SettingsError names each setting refused, an unknown name too).
    """
    resolved, defaults = resolve_settings(given), Settings()
    return {name: given[name] for name in SETTING_NAMES
            if name in given and getattr(resolved, name) != getattr(defaults, name)}


def open_round(code: str, details: RoundDetails, settings: Mapping[str, object], *, actor: str) -> Round:
    """A new round, computed live at the clock's date (`as_of` None); audited. Flushes, never commits."""
    if find_round(code) is not None:
        raise SetupRefused(N_("A round with the code %(code)s exists already."), code=code)
    _check_window(details)
    overrides = setting_overrides(settings)
    round_ = Round(code=code, settings=overrides, as_of=None,
                   **{name: getattr(details, name) for name in _ROUND_FIELDS})
    db.session.add(round_)
    db.session.flush()
    record_audit("round.create", actor=actor, subject=_subject(round_), round_id=round_.id,
                 after={"code": code, **{name: _plain(getattr(details, name)) for name in _ROUND_FIELDS},
                        "settings": overrides})
    return round_


def update_round(round_: Round, details: RoundDetails, settings: Mapping[str, object], *,
                 seen_version: int, actor: str, today: date) -> Round:
    """Save the set-up form: the round's details and settings, if nobody saved it since `seen_version`.

    Raises StaleEdit, SetupRefused, or SettingsError. Flushes, never commits.
    """
    claim_version(round_, seen_version)
    _check_window(details)
    before, after = _changes(round_, details, _ROUND_FIELDS)
    _refuse_final(final_fields(after, (p.stage for p in round_.positions)))
    if after:
        for name in after:
            setattr(round_, name, getattr(details, name))
        record_audit("round.update", actor=actor, subject=_subject(round_), round_id=round_.id,
                     before=before, after=after)
    update_round_settings(round_, settings, actor=actor, today=today)
    if "cutoff_date" in after:
        refresh_statuses(round_, actor=actor, today=today)
    db.session.flush()
    return round_


def update_round_settings(round_: Round, settings: Mapping[str, object], *, actor: str, today: date,
                          seen_version: int | None = None) -> Round:
    """Replace the round's setting overrides; audits each change as before → after (effective values).

    A setting whose stage has started for any position is final (SetupRefused). With
    `seen_version`, the round's version is claimed first (StaleEdit). Flushes, never commits.
    """
    if seen_version is not None:
        claim_version(round_, seen_version)
    overrides = setting_overrides(settings)
    old = settings_as_strings(resolve_settings(round_.settings or {}))
    new = settings_as_strings(resolve_settings(overrides))
    changed = [name for name in SETTING_NAMES if old[name] != new[name]]
    if not changed:
        return round_
    _refuse_final(final_fields(changed, (p.stage for p in round_.positions)))
    round_.settings = overrides
    record_audit("round.settings", actor=actor, subject=_subject(round_), round_id=round_.id,
                 before={name: old[name] for name in changed}, after={name: new[name] for name in changed})
    refresh_statuses(round_, actor=actor, today=today)
    return round_


def add_holiday(round_: Round, day: date, kind: DayKind, name: str | None, *, actor: str,
                today: date) -> HolidayAddition:
    """Add a rest day or make-up working day to the round's calendar (RULES.md §9); audited."""
    taken = db.session.scalar(select(HolidayAddition).where(
        HolidayAddition.round_id == round_.id, HolidayAddition.day == day))
    if taken is not None:
        raise SetupRefused(N_("%(day)s is in this round's calendar already."), day=day.isoformat())
    addition = HolidayAddition(round_id=round_.id, day=day, kind=kind, name=name or None)
    db.session.add(addition)
    db.session.flush()
    record_audit("round.calendar", actor=actor, subject=_subject(round_), round_id=round_.id,
                 after={"day": day.isoformat(), "kind": kind.value, "name": name or None})
    # a publicity's end date moves with the calendar, and with it the statuses
    refresh_statuses(round_, actor=actor, today=today)
    return addition


def remove_holiday(round_: Round, day: date, *, actor: str, today: date) -> None:
    """Take a day out of the round's calendar; audited."""
    addition = db.session.scalar(select(HolidayAddition).where(
        HolidayAddition.round_id == round_.id, HolidayAddition.day == day))
    if addition is None:
        raise SetupRefused(N_("%(day)s is not in this round's calendar."), day=day.isoformat())
    record_audit("round.calendar", actor=actor, subject=_subject(round_), round_id=round_.id,
                 before={"day": day.isoformat(), "kind": addition.kind.value, "name": addition.name})
    db.session.delete(addition)
    db.session.flush()
    refresh_statuses(round_, actor=actor, today=today)


def _check_posts(details: PositionDetails) -> None:
    if details.posts < 1:
        raise SetupRefused(N_("A position has at least one post."))


def create_position(round_: Round, code: str, details: PositionDetails, *, seen_version: int,
                    actor: str) -> Position:
    """A new position of the round, at registration; audited. Claims the round's version."""
    claim_version(round_, seen_version)
    if find_position(round_, code) is not None:
        raise SetupRefused(N_("The round has a position %(position)s already."), position=code)
    _check_posts(details)
    ordinal = max((p.ordinal for p in round_.positions), default=-1) + 1
    position = Position(round=round_, code=code, ordinal=ordinal,
                        **{name: getattr(details, name) for name in _POSITION_FIELDS})
    db.session.add(position)
    db.session.flush()
    record_audit("position.create", actor=actor, subject=f"position:{round_.code}/{code}", round_id=round_.id,
                 after={"code": code, **{name: _plain(getattr(details, name)) for name in _POSITION_FIELDS}})
    return position


def update_position(position: Position, details: PositionDetails, *, seen_version: int, actor: str,
                    today: date) -> Position:
    """Change a position's post and requirements while the stage they govern has not started; audited.

    Claims the round's version (StaleEdit); refuses a requirement already applied (SetupRefused).
    """
    round_ = position.round
    claim_version(round_, seen_version)
    _check_posts(details)
    before, after = _changes(position, details, _POSITION_FIELDS)
    if not after:
        return position
    _refuse_final(final_fields(after, [position.stage]))
    for name in after:
        setattr(position, name, getattr(details, name))
    record_audit("position.update", actor=actor, subject=f"position:{round_.code}/{position.code}",
                 round_id=round_.id, before=before, after=after)
    refresh_statuses(round_, actor=actor, today=today)
    return position


def publish_round(round_: Round, announcement: str, *, seen_version: int, actor: str) -> Round:
    """Publish the round's call for applications (报名公告): once, with its window and positions."""
    claim_version(round_, seen_version)
    if round_.published_at is not None:
        raise SetupRefused(N_("This round has been published already."))
    if not round_.positions:
        raise SetupRefused(N_("Add at least one position before publishing."))
    if round_.registration_opens is None or round_.registration_closes is None:
        raise SetupRefused(N_("Set the registration window before publishing."))
    if not announcement.strip():
        raise SetupRefused(N_("The announcement is empty."))
    round_.published_at = utcnow()
    round_.announcement = announcement.strip()
    db.session.flush()
    record_audit("round.publish", actor=actor, subject=_subject(round_), round_id=round_.id,
                 after={"published_at": round_.published_at.isoformat(), "announcement": round_.announcement})
    return round_
