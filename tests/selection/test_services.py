"""People, users and the round summary (services with a database)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import func, select

from exams.models import WrittenScore
from selection.models import AuditEvent, Candidate, Person, Position, Role, Round
from selection.pipeline import Stage, Status
from selection.services import (
    UsernameTaken, create_user, find_or_create_person, load_session_user, reveal_id_number,
    reveal_phone, summarize_rounds,
)
from tests.selection.conftest import id_number_for

pytestmark = pytest.mark.db

ID_NUMBER = id_number_for(7)
PHONE = "13800138000"


def test_find_or_create_person_reuses_person_by_blind_index(db: SQLAlchemy) -> None:
    first = find_or_create_person(ID_NUMBER, PHONE)
    again = find_or_create_person(ID_NUMBER)

    assert again.id == first.id
    assert db.session.scalar(select(func.count()).select_from(Person)) == 1
    assert reveal_id_number(again) == ID_NUMBER
    assert reveal_phone(again) == PHONE


def test_find_or_create_person_updates_phone(db: SQLAlchemy) -> None:
    person = find_or_create_person(ID_NUMBER, PHONE)

    find_or_create_person(ID_NUMBER, "13900139000")

    assert reveal_phone(person) == "13900139000"


def test_person_without_phone_reveals_none(db: SQLAlchemy) -> None:
    assert reveal_phone(find_or_create_person(ID_NUMBER)) is None


def test_summarize_rounds_counts_candidates_by_status(
    db: SQLAlchemy, create_round: Callable[..., Round], create_position: Callable[..., Position],
    create_candidate: Callable[..., Candidate],
) -> None:
    # Given a round with two positions, one of them with three candidates
    round_ = create_round()
    first = create_position(round_, "P01", posts=1, stage=Stage.WRITTEN)
    create_position(round_, "P02", posts=2)
    create_candidate(first, status=Status.RECOMMENDED)
    create_candidate(first, status=Status.UNQUALIFIED_AGE)
    create_candidate(first, status=Status.NOT_ELECTED)
    create_round("R2025-01", title="older", cutoff_date=round_.cutoff_date.replace(year=2025))

    summaries = summarize_rounds()

    assert [summary.code for summary in summaries] == ["R2026-07", "R2025-01"]
    p01, p02 = summaries[0].positions
    assert (p01.code, p01.stage, p01.registered, p01.still_in, p01.eliminated) == (
        "P01", Stage.WRITTEN, 3, 1, 2,
    )
    assert (p02.code, p02.stage, p02.registered, p02.posts) == ("P02", Stage.REGISTRATION, 0, 2)
    assert summaries[1].positions == ()


def test_deleting_a_round_removes_all_of_it_but_not_persons(
    db: SQLAlchemy, create_round: Callable[..., Round], create_position: Callable[..., Position],
    create_candidate: Callable[..., Candidate],
) -> None:
    # Given a round with a candidate who has a written score (a child in another package)
    round_ = create_round()
    candidate = create_candidate(create_position(round_))
    db.session.add(WrittenScore(candidate=candidate, paper="written", score="78.50"))
    db.session.commit()
    round_id = round_.id
    db.session.expunge_all()

    db.session.delete(db.session.get(Round, round_id))
    db.session.commit()

    for model in (Round, Position, Candidate, WrittenScore):
        assert db.session.scalar(select(func.count()).select_from(model)) == 0
    assert db.session.scalar(select(func.count()).select_from(Person)) == 1


def test_create_user_hashes_password_and_audits(db: SQLAlchemy) -> None:
    user = create_user(
        "admin", display_name="组织部管理员", password="长长的口令 long enough", role=Role.ADMIN,
        actor="test",
    )

    assert user.password_hash.startswith("$argon2id$")
    event = db.session.scalars(select(AuditEvent)).one()
    assert (event.action, event.subject, event.after) == (
        "user.create", f"user:{user.id}", {"username": "admin", "role": "admin"},
    )


def test_create_user_refuses_taken_username(db: SQLAlchemy) -> None:
    create_user("admin", display_name="a", password="password-1", role=Role.ADMIN, actor="test")

    with pytest.raises(UsernameTaken):
        create_user("admin", display_name="b", password="password-2", role=Role.ADMIN, actor="test")


def test_load_session_user_checks_session_version(db: SQLAlchemy) -> None:
    user = create_user("admin", display_name="a", password="password-1", role=Role.ADMIN, actor="t")
    session_id = user.get_id()

    assert load_session_user(session_id) is user
    user.session_version += 1
    assert load_session_user(session_id) is None
    assert load_session_user(user.get_id()) is user
    user.active = False
    assert load_session_user(user.get_id()) is None
    for bad in ("", "1", "x:1", f"{user.id}:"):
        assert load_session_user(bad) is None


def test_deleting_a_position_removes_its_candidates(
    db: SQLAlchemy, create_round: Callable[..., Round], create_position: Callable[..., Position],
    create_candidate: Callable[..., Candidate],
) -> None:
    position = create_position(create_round())
    create_candidate(position)
    assert len(position.candidates) == 1

    db.session.delete(position)
    db.session.commit()

    assert db.session.scalar(select(func.count()).select_from(Candidate)) == 0
