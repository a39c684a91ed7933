"""Use cases of publicity, appointment and probation (任前公示、任职、任职试用): schedule, appoint, review, assess.

Each service checks the position's stage first, then where the candidate stands (the
engine's results), then the pure rules of `publicity.rules`; it claims the candidate's
version (a stale form is refused), writes the rows and an audit event, refreshes the
round's statuses, and flushes, never commits. The boards gather what a screen shows.

A round imported from a record describes its own date (`Round.as_of`); a live round is at
`today`. Services and boards work at that date (`round_day`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import LazyString, format_date
from sqlalchemy import select

from selection.audit import record_audit
from selection.extensions import db
from selection.i18n import _l
from selection.labels import STATUS_LABELS
from selection.models import Candidate, Position, Round
from selection.pipeline import Stage, StageNotReached, Status
from selection.record.engine import PROBATION_DUE_SOON, CandidateResult, PositionResult, Results
from selection.record.model import RoundRecord
from selection.record.services import refresh_statuses, round_state
from selection.record.store import load_calendar
from selection.rules import DomainError, Settings, full_years, resolve_settings
from selection.services import claim_version, require_stage
from vetting.models import InspectionNotice

from . import rules
from .models import Appointment, AssessmentResult, FinalAssessment, ProbationReview, Publicity


class PublicityRefused(DomainError):
    """An entry the publicity rules refuse; its message is translated when it is shown.

    `message` is a lazy msgid with ``%(name)s`` placeholders; dates among `params` are
    shown in the reader's language (2026年11月22日).
    """

    def __init__(self, message: LazyString, **params: object) -> None:
        super().__init__(message, params)
        self.message = message
        self.params = params

    def __str__(self) -> str:
        shown = {name: format_date(value) if isinstance(value, date) else value
                 for name, value in self.params.items()}
        return str(self.message) % shown


# --- loading ---------------------------------------------------------------------------


def find_position(code: str, position_code: str) -> Position | None:
    """The position `position_code` of the round `code`, if both exist."""
    return db.session.scalar(
        select(Position).join(Round, Position.round_id == Round.id)
        .where(Round.code == code, Position.code == position_code))


def find_candidate(position: Position, ref: str) -> Candidate | None:
    """The candidate `ref` of `position`, if they registered for it."""
    return db.session.scalar(
        select(Candidate).where(Candidate.position_id == position.id, Candidate.ref == ref))


def round_day(round_: Round, today: date) -> date:
    """The date a round is at: an imported round's own date, else today."""
    return round_.as_of or today


@dataclass(frozen=True)
class _Loaded:
    record: RoundRecord
    results: Results

    @property
    def calendar(self) -> rules.HolidayCalendar:
        """The calendar the engine counts with: system-wide additions, the round's own on top."""
        return load_calendar(None).merged(self.record.calendar)


def _load(round_: Round, today: date) -> _Loaded:
    """The round as every page sees it (`round_state`, computed once per change to the round).

    It used to load and compute the round itself: the public notices page computed each
    round twice per request, once here and once for its lists (issue 8).
    """
    state = round_state(round_, today=round_day(round_, today))
    return _Loaded(state.record, state.results)


def _settings(round_: Round) -> Settings:
    return resolve_settings(round_.settings or {})


def _position_result(results: Results, position: Position) -> PositionResult:
    return next(p for p in results.positions if p.code == position.code)


def _candidate_result(results: Results, candidate: Candidate) -> CandidateResult:
    return next(c for c in results.candidates if c.ref == candidate.ref)


def _proposed(result: PositionResult) -> list[str]:
    """The elected candidates and any backfill proposals (依次递补), in that order."""
    return list(result.elected or []) + list(result.backfill)


def _complaints(candidate: Candidate) -> list[rules.Complaint]:
    return [rules.Complaint(str(c.kind), c.received, None if c.outcome is None else str(c.outcome))
            for c in sorted(candidate.complaints, key=lambda c: (c.ordinal, c.id))]


def _subject(candidate: Candidate) -> str:
    return f"candidate:{candidate.round.code}/{candidate.ref}"


def _require_proposed(candidate: Candidate, results: Results) -> None:
    if candidate.ref not in _proposed(_position_result(results, candidate.position)):
        raise PublicityRefused(_l("%(ref)s was neither elected nor proposed as backfill."), ref=candidate.ref)


def _require_past(day: date, today: date) -> None:
    if rules.is_future(day, today):
        raise PublicityRefused(_l("%(day)s is after today (%(today)s): record it once it has happened."),
                               day=day, today=today)


# --- publicity (任前公示, RULES.md §9) ---------------------------------------------------


@dataclass(frozen=True)
class PublicityPreview:
    """A publicity period as it will be saved: the counted days and the end they give."""

    candidate: Candidate
    start: date
    days: int
    mode: str
    counted: tuple[date, ...]

    @property
    def end(self) -> date:
        return self.counted[-1]


