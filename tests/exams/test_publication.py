"""Score publication, the public score query and score reviews in the browser (exams/publication.py).

The demo round stored at 2026-11-20 (P04 at the written exam: C026 86, C027 83, C028 80,
C029 77, C030 not entered), admission tickets W0001… for P04's candidates, and publication
times set around the real clock.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html import unescape
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import select

from exams.models import AdmissionTicket, ExamKind, ExamRoom, ScorePublication, ScoreReviewRequest, Seating, Venue
from selection.clock import TIMEZONE as ZONE
from selection.models import AuditEvent, Candidate, Role, Round
from selection.pipeline import Status
from selection.record.demo import demo_record
from selection.record.engine import compute
from selection.record.parse import parse_record
from selection.record.store import store_record
from selection.services import reveal_id_number, reveal_phone

QUERY = "/scores/query"
PUBLICATION = "/exams/rounds/DEMO-2026/publication"
REVIEWS = "/exams/rounds/DEMO-2026/score-reviews"


def _review_page(exam: str = "written") -> str:
    return f"/me/rounds/DEMO-2026/score-review/{exam}"


@pytest.fixture
def demo(db: SQLAlchemy) -> Round:
    record = parse_record(demo_record())
    round_ = store_record(record, compute(record), replace=False, actor="test")
    venue = Venue(round=round_, name="第一考点", address="市行政中心")
    room = ExamRoom(venue=venue, name="101", capacity=30)
    start = datetime(2026, 10, 10, 1, tzinfo=UTC)
    seating = Seating(round=round_, exam=ExamKind.WRITTEN, seed=7, ticket_prefix="W", starts_at=start,
                      ends_at=start + timedelta(hours=2))
    db.session.add_all([venue, room, seating])
    for seat, ref in enumerate(["C026", "C027", "C028", "C029", "C030"], 1):
        candidate = db.session.scalar(select(Candidate).where(Candidate.ref == ref))
        db.session.add(AdmissionTicket(seating=seating, candidate=candidate, room=room, seat=seat,
                                       number=f"W{seat:04d}"))
    db.session.commit()
    return round_


def _candidate(db: SQLAlchemy, ref: str) -> Candidate:
    return db.session.scalar(select(Candidate).where(Candidate.ref == ref))


def _publish(db: SQLAlchemy, round_: Round, exam: ExamKind = ExamKind.WRITTEN, *,
             opens: timedelta = -timedelta(hours=1)) -> ScorePublication:
    now = datetime.now(UTC)
    publication = ScorePublication(round=round_, exam=exam, publish_at=now + opens,
                                   review_until=now + opens + timedelta(days=3))
    db.session.add(publication)
    db.session.commit()
    return publication


def _text(response: Any) -> str:
    html = response.get_data(as_text=True)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html[html.index("<main"):])))


def _flashes(client: FlaskClient) -> list[str]:
    with client.session_transaction() as session:
        return [message for _category, message in session.get("_flashes", [])]


def _query(client: FlaskClient, ticket: str, id_number: str) -> Any:
    return client.post(QUERY, data={"ticket_number": ticket, "id_number": id_number})


@pytest.fixture
def candidate_client(app: Flask, demo: Round, create_account: Any, login_as: Any) -> Any:
    """``candidate_client(ref)``: a client logged in as the candidate `ref`'s own account."""

    def make(ref: str) -> FlaskClient:
        user = create_account(Role.CANDIDATE, f"ks-{ref.lower()}", person_id=_candidate_id(ref))
        return login_as(app.test_client(), user)

    def _candidate_id(ref: str) -> int:
        from selection.extensions import db
        return db.session.scalar(select(Candidate.person_id).where(Candidate.ref == ref))

    return make


@pytest.fixture
def admin(app: Flask, demo: Round, create_account: Any, login_as: Any) -> FlaskClient:
    return login_as(app.test_client(), create_account(Role.ADMIN, "zzb"))


# --- the public score query ------------------------------------------------------------------------


def test_query_page_reads_in_chinese_and_takes_a_ticket_and_an_id_number(client: FlaskClient, demo: Round) -> None:
    response = client.get(QUERY)

    assert response.status_code == 200
    text = _text(response)
    assert "成绩查询" in text and "准考证号" in text and "身份证号" in text


