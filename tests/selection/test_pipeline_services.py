"""Moving positions and candidates through the pipeline: order checked, every move audited."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal

import pytest
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import select

from exams.models import WrittenScore
from selection.models import AuditEvent, Candidate, Position, Round
from selection.pipeline import Stage, StageClosed, StageNotReached, Status, TransitionNotAllowed
from selection.record.demo import demo_record
from selection.record.engine import compute
from selection.record.parse import parse_record
from selection.record.services import refresh_statuses
from selection.record.store import store_record
from selection.services import close_stage, move_candidate

pytestmark = pytest.mark.db


def _events(db: SQLAlchemy, action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def test_close_stage_opens_the_next_and_audits(db: SQLAlchemy, create_round: Callable[..., Round],
                                              create_position: Callable[..., Position]) -> None:
    position = create_position(create_round())

    opened = close_stage(position, Stage.REGISTRATION, actor="admin")

    assert opened is Stage.REVIEW and position.stage is Stage.REVIEW
    [event] = _events(db, "position.stage")
    assert (event.actor, event.before, event.after) == ("admin", {"stage": "registration"}, {"stage": "review"})


def test_close_stage_out_of_order_names_the_missing_step(db: SQLAlchemy, create_round: Callable[..., Round],
                                                         create_position: Callable[..., Position]) -> None:
    position = create_position(create_round(), stage=Stage.REVIEW)

    with pytest.raises(StageNotReached) as refused:
        close_stage(position, Stage.WRITTEN, actor="admin")

    assert refused.value.missing is Stage.RECOMMENDATION
    assert "written cannot start before recommendation has closed" in str(refused.value)
    assert position.stage is Stage.REVIEW
    assert _events(db, "position.stage") == []


def test_close_stage_refuses_a_stage_already_closed(db: SQLAlchemy, create_round: Callable[..., Round],
                                                   create_position: Callable[..., Position]) -> None:
    position = create_position(create_round(), stage=Stage.INTERVIEW)

    with pytest.raises(StageClosed):
        close_stage(position, Stage.WRITTEN, actor="admin")


def test_move_candidate_follows_the_table_and_audits(db: SQLAlchemy, create_round: Callable[..., Round],
                                                    create_position: Callable[..., Position],
                                                    create_candidate: Callable[..., Candidate]) -> None:
    candidate = create_candidate(create_position(create_round()))

    move_candidate(candidate, Status.QUALIFIED, actor="reviewer")
    with pytest.raises(TransitionNotAllowed):
        move_candidate(candidate, Status.IN_PUBLICITY, actor="reviewer")

    assert candidate.status is Status.QUALIFIED
    [event] = _events(db, "candidate.status")
    assert (event.before, event.after) == ({"status": "registered"}, {"status": "qualified", "reason": None})


def test_refresh_statuses_follows_a_corrected_score(db: SQLAlchemy) -> None:
    # Given the demo round stored, with P04's written scores still coming in
    record = parse_record(demo_record())
    round_ = store_record(record, compute(record), replace=False, actor="test")
    first_p04 = db.session.scalar(select(Candidate).where(Candidate.round_id == round_.id, Candidate.ref == "C026"))
    assert first_p04.status is Status.RECOMMENDED

    # When a written score below the pass line (60) is entered for it and statuses are refreshed
    db.session.scalar(select(WrittenScore).where(WrittenScore.candidate_id == first_p04.id)).score = Decimal("59.5")
    refresh_statuses(round_, actor="admin", today=date(2026, 11, 20))

    # Then its status follows the rules, and the move is in the audit trail
    assert first_p04.status is Status.BELOW_WRITTEN_LINE
    [event] = _events(db, "candidate.status")
    assert event.subject == "candidate:DEMO-2026/C026"
    assert (event.before, event.after) == ({"status": "recommended"}, {"status": "below_written_line"})
