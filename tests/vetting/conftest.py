"""Fixtures of the vetting tests: the demo round stored (as it is, or changed first), an admin client."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from flask.testing import FlaskClient
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import select

from selection.models import Candidate, Position, Role, Round, User
from selection.record.demo import demo_record
from selection.record.engine import compute
from selection.record.parse import parse_record
from selection.record.store import store_record
from tests.conftest import make_test_config

#: the demo round's own date, pinned as today so entries are dated as the demo expects
DAY = date(2026, 11, 20)

Change = Callable[[dict[str, Any]], None]


@pytest.fixture
def test_config(database_url: str) -> dict[str, Any]:
    return make_test_config(database_url, TODAY=DAY.isoformat())


@pytest.fixture
def store_demo(db: SQLAlchemy) -> Callable[..., Round]:
    """``store_demo(change=None)``: the demo round (changed first by `change`), stored and committed."""

    def store(change: Change | None = None) -> Round:
        record = demo_record()
        if change is not None:
            change(record)
        parsed = parse_record(record)
        round_ = store_record(parsed, compute(parsed), replace=False, actor="test")
        db.session.commit()
        return round_

    return store


def candidates_of(record: dict[str, Any], position: str) -> list[dict[str, Any]]:
    return [c for c in record["candidates"] if c["position"] == position]


def p05_at_review(record: dict[str, Any]) -> None:
    """P05 before any recommendation tally: still at the qualification review."""
    for c in candidates_of(record, "P05"):
        c.pop("recommendation", None)


def p03_at_evaluation(record: dict[str, Any]) -> None:
    """P03 with C017's ballots and performance record not yet in, and no inspection at all."""
    for c in candidates_of(record, "P03"):
        c.pop("inspection", None)
        if c["ref"] == "C017":
            c.pop("evaluation")
            c.pop("performance")
    record["inspection_notices"] = [n for n in record["inspection_notices"] if n["position"] != "P03"]


def p03_at_inspection_notice(record: dict[str, Any]) -> None:
    """P03 with its inspection list formed but no notice published and no inspection record."""
    for c in candidates_of(record, "P03"):
        c.pop("inspection", None)
    record["inspection_notices"] = [n for n in record["inspection_notices"] if n["position"] != "P03"]


def position(db: SQLAlchemy, round_: Round, code: str) -> Position:
    found = db.session.scalar(select(Position).where(Position.round_id == round_.id, Position.code == code))
    assert found is not None
    return found


def candidate(db: SQLAlchemy, round_: Round, ref: str) -> Candidate:
    found = db.session.scalar(select(Candidate).where(Candidate.round_id == round_.id, Candidate.ref == ref))
    assert found is not None
    return found


@pytest.fixture
def admin(create_account: Callable[..., User]) -> User:
    return create_account(Role.ADMIN, "org-admin")


@pytest.fixture
def admin_client(client: FlaskClient, admin: User, login_as: Callable[[FlaskClient, User], FlaskClient]) -> FlaskClient:
    return login_as(client, admin)