def test_a_wrong_id_and_a_wrong_ticket_get_the_same_generic_reply(client: FlaskClient, db: SQLAlchemy,
                                                                   demo: Round) -> None:
    # Given published scores
    _publish(db, demo)
    right_id = reveal_id_number(_candidate(db, "C026").person)
    other_id = reveal_id_number(_candidate(db, "C027").person)

    wrong_id = _query(client, "W0001", other_id)
    wrong_ticket = _query(client, "W0999", right_id)
    neither = _query(client, "X", "110101199001011234")

    assert wrong_id.status_code == wrong_ticket.status_code == neither.status_code == 200
    assert wrong_id.get_data() == wrong_ticket.get_data().replace(b"W0999", b"W0001")
    text = _text(wrong_id)
    assert "没有与该准考证号和身份证号相符的已公布成绩" in text
    for response in (wrong_id, wrong_ticket):
        html = response.get_data(as_text=True)
        assert right_id not in html and other_id not in html and "86.00" not in html
    assert wrong_id.headers["Cache-Control"] == "no-store"


def test_query_shows_nothing_before_publication_but_when(client: FlaskClient, db: SQLAlchemy, demo: Round) -> None:
    publication = _publish(db, demo, opens=timedelta(hours=2))
    c026 = _candidate(db, "C026")

    response = _query(client, "W0001", reveal_id_number(c026.person))

    text = _text(response)
    assert c026.name in text and "笔试成绩" in text and "公布" in text
    local = publication.publish_at.astimezone(ZONE)
    assert f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}" in text
    assert "86" not in text and "状态" not in text


def test_query_shows_published_scores_and_status_words_never_the_id_number(client: FlaskClient, db: SQLAlchemy,
                                                                           demo: Round) -> None:
    _publish(db, demo)
    c026 = _candidate(db, "C026")
    id_number = reveal_id_number(c026.person)

    response = _query(client, "w0001", id_number.lower())

    text = _text(response)
    assert c026.name in text and "86.00" in text and "状态 公开推荐通过" in text
    assert "面试成绩" in text and "尚未公布" in text
    html = response.get_data(as_text=True)
    assert id_number not in html and id_number.lower() not in html and reveal_phone(c026.person) not in html


def test_query_is_rate_limited_per_ticket(client: FlaskClient, db: SQLAlchemy, demo: Round) -> None:
    _publish(db, demo)
    wrong = reveal_id_number(_candidate(db, "C027").person)

    codes = [_query(client, "W0001", wrong).status_code for _n in range(6)]

    assert codes == [200] * 5 + [429]
    assert "成绩查询过于频繁" in _text(_query(client, "W0001", wrong))


# --- the candidate's review request -----------------------------------------------------------------


def test_candidate_files_a_review_and_reads_the_answer(candidate_client: Any, admin: FlaskClient, db: SQLAlchemy,
                                                       demo: Round) -> None:
    _publish(db, demo)
    client = candidate_client("C026")

    page = client.get(_review_page())
    filed = client.post(_review_page(), data={"reason": "第二大题似有漏评"})

    assert "申请复核" in _text(page) and "86.00" in _text(page)
    assert filed.status_code == 302 and _flashes(client) == ["成绩复核申请已提交。"]
    request = db.session.scalar(select(ScoreReviewRequest))
    assert _text(client.get(_review_page())).count("第二大题似有漏评") == 1

    # When staff answer it
    answered = admin.post(f"{REVIEWS}/{request.id}", data={"answer": "经复核,成绩无误。", "score-1": "86",
                                                           "version": _candidate(db, "C026").version_id})

    assert answered.status_code == 302
    text = _text(client.get(_review_page()))
    assert "经复核,成绩无误。" in text and "已答复" in text and "成绩未变" in text


def test_p13_candidate_a_cannot_see_or_file_candidate_bs_request(candidate_client: Any, db: SQLAlchemy,
                                                                 demo: Round) -> None:
    # Given B (C027) filed a review with a reason only B and staff may read
    _publish(db, demo)
    b = candidate_client("C027")
    b.post(_review_page(), data={"reason": "乙的理由:第三题"})
    a = candidate_client("C026")

    # When A opens and posts the same URL, with B's details tucked into the form
    page = a.get(_review_page())
    a.post(_review_page(), data={"reason": "甲的理由", "candidate_id": _candidate(db, "C027").id, "ref": "C027"})

    # Then A sees only A's page, and the request filed is A's own
    text = _text(page)
    assert "乙的理由" not in text and _candidate(db, "C027").name not in text and "83.00" not in text
    owners = {r.candidate.ref: r.reason for r in db.session.scalars(select(ScoreReviewRequest))}
    assert owners == {"C027": "乙的理由:第三题", "C026": "甲的理由"}


