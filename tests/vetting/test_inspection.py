"""The inspection team at work (vetting.inspection), on SQLite and PostgreSQL: scope, conflicts of
interest (回避), the team's drafts, the leader's submission and the lock it puts on the records."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import func, select

from selection.models import AuditEvent, Role, Round, User
from selection.pipeline import Status
from selection.services import StaleEdit
from vetting import inspection, services
from vetting.inspection import Verdict
from vetting.models import InspectionSubmission, InspectionTeam
from vetting.rules import INSPECTION_QUALITIES, grade_key

from .conftest import DAY, candidate, p03_at_inspection_notice, position

pytestmark = pytest.mark.db

#: P03's inspection list in the demo (C019 is vetoed)
LISTED = ["C017", "C018", "C020", "C021"]


def _english(app: Flask, error: pytest.ExceptionInfo[Exception]) -> str:
    with app.test_request_context("/?lang=en"):
        return str(error.value)


def _events(db: SQLAlchemy, action: str) -> int:
    return db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == action)) or 0


def complete(ref: str, grade: str = "good") -> dict[str, str]:
    """A complete draft as the form sends it: a text and a grade code per quality, fit for the post."""
    entries = {key: f"{ref} {key} 情况" for key in (*INSPECTION_QUALITIES, "fit")}
    return entries | {grade_key(q): grade for q in INSPECTION_QUALITIES}


@pytest.fixture
def team(db: SQLAlchemy, store_demo: Callable[..., Round], create_account: Callable[..., User]) -> InspectionTeam:
    """The demo round with a team on P03: insp-lead (leader) and insp-member."""
    round_ = store_demo()
    lead, member = create_account(Role.INSPECTOR, "insp-lead"), create_account(Role.INSPECTOR, "insp-member")
    made = services.create_inspection_team(round_, name="第一考察组", leader=lead, members=[member],
                                           positions=[position(db, round_, "P03")], actor="org-admin", today=DAY)
    db.session.commit()
    return made


def _user(db: SQLAlchemy, username: str) -> User:
    return db.session.scalars(select(User).where(User.username == username)).one()


def _draft_all(db: SQLAlchemy, team: InspectionTeam, username: str = "insp-member") -> None:
    for ref in LISTED:
        c = candidate(db, team.round, ref)
        seen = c.inspection_draft.version if c.inspection_draft else 0
        inspection.save_draft(c, complete(ref), seen_version=seen, user=_user(db, username), today=DAY)


def _verdicts(**overrides: Verdict) -> dict[str, Verdict]:
    return {ref: Verdict("qualified", rank) for rank, ref in enumerate(LISTED, start=1)} | overrides


def test_scope_is_the_inspection_list_of_the_team_positions(db: SQLAlchemy, team: InspectionTeam,
                                                            create_account: Callable[..., User]) -> None:
    outsider = create_account(Role.INSPECTOR, "insp-other")

    seen = inspection.visible_candidates(_user(db, "insp-member"), today=DAY)

    assert [c.ref for c in seen] == LISTED
    assert inspection.visible_candidates(outsider, today=DAY) == []
    assert [c.ref for c in inspection.visible_candidates(_user(db, "insp-lead"), today=DAY, query="  ")] == LISTED
    name = candidate(db, team.round, "C020").name
    assert "C020" in [c.ref for c in inspection.visible_candidates(_user(db, "insp-lead"), today=DAY, query=name)]


def test_a_declared_conflict_hides_the_candidate_for_good(app: Flask, db: SQLAlchemy, team: InspectionTeam) -> None:
    member, c020 = _user(db, "insp-member"), candidate(db, team.round, "C020")

    inspection.declare_conflict(c020, user=member, reason="kinship", note="表兄弟", today=DAY)

    assert "C020" not in [c.ref for c in inspection.visible_candidates(member, today=DAY)]
    assert "C020" in [c.ref for c in inspection.visible_candidates(member, today=DAY, with_conflicts=True)]
    assert inspection.visible_candidate(member, c020.position, "C020", today=DAY) is None
    assert _events(db, "candidate.inspection_conflict") == 1
    trail = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "candidate.inspection_conflict")).one()
    assert "表兄弟" not in str(trail.after)
    with pytest.raises(services.Refused):
        inspection.save_draft(c020, complete("C020"), seen_version=0, user=member, today=DAY)
    with pytest.raises(services.Refused) as again:
        inspection.declare_conflict(c020, user=member, reason="other", note="x", today=DAY)
    assert "cannot be withdrawn" in _english(app, again)
    with pytest.raises(services.Refused):
        inspection.declare_conflict(candidate(db, team.round, "C021"), user=member, reason="other", note=" ",
                                    today=DAY)
    # the leader, who declared nothing, still sees C020
    assert "C020" in [c.ref for c in inspection.visible_candidates(_user(db, "insp-lead"), today=DAY)]


def test_no_conflict_with_a_candidate_outside_the_scope(db: SQLAlchemy, team: InspectionTeam) -> None:
    with pytest.raises(services.Refused):
        inspection.declare_conflict(candidate(db, team.round, "C019"), user=_user(db, "insp-member"),
                                    reason="same_unit", note="", today=DAY)  # vetoed: not on the list


def test_drafts_need_the_published_notice(app: Flask, db: SQLAlchemy, store_demo: Callable[..., Round],
                                          create_account: Callable[..., User]) -> None:
    round_ = store_demo(p03_at_inspection_notice)
    lead = create_account(Role.INSPECTOR, "insp-lead")
    services.create_inspection_team(round_, name="第一考察组", leader=lead, members=[],
                                    positions=[position(db, round_, "P03")], actor="org-admin", today=DAY)

    with pytest.raises(services.NoticeNotPublished) as refused:
        inspection.save_draft(candidate(db, round_, "C017"), complete("C017"), seen_version=0, user=lead, today=DAY)

    assert "The inspection notice for P03 is not published yet" in _english(app, refused)


def test_draft_saves_are_checked_against_the_version_seen(db: SQLAlchemy, team: InspectionTeam) -> None:
    member, lead, c017 = _user(db, "insp-member"), _user(db, "insp-lead"), candidate(db, team.round, "C017")

    draft = inspection.save_draft(c017, {"德": "政治坚定", grade_key("德"): "good"}, seen_version=0, user=member,
                                  today=DAY)
    assert (draft.version, draft.findings["德等次"], draft.updated_by.username) == (1, "好", "insp-member")
    db.session.commit()
    with pytest.raises(StaleEdit):  # the leader opened the page before the member's save
        inspection.save_draft(c017, {"能": "较强"}, seen_version=0, user=lead, today=DAY)
    db.session.rollback()
    inspection.save_draft(c017, {**inspection.draft_findings(c017), "能": "较强"} | {grade_key("德"): "good"},
                          seen_version=1, user=lead, today=DAY)

    assert (c017.inspection_draft.version, c017.inspection_draft.findings["能"]) == (2, "较强")
    assert _events(db, "candidate.inspection_draft") == 2
    with pytest.raises(services.Refused):
        inspection.save_draft(c017, {grade_key("廉"): "excellent"}, seen_version=2, user=lead, today=DAY)


def test_leader_submission_writes_the_records_and_locks_them(db: SQLAlchemy, team: InspectionTeam) -> None:
    # Given complete drafts for the four candidates on P03's list
    _draft_all(db, team)
    lead, p03 = _user(db, "insp-lead"), team.positions[0]

    # When the leader submits, C020 unqualified
    inspection.submit_inspection(p03, _verdicts(C020=Verdict("unqualified", 3)), user=lead, today=DAY)

    # Then every record is the team's draft with its grades, statuses follow, and all is locked
    c017, c020 = candidate(db, team.round, "C017"), candidate(db, team.round, "C020")
    assert c017.inspection_record.findings["德"] == "C017 德 情况"
    assert c017.inspection_record.findings["廉等次"] == "好"
    assert c020.status is Status.INSPECTION_UNQUALIFIED
    assert db.session.scalar(select(InspectionSubmission).where(InspectionSubmission.position_id == p03.id))
    assert _events(db, "position.inspection_submission") == 1
    with pytest.raises(services.InspectionLocked):
        inspection.save_draft(c017, complete("C017"), seen_version=1, user=lead, today=DAY)
    with pytest.raises(services.InspectionLocked):
        services.enter_inspection_record(c017, findings=complete("C017"), conclusion="qualified", rank=1,
                                         seen_version=c017.version_id, actor="org-admin", today=DAY)
    with pytest.raises(services.InspectionLocked):
        services.rerank_inspected(p03, {"C017": 2, "C018": 1}, {}, actor="org-admin", today=DAY)
    with pytest.raises(services.InspectionLocked):
        inspection.submit_inspection(p03, _verdicts(), user=lead, today=DAY)


def test_submission_needs_the_leader_complete_drafts_and_ranks_one_to_n(app: Flask, db: SQLAlchemy,
                                                                      team: InspectionTeam) -> None:
    p03, lead = team.positions[0], _user(db, "insp-lead")
    inspection.save_draft(candidate(db, team.round, "C017"), complete("C017"), seen_version=0,
                          user=_user(db, "insp-member"), today=DAY)

    with pytest.raises(services.Refused) as incomplete:
        inspection.submit_inspection(p03, _verdicts(), user=lead, today=DAY)
    assert "not complete for C018" in _english(app, incomplete) and "C017" not in _english(app, incomplete)
    _draft_all(db, team)
    with pytest.raises(services.Refused):
        inspection.submit_inspection(p03, _verdicts(), user=_user(db, "insp-member"), today=DAY)
    with pytest.raises(services.Refused) as shared:
        inspection.submit_inspection(p03, _verdicts(C021=Verdict("qualified", 1)), user=lead, today=DAY)
    assert "Rank 1 would be held by" in _english(app, shared)
    with pytest.raises(services.Refused):
        inspection.submit_inspection(p03, _verdicts(C021=Verdict("maybe", 4)), user=lead, today=DAY)
    assert db.session.scalar(select(func.count(InspectionSubmission.id))) == 0


def test_a_conflicted_leader_cannot_submit_until_an_admin_names_another(app: Flask, db: SQLAlchemy,
                                                                       team: InspectionTeam) -> None:
    _draft_all(db, team)
    lead, member, p03 = _user(db, "insp-lead"), _user(db, "insp-member"), team.positions[0]
    inspection.declare_conflict(candidate(db, team.round, "C018"), user=lead, reason="same_unit", note="",
                                today=DAY)

    with pytest.raises(services.Refused) as refused:
        inspection.submit_inspection(p03, _verdicts(), user=lead, today=DAY)
    assert "an admin must name another leader" in _english(app, refused)
    with pytest.raises(services.Refused):
        inspection.change_team_leader(team, lead, actor="org-admin")  # already the leader
    inspection.change_team_leader(team, member, actor="org-admin")
    with pytest.raises(services.Refused):  # the old leader, conflicted, cannot be named again
        inspection.change_team_leader(team, lead, actor="org-admin")
    inspection.submit_inspection(p03, _verdicts(), user=member, today=DAY)

    assert _events(db, "round.inspection_team_leader") == 1
    assert [c.candidate.ref for c in inspection.team_conflicts(team)] == ["C018"]