def preview_publicity(candidate: Candidate, start: date, *, today: date) -> PublicityPreview:
    """The period a publicity starting on `start` would have; refuses what `schedule_publicity` would.

    Only an elected or backfill candidate still `elected` may have one, and only one; a
    period needing a year without holiday data is refused naming the year. Writes nothing.
    """
    require_stage(candidate.position, Stage.PUBLICITY)
    state = _load(candidate.round, today)
    _require_proposed(candidate, state.results)
    if candidate.publicity is not None:
        raise PublicityRefused(_l("%(ref)s already has a publicity, from %(start)s."),
                               ref=candidate.ref, start=candidate.publicity.start)
    status = _candidate_result(state.results, candidate).status
    if status is not Status.ELECTED:
        raise PublicityRefused(_l("%(ref)s is not awaiting publicity (%(status)s)."),
                               ref=candidate.ref, status=STATUS_LABELS[status])
    settings = state.record.settings
    try:
        counted = rules.counted_days(start, settings.publicity_days, settings.publicity_mode, state.calendar)
    except rules.MissingHolidayYear as missing:
        raise PublicityRefused(_l("No holiday data for %(year)s; add that year's calendar first."),
                               year=str(missing.year)) from missing
    return PublicityPreview(candidate, start, settings.publicity_days, settings.publicity_mode, counted)


def schedule_publicity(candidate: Candidate, start: date, *, seen_version: int, actor: str,
                       today: date) -> Publicity:
    """Start an elected (or backfill) candidate's publicity on `start`; audited. Flushes, never commits."""
    require_stage(candidate.position, Stage.PUBLICITY)
    claim_version(candidate, seen_version)
    preview = preview_publicity(candidate, start, today=today)
    publicity = Publicity(candidate=candidate, start=start)
    db.session.add(publicity)
    db.session.flush()
    record_audit("publicity.schedule", actor=actor, subject=_subject(candidate), round_id=candidate.round_id,
                 before=None, after={"start": start.isoformat(), "end": preview.end.isoformat(),
                                     "days": preview.days, "mode": preview.mode})
    refresh_statuses(candidate.round, actor=actor, today=round_day(candidate.round, today))
    return publicity


# --- appointment (任职, RULES.md §10–11) -------------------------------------------------


def require_appointment_stage(position: Position) -> None:
    """Appointments are made at the appointment stage, or already during publicity for those cleared.

    Positions with several posts clear at different times, so a cleared candidate need not
    wait for the others' publicity.
    """
    if position.stage is not Stage.PUBLICITY:
        require_stage(position, Stage.APPOINTMENT)


_OBSTACLES = {
    "no_publicity": _l("%(ref)s cannot be appointed: they have had no publicity."),
    "publicity_running": _l("%(ref)s cannot be appointed on %(day)s: the publicity runs until %(end)s."),
    None: _l("%(ref)s cannot be appointed on %(day)s: an allegation received on %(received)s is still open."),
    "unresolved": _l("%(ref)s cannot be appointed on %(day)s: an allegation received on %(received)s "
                     "could not be cleared in time (appointment postponed)."),
    "founded_affecting": _l("%(ref)s cannot be appointed on %(day)s: an allegation received on %(received)s "
                            "was found to affect the appointment (appointment cancelled)."),
}


def obstacle_refusal(candidate: Candidate, obstacle: rules.AppointmentObstacle, day: date) -> PublicityRefused:
    """The refusal, in words, of appointing `candidate` on `day` for `obstacle`."""
    key = obstacle.reason if obstacle.reason != "allegation" else obstacle.outcome
    return PublicityRefused(_OBSTACLES[key], ref=candidate.ref, day=day, end=obstacle.publicity_end,
                            received=obstacle.received)


def record_appointment(candidate: Candidate, appointed: date, *, seen_version: int, actor: str,
                       today: date) -> Appointment:
    """Appoint a cleared candidate to the trial post (任职) from `appointed`; audited.

    Refused while the publicity runs (on or before its end) or while an allegation received
    by then, or since, is open, unresolved or founded and affecting; never dated after today.
    """
    require_appointment_stage(candidate.position)
    claim_version(candidate, seen_version)
    day = round_day(candidate.round, today)
    state = _load(candidate.round, today)
    _require_proposed(candidate, state.results)
    if candidate.appointment is not None:
        raise PublicityRefused(_l("%(ref)s was already appointed, on %(day)s."),
                               ref=candidate.ref, day=candidate.appointment.date)
    _require_past(appointed, day)
    end = _candidate_result(state.results, candidate).publicity_end
    complaints = _complaints(candidate)
    # an allegation received after the date entered but before today holds the appointment too
    for on in (appointed, day):
        obstacle = rules.appointment_obstacle(end, complaints, on)
        if obstacle is not None:
            raise obstacle_refusal(candidate, obstacle, appointed)
    appointment = Appointment(candidate=candidate, date=appointed)
    db.session.add(appointment)
    db.session.flush()
    months = _settings(candidate.round).probation_months
    record_audit("appointment.record", actor=actor, subject=_subject(candidate), round_id=candidate.round_id,
                 before={"status": candidate.status.value},
                 after={"date": appointed.isoformat(),
                        "probation_end": rules.probation_end(appointed, months).isoformat()})
    refresh_statuses(candidate.round, actor=actor, today=day)
    return appointment


