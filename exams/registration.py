"""Self-registration (网上报名): a candidate registers online for one position of a round, and
may change that registration until its review starts.

A registration made here is checked exactly as an imported one is: the round record's
`check_registration` (GB 11643 against the stated birth date and sex, RULES.md §3) and the
automatic qualification checks at the round's cut-off date; it is stored the same way
(`insert_candidates`, `refresh_statuses`). One difference, decided in docs/decisions.md: a
registration that fails an automatic check is refused, with the check in words, instead of
being stored as eliminated. The unit's endorsement (单位同意报考证明) comes with it as an
uploaded letter, or later from the organisation department (vetting's endorsement screen).

The candidate is always the signed-in user's own person (`candidacy_in`), never one named
by a URL or a form (SECURITY.md P13). Services flush, never commit.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from flask import has_request_context
from flask_babel import format_date
from sqlalchemy import select, update

from exams.candidate_rules import NOT_YET_OPEN, WINDOW_CLOSED, may_amend, next_online_ref, window_refusal
from exams.rules import N_, Applicant, CheckOutcome, ExamsError, qualification_checks
from exams.services import candidate_subject, requirements_of
from selection.audit import record_audit
from selection.extensions import db
from selection.files import Upload, store_file
from selection.i18n import _
from selection.models import Candidate, Education, Position, Round, Sex, StoredFile, User
from selection.pipeline import Stage, Status
from selection.record.model import Candidate as RecordCandidate
from selection.record.model import Endorsement as RecordEndorsement
from selection.record.parse import FieldProblem, check_registration
from selection.record.services import refresh_statuses
from selection.record.store import insert_candidates, insert_endorsements
from selection.services import candidacy_in, claim_version, reveal_id_number, reveal_phone

#: the fields of a registration the candidate fills in, in the form's order
DETAIL_FIELDS = ("position", "name", "sex", "birth_date", "education", "unit", "current_post",
                 "current_post_since", "rank", "rank_since")
_DATE_FIELDS = frozenset({"birth_date", "current_post_since", "rank_since"})


# --- refusals ---------------------------------------------------------------------------------


class RegistrationRefused(ExamsError):
    """A registration (or change) refused; its message, translated when shown, says why."""

    def __init__(self, message: str, **params: object) -> None:
        super().__init__(message % params if params else message)
        self.message = message
        self.params = params

    def __str__(self) -> str:
        if has_request_context():
            return _(self.message, **self.params)
        return str(self.args[0])


class DetailsRefused(ExamsError):
    """Fields of the registration that are wrong, each placed by field name; nothing was stored."""

    def __init__(self, problems: Sequence[FieldProblem]) -> None:
        super().__init__("; ".join(f"{p.where}: {p}" for p in problems))
        self.problems = list(problems)


class ChecksFailed(ExamsError):
    """An automatic qualification check fails: the registration is refused (docs/decisions.md)."""

    def __init__(self, checks: Sequence[CheckOutcome]) -> None:
        super().__init__(", ".join(c.name for c in checks if not c.passed))
        self.checks = tuple(checks)

    @property
    def failed(self) -> tuple[CheckOutcome, ...]:
        return tuple(c for c in self.checks if not c.passed)


# --- what the candidate gives -----------------------------------------------------------------


@dataclass(frozen=True)
class RegistrationDetails:
    """A registration as the candidate fills it in (sex and education as their codes)."""

    position: str
    name: str
    sex: str
    birth_date: date
    education: str
    unit: str
    current_post: str
    current_post_since: date
    rank: str
    rank_since: date

    def as_json(self) -> dict[str, str]:
        return {name: _text(getattr(self, name)) for name in DETAIL_FIELDS}

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> RegistrationDetails:
        return cls(**{name: date.fromisoformat(raw[name]) if name in _DATE_FIELDS else str(raw[name])
                      for name in DETAIL_FIELDS})

    @classmethod
    def of(cls, candidate: Candidate) -> RegistrationDetails:
        """A stored registration's details, as the amendment form starts from."""
        return cls(position=candidate.position.code, name=candidate.name, sex=str(candidate.sex),
                   birth_date=candidate.birth_date, education=str(candidate.education), unit=candidate.unit,
                   current_post=candidate.current_post, current_post_since=candidate.current_post_since,
                   rank=candidate.rank, rank_since=candidate.rank_since)


def _text(value: object) -> str:
    return value.isoformat() if isinstance(value, date) else str(value)


class EndorsementMode(StrEnum):
    """How the unit's endorsement comes: the candidate uploads the letter, the unit sends it to the
    organisation department (who records it), or the one on record stays."""

    UPLOAD = "upload"
    UNIT_SENDS = "unit_sends"
    KEEP = "keep"


