"""Use cases of the exams package (资格审查与考试): the registration list, review decisions, exam scores.

Every entry checks the position's stage first (`require_stage`), refuses a stale form
(`claim_version`), writes only what changed (so entering or importing the same values
again stores and audits nothing), audits each change and ends with `refresh_statuses`.
Services flush, never commit.

The spreadsheet imports of the registration list and of the scores are `exams.imports`.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import delete, insert, or_, select
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.util import identity_key

from exams.models import (
    ExamAbsence,
    ExamKind,
    InterviewScore,
    QualificationReview,
    ReviewDecision,
    WrittenScore,
)
from exams.rules import (
    N_,
    Applicant,
    CheckOutcome,
    EntryError,
    ExamsError,
    InterviewEntry,
    Requirements,
    WrittenEntry,
    can_pass_review,
    interview_entry,
    qualification_checks,
    written_entry,
)
from exams.score_rules import is_published
from selection.audit import AuditEntry, record_audit, record_audits
from selection.crypto import DecryptionError, blind_index, decrypt_field, encrypt_field
from selection.extensions import db
from selection.models import Candidate, Person, Position, Round, User, utcnow
from selection.pipeline import Stage, Status
from selection.record.engine import Results
from selection.record.services import RoundState, refresh_statuses, round_state
from selection.rules import (
    Settings,
    mask_id_number,
    mask_phone,
    normalize_id_number,
    resolve_settings,
)
from selection.services import (
    ID_NUMBER, claim_version, claim_versions, require_stage, reveal_id_number, reveal_phone,
)

#: examiner columns an interview sheet may have (考官1 … 考官20)
MAX_EXAMINERS = 20
_ID_NUMBER_SHAPE = re.compile(r"\d{17}[\dX]")


# --- refusals ------------------------------------------------------------------------------


class ReviewRefused(ExamsError):
    """A review decision the rules do not allow."""

    def __init__(self, ref: str) -> None:
        super().__init__(ref)
        self.ref = ref


class CheckFailed(ReviewRefused):
    """A reviewer tried to pass someone who fails an automatic check (RULES.md §3)."""

    def __init__(self, ref: str, check: CheckOutcome) -> None:
        super().__init__(ref)
        self.check = check

    def __str__(self) -> str:
        return f"{self.ref} fails the automatic check {self.check.name}: {self.check.actual} vs {self.check.required}"


class EndorsementMissing(ReviewRefused):
    """A reviewer tried to pass someone whose unit endorsement (单位把关) is not on record."""

    def __str__(self) -> str:
        return f"{self.ref} has no unit endorsement on record"


class ReasonRequired(ReviewRefused):
    """A failing decision must say why."""

    def __str__(self) -> str:
        return f"failing {self.ref} needs a reason"


@dataclass(frozen=True)
class EntryProblem:
    """What is wrong with one candidate's typed scores; `field` is a paper or an examiner number."""

    ref: str
    message: str
    params: Mapping[str, str] = field(default_factory=dict)
    field: str | None = None


class EntriesRefused(ExamsError):
    """Some typed scores were refused; nothing was stored. `problems` names each one."""

    def __init__(self, problems: Sequence[EntryProblem]) -> None:
        super().__init__("; ".join(f"{p.ref}: {p.message % p.params}" for p in problems))
        self.problems = list(problems)


NOT_AT_STAGE = N_("This candidate is not at this stage.")


# --- the registration list -----------------------------------------------------------------


@dataclass(frozen=True)
class Registration:
    """One row of the registration list: the candidate, the ID number masked, the status."""

    candidate: Candidate
    masked_id: str
    status: Status


#: status filters for whole groups, besides single statuses
STILL_IN, OUT = "in", "out"
_STATUS_VALUES = frozenset(s.value for s in Status)


#: where a searched ID number is sealed for the URL of the results (`seal_search`)
_SEARCH_AAD = "exams:registration-search"


def seal_search(query: str) -> str | None:
    """A whole ID number typed into the registration search, sealed for the URL it travels in; None for other text.

    AES-GCM under the field key with a fresh nonce: the URL, the browser's history and the
    access log hold neither the number nor anything that links two searches for it.
    """
    number = normalize_id_number(query.strip())
    if not _ID_NUMBER_SHAPE.fullmatch(number):
        return None
    return base64.urlsafe_b64encode(encrypt_field(number, aad=_SEARCH_AAD)).decode("ascii").rstrip("=")


def open_search(token: str) -> str | None:
    """The ID number `seal_search` sealed into `token`; None when it does not open (altered, or an old key)."""
    if not token or len(token) > 200:
        return None
    try:
        return decrypt_field(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)), aad=_SEARCH_AAD)
    except (ValueError, binascii.Error, DecryptionError):
        return None