def test_a_candidate_of_another_round_gets_404(app: Flask, demo: Round, create_account: Any, login_as: Any) -> None:
    client = login_as(app.test_client(), create_account(Role.CANDIDATE, "ks-none"))

    assert client.get(_review_page()).status_code == 404
    assert client.get("/me/rounds/DEMO-2026/score-review/essay").status_code == 404


def test_a_request_outside_the_window_is_refused_with_the_reason(candidate_client: Any, db: SQLAlchemy,
                                                                 demo: Round) -> None:
    _publish(db, demo, opens=timedelta(hours=2))
    client = candidate_client("C026")

    page = client.get(_review_page())
    client.post(_review_page(), data={"reason": "提前申请"})

    assert "起可申请复核" in _text(page) and "<textarea" not in page.get_data(as_text=True)
    assert db.session.scalar(select(ScoreReviewRequest)) is None
    assert "起可申请复核" in _flashes(client)[0]


def test_staff_pages_are_the_organisation_departments(app: Flask, demo: Round, create_account: Any,
                                                      login_as: Any) -> None:
    for role in (Role.SUPERVISION, Role.INSPECTOR, Role.CANDIDATE):
        client = login_as(app.test_client(), create_account(role))
        assert [client.get(url).status_code for url in (PUBLICATION, REVIEWS, f"{REVIEWS}/1")] == [403] * 3
    staff = login_as(app.test_client(), create_account(Role.SUPERVISION))
    assert staff.get(_review_page()).status_code == 403


# --- staff: publication and answers ---------------------------------------------------------------------


def test_admin_sets_publication_in_beijing_time(admin: FlaskClient, db: SQLAlchemy, demo: Round) -> None:
    saved = admin.post(PUBLICATION, data={"exam": "written", "publish_at": "2026-11-25T09:00",
                                          "review_until": "2026-11-28T17:00"})
    refused = admin.post(PUBLICATION, data={"exam": "interview", "publish_at": "2026-12-05T09:00",
                                            "review_until": "2026-12-04T17:00"})

    assert saved.status_code == refused.status_code == 302
    publication = db.session.scalar(select(ScorePublication))
    assert publication.publish_at == datetime(2026, 11, 25, 1, 0, tzinfo=UTC)
    assert publication.review_until == datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
    assert _flashes(admin) == ["笔试成绩公布时间已保存。", "复核申请截止时间须晚于成绩公布时间。"]
    page = _text(admin.get(PUBLICATION))
    assert "2026年11月25日 09:00" in page and "2026年11月28日 17:00" in page
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "scores.publication")) is not None


def test_admin_answers_with_a_corrected_score(candidate_client: Any, admin: FlaskClient, db: SQLAlchemy,
                                              demo: Round) -> None:
    # Given every P04 written score in (C030 at 90) and C028 (80, not on the interview list) asking for a review
    c030 = _candidate(db, "C030")
    admin.post("/exams/rounds/DEMO-2026/positions/P04/written",
               data={"version-C030": c030.version_id, "score-C030-1": "90"})
    _publish(db, demo)
    client = candidate_client("C028")
    client.post(_review_page(), data={"reason": "请复核"})
    request = db.session.scalar(select(ScoreReviewRequest))

    listing = _text(admin.get(REVIEWS))
    form = admin.get(f"{REVIEWS}/{request.id}")
    answered = admin.post(f"{REVIEWS}/{request.id}", data={
        "answer": "复核发现漏计4分,已更正。", "score-1": "84", "version": _candidate(db, "C028").version_id})

    assert "C028" in listing and "待答复" in listing
    assert 'name="score-1" value="80.00"' in form.get_data(as_text=True)
    assert answered.status_code == 302
    db.session.expire_all()
    assert _candidate(db, "C028").status is Status.INTERVIEW_LIST
    text = _text(client.get(_review_page()))
    assert "由80.00更正为84.00" in text



def test_the_round_page_leads_to_publication_and_reviews(admin: FlaskClient, demo: Round) -> None:
    html = admin.get("/rounds/DEMO-2026").get_data(as_text=True)

    assert f'href="{PUBLICATION}"' in html and f'href="{REVIEWS}"' in html