@dataclass(frozen=True)
class EndorsementGiven:
    """The endorsement part of the submission; unit, date, document and letter for an upload."""

    mode: EndorsementMode
    unit: str = ""
    date: date | None = None
    document: str = ""
    letter: Upload | None = None


# --- the state of a candidate's registration in a round ---------------------------------------


@dataclass(frozen=True)
class RegistrationState:
    """What the registration page needs: the registration on record (if any), the positions open,
    and why nothing may be submitted (None: it may)."""

    candidate: Candidate | None
    positions: tuple[Position, ...]
    refusal: RegistrationRefused | None


def open_positions(round_: Round) -> tuple[Position, ...]:
    """The round's positions still taking registrations."""
    return tuple(p for p in round_.positions if p.stage is Stage.REGISTRATION)


def registration_state(user: User, round_: Round, *, today: date) -> RegistrationState:
    candidate = candidacy_in(user, round_)
    try:
        _require_submittable(user, round_, candidate, today=today)
    except RegistrationRefused as refusal:
        return RegistrationState(candidate, open_positions(round_), refusal)
    return RegistrationState(candidate, open_positions(round_), None)


def _require_window(round_: Round, *, today: date) -> None:
    reason = window_refusal(published=round_.published_at is not None, opens=round_.registration_opens,
                            closes=round_.registration_closes, today=today)
    if reason == NOT_YET_OPEN:
        raise RegistrationRefused(N_("Registration for this round opens on %(date)s."),
                                  date=_day(round_.registration_opens))
    if reason == WINDOW_CLOSED:
        raise RegistrationRefused(N_("Registration for this round closed on %(date)s."),
                                  date=_day(round_.registration_closes))
    if reason is not None:
        raise RegistrationRefused(N_("This round is not open for registration: its call for applications has "
                                     "not been published."))


def _day(day: date | None) -> str:
    if day is None:
        return ""
    if has_request_context():
        return format_date(day, "long")
    return day.isoformat()


def _require_submittable(user: User, round_: Round, candidate: Candidate | None, *, today: date) -> None:
    if user.person is None:
        raise RegistrationRefused(N_("Your account is not linked to a person; contact the organisation "
                                     "department."))
    if candidate is not None and not may_amend(position_stage=candidate.position.stage,
                                               reviewed=candidate.qualification_review is not None):  # type: ignore[attr-defined]
        raise RegistrationRefused(N_("Your registration can no longer be changed: its qualification review "
                                     "has started."))
    _require_window(round_, today=today)
    if candidate is None and not open_positions(round_):
        raise RegistrationRefused(N_("Every position of this round has closed its registration."))


# --- checking -------------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckedRegistration:
    """A registration whose fields are right, with its automatic checks (passed or not)."""

    registration: RecordCandidate
    position: Position
    checks: tuple[CheckOutcome, ...]

    @property
    def passed(self) -> bool:
        return all(check.passed for check in self.checks)


def check_self_registration(user: User, round_: Round, details: RegistrationDetails, *, today: date,
                            seen_version: int | None = None) -> CheckedRegistration:
    """Check a registration before it is submitted (the check step); stores nothing.

    Refuses (RegistrationRefused) outside the window, a second registration in the round,
    a change once the review has started, and a position whose registration has closed;
    refuses wrong fields (DetailsRefused). The automatic checks come back in words-ready
    form, passed or not: only `submit_registration` refuses a failed one.
    """
    candidate = candidacy_in(user, round_)
    _require_submittable(user, round_, candidate, today=today)
    assert user.person is not None
    if candidate is not None and seen_version is None:
        raise RegistrationRefused(N_("You have registered in this round already, for position %(position)s; "
                                     "change that registration instead."), position=candidate.position.code)
    position = next((p for p in round_.positions if p.code == details.position), None)
    if position is None:
        raise DetailsRefused([FieldProblem("position", "unknown position %(position)s",
                                           {"position": details.position})])
    if position.stage is not Stage.REGISTRATION:
        raise RegistrationRefused(N_("The registration of position %(position)s has closed."),
                                  position=position.code)
    problems = [FieldProblem(name, N_("cannot be after today")) for name in ("current_post_since", "rank_since")
                if getattr(details, name) > today]
    raw = {**details.as_json(), "ref": "W000", "id_number": reveal_id_number(user.person),
           "phone": reveal_phone(user.person)}
    registration, located = check_registration({k: v for k, v in raw.items() if v is not None},
                                               positions={p.code for p in round_.positions})
    problems += located
    if problems or registration is None:
        raise DetailsRefused(problems)
    applicant = Applicant(registration.birth_date, registration.education, registration.rank_since)
    checks = qualification_checks(applicant, requirements_of(position), round_.cutoff_date)
    return CheckedRegistration(registration, position, checks)


