"""Probation follow-up (试用期跟踪考察): the new unit's evaluation ballot, probations due soon, the reserve pool.

* A tracking review may carry an online secret ballot of the new post's unit (试用期民主测评):
  the boxes, codes, casting and receipts of `vetting.ballots`, of kind ``probation``, with the
  evaluation's ballot. Closing counts it by the rule of RULES.md §6 and records the count as a
  tracking review with the admin's note; it never enters the round's scores.
* Probations ending within 30 days across every round (the engine's `probation_due_soon`).
* The reserve pool (后备干部): strong runners-up of positions whose selection is over
  (`publicity.rules.reserve_reason`), for later rounds.

Services flush, never commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select

from selection.audit import record_audit
from selection.extensions import db
from selection.i18n import _l
from selection.models import Candidate, Position, Round
from selection.pipeline import Stage
from selection.record.services import probations_due_soon, refresh_statuses, round_results
from selection.rules import resolve_settings
from vetting import ballots
from vetting.ballot_rules import evaluation_counts
from vetting.models import BallotBox, BallotKind
from vetting.rules import TooFewBallots
from vetting.services import open_ballot_box_of

from . import rules
from .models import ProbationReview
from .services import PublicityRefused, require_on_probation, round_day

# --- the evaluation ballot during probation (试用期民主测评) -----------------------------------


def probation_box(candidate: Candidate) -> BallotBox | None:
    """The open probation ballot of an appointee, if any."""
    return open_ballot_box_of(candidate, BallotKind.PROBATION)


def ballot_minimum(round_: Round) -> int:
    """The fewest ballots a probation ballot counts: the round's `evaluation_min_ballots`, as an evaluation."""
    return resolve_settings(round_.settings or {}).evaluation_min_ballots


def open_probation_ballot(candidate: Candidate, *, seen_version: int, actor: str, today: date) -> BallotBox:
    """Open an online ballot of the new post's unit on an appointee on probation; audited.

    One open probation ballot per appointee at a time; none once the final assessment is recorded.
    """
    require_on_probation(candidate, seen_version, today)
    return ballots.open_box_for(candidate.round, kind=BallotKind.PROBATION, unit=candidate.position.unit,
                                candidates=[candidate], actor=actor)


def close_probation_ballot(box: BallotBox, on: date, note: str, *, seen_version: int, actor: str,
                           today: date) -> ProbationReview:
    """Close a probation ballot and record its count as a tracking review dated `on`, with `note`; audited.

    Refused, with nothing closed, when fewer ballots were cast than an evaluation needs
    (`evaluation_min_ballots`): the box is then voided with a reason on its own page, as any box.
    """
    if box.kind is not BallotKind.PROBATION:
        raise PublicityRefused(_l("This is not a probation ballot."))
    if box.closed_at is not None:
        raise PublicityRefused(_l("This ballot is already closed."))
    candidate = box.candidates[0]
    appointment, day, end = require_on_probation(candidate, seen_version, today)
    if rules.is_future(on, day):
        raise PublicityRefused(_l("%(day)s is after today (%(today)s): record it once it has happened."),
                               day=on, today=day)
    if not rules.is_during_probation(appointment.date, end, on):
        raise PublicityRefused(_l("A tracking review must fall within the probation, from %(start)s to %(end)s."),
                               start=appointment.date, end=end)
    note = note.strip()
    if not note:
        raise PublicityRefused(_l("A tracking review needs a note."))
    settings = resolve_settings(candidate.round.settings or {})
    cast, minimum = ballots.turnout(box).used, ballot_minimum(candidate.round)
    if cast < minimum:
        raise PublicityRefused(_l("Only %(n)s ballots were cast; at least %(min)s are needed to count them. "
                                  "Void the ballot with a reason instead."), n=cast, min=minimum)
    count = ballots.seal_ballot_box(box)
    try:
        result = rules.probation_ballot(evaluation_counts(count.counts[candidate.ref]),
                                        trim_ratio=settings.evaluation_trim_ratio,
                                        min_ballots=settings.evaluation_min_ballots)
    except TooFewBallots:  # a ballot that does not count (none can, today) would leave fewer
        raise PublicityRefused(_l("Too few valid ballots to count; void the ballot with a reason instead.")) from None
    ballots.audit_close(box, count, actor=actor)
    review = ProbationReview(appointment=appointment, date=on, note=note, ballot_box=box,
                             ballots=result.ballots, ballot_score=result.score)
    db.session.add(review)
    db.session.flush()
    record_audit("probation.review", actor=actor, subject=f"candidate:{candidate.round.code}/{candidate.ref}",
                 round_id=candidate.round_id,
                 after={"date": on.isoformat(), "note": note, "ballot box": box.id, "ballots": result.ballots,
                        "score": f"{result.score:.2f}"})
    refresh_statuses(candidate.round, actor=actor, today=day)
    return review