def search_registrations(round_: Round, *, position: str | None = None, status: str | None = None,
                         query: str | None = None) -> list[Registration]:
    """The round's registrations, filtered; a full ID number is found through its blind index.

    `status` is a Status value, or `STILL_IN` / `OUT`; `query` matches the name or unit
    (substring) or the ref, or, when it is a whole ID number, the person. Statuses are the
    column `refresh_statuses` keeps equal to the engine's, which is what it is kept for.
    """
    statement = (select(Candidate).join(Position, Candidate.position_id == Position.id)
                 .where(Candidate.round_id == round_.id)
                 .options(joinedload(Candidate.person), joinedload(Candidate.position))
                 .order_by(Position.ordinal, Position.code, Candidate.ordinal, Candidate.ref))
    if position:
        statement = statement.where(Position.code == position)
    if status == STILL_IN or status == OUT:
        live = [s for s in Status if s.is_live]
        statement = statement.where(Candidate.status.in_(live) if status == STILL_IN
                                    else Candidate.status.not_in(live))
    elif status in _STATUS_VALUES:
        statement = statement.where(Candidate.status == Status(status))
    text = (query or "").strip()
    if text:
        number = normalize_id_number(text)
        if _ID_NUMBER_SHAPE.fullmatch(number):
            index = blind_index(number, purpose=ID_NUMBER)
            statement = statement.join(Person, Candidate.person_id == Person.id).where(Person.id_number_index == index)
        else:
            statement = statement.where(or_(Candidate.name.contains(text, autoescape=True),
                                            Candidate.unit.contains(text, autoescape=True),
                                            Candidate.ref == text.upper()))
    return [Registration(c, mask_id_number(reveal_id_number(c.person)), c.status)
            for c in db.session.scalars(statement).unique()]


@dataclass(frozen=True)
class PersonNumbers:
    """A candidate's ID and phone numbers as a page shows them: masked, or in full once (P19)."""

    id_number: str
    phone: str | None


def find_registration(round_: Round, ref: str) -> Candidate | None:
    """The round's candidate with this ref, or None."""
    return db.session.scalar(select(Candidate).where(Candidate.round_id == round_.id, Candidate.ref == ref))


def masked_numbers(candidate: Candidate) -> PersonNumbers:
    """The numbers as every page shows them (脱敏): first three and last four characters."""
    phone = reveal_phone(candidate.person)
    return PersonNumbers(mask_id_number(reveal_id_number(candidate.person)),
                         None if phone is None else mask_phone(phone))


def reveal_numbers(candidate: Candidate, *, actor: User) -> PersonNumbers:
    """The full numbers (完整证件号码), asked for on the candidate's page; audited without them."""
    record_audit("person.reveal", actor=actor.username, subject=candidate_subject(candidate),
                 round_id=candidate.round_id)
    return PersonNumbers(reveal_id_number(candidate.person), reveal_phone(candidate.person))


def export_numbers(round_: Round, rows: Sequence[Registration], *, actor: User) -> list[PersonNumbers]:
    """The full numbers of `rows`, for the registration list exported in full; audited
    with the number of rows, never a number or the search that chose them."""
    record_audit("registrations.export_full", actor=actor.username, subject=f"round:{round_.code}",
                 round_id=round_.id, after={"rows": len(rows)})
    return [PersonNumbers(reveal_id_number(r.candidate.person), reveal_phone(r.candidate.person)) for r in rows]


# --- qualification review ------------------------------------------------------------------


def published_exams(round_: Round, now: datetime) -> frozenset[ExamKind]:
    """The exams whose scores candidates and the public may see at `now` (成绩公布).

    An exam with no publication time set stays hidden: publishing is a deliberate act.
    """
    return frozenset(p.exam for p in round_.score_publications if is_published(p, now))


def requirements_of(position: Position) -> Requirements:
    return Requirements(position.max_age, None if position.min_education is None else str(position.min_education),
                        position.min_years_in_rank)


def checks_of(candidate: Candidate) -> tuple[CheckOutcome, ...]:
    """The automatic checks of one candidate at the round's cutoff date, with their values."""
    applicant = Applicant(candidate.birth_date, str(candidate.education), candidate.rank_since)
    return qualification_checks(applicant, requirements_of(candidate.position), candidate.round.cutoff_date)