# --- storing --------------------------------------------------------------------------------


def submit_registration(user: User, round_: Round, details: RegistrationDetails, endorsement: EndorsementGiven, *,
                        seen_version: int | None, today: date) -> Candidate:
    """Register the signed-in candidate, or change their registration (`seen_version` given); audited.

    Everything `check_self_registration` refuses, plus a failed automatic check
    (ChecksFailed, naming it) and an incomplete endorsement. Nothing is stored unless all of
    it is right. A change that changes nothing stores and audits nothing.
    """
    checked = check_self_registration(user, round_, details, today=today, seen_version=seen_version)
    if not checked.passed:
        raise ChecksFailed(checked.checks)
    candidate = candidacy_in(user, round_)
    given = _endorsement(endorsement, candidate, today=today)
    if candidate is None:
        return _register(user, round_, checked, given, endorsement.letter, today=today)
    assert seen_version is not None
    _amend(user, candidate, checked, endorsement.mode, given, endorsement.letter, seen_version=seen_version,
           today=today)
    return candidate


def _endorsement(given: EndorsementGiven, candidate: Candidate | None, *, today: date) -> RecordEndorsement | None:
    """The endorsement the submission leaves on record (None: none), after checking it."""
    if given.mode is EndorsementMode.KEEP:
        on_record = None if candidate is None else candidate.endorsement  # type: ignore[attr-defined]
        if on_record is None:
            raise RegistrationRefused(N_("No endorsement is on record to keep: upload your unit's letter, or say "
                                         "that your unit will send it."))
        return RecordEndorsement(on_record.unit, on_record.date, on_record.document)
    if given.mode is EndorsementMode.UNIT_SENDS:
        return None
    problems = [FieldProblem(f"endorsement_{name}", N_("is missing"))
                for name in ("unit", "date", "document") if not getattr(given, name)]
    if given.letter is None:
        problems.append(FieldProblem("letter", N_("Upload the letter (PDF, PNG or JPEG).")))
    if given.date is not None and given.date > today:
        problems.append(FieldProblem("endorsement_date", N_("cannot be after today")))
    if problems:
        raise DetailsRefused(problems)
    assert given.date is not None
    return RecordEndorsement(given.unit.strip(), given.date, given.document.strip())


def _register(user: User, round_: Round, checked: CheckedRegistration, endorsement: RecordEndorsement | None,
              letter: Upload | None, *, today: date) -> Candidate:
    # One registration at a time per round, so two never take the same ref. The lock is a write
    # that changes nothing: PostgreSQL locks the round's row, and SQLite takes its one write lock
    # here, before the refs are read. (SQLite has no FOR UPDATE, and its driver begins a
    # transaction only at the first write: a SELECT FOR UPDATE locked nothing there, and under
    # load most registrations read the refs another was about to take and were refused.)
    rounds = Round.__table__
    db.session.execute(update(rounds).where(rounds.c.id == round_.id).values(version_id=rounds.c.version_id)
                       .execution_options(round_id=round_.id))
    refs = db.session.scalars(select(Candidate.ref).where(Candidate.round_id == round_.id)).all()
    ordinals = db.session.scalars(select(Candidate.ordinal).where(Candidate.round_id == round_.id)).all()
    registration = dataclasses.replace(checked.registration, ref=next_online_ref(refs))
    assert user.person_id is not None
    ids = insert_candidates(round_, [registration], position_ids={checked.position.code: checked.position.id},
                            person_ids={registration.id_number: user.person_id},
                            statuses={registration.ref: Status.REGISTERED}, first_ordinal=max(ordinals, default=-1) + 1)
    candidate = db.session.get(Candidate, ids[registration.ref])
    assert candidate is not None
    stored = None
    if endorsement is not None:
        insert_endorsements({candidate.id: endorsement})
        stored = _attach_letter(user, candidate, letter)
    record_audit("candidate.register", actor=user.username, subject=candidate_subject(candidate),
                 round_id=round_.id, after={**_shown(registration), "endorsement": _endorsement_shown(endorsement),
                                            "letter": _letter_shown(stored), "online": True})
    db.session.flush()
    db.session.expire(round_, ["candidates"])
    refresh_statuses(round_, actor=user.username, today=today)
    return candidate


