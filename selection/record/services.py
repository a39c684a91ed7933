"""Use cases over a whole stored round (选拔工作): its results, closing a stage, refreshing statuses.

Every page that shows a status, a list or a score asks `round_results`, and every entry
that changes a round ends with `refresh_statuses`, so the stored status column never drifts
from what the rules compute. Services flush, never commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import current_app
from sqlalchemy import select

from exams.score_rules import exams_taken, is_published, status_visible
from publicity.rules import missing_holiday_years as _missing_years
from selection.audit import record_audit
from selection.clock import now
from selection.extensions import db
from selection.models import Candidate, Position, Round
from selection.notify import notify_status_changes
from selection.pipeline import Stage, Status
from selection.record import cache
from selection.record.engine import PROBATION_DUE_SOON, CandidateResult, Results, compute
from selection.record.model import RoundRecord
from selection.record.stages import Missing, closing_refusal
from selection.record.store import load_calendar, load_record, publicity_starts
from selection.rules import registration_refusal, resolve_settings
from selection.services import close_stage, require_stage


class StageIncomplete(Exception):
    """The open stage cannot close: entries are missing (`missing` says which)."""

    def __init__(self, stage: Stage, missing: Missing) -> None:
        super().__init__(f"{stage.value} cannot close: {missing}")
        self.stage = stage
        self.missing = missing


@dataclass(frozen=True)
class RoundState:
    """A stored round as the rules see it at a date."""

    record: RoundRecord
    results: Results


def round_state(round_: Round, *, today: date) -> RoundState:
    """The round as a record and its results, at the round's own date or `today` for a live round.

    Computed once per change to the round and kept (selection/record/cache.py); the record
    carries no ID or phone numbers (`load_record(reveal=False)`).
    """
    def compute_state() -> RoundState:
        record, calendar = load_record(round_, today=today, reveal=False)
        return RoundState(record, compute(record, calendar=calendar))

    if cache.touched(db.session(), round_.id):
        return compute_state()
    revision = db.session.scalar(select(Round.data_revision).where(Round.id == round_.id))
    if revision is None:  # not stored yet: nothing to key it by
        return compute_state()
    round_cache: cache.RoundCache = current_app.extensions[cache.EXTENSION_KEY]
    return round_cache.get((round_.id, revision, round_.as_of or today), compute_state)


def round_results(round_: Round, *, today: date) -> Results:
    """The results every page shows (RULES.md, computed by the one engine)."""
    return round_state(round_, today=today).results


def missing_holiday_years(round_: Round, *, today: date) -> tuple[int, ...]:
    """The years without holiday data the round may still need (publicity.rules.missing_holiday_years).

    Counted at the round's own date (`as_of`) or `today` for a live round, with the
    system-wide additions and the round's own on top, as the engine counts.
    """
    holidays = load_calendar(None).merged(load_calendar(round_.id))
    settings = resolve_settings(round_.settings or {})
    running = any(position.stage is not Stage.CLOSED for position in round_.positions)
    return _missing_years(holidays, round_.as_of or today, publicity_starts(round_.id), settings.publicity_days,
                          settings.publicity_mode, running=running)


#: the stages at which somebody of a position can be on probation (the probation stage closes only
#: once nobody is)
_PROBATION_STAGES = (Stage.PUBLICITY, Stage.APPOINTMENT, Stage.PROBATION)


def probations_due_soon(*, today: date) -> list[tuple[Round, CandidateResult]]:
    """Every appointee, in every round, whose probation the engine flags `probation_due_soon` (RULES.md §11).

    Soonest end first. Only rounds with a position where someone can be on probation are computed.
    """
    rounds = db.session.scalars(select(Round).where(Round.id.in_(
        select(Position.round_id).where(Position.stage.in_(_PROBATION_STAGES)))).order_by(Round.code))
    due = [(round_, result) for round_ in rounds for result in round_results(round_, today=today).candidates
           if PROBATION_DUE_SOON in result.flags and result.probation_end is not None]
    return sorted(due, key=lambda pair: (pair[1].probation_end, pair[0].code, pair[1].ref))


def refresh_statuses(round_: Round, *, actor: str, today: date) -> Results:
    """Recompute the round and store each candidate's new status, auditing every change.

    Raises RecordError when the stored entries are inconsistent. Flushes, never commits.
    """
    results = round_results(round_, today=today)
    _store_statuses(round_, results, actor=actor)
    return results


def _store_statuses(round_: Round, results: Results, *, actor: str) -> None:
    stored = {candidate.ref: candidate for candidate in round_.candidates}
    changed: list[tuple[Candidate, Status]] = []
    for result in results.candidates:
        candidate = stored[result.ref]
        if candidate.status is not result.status:
            record_audit(
                "candidate.status", actor=actor, subject=f"candidate:{round_.code}/{candidate.ref}",
                round_id=round_.id, before={"status": candidate.status.value},
                after={"status": result.status.value},
            )
            changed.append((candidate, candidate.status))
            candidate.status = result.status
    if changed:
        _notify(round_, results, changed)
    db.session.flush()


def _notify(round_: Round, results: Results, changed: list[tuple[Candidate, Status]]) -> None:
    """Candidates with an account hear of a new status (selection/notify.py), all in one query.

    Not while it would tell an exam's result before its scores are published: such a change
    goes unannounced, and the publication's own message tells them to look
    (exams.score_rules.status_visible, exams.score_reviews.publish_scores).
    """
    moment = now()
    published = {p.exam.value for p in round_.score_publications if is_published(p, moment)}  # type: ignore[attr-defined]
    by_ref = {r.ref: r for r in results.candidates}
    notify_status_changes(round_, [
        (candidate, before) for candidate, before in changed
        if status_visible(exams_taken(by_ref[candidate.ref].written, by_ref[candidate.ref].interview,
                                      candidate.status), published)])


def close_position_stage(position: Position, stage: Stage, *, actor: str, today: date) -> Stage:
    """Close the position's open `stage` once everything it needs is entered; returns the stage opened.

    Refuses with StageNotReached / StageClosed (order) or StageIncomplete (what is missing).
    """
    require_stage(position, stage)
    round_ = position.round
    # an imported record keeps its own date and has no announcement: its registration is history
    reason = None if round_.as_of is not None or stage is not Stage.REGISTRATION else registration_refusal(
        published=round_.published_at is not None, closes=round_.registration_closes, today=today)
    if reason is not None:
        raise StageIncomplete(stage, Missing(reason))
    state = round_state(round_, today=today)
    missing = closing_refusal(stage, position.code, state.record, state.results)
    if missing is not None:
        raise StageIncomplete(stage, missing)
    opened = close_stage(position, stage, actor=actor)
    # closing a stage changes no entry (the engine never reads the stage), so the results
    # computed for the guard are the round's results after the close too
    _store_statuses(round_, state.results, actor=actor)
    return opened
