"""P16: fields a form does not have (`role`, `status`, `score`, `is_admin`, a version, another record's
id…) sent along with a real submission are ignored: the submission is stored as if they were not
there, and nothing they name changes (SECURITY.md).

Nine forms across the four packages: selection (new account, role change), exams (sign-up, online
registration, written scores), vetting (recommendation tally, inspection record) and publicity
(public complaint, supervision outcome). Each is checked in the database, not on the page.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import func, select

from exams.models import WrittenScore
from publicity.models import Complaint, ComplaintChannel, ComplaintKind, ComplaintOutcome
from selection.models import Role, Round, User
from selection.pipeline import Status
from selection.record.demo import OPEN_CODE, load_open_round
from selection.record.services import round_results
from tests.exams.test_candidates import A_ID, A_PHONE, PASSWORD, REGISTER, candidate_of, details, endorsement, \
    token_of
from tests.publicity.complaint_support import FORM, file_online
from tests.vetting.conftest import DAY, candidate
from vetting.models import InspectionRecord, RecommendationTally

Login = Callable[[FlaskClient, User], FlaskClient]
#: what an attacker adds to any form: roles, states, scores, flags, versions, ids of other records
ESCALATION = {"role": "admin", "is_admin": "1", "admin": "true", "active": "0", "status": "elected",
              "score": "100", "total": "100", "rank": "1", "approved": "1", "must_change_password": "0",
              "session_version": "99", "version_id": "99", "id": "1", "user_id": "1", "person_id": "1",
              "round_id": "999", "position_id": "999", "password_hash": "x", "created_at": "2000-01-01"}


def _engine_status(round_: Round, ref: str) -> Status:
    return next(r for r in round_results(round_, today=DAY).candidates if r.ref == ref).status


# ---------------------------------------------------------------- selection


def test_p16_a_new_staff_account_takes_only_its_form_fields(
        app: Flask, db: SQLAlchemy, create_account: Callable[..., User], login_as: Login) -> None:
    client = login_as(app.test_client(), create_account(Role.ADMIN, "org-admin"))

    response = client.post("/admin/users/new", data={
        **ESCALATION, "username": "wq", "display_name": "王强", "role": "inspector", "roles": "admin"})

    assert response.status_code == 201
    user = db.session.scalars(select(User).where(User.username == "wq")).one()
    assert (user.role, user.active, user.must_change_password, user.session_version, user.person_id) == (
        Role.INSPECTOR, True, True, 1, None)
    assert user.password_hash.startswith("$argon2id$")


def test_p16_a_role_change_changes_the_role_only(
        app: Flask, db: SQLAlchemy, create_account: Callable[..., User], login_as: Login) -> None:
    admin = create_account(Role.ADMIN, "org-admin")
    other = create_account(Role.INSPECTOR, "wq", display_name="王强")
    client = login_as(app.test_client(), admin)

    client.post(f"/admin/users/{other.id}/role", data={
        **ESCALATION, "role": "supervision", "username": "renamed", "display_name": "改名", "user_id": str(admin.id)})

    db.session.expire_all()
    assert (other.role, other.username, other.display_name, other.active) == (Role.SUPERVISION, "wq", "王强", True)
    assert other.session_version == 2  # bumped once by the role change itself (P10), not set to 99
    assert (admin.role, admin.username, admin.active, admin.session_version) == (Role.ADMIN, "org-admin", True, 1)


# ---------------------------------------------------------------- exams


@pytest.fixture
def open_round(db: SQLAlchemy) -> Round:
    round_ = load_open_round(today=DAY)
    db.session.commit()
    return round_


def test_p16_signing_up_makes_a_candidate_account_whatever_else_is_sent(
        app: Flask, db: SQLAlchemy, open_round: Round) -> None:
    response = app.test_client().post("/signup", data={
        **ESCALATION, "username": "root", "name": "王小明", "id_number": A_ID, "phone": A_PHONE, "email": "",
        "password": PASSWORD, "confirm": PASSWORD})

    assert response.status_code == 302
    user = db.session.scalars(select(User).where(User.display_name == "王小明")).one()
    assert (user.role, user.active, user.must_change_password, user.session_version) == (
        Role.CANDIDATE, True, False, 1)
    assert user.username != "root" and user.username.startswith("k") and user.person is not None


def test_p16_an_online_registration_stores_the_details_only(
        app: Flask, db: SQLAlchemy, open_round: Round) -> None:
    client = app.test_client()
    client.post("/signup", data={"name": "王小明", "id_number": A_ID, "phone": A_PHONE, "email": "",
                                 "password": PASSWORD, "confirm": PASSWORD})

    # the check step, then the submit step, each with the extras (a registration's ref, status, scores)
    checked = client.post(REGISTER, data={**ESCALATION, **details(), "ref": "X999", "written": "100"})
    submitted = client.post(REGISTER, data={**ESCALATION, "ref": "X999", "token": token_of(checked),
                                            **endorsement()}, content_type="multipart/form-data")

    assert submitted.status_code == 302
    registered = candidate_of(db, A_ID)
    assert registered is not None and registered.ref == "W001" and registered.round.code == OPEN_CODE
    assert registered.status is Status.REGISTERED and registered.position.code == "Q01"
    assert db.session.scalar(select(func.count()).select_from(WrittenScore)
                             .where(WrittenScore.candidate_id == registered.id)) == 0


def test_p16_the_written_score_grid_stores_the_typed_scores_of_its_own_candidates_only(
        app: Flask, db: SQLAlchemy, store_demo: Callable[..., Round], create_account: Callable[..., User],
        login_as: Login) -> None:
    # Given P04 at the written exam; C017 is P03's, not on P04's grid
    round_ = store_demo()
    client = login_as(app.test_client(), create_account(Role.ADMIN, "org-admin"))
    c030, c017 = candidate(db, round_, "C030"), candidate(db, round_, "C017")
    c017_scores = sorted((s.paper, s.score) for s in db.session.scalars(
        select(WrittenScore).where(WrittenScore.candidate_id == c017.id)))
    rows_before = db.session.scalar(select(func.count()).select_from(WrittenScore))

    client.post("/exams/rounds/DEMO-2026/positions/P04/written", data={
        **ESCALATION, "version-C030": c030.version_id, "score-C030-1": "75",
        "status-C030": "elected", "total-C030": "100", "rank-C030": "1", "interview-C030-1": "99",
        "score-C017-1": "100", "version-C017": c017.version_id, "absent-C017": "1"})

    db.session.expire_all()
    assert [s.score for s in db.session.scalars(
        select(WrittenScore).where(WrittenScore.candidate_id == c030.id))] == [75]
    assert db.session.scalar(select(func.count()).select_from(WrittenScore)) == rows_before + 1
    assert sorted((s.paper, s.score) for s in db.session.scalars(
        select(WrittenScore).where(WrittenScore.candidate_id == c017.id))) == c017_scores
    assert c030.status is _engine_status(round_, "C030") and c030.status is not Status.ELECTED


def test_p16_a_stale_or_forged_version_saves_nothing(
        app: Flask, db: SQLAlchemy, store_demo: Callable[..., Round], create_account: Callable[..., User],
        login_as: Login) -> None:
    round_ = store_demo()
    client = login_as(app.test_client(), create_account(Role.ADMIN, "org-admin"))
    c030 = candidate(db, round_, "C030")

    # a version from the future (as if to skip the stale check), and the real one under another name
    client.post("/exams/rounds/DEMO-2026/positions/P04/written", data={
        "version-C030": c030.version_id + 5, "version_id": c030.version_id, "score-C030-1": "75"})

    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(WrittenScore)
                             .where(WrittenScore.candidate_id == c030.id)) == 0


# ---------------------------------------------------------------- vetting


def test_p16_a_recommendation_tally_stores_the_counts_only(
        app: Flask, db: SQLAlchemy, store_demo: Callable[..., Round], create_account: Callable[..., User],
        login_as: Login) -> None:
    # Given P05's C035 awaiting its recommendation vote; C037's tally is on record already
    round_ = store_demo()
    client = login_as(app.test_client(), create_account(Role.ADMIN, "org-admin"))
    c035, c037 = candidate(db, round_, "C035"), candidate(db, round_, "C037")
    c037_tally = (c037.recommendation_tally.yes, c037.recommendation_tally.no)  # type: ignore[union-attr]

    client.post("/vetting/rounds/DEMO-2026/positions/P05/recommendation/C035", data={
        **ESCALATION, "yes": 40, "no": 5, "abstain": 5, "invalid": 0, "version": c035.version_id,
        "rate": "100", "passed": "1", "candidate_id": str(c037.id), "ref": "C037"})

    db.session.expire_all()
    stored = db.session.scalars(select(RecommendationTally).where(RecommendationTally.candidate_id == c035.id)).one()
    assert (stored.yes, stored.no, stored.abstain, stored.invalid) == (40, 5, 5, 0)
    assert (c037.recommendation_tally.yes, c037.recommendation_tally.no) == c037_tally  # type: ignore[union-attr]
    assert c035.status is _engine_status(round_, "C035") and c035.status is not Status.ELECTED


def test_p16_an_inspection_record_stores_findings_conclusion_and_rank_only(
        app: Flask, db: SQLAlchemy, store_demo: Callable[..., Round], create_account: Callable[..., User],
        login_as: Login) -> None:
    round_ = store_demo()
    client = login_as(app.test_client(), create_account(Role.ADMIN, "org-admin"))
    c020 = candidate(db, round_, "C020")
    records_before = db.session.scalar(select(func.count()).select_from(InspectionRecord))

    client.post("/vetting/rounds/DEMO-2026/positions/P03/inspection/C020", data={
        **ESCALATION, "de": "政治坚定", "neng": "业务熟练", "qin": "勤勉敬业", "ji": "实绩较好", "lian": "廉洁自律",
        "fit": "基本适合", "conclusion": "qualified", "rank": 3, "version": c020.version_id,
        "elected": "1", "approvals": "11", "submitted": "1", "team_id": "1", "candidate": "C017"})

    db.session.expire_all()
    record = db.session.scalars(select(InspectionRecord).where(InspectionRecord.candidate_id == c020.id)).one()
    assert (record.conclusion.value, record.rank) == ("qualified", 3)
    assert set(record.findings) == {"德", "能", "勤", "绩", "廉", "fit"}
    assert db.session.scalar(select(func.count()).select_from(InspectionRecord)) == records_before + 1
    assert c020.status is _engine_status(round_, "C020") and c020.status is not Status.ELECTED


# ---------------------------------------------------------------- publicity


def test_p16_a_public_complaint_is_filed_as_the_form_says_and_no_further(
        app: Flask, db: SQLAlchemy, store_demo: Callable[..., Round]) -> None:
    # Given C010 in publicity; C001 is another candidate
    round_ = store_demo()
    c010, c001 = candidate(db, round_, "C010"), candidate(db, round_, "C001")
    before = db.session.scalar(select(func.max(Complaint.id))) or 0

    response = file_online(app.test_client(), FORM, **ESCALATION, candidate="C001", candidate_id=str(c001.id),
                           received="2020-01-01", channel="phone", anonymous="0", outcome="founded_affecting",
                           concluded_on="2026-11-20", handler_id="1", handler="1", receipt="1234567890123456")

    assert response.status_code == 200
    [filed] = db.session.scalars(select(Complaint).where(Complaint.id > before)).all()
    assert (filed.candidate_id, filed.channel, filed.anonymous, filed.received) == (
        c010.id, ComplaintChannel.ONLINE, True, DAY)
    assert (filed.outcome, filed.concluded_on, filed.handler_id) == (None, None, None)


def test_p16_a_supervision_outcome_records_the_outcome_and_its_day_only(
        app: Flask, db: SQLAlchemy, store_demo: Callable[..., Round], create_account: Callable[..., User],
        login_as: Login) -> None:
    round_ = store_demo()
    staff_user = create_account(Role.SUPERVISION, "sup-1")
    staff = login_as(app.test_client(), staff_user)
    file_online(app.test_client(), FORM)
    complaint = db.session.scalars(select(Complaint).order_by(Complaint.id.desc())).first()
    assert complaint is not None
    c001 = candidate(db, round_, "C001")
    received = complaint.received

    staff.post(f"/supervision/complaints/{complaint.id}/outcome", data={
        **ESCALATION, "outcome": "unfounded", "concluded_on": DAY.isoformat(), "kind": "suggestion",
        "anonymous": "0", "candidate_id": str(c001.id), "handler_id": str(staff_user.id),
        "handler": str(staff_user.id), "received": "2020-01-01", "complainant_told_on": DAY.isoformat()})

    db.session.expire_all()
    assert (complaint.outcome, complaint.concluded_on) == (ComplaintOutcome.UNFOUNDED, DAY)
    assert (complaint.kind, complaint.anonymous, complaint.candidate.ref, complaint.received) == (
        ComplaintKind.ALLEGATION, True, "C010", received)
    assert (complaint.handler_id, complaint.complainant_told_on) == (None, None)