# --- probation (任职试用, RULES.md §11) --------------------------------------------------


def require_probation_stage(position: Position) -> None:
    """Probation work is done at the probation stage, or earlier for those already appointed."""
    if position.stage not in (Stage.PUBLICITY, Stage.APPOINTMENT):
        require_stage(position, Stage.PROBATION)


def require_on_probation(candidate: Candidate, seen_version: int, today: date) -> tuple[Appointment, date, date]:
    """The appointment of a candidate on probation, the round's date and the probation end."""
    require_probation_stage(candidate.position)
    claim_version(candidate, seen_version)
    day = round_day(candidate.round, today)
    appointment = candidate.appointment
    if appointment is None or appointment.date > day:
        raise PublicityRefused(_l("%(ref)s is not on probation."), ref=candidate.ref)
    if appointment.final_assessment is not None:
        raise PublicityRefused(_l("The probation of %(ref)s is over: the final assessment was recorded on %(day)s."),
                               ref=candidate.ref, day=appointment.final_assessment.date)
    return appointment, day, rules.probation_end(appointment.date, _settings(candidate.round).probation_months)


def add_probation_review(candidate: Candidate, on: date, note: str, *, seen_version: int, actor: str,
                         today: date) -> ProbationReview:
    """Record a tracking review (试用期跟踪考核) dated within the probation; audited."""
    appointment, day, end = require_on_probation(candidate, seen_version, today)
    _require_past(on, day)
    if not rules.is_during_probation(appointment.date, end, on):
        raise PublicityRefused(_l("A tracking review must fall within the probation, from %(start)s to %(end)s."),
                               start=appointment.date, end=end)
    note = note.strip()
    if not note:
        raise PublicityRefused(_l("A tracking review needs a note."))
    review = ProbationReview(appointment=appointment, date=on, note=note)
    db.session.add(review)
    db.session.flush()
    record_audit("probation.review", actor=actor, subject=_subject(candidate), round_id=candidate.round_id,
                 after={"date": on.isoformat(), "note": note})
    refresh_statuses(candidate.round, actor=actor, today=day)
    return review


def record_final_assessment(candidate: Candidate, result: AssessmentResult, on: date, *, seen_version: int,
                            actor: str, today: date) -> FinalAssessment:
    """Record the final assessment (试用期满考核) on or after the probation end; audited.

    `competent` → formally appointed; `incompetent` → probation failed: removed from the
    trial post and reassigned at the original rank.
    """
    appointment, day, end = require_on_probation(candidate, seen_version, today)
    _require_past(on, day)
    if not rules.may_assess(end, on):
        raise PublicityRefused(_l("The final assessment can be recorded only on or after the probation end, "
                                  "%(end)s."), end=end)
    assessment = FinalAssessment(appointment=appointment, date=on, result=result)
    db.session.add(assessment)
    db.session.flush()
    record_audit("probation.assess", actor=actor, subject=_subject(candidate), round_id=candidate.round_id,
                 before={"status": candidate.status.value},
                 after={"date": on.isoformat(), "result": result.value,
                        "status": rules.probation_status(result.value).value})
    refresh_statuses(candidate.round, actor=actor, today=day)
    return assessment


# --- what the screens show --------------------------------------------------------------


@dataclass(frozen=True)
class NoticeText:
    """The text of a publicity notice (任前公示公告) for one candidate, as it will be published."""

    name: str
    sex: str
    birth_date: date
    age: int
    education: str
    unit: str
    current_post: str
    current_post_since: date
    #: whole (years, months) in the current post and in the current rank at `as_of`
    post_length: tuple[int, int]
    rank: str
    rank_since: date
    rank_length: tuple[int, int]
    proposed_post: str
    start: date | None
    end: date | None
    #: the date the age and times are stated at: the publicity start, or the round's date
    as_of: date
    phone: str | None
    address: str | None


@dataclass(frozen=True)
class ProposedCandidate:
    """An elected or backfill candidate with their publicity, appointment and probation."""

    candidate: Candidate
    result: CandidateResult
    backfill: bool
    start: date | None
    #: what keeps them from being appointed at the round's date, if anything
    obstacle: rules.AppointmentObstacle | None
    #: the allegation behind a postponement or cancellation, if any
    allegation: rules.Complaint | None
    notice: NoticeText

    @property
    def status(self) -> Status:
        return self.result.status


