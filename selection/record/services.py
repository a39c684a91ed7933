"""Use cases over a whole stored round (选拔工作): its results, closing a stage, refreshing statuses.

Every page that shows a status, a list or a score asks `round_results`, and every entry
that changes a round ends with `refresh_statuses`, so the stored status column never drifts
from what the rules compute. Services flush, never commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from exams.score_rules import exams_taken, is_published, status_visible
from publicity.rules import missing_holiday_years as _missing_years
from selection.audit import AuditEntry, record_audits
from selection.clock import now
from selection.extensions import db
from selection.models import Candidate, Position, Round
from selection.notify import candidates_with_accounts, notify_status_changes
from selection.pipeline import Stage, Status
from selection.record import cache
from selection.record.engine import PROBATION_DUE_SOON, CandidateResult, Results, compute
from selection.record.model import RoundRecord
from selection.record.stages import Missing, closing_refusal
from selection.record.store import load_calendar, load_record, publicity_starts
from selection.rules import registration_refusal, resolve_settings
from selection.services import StaleEdit, close_stage, require_stage


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

    # the query first: its autoflush may be what changes the round in this transaction
    revision = db.session.scalar(select(Round.data_revision).where(Round.id == round_.id))
    if revision is None or cache.touched(db.session(), round_.id):  # not stored, or not committed
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


#: candidates per UPDATE when `_store_statuses` stores many new statuses
_STATUS_BATCH = 1000


def _store_statuses(round_: Round, results: Results, *, actor: str) -> None:
    """Store each candidate's status where the engine's differs, auditing every change.

    In bulk, from the columns, without an ORM object per candidate: one UPDATE per batch of
    candidates moving between the same two statuses (each bumping the row's version, as the
    ORM's versioned update did), the audit events chained in one go. A written-score import
    moves every candidate of a position at once; per-row flushes made that minutes.
    """
    stored = {ref: (candidate_id, status) for ref, candidate_id, status in db.session.execute(
        select(Candidate.ref, Candidate.id, Candidate.status).where(Candidate.round_id == round_.id))}
    changed = [(result.ref, *stored[result.ref], result.status) for result in results.candidates
               if stored[result.ref][1] is not result.status]
    if not changed:
        return
    record_audits((AuditEntry("candidate.status", f"candidate:{round_.code}/{ref}", round_.id,
                              before={"status": before.value}, after={"status": after.value})
                   for ref, _id, before, after in changed), actor=actor)
    moves: dict[tuple[Status, Status], list[int]] = {}
    for _ref, candidate_id, before, after in changed:
        moves.setdefault((before, after), []).append(candidate_id)
    for (before, after), ids in moves.items():
        for start in range(0, len(ids), _STATUS_BATCH):
            batch = ids[start:start + _STATUS_BATCH]
            done = db.session.execute(
                update(Candidate).where(Candidate.id.in_(batch), Candidate.status == before)
                .values(status=after, version_id=Candidate.version_id + 1)
                # the round whose rows these are, for the round-state cache (selection/record/cache.py)
                .execution_options(synchronize_session=False, round_id=round_.id))
            if done.rowcount != len(batch):
                raise StaleEdit(f"candidates: {len(batch) - done.rowcount} of {len(batch)} changed status "
                                "while the round was being computed")
    for _ref, candidate_id, _before, after in changed:
        loaded = db.session.identity_map.get(identity_key(Candidate, candidate_id))
        if loaded is not None:
            # what the ORM's own update would have left on the object
            set_committed_value(loaded, "status", after)
            if "version_id" in loaded.__dict__:
                set_committed_value(loaded, "version_id", loaded.version_id + 1)
    _notify(round_, results, [(candidate_id, before) for _ref, candidate_id, before, _after in changed])
    db.session.flush()


def _notify(round_: Round, results: Results, changed: list[tuple[int, Status]]) -> None:
    """Candidates with an account hear of a new status (selection/notify.py), all in one query.

    Not while it would tell an exam's result before its scores are published: such a change
    goes unannounced, and the publication's own message tells them to look
    (exams.score_rules.status_visible, exams.score_reviews.publish_scores). Only candidates
    with an account are loaded: nobody else can be told.
    """
    holders = candidates_with_accounts(round_)
    before_of = {candidate_id: before for candidate_id, before in changed if candidate_id in holders}
    if not before_of:
        return
    moment = now()
    published = {p.exam.value for p in round_.score_publications if is_published(p, moment)}  # type: ignore[attr-defined]
    by_ref = {r.ref: r for r in results.candidates}
    loaded = {c.id: c for c in db.session.scalars(select(Candidate).where(Candidate.id.in_(before_of))
                                                  .options(joinedload(Candidate.position)))}
    notify_status_changes(round_, [
        (candidate, before_of[candidate_id]) for candidate_id, candidate in
        ((candidate_id, loaded[candidate_id]) for candidate_id, _before in changed if candidate_id in before_of)
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
