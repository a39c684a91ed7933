"""The demo round, stored as `demo load` stores it, for the publicity screens and services.

`store_demo(change=None, live=True)` stores DEMO-2026 after `change` edits its record; a
live round forgets the record's fixed date (`Round.as_of = None`), so it is at whatever day
a service is told or the pinned clock says, like a round run in the browser.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import select

from selection.models import Candidate, Position, Round
from selection.record.demo import demo_record
from selection.record.engine import compute
from selection.record.parse import parse_record
from selection.record.store import store_record

Record = dict[str, Any]


@pytest.fixture
def store_demo(db: SQLAlchemy) -> Callable[..., Round]:
    def store(change: Callable[[Record], None] | None = None, *, live: bool = True) -> Round:
        raw = demo_record()
        if change is not None:
            change(raw)
        record = parse_record(raw)
        round_ = store_record(record, compute(record), replace=False, actor="test")
        if live:
            round_.as_of = None
        db.session.commit()
        return round_

    return store


def without_publicity_of(ref: str) -> Callable[[Record], None]:
    """A change to the demo record: `ref` has no publicity yet (nor complaints about them)."""
    def change(raw: Record) -> None:
        raw["publicity"] = [p for p in raw["publicity"] if p["candidate"] != ref]
        raw["complaints"] = [c for c in raw["complaints"] if c["candidate"] != ref]

    return change


@pytest.fixture
def position_of(db: SQLAlchemy) -> Callable[[Round, str], Position]:
    def find(round_: Round, code: str) -> Position:
        return db.session.scalar(select(Position).where(Position.round_id == round_.id, Position.code == code))

    return find


@pytest.fixture
def candidate_of(db: SQLAlchemy) -> Callable[[Round, str], Candidate]:
    def find(round_: Round, ref: str) -> Candidate:
        return db.session.scalar(select(Candidate).where(Candidate.round_id == round_.id, Candidate.ref == ref))

    return find