def review_candidate(candidate: Candidate, decision: ReviewDecision, reason: str | None, *, seen_version: int,
                     actor: User, today: date) -> Results:
    """Record (or change) the reviewer's decision on one candidate (资格审查); audited.

    A pass is refused for someone who fails an automatic check (naming it) or whose unit
    endorsement is not on record; a fail needs a reason.
    """
    require_stage(candidate.position, Stage.REVIEW)
    reason = (reason or "").strip() or None
    if decision is ReviewDecision.PASS:
        applicant = Applicant(candidate.birth_date, str(candidate.education), candidate.rank_since)
        if not can_pass_review(applicant, requirements_of(candidate.position), candidate.round.cutoff_date):
            raise CheckFailed(candidate.ref, next(c for c in checks_of(candidate) if not c.passed))
        if candidate.endorsement is None:  # type: ignore[attr-defined]
            raise EndorsementMissing(candidate.ref)
        reason = None
    elif reason is None:
        raise ReasonRequired(candidate.ref)
    review: QualificationReview | None = candidate.qualification_review  # type: ignore[attr-defined]
    before = None if review is None else {"decision": review.decision.value, "reason": review.reason}
    after = {"decision": decision.value, "reason": reason}
    if before == after:
        return refresh_statuses(candidate.round, actor=actor.username, today=today)
    claim_version(candidate, seen_version)
    if review is None:
        review = QualificationReview(candidate=candidate, decision=decision)
        db.session.add(review)
    review.decision, review.reason = decision, reason
    review.reviewer_id, review.decided_at = actor.id, utcnow()
    record_audit("candidate.review", actor=actor.username, subject=candidate_subject(candidate),
                 round_id=candidate.round_id, before=before, after=after)
    db.session.flush()
    return refresh_statuses(candidate.round, actor=actor.username, today=today)


# --- what is entered, and who may have it entered ------------------------------------------


def settings_of(round_: Round) -> Settings:
    return resolve_settings(round_.settings or {})


@dataclass(frozen=True)
class Target:
    """A candidate whose scores may be entered at the stage, with what is entered now."""

    ref: str
    name: str
    version: int
    current: WrittenEntry | InterviewEntry | None


def written_targets(position: Position, *, today: date, state: RoundState | None = None) -> dict[str, Target]:
    """Who may have written scores entered (笔试): everyone recommended, and everyone already entered.

    `state` is the round as computed already, if the caller has it.
    """
    state = state or round_state(position.round, today=today)
    status = {r.ref: r.status for r in state.results.candidates}
    versions = _versions(position)
    return {
        c.ref: Target(c.ref, c.name, versions[c.ref],
                      None if c.written is None else WrittenEntry(dict(c.written), c.written_absent))
        for c in state.record.candidates
        if c.position == position.code and (c.written is not None or status[c.ref] is Status.RECOMMENDED)
    }


def interview_targets(position: Position, *, today: date, state: RoundState | None = None) -> dict[str, Target]:
    """Who may have interview scores entered (面试): everyone on the interview list."""
    state = state or round_state(position.round, today=today)
    result = next(p for p in state.results.positions if p.code == position.code)
    listed = set(result.interview_list or ())
    versions = _versions(position)
    return {
        c.ref: Target(c.ref, c.name, versions[c.ref],
                      None if c.interview is None else InterviewEntry(tuple(c.interview), c.interview_absent))
        for c in state.record.candidates if c.ref in listed
    }


def _versions(position: Position) -> dict[str, int]:
    return dict(db.session.execute(select(Candidate.ref, Candidate.version_id)
                                   .where(Candidate.position_id == position.id)).all())


# --- written exam (笔试) --------------------------------------------------------------------


@dataclass(frozen=True)
class TypedWritten:
    """A candidate's row of the written-scores form, as typed: paper → text, and the absent box."""

    scores: Mapping[str, str]
    absent: bool = False


@dataclass(frozen=True)
class TypedInterview:
    """A candidate's row of the interview form, as typed: examiner 1…n → text, and the absent box."""

    scores: Sequence[str]
    absent: bool = False


def record_written_scores(position: Position, typed: Mapping[str, TypedWritten], *,
                          versions: Mapping[str, int], actor: User, today: date) -> Results:
    """Store the written scores (or absences) typed for the position's candidates; audited.

    A row left blank stays (or becomes) not entered. Any refused row stores nothing
    (EntriesRefused names them all); a row whose candidate changed since the form was
    shown is refused as stale (StaleEdit).
    """
    require_stage(position, Stage.WRITTEN)
    papers = tuple(settings_of(position.round).written_papers)
    targets = written_targets(position, today=today)
    entries: dict[str, WrittenEntry | None] = {}
    problems: list[EntryProblem] = []
    for ref, row in typed.items():
        if ref not in targets:
            problems.append(EntryProblem(ref, NOT_AT_STAGE))
            continue
        try:
            entries[ref] = written_entry(row.scores, row.absent, papers)
        except EntryError as error:
            problems.append(EntryProblem(ref, error.message, error.params, error.field))
    if problems:
        raise EntriesRefused(problems)
    store_entries(position, ExamKind.WRITTEN, entries, targets, versions, actor=actor)
    return refresh_statuses(position.round, actor=actor.username, today=today)