@dataclass(frozen=True)
class OtherCandidate:
    candidate: Candidate
    result: CandidateResult


@dataclass(frozen=True)
class Board:
    """A position after the vote, at the round's date, as the publicity screens show it."""

    round: Round
    position: Position
    day: date
    results: Results
    position_result: PositionResult
    proposed: list[ProposedCandidate]
    others: list[OtherCandidate]
    publicity_days: int
    publicity_mode: str
    probation_months: int

    def probation_end_if_appointed(self, appointed: date) -> date:
        """The probation end an appointment on `appointed` would give (RULES.md §11)."""
        return rules.probation_end(appointed, self.probation_months)

    @property
    def appointees(self) -> list[ProposedCandidate]:
        return [p for p in self.proposed if p.candidate.appointment is not None]


def _notice(candidate: Candidate, position: Position, start: date | None, end: date | None, day: date,
            contact: InspectionNotice | None) -> NoticeText:
    at = start or day
    return NoticeText(
        name=candidate.name, sex=str(candidate.sex), birth_date=candidate.birth_date,
        age=full_years(candidate.birth_date, at), education=str(candidate.education), unit=candidate.unit,
        current_post=candidate.current_post, current_post_since=candidate.current_post_since,
        post_length=rules.service_length(candidate.current_post_since, at),
        rank=candidate.rank, rank_since=candidate.rank_since, rank_length=rules.service_length(candidate.rank_since, at),
        proposed_post=position.title, start=start, end=end, as_of=at,
        phone=None if contact is None else contact.phone,
        address=None if contact is None else contact.office_address,
    )


def _contact(position: Position) -> InspectionNotice | None:
    return db.session.scalar(select(InspectionNotice).where(InspectionNotice.position_id == position.id))


def publicity_notice(preview: PublicityPreview, *, today: date) -> NoticeText:
    """The notice text of a previewed publicity, with its dates."""
    candidate = preview.candidate
    return _notice(candidate, candidate.position, preview.start, preview.end,
                   round_day(candidate.round, today), _contact(candidate.position))


def position_board(position: Position, *, today: date) -> Board:
    """Everything the publicity, appointment and probation screens show for `position`.

    Statuses, publicity ends and probation ends come from the engine (`round_results`).
    The complaint phone and address of the notice are the organisation department's office
    given in the position's inspection notice (考察预告).
    """
    round_ = position.round
    day = round_day(round_, today)
    state = _load(round_, today)
    results = state.results
    result = _position_result(results, position)
    by_ref = {c.ref: c for c in results.candidates}
    candidates = {c.ref: c for c in position.candidates}
    contact = _contact(position)
    proposed = []
    for ref in _proposed(result):
        candidate, outcome = candidates[ref], by_ref[ref]
        start = None if candidate.publicity is None else candidate.publicity.start
        complaints = _complaints(candidate)
        proposed.append(ProposedCandidate(
            candidate=candidate, result=outcome, backfill=ref in result.backfill, start=start,
            obstacle=rules.appointment_obstacle(outcome.publicity_end, complaints, day),
            allegation=rules.deciding_allegation(complaints, day),
            notice=_notice(candidate, position, start, outcome.publicity_end, day, contact),
        ))
    shown = set(_proposed(result))
    others = [OtherCandidate(c, by_ref[c.ref]) for c in position.candidates if c.ref not in shown]
    settings = state.record.settings
    return Board(round=round_, position=position, day=day, results=results, position_result=result,
                 proposed=proposed, others=others, publicity_days=settings.publicity_days,
                 publicity_mode=settings.publicity_mode, probation_months=settings.probation_months)


@dataclass(frozen=True)
class DueSoon:
    """A probation ending within 30 days (试用期即将届满), anywhere in the round."""

    candidate: Candidate
    probation_end: date


def require_probation_screen(board: Board) -> None:
    """Refuse the probation screen where nobody can be on probation yet (StageNotReached naming the step)."""
    position = board.position
    if position.stage in (Stage.PUBLICITY, Stage.APPOINTMENT) and not board.appointees:
        raise StageNotReached(Stage.PROBATION, position.stage)
    require_probation_stage(position)


def probations_due_soon(board: Board) -> list[DueSoon]:
    """The round's candidates the engine flags `probation_due_soon`, soonest end first."""
    stored = {c.ref: c for c in board.round.candidates}
    due = [DueSoon(stored[r.ref], r.probation_end) for r in board.results.candidates
           if PROBATION_DUE_SOON in r.flags and r.probation_end is not None]
    return sorted(due, key=lambda d: (d.probation_end, d.candidate.ref))
