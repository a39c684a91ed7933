"""The committee vote online (网上差额票决): roll and quorum, members casting, participation, the
revote of a tie, and results equal to what `round results` computes from the exported record."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError

from selection.models import AuditEvent, Role, Round, User
from selection.pipeline import Stage
from selection.record.engine import compute
from selection.record.parse import parse_record
from selection.record.services import close_position_stage, round_results
from vetting import committee, services
from vetting.models import CommitteeAttendance, CommitteeBallot, CommitteeVote, VoteKind

from .conftest import DAY, candidate, position

ADMIN = "org-admin"
#: P03 (two posts) once C020 and C021 are inspected: its vote list is C017, C018, C020
VOTE_LIST = ["C017", "C018", "C020"]
#: seven members, all present: C017 6, C018 4, C020 4 → C017 elected, C018 and C020 tie for the other seat
TIE = [["C017", "C018"]] * 3 + [["C017", "C020"]] * 3 + [["C018", "C020"]]


def _inspect(db: SQLAlchemy, round_: Round, ref: str, rank: int) -> None:
    c = candidate(db, round_, ref)
    services.enter_inspection_record(c, findings={k: f"{ref} {k}" for k in ("德", "能", "勤", "绩", "廉", "fit")},
                                     conclusion="qualified", rank=rank, seen_version=c.version_id, actor=ADMIN,
                                     today=DAY)


@pytest.fixture
def p03_at_vote(db: SQLAlchemy, store_demo: Callable[..., Round]) -> Round:
    """The demo round with P03 at the committee vote (vote list C017, C018, C020)."""
    round_ = store_demo()
    _inspect(db, round_, "C020", 3)
    _inspect(db, round_, "C021", 4)
    p03 = position(db, round_, "P03")
    close_position_stage(p03, Stage.INSPECTION, actor=ADMIN, today=DAY)
    close_position_stage(p03, Stage.VOTE_LIST, actor=ADMIN, today=DAY)
    db.session.commit()
    return round_


@pytest.fixture
def members(db: SQLAlchemy, create_account: Callable[..., User]) -> list[User]:
    return [create_account(Role.COMMITTEE_MEMBER, f"member-{n}") for n in range(1, 8)]


def _open(db: SQLAlchemy, round_: Round, roll: list[User], present: list[User] | None = None, *,
          revote: bool = False) -> CommitteeVote:
    sitting = committee.open_online_sitting(round_, roll=roll, present=roll if present is None else present,
                                            positions=[position(db, round_, "P03")], revote=revote, actor=ADMIN,
                                            today=DAY)
    db.session.commit()
    return sitting


def _cast(db: SQLAlchemy, sitting: CommitteeVote, member: User, refs: list[str]) -> None:
    committee.cast_online_ballot(sitting, member, {"P03": refs}, today=DAY)
    db.session.commit()


def _p03(round_: Round) -> Any:
    return next(p for p in round_results(round_, today=DAY).positions if p.code == "P03")


def _ballots(db: SQLAlchemy) -> int:
    return db.session.scalar(select(func.count()).select_from(CommitteeBallot)) or 0


def _english(app: Flask, error: pytest.ExceptionInfo[Exception]) -> str:
    with app.test_request_context("/?lang=en"):
        return str(error.value)


# --- opening: roll, presence, quorum ----------------------------------------------------------


def test_a_sitting_is_opened_with_its_roll_and_who_is_present(db: SQLAlchemy, p03_at_vote: Round,
                                                               members: list[User]) -> None:
    sitting = _open(db, p03_at_vote, members, members[:5])

    assert (sitting.online, sitting.kind, sitting.members, sitting.present) == (True, VoteKind.MAIN, 7, 5)
    assert sitting.positions == ["P03"]
    roll = {a.user.username: (a.present, a.voted) for a in sitting.attendance}
    assert roll == {f"member-{n}": (n <= 5, False) for n in range(1, 8)}
    assert committee.sittings_for(members[0]) == [sitting]
    assert committee.sittings_for(members[6]) == []  # on the roll but absent


def test_the_roll_takes_only_committee_members_and_present_must_be_on_it(
        app: Flask, db: SQLAlchemy, p03_at_vote: Round, members: list[User],
        create_account: Callable[..., User]) -> None:
    inspector = create_account(Role.INSPECTOR, "an-inspector")
    with pytest.raises(services.Refused) as not_member:
        committee.open_online_sitting(p03_at_vote, roll=[*members, inspector], present=members,
                                      positions=[position(db, p03_at_vote, "P03")], revote=False, actor=ADMIN,
                                      today=DAY)
    with pytest.raises(services.Refused) as not_on_roll:
        committee.open_online_sitting(p03_at_vote, roll=members[:5], present=members,
                                      positions=[position(db, p03_at_vote, "P03")], revote=False, actor=ADMIN,
                                      today=DAY)

    assert "Only active committee members" in _english(app, not_member)
    assert "not on the roll" in _english(app, not_on_roll)
    assert db.session.scalar(select(func.count()).select_from(CommitteeVote)) == 1  # the demo's paper sitting


def test_a_sitting_without_quorum_is_recorded_and_takes_no_ballot(app: Flask, db: SQLAlchemy, p03_at_vote: Round,
                                                                  members: list[User]) -> None:
    # 4 of 7 present: 3 × 4 = 12 < 14
    sitting = _open(db, p03_at_vote, members, members[:4])

    with pytest.raises(services.Refused) as refused:
        committee.cast_online_ballot(sitting, members[0], {"P03": ["C017"]}, today=DAY)
    db.session.rollback()
    services.close_committee_sitting(sitting, actor=ADMIN, today=DAY)

    assert "no quorum (4 of 7 present)" in _english(app, refused)
    assert _ballots(db) == 11  # the demo's paper ballots only
    assert not committee.attendance_of(sitting, members[0]).voted  # type: ignore[union-attr]
    assert _p03(p03_at_vote).vote_status == "no_quorum"


# --- casting ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("refs", "reason"), [
    (["C017", "C018", "C020"], "3 candidates ticked, but a ballot approves at most 2"),
    (["C021"], "only candidates on its vote list"),
    (["C017", "C017"], "ticked twice"),
])
def test_a_ballot_breaking_the_limits_is_refused_and_nothing_is_stored(
        app: Flask, db: SQLAlchemy, p03_at_vote: Round, members: list[User], refs: list[str], reason: str) -> None:
    sitting = _open(db, p03_at_vote, members)

    with pytest.raises(services.Refused) as refused:
        committee.cast_online_ballot(sitting, members[0], {"P03": refs}, today=DAY)
    db.session.rollback()

    assert reason in _english(app, refused)
    assert _ballots(db) == 11
    assert not committee.attendance_of(sitting, members[0]).voted  # type: ignore[union-attr]


def test_one_ballot_per_member_and_participation_apart_from_ballots(app: Flask, db: SQLAlchemy, p03_at_vote: Round,
                                                                     members: list[User]) -> None:
    sitting = _open(db, p03_at_vote, members, members[:6])
    _cast(db, sitting, members[0], ["C017"])
    _cast(db, sitting, members[1], [])

    with pytest.raises(services.Refused) as again:
        committee.cast_online_ballot(sitting, members[0], {"P03": ["C018"]}, today=DAY)
    db.session.rollback()

    assert "You have voted" in _english(app, again)
    assert _ballots(db) == 11 + 2
    taking = committee.participation(sitting)
    assert [u.username for u in taking.voted] == ["member-1", "member-2"]
    assert [u.username for u in taking.not_voted] == ["member-3", "member-4", "member-5", "member-6"]
    assert [u.username for u in taking.absent] == ["member-7"]
    # a ballot row has a random key, the sitting and the choices: nothing names a member or a time
    assert set(CommitteeBallot.__table__.columns.keys()) == {"id", "vote_id", "choices"}
    # the audit trail says who cast, never what
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "committee.online_ballot")).all()
    assert [e.actor for e in events] == ["member-1", "member-2"]
    assert all("C01" not in json.dumps(e.after) for e in events)


def test_ballots_are_kept_in_key_order_not_casting_order(db: SQLAlchemy, p03_at_vote: Round,
                                                         members: list[User]) -> None:
    sitting = _open(db, p03_at_vote, members)
    for member in members:
        _cast(db, sitting, member, ["C017"])

    stored = list(db.session.scalars(select(CommitteeBallot.id).where(CommitteeBallot.vote_id == sitting.id)))

    assert len(stored) == 7 and stored == sorted(stored)


def test_nothing_of_an_open_sitting_shows_before_close(db: SQLAlchemy, p03_at_vote: Round,
                                                       members: list[User]) -> None:
    sitting = _open(db, p03_at_vote, members)
    for member, refs in zip(members, TIE, strict=True):
        _cast(db, sitting, member, refs)

    assert _p03(p03_at_vote).vote_status is None
    assert {r.ref: r.approvals for r in round_results(p03_at_vote, today=DAY).candidates if r.ref in VOTE_LIST} == \
        dict.fromkeys(VOTE_LIST)


@pytest.mark.db
def test_ten_concurrent_casts_by_one_member_store_one_ballot(app: Flask, db: SQLAlchemy, p03_at_vote: Round,
                                                             members: list[User]) -> None:
    sitting_id = _open(db, p03_at_vote, members).id
    member_id = members[0].id
    outcomes: list[str] = []
    start = threading.Barrier(10)

    def cast() -> None:
        with app.app_context():
            session = db.session
            sitting, member = session.get(CommitteeVote, sitting_id), session.get(User, member_id)
            start.wait()
            try:
                committee.cast_online_ballot(sitting, member, {"P03": ["C017"]}, today=DAY)  # type: ignore[arg-type]
                session.commit()
                outcomes.append("cast")
            except (services.Refused, DBAPIError):
                session.rollback()
                outcomes.append("refused")
            finally:
                session.remove()

    threads = [threading.Thread(target=cast) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert sorted(outcomes) == ["cast"] + ["refused"] * 9
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(CommitteeBallot)
                             .where(CommitteeBallot.vote_id == sitting_id)) == 1
    assert db.session.get(CommitteeAttendance, (sitting_id, member_id)).voted  # type: ignore[union-attr]


@pytest.mark.db
def test_members_casting_at_once_each_get_their_ballot_in(app: Flask, db: SQLAlchemy, p03_at_vote: Round,
                                                          members: list[User]) -> None:
    # SQLite has one writer: the casts wait their turn (busy_timeout) rather than fail
    sitting_id = _open(db, p03_at_vote, members).id
    member_ids = [m.id for m in members]
    outcomes: list[str] = []
    start = threading.Barrier(len(member_ids))

    def cast(member_id: int) -> None:
        with app.app_context():
            session = db.session
            sitting, member = session.get(CommitteeVote, sitting_id), session.get(User, member_id)
            start.wait()
            try:
                committee.cast_online_ballot(sitting, member, {"P03": ["C018"]}, today=DAY)  # type: ignore[arg-type]
                session.commit()
                outcomes.append("cast")
            except Exception as error:  # noqa: BLE001 - any failure is what this test is about
                session.rollback()
                outcomes.append(repr(error))
            finally:
                session.remove()

    threads = [threading.Thread(target=cast, args=(i,)) for i in member_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert outcomes == ["cast"] * 7
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(CommitteeBallot)
                             .where(CommitteeBallot.vote_id == sitting_id)) == 7


# --- close, tie, revote, results ------------------------------------------------------------------


def _exported_results(app: Flask) -> dict[str, Any]:
    """What `round results` computes from `round export`: the stored round as a record, read back."""
    runner = app.test_cli_runner()
    exported = runner.invoke(args=["round", "export", "DEMO-2026"])
    assert exported.exit_code == 0, exported.output
    return compute(parse_record(json.loads(exported.output))).as_json()


def test_a_tie_is_revoted_among_the_tied_and_the_results_equal_the_exported_records(
        app: Flask, db: SQLAlchemy, p03_at_vote: Round, members: list[User]) -> None:
    # Given a main sitting whose ballots leave C018 and C020 tied for P03's second seat
    main = _open(db, p03_at_vote, members)
    for member, refs in zip(members, TIE, strict=True):
        _cast(db, main, member, refs)
    services.close_committee_sitting(main, actor=ADMIN, today=DAY)
    db.session.commit()
    p03 = _p03(p03_at_vote)
    assert (p03.vote_status, p03.elected, p03.tie_revote) == ("ok", ["C017"], ["C018", "C020"])
    assert committee.revotable_positions(p03_at_vote, round_results(p03_at_vote, today=DAY)) == \
        [position(db, p03_at_vote, "P03")]
    # a main sitting cannot take the tie, and a revote needs a tie
    with pytest.raises(services.Refused):
        _open(db, p03_at_vote, members)

    # When a revote sitting (six present) is held among the tied only, for the one open seat
    revote = _open(db, p03_at_vote, members, members[:6], revote=True)
    assert revote.kind is VoteKind.REVOTE
    lists = committee.ballot_lists(revote, round_results(p03_at_vote, today=DAY))
    assert [(b.refs, b.seats) for b in lists] == [(["C018", "C020"], 1)]
    with pytest.raises(services.Refused):  # C017 is already elected: not on the revote's list
        committee.cast_online_ballot(revote, members[0], {"P03": ["C017"]}, today=DAY)
    db.session.rollback()
    with pytest.raises(services.Refused):  # one seat, two ticked
        committee.cast_online_ballot(revote, members[0], {"P03": ["C018", "C020"]}, today=DAY)
    db.session.rollback()
    for member in members[:5]:
        _cast(db, revote, member, ["C018"])
    _cast(db, revote, members[5], ["C020"])
    services.close_committee_sitting(revote, actor=ADMIN, today=DAY)
    db.session.commit()

    # Then C018 takes the seat, C020 is not elected, and the round's results are the record's
    p03 = _p03(p03_at_vote)
    assert (p03.vote_status, p03.elected, p03.tie_revote) == ("ok", ["C017", "C018"], [])
    statuses = {r.ref: r.status.value for r in round_results(p03_at_vote, today=DAY).candidates}
    assert [statuses[ref] for ref in VOTE_LIST] == ["elected", "elected", "not_elected"]
    assert candidate(db, p03_at_vote, "C020").status.value == "not_elected"  # stored statuses refreshed
    assert round_results(p03_at_vote, today=DAY).as_json() == _exported_results(app)
    close_position_stage(position(db, p03_at_vote, "P03"), Stage.COMMITTEE_VOTE, actor=ADMIN, today=DAY)


def test_a_revote_cannot_open_without_a_tie(app: Flask, db: SQLAlchemy, p03_at_vote: Round,
                                            members: list[User]) -> None:
    with pytest.raises(services.Refused) as refused:
        _open(db, p03_at_vote, members, revote=True)

    assert "P03 has no tie to revote" in _english(app, refused)


def test_a_paper_ballot_is_refused_in_an_online_sitting(db: SQLAlchemy, p03_at_vote: Round,
                                                        members: list[User]) -> None:
    sitting = _open(db, p03_at_vote, members)

    with pytest.raises(services.Refused):
        services.cast_paper_ballot(sitting, {"P03": ["C017"]}, actor=ADMIN, today=DAY)


# --- pages ------------------------------------------------------------------------------------


def _login(client: FlaskClient, login_as: Callable[[FlaskClient, User], FlaskClient], user: User) -> FlaskClient:
    return login_as(client, user)


def test_the_admin_opens_an_online_sitting_and_follows_participation(
        db: SQLAlchemy, p03_at_vote: Round, members: list[User], admin_client: FlaskClient) -> None:
    form = admin_client.get("/vetting/rounds/DEMO-2026/committee/online?lang=en")
    assert form.status_code == 200 and "member-7" in form.text

    opened = admin_client.post("/vetting/rounds/DEMO-2026/committee/online", data={
        "roll": [m.id for m in members], "present": [m.id for m in members[:6]], "positions": ["P03"]})

    assert opened.status_code == 302
    sitting = db.session.scalars(select(CommitteeVote).where(CommitteeVote.online.is_(True))).one()
    assert (sitting.members, sitting.present, sitting.kind) == (7, 6, VoteKind.MAIN)
    committee.cast_online_ballot(sitting, members[2], {"P03": ["C017"]}, today=DAY)
    db.session.commit()
    page = admin_client.get(f"/vetting/rounds/DEMO-2026/committee/sittings/{sitting.id}/participation?lang=en")
    assert page.status_code == 200
    assert "Voted: 1" in page.text and "Present, not voted: 5" in page.text and "Absent: 1" in page.text
    assert "C017" not in page.text
    session_page = admin_client.get("/vetting/rounds/DEMO-2026/committee?lang=en")
    assert "Online: who has voted" in session_page.text
    assert 'name="part_P03"' not in session_page.text  # no paper ballot form for an online sitting


def test_the_admin_form_refuses_an_unknown_member(db: SQLAlchemy, p03_at_vote: Round, members: list[User],
                                                  admin_client: FlaskClient) -> None:
    response = admin_client.post("/vetting/rounds/DEMO-2026/committee/online?lang=en", data={
        "roll": [m.id for m in members] + [999], "present": [members[0].id], "positions": ["P03"]},
        follow_redirects=True)

    assert "Not a valid choice" in response.text or "not a valid choice" in response.text.lower()
    assert db.session.scalar(select(func.count()).select_from(CommitteeVote)) == 1


def test_an_empty_post_opens_no_sitting(db: SQLAlchemy, p03_at_vote: Round, admin_client: FlaskClient) -> None:
    # P22: with no body at all Flask-WTF gives the form no data, and the lists of ticks were None
    before = db.session.scalar(select(func.count()).select_from(CommitteeVote))

    response = admin_client.post("/vetting/rounds/DEMO-2026/committee/online")

    assert response.status_code == 302
    assert db.session.scalar(select(func.count()).select_from(CommitteeVote)) == before


def test_a_member_casts_on_the_ballot_page_and_a_bad_ballot_is_refused_there(
        db: SQLAlchemy, p03_at_vote: Round, members: list[User], client: FlaskClient,
        login_as: Callable[[FlaskClient, User], FlaskClient]) -> None:
    sitting = _open(db, p03_at_vote, members)
    member = login_as(client, members[0])
    listing = member.get("/committee?lang=en")
    assert listing.status_code == 200 and f"/committee/sittings/{sitting.id}" in listing.text
    assert listing.headers["Cache-Control"] == "no-store"

    too_many = member.post(f"/committee/sittings/{sitting.id}?lang=en",
                           data={"sitting": sitting.id, "part_P03": ["C017", "C018", "C020"]})
    assert too_many.status_code == 422
    assert "3 candidates ticked, but a ballot approves at most 2" in too_many.text
    assert _ballots(db) == 11

    cast = member.post(f"/committee/sittings/{sitting.id}?lang=en", data={"sitting": sitting.id,
                                                                          "part_P03": ["C017"]})
    assert cast.status_code == 302
    after = member.get(f"/committee/sittings/{sitting.id}?lang=en")
    assert "You have voted" in after.text and 'name="part_P03"' not in after.text
    assert _ballots(db) == 12


def test_a_member_off_the_roll_finds_no_sitting(db: SQLAlchemy, p03_at_vote: Round, members: list[User],
                                                client: FlaskClient,
                                                login_as: Callable[[FlaskClient, User], FlaskClient]) -> None:
    sitting = _open(db, p03_at_vote, members[:6])
    outsider = login_as(client, members[6])

    assert outsider.get(f"/committee/sittings/{sitting.id}").status_code == 404
    assert outsider.post(f"/committee/sittings/{sitting.id}",
                         data={"sitting": sitting.id, "part_P03": ["C017"]}).status_code == 404
    assert _ballots(db) == 11


# --- the briefing: findings and fit, never a score -------------------------------------------------


def _score_strings(value: Decimal | None) -> set[str]:
    """A score as a page could print it: "78.50", and "78.5" when that differs."""
    if value is None:
        return set()
    shown = {f"{value:.2f}"}
    if value != value.to_integral_value():
        shown.add(format(value.normalize(), "f"))
    return shown


@pytest.mark.parametrize("lang", ["en", "zh_Hans_CN"])
def test_the_briefing_and_ballot_never_show_a_score(db: SQLAlchemy, p03_at_vote: Round, members: list[User],
                                                    client: FlaskClient, lang: str,
                                                    login_as: Callable[[FlaskClient, User], FlaskClient]) -> None:
    # Given C017's findings carry grades as a team's submitted record does
    record = candidate(db, p03_at_vote, "C017").inspection_record
    record.findings = {**record.findings, "德等次": "good", "廉等次": "fairly_good"}  # type: ignore[union-attr]
    db.session.commit()
    sitting = _open(db, p03_at_vote, members)
    member = login_as(client, members[0])

    pages = [member.get(f"/committee/sittings/{sitting.id}?lang={lang}").text,
             member.post(f"/committee/sittings/{sitting.id}?lang={lang}",
                         data={"sitting": sitting.id, "part_P03": ["C021"]}).text]  # refused: shows the page again

    results = round_results(p03_at_vote, today=DAY)
    forbidden: set[str] = set()
    for r in results.candidates:
        if r.ref.startswith("C0") and candidate(db, p03_at_vote, r.ref).position.code == "P03":
            for value in (r.written, r.interview, r.evaluation, r.performance, r.total):
                forbidden |= _score_strings(value)
            if r.recommendation_rate is not None:
                forbidden |= _score_strings(Decimal(r.recommendation_rate.numerator * 100)
                                            / r.recommendation_rate.denominator)
    assert len(forbidden) > 20
    words = {"en": ["Written", "Interview", "Total", "Rank", "Approvals", "Recommendation", "score"],
             "zh_Hans_CN": ["笔试", "面试", "总成绩", "排名", "名次", "得票", "推荐", "成绩"]}[lang]
    for html in pages:
        for ref in VOTE_LIST:
            c = candidate(db, p03_at_vote, ref)
            assert c.name in html and c.current_post in html and c.inspection_record.findings["fit"] in html  # type: ignore[union-attr]
        assert candidate(db, p03_at_vote, "C021").name not in html  # not on the vote list
        assert [s for s in forbidden if s in html] == []
        assert [w for w in words if w in html] == []
    assert ("Good" if lang == "en" else "好") in pages[0]


def test_after_a_tie_the_committee_page_offers_the_revote_of_the_tied_only(
        db: SQLAlchemy, p03_at_vote: Round, members: list[User], admin_client: FlaskClient) -> None:
    main = _open(db, p03_at_vote, members)
    for member, refs in zip(members, TIE, strict=True):
        _cast(db, main, member, refs)
    services.close_committee_sitting(main, actor=ADMIN, today=DAY)
    db.session.commit()

    page = admin_client.get("/vetting/rounds/DEMO-2026/committee?lang=en")
    form = admin_client.get("/vetting/rounds/DEMO-2026/committee/online?revote=1&lang=en")
    opened = admin_client.post("/vetting/rounds/DEMO-2026/committee/online", data={
        "roll": [m.id for m in members], "present": [m.id for m in members], "positions": ["P03"], "revote": "y"})

    assert 'id="revote-P03"' in page.text and "Open the revote" in page.text
    assert "Open the revote online" in form.text and 'value="P03"' in form.text
    assert opened.status_code == 302
    revote = db.session.scalars(select(CommitteeVote).order_by(CommitteeVote.id.desc())).first()
    assert revote is not None and (revote.kind, revote.online, revote.members) == (VoteKind.REVOTE, True, 7)
    assert 'id="revote-P03"' not in admin_client.get("/vetting/rounds/DEMO-2026/committee").text  # counting now
