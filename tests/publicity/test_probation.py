"""Probation follow-up: the new unit's evaluation ballot as a tracking review, probations due soon across
the rounds, and the reserve pool (后备干部). Services on both databases with the demo round stored."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import select

from publicity import probation, rules
from publicity.models import ProbationReview
from publicity.services import PublicityRefused
from selection.models import AuditEvent, Candidate, Round
from selection.pipeline import Stage, Status
from selection.record.services import round_results
from tests.vetting.ballot_support import cast, issue
from vetting import ballots
from vetting.models import BallotKind
from vetting.rules import TooFewBallots, evaluation_score

DAY = date(2026, 11, 20)
#: ten ballots: k = floor(10 × 0.10) = 1 is trimmed from each end (the 20 and the 100)
VALUES = [100, 95, 95, 90, 80, 80, 75, 70, 60, 20]


# ---------------------------------------------------------------- pure rules


def test_probation_ballot_is_the_evaluation_rule() -> None:
    counts = {100: 1, 95: 2, 90: 1, 80: 2, 75: 1, 70: 1, 60: 1, 20: 1}

    result = rules.probation_ballot(counts, trim_ratio=Decimal("0.10"), min_ballots=5)

    assert result == rules.ProbationBallot(10, Decimal("80.63"))
    assert result.score == evaluation_score(VALUES, trim_ratio=Decimal("0.10"), min_ballots=5)
    with pytest.raises(TooFewBallots):
        rules.probation_ballot({95: 4}, trim_ratio=Decimal("0.10"), min_ballots=5)


def _runner(status: Status, *, on_vote_list: bool = True, backfill: bool = False,
            appointed: bool = False) -> rules.Runner:
    return rules.Runner("C1", status, Decimal("85.00"), 2, on_vote_list, backfill, appointed)


@pytest.mark.parametrize(("runner", "over", "reason"), [
    (_runner(Status.NOT_ELECTED), True, rules.RESERVE_NOT_ELECTED),
    (_runner(Status.TIE_REVOTE), True, rules.RESERVE_TIE),
    (_runner(Status.CLEARED, backfill=True), True, rules.RESERVE_BACKFILL),
    (_runner(Status.IN_PUBLICITY, backfill=True), True, rules.RESERVE_BACKFILL),
    # an allegation founded or not cleared keeps a backfill candidate out
    (_runner(Status.CANCELLED, backfill=True), True, None),
    (_runner(Status.POSTPONED, backfill=True), True, None),
    # appointed, elected, never on the vote list, or the selection still running: not in the pool
    (_runner(Status.ON_PROBATION, backfill=True, appointed=True), True, None),
    (_runner(Status.CLEARED), True, None),
    (_runner(Status.NOT_SHORTLISTED_VOTE, on_vote_list=False), True, None),
    (_runner(Status.INSPECTION_UNQUALIFIED, on_vote_list=False), True, None),
    (_runner(Status.NOT_ELECTED), False, None),
])
def test_reserve_reason(runner: rules.Runner, over: bool, reason: str | None) -> None:
    assert rules.reserve_reason(runner, selection_over=over) == reason


def test_reserve_order_is_rank_then_total() -> None:
    keys = [(3, Decimal("90")), (2, Decimal("80")), (2, Decimal("85")), (None, None)]

    assert sorted(keys, key=lambda k: rules.reserve_order(*k)) == [
        (2, Decimal("85")), (2, Decimal("80")), (3, Decimal("90")), (None, None)]


# ---------------------------------------------------------------- the probation ballot

@pytest.fixture(autouse=True)
def _english(app: Flask, db: SQLAlchemy) -> Any:
    """Refusals read in English here (`match=`)."""
    with app.test_request_context("/?lang=en"):
        yield


def _open(db: SQLAlchemy, candidate: Candidate) -> Any:
    box = probation.open_probation_ballot(candidate, seen_version=candidate.version_id, actor="org-admin", today=DAY)
    db.session.commit()
    return box


def _close(db: SQLAlchemy, box: Any, candidate: Candidate, note: str = "适应岗位,群众认可") -> ProbationReview:
    review = probation.close_probation_ballot(box, DAY, note, seen_version=candidate.version_id, actor="org-admin",
                                              today=DAY)
    db.session.commit()
    return review


@pytest.mark.db
def test_probation_ballot_becomes_a_tracking_review_and_leaves_the_scores_alone(
        db: SQLAlchemy, store_demo: Callable[..., Round], candidate_of: Callable[..., Candidate]) -> None:
    # Given the demo's C001 on probation in P01 (市财政局) and the round's results
    round_ = store_demo()
    c001 = candidate_of(round_, "C001")
    before = round_results(round_, today=DAY).as_json()

    # When the new unit's staff vote online with printed codes and the ballot is closed
    box = _open(db, c001)
    assert (box.kind, box.unit, [c.ref for c in box.candidates]) == (BallotKind.PROBATION, "市财政局", ["C001"])
    tokens = issue(db, box, 12)
    receipts = [cast(db, token, {"C001": value}) for token, value in zip(tokens, VALUES)]
    review = _close(db, box, c001)

    # Then a tracking review holds n and the trimmed mean of RULES.md §6, with the note
    assert (review.ballots, review.ballot_score, review.note) == (10, Decimal("80.63"), "适应岗位,群众认可")
    assert review.ballot_score == rules.probation_ballot(Counter(VALUES), trim_ratio=Decimal("0.10"),
                                                         min_ballots=5).score
    assert review.ballot_box_id == box.id and review.date == DAY
    assert c001.appointment.reviews == [review]
    # the box is closed like any other: counts, hash, published receipts, verifiable
    assert box.closed_at is not None and box.counts["C001"]["95"] == 2
    assert ballots.published_receipts(box) == sorted(receipts)
    assert ballots.verify_box(box) == []
    # and the selection's scores and statuses are exactly what they were
    assert round_results(round_, today=DAY).as_json() == before
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "probation.review")).one()
    assert event.after == {"date": "2026-11-20", "note": "适应岗位,群众认可", "ballot box": box.id, "ballots": 10,
                           "score": "80.63"}


@pytest.mark.db
def test_close_refused_with_fewer_ballots_than_an_evaluation_needs_then_voided(
        db: SQLAlchemy, store_demo: Callable[..., Round], candidate_of: Callable[..., Candidate]) -> None:
    round_ = store_demo()
    c001 = candidate_of(round_, "C001")
    box = _open(db, c001)
    for token in issue(db, box, 6)[:4]:
        cast(db, token, {"C001": 90})

    with pytest.raises(PublicityRefused, match="Only 4 ballots were cast; at least 5 are needed"):
        probation.close_probation_ballot(box, DAY, "note", seen_version=c001.version_id, actor="a", today=DAY)
    db.session.rollback()
    assert box.closed_at is None and db.session.scalar(select(ProbationReview.id)) is None

    # voided with a reason, as any box: nothing counted, and a new ballot may be opened
    ballots.void_ballot_box(box, reason="到会人数不足", actor="org-admin")
    db.session.commit()
    assert ballots.is_void(box) and ballots.verify_box(box) == []
    assert _open(db, c001).id != box.id


@pytest.mark.db
def test_probation_ballot_refusals(db: SQLAlchemy, store_demo: Callable[..., Round],
                                   candidate_of: Callable[..., Candidate]) -> None:
    round_ = store_demo()
    c001, c002 = candidate_of(round_, "C001"), candidate_of(round_, "C002")
    box = _open(db, c001)

    with pytest.raises(PublicityRefused, match="C002 is not on probation"):
        probation.open_probation_ballot(c002, seen_version=c002.version_id, actor="a", today=DAY)
    db.session.rollback()
    with pytest.raises(ballots.Refused, match="C001 is already in an open online ballot"):
        probation.open_probation_ballot(c001, seen_version=c001.version_id, actor="a", today=DAY)
    db.session.rollback()
    # the ballots' own close would enter the count as the round's evaluation: refused for this kind
    with pytest.raises(ballots.Refused, match="closed from the probation screen"):
        ballots.close_ballot_box(box, actor="a", today=DAY)
    db.session.rollback()
    for token in issue(db, box, 5):
        cast(db, token, {"C001": 80})
    with pytest.raises(PublicityRefused, match="A tracking review needs a note"):
        probation.close_probation_ballot(box, DAY, "  ", seen_version=c001.version_id, actor="a", today=DAY)
    db.session.rollback()
    with pytest.raises(PublicityRefused, match="must fall within the probation"):
        probation.close_probation_ballot(box, date(2026, 10, 1), "n", seen_version=c001.version_id, actor="a",
                                         today=DAY)
    db.session.rollback()
    assert box.closed_at is None


# ---------------------------------------------------------------- due soon, across the rounds


def second_round(raw: dict[str, Any]) -> None:
    """The demo again as another round, DEMO-2026B, its appointee appointed six days later."""
    raw["round"]["code"] = "DEMO-2026B"
    raw["appointments"] = [{"candidate": "C001", "date": "2026-10-25"}]


@pytest.mark.db
def test_due_probations_across_two_rounds_soonest_first(db: SQLAlchemy, store_demo: Callable[..., Round]) -> None:
    store_demo()
    store_demo(second_round)

    # the demo's C001 ends 2027-10-19, the second round's 2027-10-25
    assert probation.due_probations(today=DAY) == []
    due = probation.due_probations(today=date(2027, 10, 1))

    assert [(d.round.code, d.candidate.ref, d.probation_end, d.days_left) for d in due] == [
        ("DEMO-2026", "C001", date(2027, 10, 19), 18), ("DEMO-2026B", "C001", date(2027, 10, 25), 24)]
    assert [d.round.code for d in probation.due_probations(today=date(2027, 9, 22))] == ["DEMO-2026"]


# ---------------------------------------------------------------- the reserve pool


@pytest.mark.db
def test_reserve_pool_of_the_demo(db: SQLAlchemy, store_demo: Callable[..., Round]) -> None:
    store_demo()

    pool = probation.reserve_pool(today=DAY)

    # P01 is over (probation): C002 was on its vote list and not elected. P02 is still at publicity
    # (C010 proposed as backfill), so its runners-up are not in the pool yet.
    assert [(r.round.code, r.position.code, r.candidate.ref, r.total, r.rank, r.reason, r.later_rounds)
            for r in pool] == [("DEMO-2026", "P01", "C002", Decimal("88.45"), 2, rules.RESERVE_NOT_ELECTED, ())]


@pytest.mark.db
def test_reserve_pool_flags_a_later_registration_and_orders_by_rank(
        db: SQLAlchemy, store_demo: Callable[..., Round], position_of: Callable[..., Any]) -> None:
    first = store_demo()
    second = store_demo(second_round)
    # P02 of the first round moves on to the appointment stage: its selection is over
    position_of(first, "P02").stage = Stage.APPOINTMENT
    db.session.commit()

    pool = probation.reserve_pool(today=DAY)

    rows = [(r.round.code, r.candidate.ref, r.rank, r.reason, r.later_rounds) for r in pool]
    # C010 (rank 3, backfill in publicity) joins; rank 2 before rank 3; the same people registered
    # in the second round too, which the first round's entries say
    assert rows == [
        ("DEMO-2026", "C002", 2, rules.RESERVE_NOT_ELECTED, ("DEMO-2026B",)),
        ("DEMO-2026B", "C002", 2, rules.RESERVE_NOT_ELECTED, ()),
        ("DEMO-2026", "C010", 3, rules.RESERVE_BACKFILL, ("DEMO-2026B",)),
    ]
    assert second.code == "DEMO-2026B"
