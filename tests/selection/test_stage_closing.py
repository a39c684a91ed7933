"""Closing a position's stage: only in order, and only once its entries are complete (RULES.md §12)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal

import pytest
from flask import Flask
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import select

from exams.models import WrittenScore
from selection.clock import today
from selection.models import Candidate, Position, Round
from selection.pipeline import Stage, StageNotReached, Status
from selection.record.demo import demo_record
from selection.record.engine import compute
from selection.record.parse import parse_record
from selection.record.services import StageIncomplete, close_position_stage
from selection.record.store import store_record

pytestmark = pytest.mark.db
DAY = date(2026, 11, 20)


@pytest.fixture
def demo(db: SQLAlchemy) -> Round:
    record = parse_record(demo_record())
    return store_record(record, compute(record), replace=False, actor="test")


def _position(db: SQLAlchemy, round_: Round, code: str) -> Position:
    return db.session.scalar(select(Position).where(Position.round_id == round_.id, Position.code == code))


def _candidate(db: SQLAlchemy, round_: Round, ref: str) -> Candidate:
    return db.session.scalar(select(Candidate).where(Candidate.round_id == round_.id, Candidate.ref == ref))


def test_written_stage_waits_for_every_result_and_names_who(db: SQLAlchemy, demo: Round) -> None:
    p04 = _position(db, demo, "P04")

    with pytest.raises(StageIncomplete) as refused:
        close_position_stage(p04, Stage.WRITTEN, actor="admin", today=DAY)

    # C026–C030 were recommended; only C026–C029 have written scores (selection/record/demo.py)
    assert refused.value.missing.refs == ("C030",)
    assert p04.stage is Stage.WRITTEN


def test_closing_the_written_stage_forms_the_interview_list(db: SQLAlchemy, demo: Round) -> None:
    # Given the last written score entered
    p04 = _position(db, demo, "P04")
    db.session.add(WrittenScore(candidate_id=_candidate(db, demo, "C030").id, paper="written", score=Decimal("90")))
    db.session.flush()

    # When the stage closes
    opened = close_position_stage(p04, Stage.WRITTEN, actor="admin", today=DAY)

    # Then the interview list (1 post × 3) is the three best written scores: 90, 86, 83
    assert opened is Stage.INTERVIEW_LIST
    statuses = {ref: _candidate(db, demo, ref).status for ref in ("C026", "C027", "C028", "C029", "C030")}
    assert statuses == {"C026": Status.INTERVIEW_LIST, "C027": Status.INTERVIEW_LIST,
                        "C028": Status.NOT_SHORTLISTED_INTERVIEW, "C029": Status.NOT_SHORTLISTED_INTERVIEW,
                        "C030": Status.INTERVIEW_LIST}


def test_a_later_stage_cannot_close_first(db: SQLAlchemy, demo: Round) -> None:
    with pytest.raises(StageNotReached) as refused:
        close_position_stage(_position(db, demo, "P05"), Stage.WRITTEN, actor="admin", today=DAY)

    assert refused.value.missing is Stage.RECOMMENDATION


def test_today_can_be_pinned_but_not_in_production(make_app: Callable[..., Flask]) -> None:
    with make_app(TODAY="2027-10-20").app_context():
        assert today() == date(2027, 10, 20)

    with pytest.raises(RuntimeError, match="refused in production"):
        make_app(TODAY="2027-10-20", PRODUCTION=True)
