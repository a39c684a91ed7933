"""The round-state cache (selection/record/cache.py): computed once per change, never stale."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from decimal import Decimal

import pytest
from flask import Flask, current_app
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import event, insert, select

from exams.models import WrittenScore
from selection.models import Candidate, DayKind, HolidayAddition, Round
from selection.record import cache
from selection.record.demo import demo_record
from selection.record.engine import compute
from selection.record.parse import parse_record
from selection.record.services import round_state
from selection.record.store import NOT_REVEALED, load_record, store_record
from selection.services import claim_version
from vetting.models import RecommendationTally

DAY = date(2026, 11, 20)


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    return make_app(TODAY=DAY.isoformat())


def _store(code: str) -> int:
    source = demo_record()
    record = parse_record({**source, "round": {**source["round"], "code": code}})
    round_ = store_record(record, compute(record), replace=False, actor="test")
    return round_.id


@pytest.fixture
def rounds(db: SQLAlchemy) -> tuple[int, int]:
    """Two stored rounds (the demo twice, under two codes), committed."""
    ids = _store("CACHE-A"), _store("CACHE-B")
    db.session.commit()
    return ids


def _state(db: SQLAlchemy, round_id: int) -> cache.Any:
    return round_state(db.session.get(Round, round_id), today=DAY)


def _revision(db: SQLAlchemy, round_id: int) -> int:
    return db.session.scalar(select(Round.data_revision).where(Round.id == round_id))


def _a_written_score(db: SQLAlchemy, round_id: int) -> WrittenScore:
    """The round's lowest written score: lowering it further changes no one's outcome."""
    return db.session.scalars(select(WrittenScore).join(Candidate).where(Candidate.round_id == round_id)
                              .order_by(WrittenScore.score, WrittenScore.id)).first()


@pytest.fixture
def statements(db: SQLAlchemy) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    yield seen
    event.remove(db.engine, "before_cursor_execute", count)


def test_a_second_ask_is_answered_from_the_cache_without_loading_the_round(
        db: SQLAlchemy, rounds: tuple[int, int], statements: list[str]) -> None:
    first = _state(db, rounds[0])
    loaded = len(statements)
    statements.clear()
    assert _state(db, rounds[0]) is first
    # the revision is asked; none of the dozen queries that load the round is made again
    assert any("data_revision" in s for s in statements) and loaded > 10
    assert not [s for s in statements if "FROM candidates" in s or "FROM written_scores" in s]


def test_a_changed_entry_is_seen_at_once_and_the_other_round_keeps_its_state(
        db: SQLAlchemy, rounds: tuple[int, int]) -> None:
    before_a, before_b = _state(db, rounds[0]), _state(db, rounds[1])
    revision_b = _revision(db, rounds[1])
    score = _a_written_score(db, rounds[0])
    ref = db.session.get(Candidate, score.candidate_id).ref
    lowered = score.score - Decimal("0.5")
    score.score = lowered
    db.session.commit()

    after = _state(db, rounds[0])
    assert after is not before_a
    assert next(c for c in after.record.candidates if c.ref == ref).written[score.paper] == lowered
    assert _revision(db, rounds[1]) == revision_b
    assert _state(db, rounds[1]) is before_b


def test_an_uncommitted_change_is_computed_fresh_and_a_rollback_leaves_nothing_cached(
        db: SQLAlchemy, rounds: tuple[int, int]) -> None:
    before = _state(db, rounds[0])
    score = _a_written_score(db, rounds[0])
    original, ref, paper = score.score, db.session.get(Candidate, score.candidate_id).ref, score.paper
    score.score = original - Decimal("0.5")
    db.session.flush()
    pending = _state(db, rounds[0])
    assert next(c for c in pending.record.candidates if c.ref == ref).written[paper] == original - Decimal("0.5")
    db.session.rollback()

    again = _state(db, rounds[0])
    assert again is before
    assert next(c for c in again.record.candidates if c.ref == ref).written[paper] == original


def test_a_deleted_entry_and_a_child_row_follow_their_parents_to_the_round(
        db: SQLAlchemy, rounds: tuple[int, int]) -> None:
    revisions = _revision(db, rounds[0]), _revision(db, rounds[1])
    tally = db.session.scalars(select(RecommendationTally).join(Candidate)
                               .where(Candidate.round_id == rounds[1])).first()
    db.session.delete(tally)
    db.session.commit()
    assert _revision(db, rounds[0]) == revisions[0]
    assert _revision(db, rounds[1]) != revisions[1]


def test_a_bulk_insert_names_its_round_or_changes_every_round(db: SQLAlchemy, rounds: tuple[int, int]) -> None:
    def add_score(round_id: int, options: dict[str, object]) -> None:
        candidate = db.session.scalars(select(Candidate).where(Candidate.round_id == round_id)
                                       .order_by(Candidate.id.desc())).first()
        db.session.execute(insert(WrittenScore), [{"candidate_id": candidate.id, "paper": "bulk", "score": 1}],
                           execution_options=options)
        db.session.commit()

    revisions = _revision(db, rounds[0]), _revision(db, rounds[1])
    add_score(rounds[0], {"round_id": rounds[0]})
    assert _revision(db, rounds[0]) != revisions[0] and _revision(db, rounds[1]) == revisions[1]

    revisions = _revision(db, rounds[0]), _revision(db, rounds[1])
    add_score(rounds[1], {})
    assert _revision(db, rounds[0]) != revisions[0] and _revision(db, rounds[1]) != revisions[1]


def test_a_system_wide_holiday_changes_every_round(db: SQLAlchemy, rounds: tuple[int, int]) -> None:
    revisions = _revision(db, rounds[0]), _revision(db, rounds[1])
    db.session.add(HolidayAddition(round_id=None, day=date(2027, 1, 4), kind=DayKind.HOLIDAY, name="test"))
    db.session.commit()
    assert _revision(db, rounds[0]) != revisions[0] and _revision(db, rounds[1]) != revisions[1]


def test_claiming_a_form_version_leaves_the_cached_state(db: SQLAlchemy, rounds: tuple[int, int]) -> None:
    before = _state(db, rounds[0])
    candidate = db.session.scalars(select(Candidate).where(Candidate.round_id == rounds[0])).first()
    claim_version(candidate, candidate.version_id)
    db.session.commit()
    assert _state(db, rounds[0]) is before


def test_another_worker_sees_a_change_committed_elsewhere(
        make_app: Callable[..., Flask], db: SQLAlchemy, rounds: tuple[int, int]) -> None:
    """Two apps on one database stand for two gunicorn workers, each with its own cache."""
    other = make_app(TODAY=DAY.isoformat())
    with other.app_context():
        stale = _state(db, rounds[0])
        db.session.remove()
    score = _a_written_score(db, rounds[0])
    lowered = score.score - Decimal("0.5")
    score.score = lowered
    ref, paper = db.session.get(Candidate, score.candidate_id).ref, score.paper
    db.session.commit()
    with other.app_context():
        fresh = _state(db, rounds[0])
        assert fresh is not stale
        assert next(c for c in fresh.record.candidates if c.ref == ref).written[paper] == lowered
        db.session.remove()


def test_the_cached_record_holds_no_id_or_phone_numbers(db: SQLAlchemy, rounds: tuple[int, int]) -> None:
    state = _state(db, rounds[0])
    assert {(c.id_number, c.phone) for c in state.record.candidates} == {(NOT_REVEALED, None)}
    revealed, _calendar = load_record(db.session.get(Round, rounds[0]), today=DAY)
    assert all(len(c.id_number) == 18 for c in revealed.candidates)
    assert compute(revealed) == state.results


def test_the_cache_keeps_only_the_newest_rounds() -> None:
    kept = cache.RoundCache(size=2)
    for round_id in (1, 2, 3):
        kept.get((round_id, 0, DAY), lambda: object())
    calls: list[int] = []
    kept.get((1, 0, DAY), lambda: calls.append(1))
    kept.get((3, 0, DAY), lambda: calls.append(3))
    assert calls == [1]


def test_a_change_still_pending_in_the_session_is_neither_read_from_nor_kept_in_the_cache(
        db: SQLAlchemy, rounds: tuple[int, int]) -> None:
    """A change not yet flushed is flushed by the state's own queries: seen, then forgotten on rollback."""
    before = _state(db, rounds[0])
    score = _a_written_score(db, rounds[0])
    original, ref, paper = score.score, db.session.get(Candidate, score.candidate_id).ref, score.paper
    score.score = original - Decimal("0.5")  # not flushed: the next query flushes it
    pending = _state(db, rounds[0])
    assert next(c for c in pending.record.candidates if c.ref == ref).written[paper] == original - Decimal("0.5")
    db.session.rollback()
    assert _state(db, rounds[0]) is before
    assert len(current_app.extensions[cache.EXTENSION_KEY]._states) == 1
