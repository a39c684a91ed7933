"""Column types and table shapes that every package relies on."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import select, text
from sqlalchemy.orm.exc import StaleDataError

from exams.models import InterviewScore
from selection.models import Candidate, Position, Round
from selection.pipeline import Status
from vetting.models import CommitteeBallot, CommitteeVote

pytestmark = pytest.mark.db


def test_enums_are_stored_by_value(
    db: SQLAlchemy, create_round: Callable[..., Round], create_position: Callable[..., Position],
    create_candidate: Callable[..., Candidate],
) -> None:
    create_candidate(create_position(create_round()), status=Status.UNQUALIFIED_YEARS_IN_RANK)
    db.session.commit()

    raw = db.session.execute(text("SELECT status, sex FROM candidates")).one()
    loaded = db.session.scalars(select(Candidate)).one()

    assert tuple(raw) == ("unqualified:years_in_rank", "female")
    assert loaded.status is Status.UNQUALIFIED_YEARS_IN_RANK


def test_scores_are_exact_two_place_decimals(
    db: SQLAlchemy, create_round: Callable[..., Round], create_position: Callable[..., Position],
    create_candidate: Callable[..., Candidate],
) -> None:
    candidate = create_candidate(create_position(create_round()))
    scores = ["0.01", "78.5", "86.33", "99.99", "100"]
    for examiner, score in enumerate(scores, start=1):
        db.session.add(InterviewScore(candidate=candidate, examiner=examiner, score=Decimal(score)))
    db.session.commit()
    db.session.expire_all()

    stored = db.session.scalars(select(InterviewScore.score).order_by(InterviewScore.examiner))

    assert [str(score) for score in stored] == ["0.01", "78.50", "86.33", "99.99", "100.00"]


def test_timestamps_come_back_aware_utc(
    db: SQLAlchemy, create_round: Callable[..., Round]
) -> None:
    round_ = create_round(published_at=datetime(2026, 9, 1, 8, 30, tzinfo=UTC))
    db.session.commit()
    db.session.expire_all()

    assert round_.published_at == datetime(2026, 9, 1, 8, 30, tzinfo=UTC)
    assert round_.published_at.tzinfo is UTC
    assert round_.created_at.tzinfo is UTC


def test_round_settings_keep_strings_as_given(
    db: SQLAlchemy, create_round: Callable[..., Round]
) -> None:
    round_ = create_round(settings={"interview_ratio": "2", "weights": {"written": "0.40"}})
    db.session.commit()
    db.session.expire_all()

    assert round_.settings == {"interview_ratio": "2", "weights": {"written": "0.40"}}


def test_stale_round_save_is_refused(
    app, db: SQLAlchemy, create_round: Callable[..., Round]
) -> None:
    # Given a round edited and saved in another session after this one loaded it
    round_ = create_round()
    db.session.commit()
    other = db.session.session_factory()
    other.get(Round, round_.id).title = "changed elsewhere"
    other.commit()
    other.close()

    round_.title = "changed here"

    with pytest.raises(StaleDataError):
        db.session.commit()


def test_committee_ballots_have_random_keys_and_no_voter(
    db: SQLAlchemy, create_round: Callable[..., Round]
) -> None:
    vote = CommitteeVote(round=create_round(), members=11, present=10)
    vote.ballots = [CommitteeBallot(choices={"P01": ["C001"]}) for _ in range(3)]
    db.session.add(vote)
    db.session.commit()

    ids = [ballot.id for ballot in vote.ballots]
    assert len(set(ids)) == 3 and all(len(ballot_id) == 32 for ballot_id in ids)
    assert set(CommitteeBallot.__table__.columns.keys()) == {"id", "vote_id", "choices"}