def _attach_letter(user: User, candidate: Candidate, letter: Upload | None) -> StoredFile | None:
    """Store the uploaded letter and link it to the candidate's endorsement."""
    if letter is None:
        return None
    stored = store_file(letter, uploaded_by=user)
    db.session.expire(candidate, ["endorsement"])
    candidate.endorsement.letter_id = stored.id  # type: ignore[attr-defined]
    return stored


def _amend(user: User, candidate: Candidate, checked: CheckedRegistration, mode: EndorsementMode,
           endorsement: RecordEndorsement | None, letter: Upload | None, *, seen_version: int, today: date) -> None:
    registration = checked.registration
    before_fields = _shown(_as_record(candidate))
    after_fields = _shown(dataclasses.replace(registration, ref=candidate.ref))
    before = {name: value for name, value in before_fields.items() if after_fields[name] != value}
    after = {name: after_fields[name] for name in before}
    on_record = candidate.endorsement  # type: ignore[attr-defined]
    old_endorsement = None if on_record is None else RecordEndorsement(on_record.unit, on_record.date,
                                                                       on_record.document)
    if endorsement != old_endorsement or mode is EndorsementMode.UPLOAD:
        before["endorsement"] = _endorsement_shown(old_endorsement)
        after["endorsement"] = _endorsement_shown(endorsement)
    if not after:
        return
    claim_version(candidate, seen_version)
    for name in DETAIL_FIELDS:
        if name in before:
            _set(candidate, name, getattr(registration, name), checked.position)
    if "endorsement" in after:
        if endorsement is None:
            db.session.delete(on_record)
        elif on_record is None:
            insert_endorsements({candidate.id: endorsement})
        else:
            on_record.unit, on_record.date, on_record.document = endorsement.unit, endorsement.date, endorsement.document
        db.session.flush()
        if mode is EndorsementMode.UPLOAD:
            before["letter"] = _letter_shown(None if on_record is None else on_record.letter)
            after["letter"] = _letter_shown(_attach_letter(user, candidate, letter))
    record_audit("candidate.registration", actor=user.username, subject=candidate_subject(candidate),
                 round_id=candidate.round_id, before=before, after={**after, "online": True})
    db.session.flush()
    db.session.expire(candidate, ["endorsement"])
    refresh_statuses(candidate.round, actor=user.username, today=today)


def _set(candidate: Candidate, name: str, value: object, position: Position) -> None:
    if name == "position":
        candidate.position = position
    elif name == "sex":
        candidate.sex = Sex(str(value))
    elif name == "education":
        candidate.education = Education(str(value))
    else:
        setattr(candidate, name, value)


def _as_record(candidate: Candidate) -> RecordCandidate:
    """A stored registration as the record holds it (no numbers: they never change here)."""
    return RecordCandidate(ref=candidate.ref, position=candidate.position.code, name=candidate.name,
                           sex=str(candidate.sex), birth_date=candidate.birth_date, id_number="",
                           education=str(candidate.education), unit=candidate.unit,
                           current_post=candidate.current_post, current_post_since=candidate.current_post_since,
                           rank=candidate.rank, rank_since=candidate.rank_since)


def _shown(registration: RecordCandidate) -> dict[str, str]:
    """A registration as the audit trail keeps it: the fields the candidate gives, never a number."""
    return {name: _text(getattr(registration, name)) for name in DETAIL_FIELDS}


def _endorsement_shown(endorsement: RecordEndorsement | None) -> dict[str, str] | None:
    if endorsement is None:
        return None
    return {"unit": endorsement.unit, "date": endorsement.date.isoformat(), "document": endorsement.document}


def _letter_shown(stored: StoredFile | None) -> dict[str, object] | None:
    if stored is None:
        return None
    return {"file": stored.name, "type": stored.content_type, "size": stored.size, "sha256": stored.sha256}


# --- what else the candidate pages need --------------------------------------------------------


def rounds_open_for_registration(*, today: date) -> list[Round]:
    """Published rounds whose registration window includes today and with a position still open."""
    rounds = db.session.scalars(select(Round).where(Round.published_at.is_not(None))
                                .order_by(Round.registration_closes, Round.code)).all()
    return [r for r in rounds if window_refusal(published=True, opens=r.registration_opens,
                                                closes=r.registration_closes, today=today) is None
            and open_positions(r)]


def letter_of(candidate: Candidate) -> StoredFile | None:
    """The endorsement letter the candidate uploaded, if any."""
    endorsement = candidate.endorsement  # type: ignore[attr-defined]
    return None if endorsement is None else endorsement.letter