def find_probation_box(position: Position, box_id: int) -> BallotBox | None:
    """The probation ballot `box_id` on an appointee of `position`, if it is one."""
    box = db.session.get(BallotBox, box_id)
    if box is None or box.kind is not BallotKind.PROBATION or not box.candidates:
        return None
    return box if box.candidates[0].position_id == position.id else None


# --- probations due soon, in every round -----------------------------------------------------


@dataclass(frozen=True)
class DueProbation:
    """A probation ending within 30 days (试用期即将届满), in any round."""

    round: Round
    candidate: Candidate
    probation_end: date
    days_left: int


def due_probations(*, today: date) -> list[DueProbation]:
    """Every probation the engine flags due soon, across the rounds, soonest end first."""
    due = []
    for round_, result in probations_due_soon(today=today):
        candidate = db.session.scalar(select(Candidate).where(Candidate.round_id == round_.id,
                                                              Candidate.ref == result.ref))
        end = result.probation_end
        assert candidate is not None and end is not None  # the engine computes stored candidates only
        due.append(DueProbation(round_, candidate, end, (end - round_day(round_, today)).days))
    return due


# --- the reserve pool (后备干部) ----------------------------------------------------------------

#: a position's selection is over once its appointment stage is open (RULES.md §12)
OVER_STAGES = frozenset({Stage.APPOINTMENT, Stage.PROBATION, Stage.CLOSED})


@dataclass(frozen=True)
class Reservist:
    """A runner-up in the reserve pool, with what the engine computed of them and why they are in it."""

    round: Round
    position: Position
    candidate: Candidate
    total: Decimal | None
    rank: int | None
    reason: str
    #: later rounds the same person registered for (by their account), codes in order
    later_rounds: tuple[str, ...]


def reserve_pool(*, today: date) -> list[Reservist]:
    """The reserve pool over every round, in `rules.reserve_order` (rank, then total)."""
    rounds = db.session.scalars(select(Round).where(Round.id.in_(
        select(Position.round_id).where(Position.stage.in_(OVER_STAGES)))).order_by(Round.code))
    pool: list[Reservist] = []
    for round_ in rounds:
        results = round_results(round_, today=today)
        by_ref = {c.ref: c for c in results.candidates}
        for position_result in results.positions:
            position = next(p for p in round_.positions if p.code == position_result.code)
            over = position.stage in OVER_STAGES
            for candidate in position.candidates:
                outcome = by_ref[candidate.ref]
                runner = rules.Runner(
                    ref=candidate.ref, status=outcome.status, total=outcome.total, rank=outcome.rank,
                    on_vote_list=candidate.ref in (position_result.vote_list or ()),
                    proposed_as_backfill=candidate.ref in position_result.backfill,
                    appointed=candidate.appointment is not None)  # type: ignore[attr-defined]
                reason = rules.reserve_reason(runner, selection_over=over)
                if reason is not None:
                    pool.append(Reservist(round_, position, candidate, outcome.total, outcome.rank, reason,
                                          _later_rounds(candidate)))
    return sorted(pool, key=lambda r: (*rules.reserve_order(r.rank, r.total), r.round.code, r.position.code,
                                       r.candidate.ref))


def _later_rounds(candidate: Candidate) -> tuple[str, ...]:
    """Codes of the rounds after this one in which the same person registered (through their account)."""
    if candidate.person_id is None:
        return ()
    return tuple(db.session.scalars(
        select(Round.code).join(Candidate, Candidate.round_id == Round.id)
        .where(Candidate.person_id == candidate.person_id, Round.id > candidate.round_id).order_by(Round.id)))
