"""P20: casting in a committee ballot one does not belong to, or outside its open window, is
refused and consumes nothing (no ballot stored, the member's roll entry not marked voted)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import func, select

from selection.models import User
from vetting import committee, services
from vetting.models import CommitteeBallot, CommitteeVote

# the vetting fixtures: the demo round pinned at its date, P03 at the committee vote, seven members
from tests.vetting.conftest import DAY, store_demo, test_config  # noqa: F401
from tests.vetting.test_committee_online import _open, members, p03_at_vote  # noqa: F401

ADMIN = "org-admin"


def _ballots(db: SQLAlchemy) -> int:
    return db.session.scalar(select(func.count()).select_from(CommitteeBallot)) or 0


def _voted(sitting: CommitteeVote, member: User) -> bool:
    attendance = committee.attendance_of(sitting, member)
    return attendance is not None and attendance.voted


def test_p20_a_member_off_the_roll_is_refused_and_nothing_is_consumed(
        db: SQLAlchemy, p03_at_vote: object, members: list[User], client: FlaskClient,
        login_as: Callable[[FlaskClient, User], FlaskClient]) -> None:
    sitting = _open(db, p03_at_vote, members[:6])  # type: ignore[arg-type]
    before = _ballots(db)

    with pytest.raises(services.Refused):
        committee.cast_online_ballot(sitting, members[6], {"P03": ["C017"]}, today=DAY)
    db.session.rollback()
    response = login_as(client, members[6]).post(f"/committee/sittings/{sitting.id}",
                                                 data={"sitting": sitting.id, "part_P03": ["C017"]})

    assert response.status_code == 404
    assert _ballots(db) == before
    assert committee.attendance_of(sitting, members[6]) is None


def test_p20_an_absent_member_is_refused_and_nothing_is_consumed(db: SQLAlchemy, p03_at_vote: object,
                                                                 members: list[User]) -> None:
    sitting = _open(db, p03_at_vote, members, members[:6])  # type: ignore[arg-type]

    with pytest.raises(services.Refused):
        committee.cast_online_ballot(sitting, members[6], {"P03": ["C017"]}, today=DAY)
    db.session.rollback()

    assert _ballots(db) == 11 and not _voted(sitting, members[6])


def test_p20_after_the_close_a_ballot_is_refused_and_nothing_is_consumed(
        db: SQLAlchemy, p03_at_vote: object, members: list[User], client: FlaskClient,
        login_as: Callable[[FlaskClient, User], FlaskClient]) -> None:
    sitting = _open(db, p03_at_vote, members)  # type: ignore[arg-type]
    services.close_committee_sitting(sitting, actor=ADMIN, today=DAY)
    db.session.commit()

    response = login_as(client, members[0]).post(f"/committee/sittings/{sitting.id}?lang=en",
                                                 data={"sitting": sitting.id, "part_P03": ["C017"]})

    assert response.status_code == 422 and "count is closed" in response.text
    assert _ballots(db) == 11 and not _voted(sitting, members[0])


def test_p20_a_sitting_without_quorum_or_on_paper_takes_no_online_ballot(db: SQLAlchemy, p03_at_vote: object,
                                                                         members: list[User]) -> None:
    no_quorum = _open(db, p03_at_vote, members, members[:4])  # type: ignore[arg-type]
    with pytest.raises(services.Refused):
        committee.cast_online_ballot(no_quorum, members[0], {"P03": ["C017"]}, today=DAY)
    db.session.rollback()
    paper = db.session.scalars(select(CommitteeVote).where(CommitteeVote.online.is_(False))).first()
    assert paper is not None

    with pytest.raises(services.Refused):
        committee.cast_online_ballot(paper, members[0], {"P03": ["C017"]}, today=DAY)
    db.session.rollback()

    assert _ballots(db) == 11 and not _voted(no_quorum, members[0])


def test_p20_an_invalid_ballot_does_not_use_up_the_members_vote(db: SQLAlchemy, p03_at_vote: object,
                                                                members: list[User]) -> None:
    sitting = _open(db, p03_at_vote, members)  # type: ignore[arg-type]

    with pytest.raises(services.Refused):
        committee.cast_online_ballot(sitting, members[0], {"P03": ["C017", "C018", "C020"]}, today=DAY)
    db.session.rollback()
    assert not _voted(sitting, members[0])

    committee.cast_online_ballot(sitting, members[0], {"P03": ["C017"]}, today=DAY)
    db.session.commit()
    assert _ballots(db) == 12 and _voted(sitting, members[0])