def record_interview_scores(position: Position, typed: Mapping[str, TypedInterview], *,
                            versions: Mapping[str, int], actor: User, today: date) -> Results:
    """Store the examiners' interview scores (or absences) typed for the listed candidates; audited.

    Like `record_written_scores`; at least `interview_min_examiners` scores per candidate.
    """
    require_stage(position, Stage.INTERVIEW)
    minimum = settings_of(position.round).interview_min_examiners
    targets = interview_targets(position, today=today)
    entries: dict[str, InterviewEntry | None] = {}
    problems: list[EntryProblem] = []
    for ref, row in typed.items():
        if ref not in targets:
            problems.append(EntryProblem(ref, NOT_AT_STAGE))
            continue
        try:
            entries[ref] = interview_entry(row.scores, row.absent, min_examiners=minimum)
        except EntryError as error:
            problems.append(EntryProblem(ref, error.message, error.params, error.field))
    if problems:
        raise EntriesRefused(problems)
    store_entries(position, ExamKind.INTERVIEW, entries, targets, versions, actor=actor)
    return refresh_statuses(position.round, actor=actor.username, today=today)


#: candidates per statement when `store_entries` writes many (IN lists and executemany batches)
_STORE_BATCH = 1000


def store_entries(position: Position, kind: ExamKind, entries: Mapping[str, WrittenEntry | InterviewEntry | None],
                   targets: Mapping[str, Target], versions: Mapping[str, int], *, actor: User) -> None:
    """Write the entries that differ from what is stored, each after claiming its candidate's version.

    Each changed candidate's rows of the exam are replaced and audited before → after, in
    order of ref, as one entry on a screen is. The writes go in bulk (versions claimed per
    version seen, old rows deleted and new ones inserted by batch, the audit events chained
    in one go), never through ORM objects per row: a 100,000-row import is a few hundred
    statements, and memory holds one batch.
    """
    changed = sorted(ref for ref, entry in entries.items() if entry != targets[ref].current)
    if not changed:
        return
    ids = dict(db.session.execute(select(Candidate.ref, Candidate.id)
                                  .where(Candidate.position_id == position.id)).all())
    seen: dict[int, list[int]] = {}
    for ref in changed:
        seen.setdefault(versions.get(ref, targets[ref].version), []).append(ids[ref])
    claim_versions(seen)
    score_model = WrittenScore if kind is ExamKind.WRITTEN else InterviewScore
    # the round these rows belong to, for the round-state cache (selection/record/cache.py)
    options = {"synchronize_session": False, "round_id": position.round_id}
    for start in range(0, len(changed), _STORE_BATCH):
        batch = changed[start:start + _STORE_BATCH]
        batch_ids = [ids[ref] for ref in batch]
        db.session.execute(delete(score_model).where(score_model.candidate_id.in_(batch_ids))
                           .execution_options(**options))
        db.session.execute(delete(ExamAbsence).where(ExamAbsence.candidate_id.in_(batch_ids), ExamAbsence.exam == kind)
                           .execution_options(**options))
        scores, absences = [], []
        for ref in batch:
            entry = entries[ref]
            if entry is None:
                continue
            if entry.absent:
                absences.append({"candidate_id": ids[ref], "exam": kind})
            elif isinstance(entry, WrittenEntry):
                scores.extend({"candidate_id": ids[ref], "paper": paper, "score": score}
                              for paper, score in entry.scores.items())
            else:
                scores.extend({"candidate_id": ids[ref], "examiner": number, "score": score}
                              for number, score in enumerate(entry.scores, 1))
        if scores:
            db.session.execute(insert(score_model).execution_options(round_id=position.round_id), scores)
        if absences:
            db.session.execute(insert(ExamAbsence).execution_options(round_id=position.round_id), absences)
    subject = f"candidate:{position.round.code}/"
    record_audits((AuditEntry(f"candidate.{kind.value}", subject + ref, position.round_id,
                              before=_shown(targets[ref].current), after=_shown(entries[ref])) for ref in changed),
                  actor=actor.username)
    # candidates loaded in the session read their rows of the exam again when next asked
    for ref in changed:
        loaded = db.session.identity_map.get(identity_key(Candidate, ids[ref]))
        if loaded is not None:
            db.session.expire(loaded, ["written_scores", "interview_scores", "exam_absences"])


def _shown(entry: WrittenEntry | InterviewEntry | None) -> dict[str, object] | None:
    """An entry as the audit trail keeps it: scores as two-decimal strings."""
    if entry is None:
        return None
    if isinstance(entry, WrittenEntry):
        return {"absent": entry.absent, "scores": {paper: f"{score:.2f}" for paper, score in entry.scores.items()}}
    return {"absent": entry.absent, "scores": [f"{score:.2f}" for score in entry.scores]}


def candidate_subject(candidate: Candidate) -> str:
    """The audit trail's subject for a candidate."""
    return f"candidate:{candidate.round.code}/{candidate.ref}"
