"""The candidate's own pages (exams/candidates.py): signing up, registering online, the letter, /me.

Through the test client, on the demo's round open for registration (`DEMO-OPEN`, set up by
`load_open_round` with the clock at 2026-11-21: registration from 2026-11-18 to 2026-12-05,
the cut-off date 2026-12-05). P13: a candidate reaches only their own registration, letter
and status; P18: nothing of a complaint reaches the candidate complained about.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from html import unescape
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_sqlalchemy import SQLAlchemy
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import func, select

from exams.models import ExamKind, QualificationReview, ReviewDecision, ScorePublication
from selection.models import AuditEvent, Candidate, Person, Position, Role, Round, StoredFile, User
from selection.pipeline import Stage, Status
from selection.record.demo import DEMO_CODE, OPEN_CODE, demo_record, load_open_round
from selection.record.engine import compute
from selection.record.parse import parse_record
from selection.record.store import store_record
from selection.record.services import round_results
from selection.rules import exact_percent, id_check_digit

DAY = "2026-11-21"
REGISTER = f"/me/rounds/{OPEN_CODE}/register"
PASSWORD = "a-long-passphrase-2026"
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64


def id_number(first17: str) -> str:
    return first17 + id_check_digit(first17)


#: two people: A born 1990-03-07 (male), B born 1992-08-15 (female)
A_ID, B_ID = id_number("11010119900307003"), id_number("31010419920815002")
A_PHONE, B_PHONE = "13912345678", "13787654321"


def details(**changes: str) -> dict[str, str]:
    """A's registration form for Q01 (at most 40 years old, bachelor, 2 years in rank)."""
    return {"version": "", "position": "Q01", "name": "王小明", "sex": "male", "birth_date": "1990-03-07",
            "education": "bachelor", "unit": "市财政局", "current_post": "预算科副科长",
            "current_post_since": "2021-03-01", "rank": "副科级", "rank_since": "2020-01-01", **changes}


def b_details(**changes: str) -> dict[str, str]:
    return details(name="李小红", sex="female", birth_date="1992-08-15", unit="市教育局", current_post="办公室副主任",
                   **changes)


def endorsement(**changes: Any) -> dict[str, Any]:
    return {"endorsement_mode": "upload", "endorsement_unit": "市财政局党组", "endorsement_date": "2026-11-19",
            "endorsement_document": "财党函〔2026〕8号", "letter": (io.BytesIO(PDF), "同意报考证明.pdf"), **changes}


def text(response: Any) -> str:
    html = response.get_data(as_text=True)
    html = html[html.index("<main"):html.index("</main>")]
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def flashes(client: FlaskClient) -> list[str]:
    with client.session_transaction() as session:
        return [message for _category, message in session.get("_flashes", [])]


def token_of(response: Any) -> str:
    found = re.search(r'name="token" type="hidden" value="([^"]+)"', response.get_data(as_text=True))
    assert found, "the page offers no submit form"
    return found.group(1)


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    return make_app(TODAY=DAY)


@pytest.fixture
def open_round(db: SQLAlchemy) -> Round:
    round_ = load_open_round(today=date.fromisoformat(DAY))
    db.session.commit()
    return round_


def sign_up(app: Flask, number: str = A_ID, phone: str = A_PHONE, name: str = "王小明") -> FlaskClient:
    client = app.test_client()
    response = client.post("/signup", data={"name": name, "id_number": number, "phone": phone, "email": "",
                                            "password": PASSWORD, "confirm": PASSWORD})
    assert response.status_code == 302, text(response)
    return client


def check(client: FlaskClient, form: dict[str, str] | None = None) -> Any:
    return client.post(REGISTER, data=form or details())


def submit(client: FlaskClient, token: str, **fields: Any) -> Any:
    return client.post(REGISTER, data={"token": token, **(fields or endorsement())}, content_type="multipart/form-data")


def register(client: FlaskClient, form: dict[str, str] | None = None, **fields: Any) -> Any:
    checked = check(client, form)
    assert checked.status_code == 200, text(checked)
    return submit(client, token_of(checked), **fields)


def candidate_of(db: SQLAlchemy, number: str) -> Candidate | None:
    from selection.crypto import blind_index
    person = db.session.scalar(select(Person).where(Person.id_number_index == blind_index(number, purpose="id_number")))
    if person is None:
        return None
    return db.session.scalar(select(Candidate).where(Candidate.person_id == person.id))


def count(db: SQLAlchemy, model: type) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


# ---------------------------------------------------------------- signing up


def test_signup_page_is_chinese_and_creates_an_account_logged_in(app: Flask, db: SQLAlchemy, open_round: Round) -> None:
    page = app.test_client().get("/signup")
    assert page.status_code == 200 and "考生注册" in text(page) and "身份证号码" in text(page)

    client = app.test_client()
    response = client.post(f"/signup?next={REGISTER}", data={
        "name": "王小明", "id_number": A_ID.lower(), "phone": A_PHONE, "email": "", "password": PASSWORD,
        "confirm": PASSWORD})

    assert response.status_code == 302 and response.location == REGISTER
    assert "账户已开通" in flashes(client)[0]
    assert client.get(REGISTER).status_code == 200  # logged in as the new candidate


def test_signup_ignores_a_next_that_leaves_the_site(app: Flask, db: SQLAlchemy) -> None:
    response = app.test_client().post("/signup?next=//evil.example/", data={
        "name": "王小明", "id_number": A_ID, "phone": A_PHONE, "password": PASSWORD, "confirm": PASSWORD})

    assert response.location == "/me"


def test_signup_refusals_are_shown_on_their_fields(app: Flask, db: SQLAlchemy) -> None:
    sign_up(app)
    client = app.test_client()

    again = client.post("/signup", data={"name": "冒名者", "id_number": A_ID, "phone": "13800000000",
                                         "password": PASSWORD, "confirm": PASSWORD})
    differ = client.post("/signup", data={"name": "李小红", "id_number": B_ID, "phone": B_PHONE,
                                          "password": PASSWORD, "confirm": PASSWORD + "x"})
    weak = client.post("/signup", data={"name": "李小红", "id_number": B_ID, "phone": B_PHONE,
                                        "password": "password1", "confirm": "password1"})

    assert again.status_code == 200 and "该身份证号码已注册账户" in text(again)
    assert "两次输入的密码不一致" in text(differ)
    assert "此密码过于常见" in text(weak)
    assert count(db, User) == 1


def test_signup_is_rate_limited_per_client(make_app: Callable[..., Flask]) -> None:
    app = make_app(TODAY=DAY, SIGNUP_LIMIT_PER_CLIENT="2 per hour")
    client = app.test_client()

    statuses = [client.post("/signup", data={"name": "x"}).status_code for _ in range(3)]

    assert statuses == [200, 200, 429]


def test_the_registration_form_is_rate_limited_per_client(make_app: Callable[..., Flask], open_round: Round) -> None:
    app = make_app(TODAY=DAY, REGISTRATION_LIMIT_PER_CLIENT="2 per hour")
    client = sign_up(app)

    statuses = [check(client).status_code for _ in range(3)]

    assert statuses == [200, 200, 429]
    assert client.get(REGISTER).status_code == 200  # reading the form is never limited


def test_a_signed_in_user_is_sent_on_from_the_signup_page(app: Flask, db: SQLAlchemy, create_account: Any,
                                                          login_as: Any) -> None:
    assert sign_up(app).get("/signup").location == "/me"
    assert login_as(app.test_client(), create_account(Role.ADMIN)).get("/signup").location == "/"


def test_logging_in_with_the_id_number_through_the_form_lands_on_the_candidates_page(app: Flask,
                                                                                     db: SQLAlchemy) -> None:
    sign_up(app)

    response = app.test_client().post("/login", data={"username": A_ID.lower(), "password": PASSWORD})

    assert response.status_code == 302 and response.location == "/me"


def test_staff_still_land_on_the_rounds_after_login(app: Flask, create_account: Any) -> None:
    create_account(Role.ADMIN, "zzb")

    response = app.test_client().post("/login", data={"username": "zzb", "password": "zzb-secret-2026"})

    assert response.status_code == 302 and response.location == "/"


# ---------------------------------------------------------------- registering


def test_the_form_starts_from_the_account_and_never_shows_the_full_id_number(app: Flask, open_round: Round) -> None:
    page = sign_up(app).get(REGISTER)
    html = page.get_data(as_text=True)

    assert page.status_code == 200 and "网上报名" in text(page)
    assert 'value="1990-03-07"' in html and re.search(r'<input checked id="sex-0"[^>]*value="male"', html)
    assert 'value="王小明"' in html
    assert A_ID not in html and A_ID[6:14] not in html
    assert "110***********" + A_ID[-4:] in html


def test_the_check_step_shows_the_automatic_checks_in_words_and_stores_nothing(app: Flask, db: SQLAlchemy,
                                                                               open_round: Round) -> None:
    response = check(sign_up(app))

    page = text(response)
    assert response.status_code == 200 and "资格条件自动核验" in page
    assert "年龄 符合 截止日期时36周岁" in page and "学历 符合" in page and "任现职级年限 符合" in page
    assert token_of(response)
    assert count(db, Candidate) == 4  # the four registrations the demo round came with


def test_a_registration_with_its_letter_is_stored_audited_and_shown(app: Flask, db: SQLAlchemy,
                                                                    open_round: Round) -> None:
    client = sign_up(app)

    response = register(client)

    assert response.status_code == 302 and response.location == "/me"
    candidate = candidate_of(db, A_ID)
    assert candidate is not None and candidate.ref == "W001" and candidate.position.code == "Q01"
    assert (candidate.name, candidate.unit, candidate.rank_since) == ("王小明", "市财政局", date(2020, 1, 1))
    assert candidate.status is Status.REGISTERED
    endorsement_ = candidate.endorsement
    assert (endorsement_.unit, endorsement_.document, endorsement_.date) == ("市财政局党组", "财党函〔2026〕8号",
                                                                           date(2026, 11, 19))
    letter = endorsement_.letter
    assert letter.content_type == "application/pdf" and letter.data == PDF and "同意" not in letter.name
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "candidate.register"))
    assert event.subject == f"candidate:{OPEN_CODE}/W001" and event.after["letter"]["sha256"] == letter.sha256
    assert A_ID not in str(event.after) and A_PHONE not in str(event.after)
    status = text(client.get("/me"))
    assert "W001" in status and "已报名,待资格审查" in status and "单位意见已登记：市财政局党组" in status


def test_a_failed_automatic_check_is_shown_and_the_registration_refused(app: Flask, db: SQLAlchemy,
                                                                        open_round: Round) -> None:
    client = sign_up(app)

    # Q02 asks for a master's degree and at most 35 years of age
    checked = check(client, details(position="Q02"))

    page = text(checked)
    assert "年龄 不符合 截止日期时36周岁;要求不超过35周岁" in page and "学历 不符合" in page
    assert "不符合该职位的任职条件，不能提交报名" in page
    assert 'name="token"' not in checked.get_data(as_text=True)
    # When the submission is forced with a token signed for the same details
    with app.app_context():
        forged = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="self-registration").dumps({
            "round": OPEN_CODE, "user": db.session.scalar(select(User.id)), "version": None,
            "details": details(position="Q02") | {"version": None}})
    refused = submit(client, forged)
    # Then it is refused, naming the check, and nothing is stored
    assert refused.status_code == 302
    assert flashes(client)[0].startswith("报名未被接受：年龄自动核验不符合")
    assert candidate_of(db, A_ID) is None and count(db, StoredFile) == 0


def test_from_the_check_step_the_details_come_back_as_typed(app: Flask, db: SQLAlchemy, open_round: Round) -> None:
    client = sign_up(app)
    failed = check(client, details(position="Q02", unit="市审计局"))
    back = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">',
                           failed.get_data(as_text=True).split('class="back-form"')[1].split("</form>")[0]))

    page = client.post(REGISTER, data={**back, "back": "1"})

    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'id="registration-details"' in html
    assert 'value="市审计局"' in html and '<option selected value="Q02">' in html
    assert candidate_of(db, A_ID) is None


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"birth_date": "1990-03-08"}, "birth_date", "出生日期1990年3月8日与身份证号码中的出生日期(1990年3月7日)不一致"),
    ({"sex": "female"}, "sex", "性别“女”与身份证号码第17位所示性别(男)不一致"),
    ({"rank_since": "2027-01-01"}, "rank_since", "不能晚于今天"),
])
def test_details_that_contradict_the_id_number_are_refused_on_their_field(
        app: Flask, db: SQLAlchemy, open_round: Round, changes: dict[str, str], field: str, message: str) -> None:
    response = check(sign_up(app), details(**changes))

    html = response.get_data(as_text=True)
    assert response.status_code == 422
    block = html[html.index(f'id="{field}"') if field != "sex" else html.index("<legend>性别"):]
    assert message in block[:1500]
    assert candidate_of(db, A_ID) is None


def test_outside_the_window_the_page_says_why_and_offers_no_form(make_app: Callable[..., Flask],
                                                                  db: SQLAlchemy) -> None:
    # Given the open round set up on 2026-11-21: registration 2026-11-18 .. 2026-12-05
    load_open_round(today=date.fromisoformat(DAY))
    db.session.commit()
    for day, words in (("2026-11-17", "将于2026年11月18日开始报名"), ("2026-12-06", "已于2026年12月5日结束")):
        app = make_app(TODAY=day)
        client = sign_up(app, number=A_ID if day < DAY else B_ID, phone=A_PHONE if day < DAY else B_PHONE)

        page = client.get(REGISTER)
        posted = client.post(REGISTER, data=details())

        assert words in text(page) and 'id="registration-details"' not in page.get_data(as_text=True)
        assert posted.status_code == 200 and words in text(posted)
    assert count(db, Candidate) == 4


def test_an_unpublished_round_has_no_registration_page(app: Flask, db: SQLAlchemy, open_round: Round) -> None:
    open_round.published_at = None
    db.session.commit()

    assert sign_up(app).get(REGISTER).status_code == 404
    assert sign_up(app, B_ID, B_PHONE).get("/me/rounds/NO-SUCH/register").status_code == 404


def test_one_registration_per_round(app: Flask, db: SQLAlchemy, open_round: Round) -> None:
    client = sign_up(app)
    register(client)

    again = client.post(REGISTER, data=details(position="Q03"))  # a new registration: no version

    assert again.status_code == 302 and "每人限报一个职位" in flashes(client)[-1]
    assert count(db, Candidate) == 5


def test_a_registration_is_amended_and_each_change_audited(app: Flask, db: SQLAlchemy, open_round: Round) -> None:
    client = sign_up(app)
    register(client)
    form = client.get(REGISTER)
    assert "修改报名" in text(form) and 'value="预算科副科长"' in form.get_data(as_text=True)
    version = re.search(r'name="version" type="hidden" value="(\d+)"', form.get_data(as_text=True)).group(1)

    # When A moves to Q03 with another post, keeping the endorsement on record
    checked = check(client, details(version=version, position="Q03", current_post="预算科科长"))
    response = submit(client, token_of(checked), endorsement_mode="keep")

    assert response.status_code == 302
    candidate = candidate_of(db, A_ID)
    assert (candidate.position.code, candidate.current_post) == ("Q03", "预算科科长")
    assert candidate.endorsement is not None and candidate.endorsement.letter is not None
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "candidate.registration"))
    assert event.before == {"position": "Q01", "current_post": "预算科副科长"}
    assert event.after == {"position": "Q03", "current_post": "预算科科长", "online": True}
    # and submitting the same again changes and audits nothing
    again = check(client, details(version=str(candidate.version_id), position="Q03", current_post="预算科科长"))
    submit(client, token_of(again), endorsement_mode="keep")
    assert db.session.scalar(select(func.count()).where(AuditEvent.action == "candidate.registration")) == 1


def test_a_stale_amendment_is_refused(app: Flask, db: SQLAlchemy, open_round: Round) -> None:
    client = sign_up(app)
    register(client)
    first = check(client, details(version="1", unit="市财政局办公室"))
    second = check(client, details(version="1", unit="市审计局"))
    submit(client, token_of(first), endorsement_mode="keep")

    stale = submit(client, token_of(second), endorsement_mode="keep")

    assert stale.status_code == 302 and "他人已修改了这些内容" in flashes(client)[-1]
    assert candidate_of(db, A_ID).unit == "市财政局办公室"


def test_the_letter_may_be_replaced_and_the_endorsement_left_to_the_unit(app: Flask, db: SQLAlchemy,
                                                                         open_round: Round) -> None:
    client = sign_up(app)
    register(client)
    checked = check(client, details(version="1"))
    submit(client, token_of(checked), **endorsement(letter=(io.BytesIO(JPEG), "scan.jpg")))
    assert candidate_of(db, A_ID).endorsement.letter.content_type == "image/jpeg"
    assert count(db, StoredFile) == 2  # the first letter stays on file

    checked = check(client, details(version=str(candidate_of(db, A_ID).version_id)))
    submit(client, token_of(checked), endorsement_mode="unit_sends")

    candidate = candidate_of(db, A_ID)
    assert candidate.endorsement is None and candidate.status is Status.NOT_ENDORSED
    page = text(client.get("/me"))
    assert "已报名，待单位意见" in page and "单位意见：待所在单位报送" in page and "淘汰" not in page


def test_once_the_review_starts_the_registration_cannot_change(app: Flask, db: SQLAlchemy, open_round: Round) -> None:
    client = sign_up(app)
    register(client)
    candidate = candidate_of(db, A_ID)
    db.session.add(QualificationReview(candidate=candidate, decision=ReviewDecision.PASS))
    db.session.commit()

    page = client.get(REGISTER)
    posted = check(client, details(version=str(candidate.version_id)))

    assert "资格审查已经开始，报名信息不能再修改" in text(page)
    assert posted.status_code == 200 and 'name="token"' not in posted.get_data(as_text=True)
    assert "修改我的报名" not in text(client.get("/me"))


def test_a_position_past_registration_takes_no_registration(app: Flask, db: SQLAlchemy, open_round: Round) -> None:
    q01 = db.session.scalar(select(Position).where(Position.round_id == open_round.id, Position.code == "Q01"))
    q01.stage = Stage.REVIEW
    db.session.commit()
    client = sign_up(app)

    form = client.get(REGISTER).get_data(as_text=True)
    forced = client.post(REGISTER, data=details())

    assert 'value="Q01"' not in form and 'value="Q03"' in form
    assert forced.status_code == 422 and candidate_of(db, A_ID) is None


def test_a_candidate_account_without_a_person_is_told_so(app: Flask, open_round: Round, create_account: Any,
                                                        login_as: Any) -> None:
    client = login_as(app.test_client(), create_account(Role.CANDIDATE))

    page, posted = client.get(REGISTER), client.post(REGISTER, data=details())

    assert page.status_code == 200 and "您的账户未关联身份信息" in text(page)
    assert posted.status_code == 200 and 'name="token"' not in posted.get_data(as_text=True)
    assert "您还没有报名任何选拔" in text(client.get("/me"))


def test_candidate_pages_are_never_cached(app: Flask, open_round: Round) -> None:
    client = sign_up(app)

    for response in (client.get("/me"), client.get(REGISTER), check(client), app.test_client().get("/signup")):
        assert response.headers["Cache-Control"] == "no-store"


# ---------------------------------------------------------------- uploads


@pytest.mark.parametrize(("content", "name"), [
    (b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 200, "同意报考证明.pdf"),
    (b"<!doctype html><html><script>alert(document.cookie)</script></html>", "letter.pdf"),
    (b"", "letter.pdf"),
])
def test_an_upload_that_is_not_a_document_is_refused_and_nothing_stored(
        app: Flask, db: SQLAlchemy, open_round: Round, content: bytes, name: str) -> None:
    client = sign_up(app)

    response = register(client, **endorsement(letter=(io.BytesIO(content), name)))

    assert response.status_code == 422
    assert "文件不是PDF、PNG或JPEG文档" in text(response) or "文件是空的" in text(response) \
        or "请上传证明文件" in text(response)
    assert candidate_of(db, A_ID) is None and count(db, StoredFile) == 0
    assert 'name="token"' in response.get_data(as_text=True)  # the form is offered again


def test_an_oversize_upload_is_refused_naming_the_limit(make_app: Callable[..., Flask], db: SQLAlchemy) -> None:
    app = make_app(TODAY=DAY, UPLOAD_MAX_BYTES=256 * 1024)
    load_open_round(today=date.fromisoformat(DAY))
    db.session.commit()
    client = sign_up(app)
    assert "不超过0.25 MB" in text(check(client))

    response = register(client, **endorsement(letter=(io.BytesIO(PDF + b"\x00" * 256 * 1024), "big.pdf")))

    assert response.status_code == 422 and "文件超过0.25 MB" in text(response)
    assert candidate_of(db, A_ID) is None and count(db, StoredFile) == 0


def test_an_upload_needs_the_unit_date_and_document_too(app: Flask, db: SQLAlchemy, open_round: Round) -> None:
    response = register(sign_up(app), **endorsement(endorsement_document="", endorsement_date="2026-12-01"))

    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "不能晚于今天" in html[html.index('id="endorsement_date"'):][:800]
    assert "此项必填" in html[html.index('id="endorsement_document"'):][:800]
    assert candidate_of(db, A_ID) is None and count(db, StoredFile) == 0


# ---------------------------------------------------------------- the letter, and P13


def test_staff_open_the_letter_as_an_attachment_and_it_is_audited(app: Flask, db: SQLAlchemy, open_round: Round,
                                                                   create_account: Any, login_as: Any) -> None:
    register(sign_up(app))
    url = f"/exams/rounds/{OPEN_CODE}/registrations/W001/letter"

    for role in (Role.ADMIN, Role.SUPERVISION):
        response = login_as(app.test_client(), create_account(role)).get(url)
        assert response.status_code == 200 and response.get_data() == PDF
        assert response.mimetype == "application/pdf"
        assert response.headers["Content-Disposition"] == f"attachment; filename=letter-{OPEN_CODE}-W001.pdf"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
    for role in (Role.INSPECTOR, Role.COMMITTEE_MEMBER):
        assert login_as(app.test_client(), create_account(role)).get(url).status_code == 403
    assert db.session.scalar(select(func.count()).where(AuditEvent.action == "candidate.letter_viewed")) == 2
    assert login_as(app.test_client(), create_account(Role.ADMIN)).get(
        f"/exams/rounds/{OPEN_CODE}/registrations/C001/letter").status_code == 404  # recorded without a letter


def test_the_review_screen_links_to_the_uploaded_letter(app: Flask, db: SQLAlchemy, open_round: Round,
                                                         create_account: Any, login_as: Any) -> None:
    register(sign_up(app))
    q01 = db.session.scalar(select(Position).where(Position.round_id == open_round.id, Position.code == "Q01"))
    q01.stage = Stage.REVIEW
    db.session.commit()

    page = login_as(app.test_client(), create_account(Role.ADMIN)).get(
        f"/exams/rounds/{OPEN_CODE}/positions/Q01/review").get_data(as_text=True)

    assert f'href="/exams/rounds/{OPEN_CODE}/registrations/W001/letter"' in page
    assert "registrations/C001/letter" not in page


def test_p13_a_candidate_reaches_nothing_of_anothers_registration(app: Flask, db: SQLAlchemy,
                                                                  open_round: Round) -> None:
    # Given A and B, each registered with a letter (A's is a PDF, B's a JPEG)
    a, b = sign_up(app), sign_up(app, B_ID, B_PHONE, "李小红")
    register(a)
    register(b, b_details(position="Q03"), **endorsement(letter=(io.BytesIO(JPEG), "b.jpg"),
                                                          endorsement_unit="市教育局党组"))
    a_candidate = candidate_of(db, A_ID)

    # When B tries every way of naming A's registration
    probes = [
        b.get("/me"), b.get(f"/me?ref={a_candidate.ref}"), b.get(f"/me?candidate_id={a_candidate.id}"),
        b.get(f"/me/rounds/{OPEN_CODE}/letter?ref={a_candidate.ref}"),
        b.get(f"{REGISTER}?ref={a_candidate.ref}&candidate_id={a_candidate.id}"),
        b.post(REGISTER, data={**b_details(position="Q03", version=str(candidate_of(db, B_ID).version_id)),
                               "ref": a_candidate.ref, "candidate_id": str(a_candidate.id),
                               "person_id": str(a_candidate.person_id)}),
    ]
    staff_letter = b.get(f"/exams/rounds/{OPEN_CODE}/registrations/{a_candidate.ref}/letter")

    # Then B only ever sees B's own registration and letter, and the staff URL is refused
    for response in probes:
        body = response.get_data()
        assert b"\xe7\x8e\x8b\xe5\xb0\x8f\xe6\x98\x8e" not in body  # 王小明
        assert PDF not in body and a_candidate.ref.encode() not in body.replace(b"W002", b"")
    assert probes[3].get_data() == JPEG
    assert staff_letter.status_code == 403
    assert candidate_of(db, A_ID).position.code == "Q01" and candidate_of(db, A_ID).unit == "市财政局"


# ---------------------------------------------------------------- the status page


@pytest.fixture
def demo(app: Flask, db: SQLAlchemy) -> Round:
    result = app.test_cli_runner().invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    return db.session.scalar(select(Round).where(Round.code == DEMO_CODE))


def account_for(db: SQLAlchemy, round_: Round, ref: str, create_account: Any) -> User:
    """A candidate account for the person of an imported registration."""
    candidate = db.session.scalar(select(Candidate).where(Candidate.round_id == round_.id, Candidate.ref == ref))
    user = create_account(Role.CANDIDATE, f"cand-{ref.lower()}")
    user.person_id = candidate.person_id
    db.session.commit()
    return user


def test_the_demo_candidate_sees_their_timeline(app: Flask, demo: Round) -> None:
    client = app.test_client()
    client.post("/login", data={"username": "demo-candidate", "password": "demo-candidate-2026"})
    result = next(r for r in round_results(demo, today=date.fromisoformat(DAY)).candidates if r.ref == "C017")
    assert result.status is Status.INSPECTED  # P03: C017's inspection record is in, the vote list not formed

    response = client.get("/me")

    page = text(response)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "我的报名" in page
    assert "C017" in page and "状态 考察合格 下一步 票决名单" in page
    for stage in ("registration", "review", "recommendation", "written", "totals", "inspection_notice", "inspection"):
        assert 'class="step step-passed' in html.split(f'id="stage-{DEMO_CODE}-{stage}"')[0][-200:], stage
    assert 'class="step step-current progress-future' in html.split(f'id="stage-{DEMO_CODE}-vote_list"')[0][-200:]
    assert "考察预告已于2026年9月1日发布" in page.replace(" ", "")
    assert f"您的推荐得票率：{exact_percent(result.recommendation_rate)}%" in page
    # the demo round's scores were published in August: each shows, with the total and the rank
    assert f"您的成绩：{result.written:.2f}" in stage_text(html, "written")
    assert f"您的成绩：{result.interview:.2f}" in stage_text(html, "interview")
    assert f"您的总成绩：{result.total:.2f}" in stage_text(html, "totals")
    assert f"您在本职位的排名：第{result.rank}名" in stage_text(html, "totals")
    # and the round open for registration is offered
    assert f'href="/me/rounds/{OPEN_CODE}/register"' in html and "正在报名" in page


@pytest.fixture
def stored_demo(db: SQLAlchemy) -> Round:
    """The demo record stored as `round import` stores it: no score published yet."""
    record = parse_record(demo_record())
    round_ = store_record(record, compute(record), replace=False, actor="test")
    round_.as_of = None
    db.session.commit()
    return round_


def test_scores_and_the_statuses_they_decide_show_once_published(app: Flask, db: SQLAlchemy, stored_demo: Round,
                                                                 login_as: Any, create_account: Any) -> None:
    demo = stored_demo
    client = login_as(app.test_client(), account_for(db, demo, "C017", create_account))
    result = next(r for r in round_results(demo, today=date.fromisoformat(DAY)).candidates if r.ref == "C017")
    noon = datetime(2026, 11, 21, 4, tzinfo=UTC)  # noon in Shanghai: the pinned clock's "now"

    # Given nothing published: C017 reads as recommended, waiting for the written results
    html = client.get("/me").get_data(as_text=True)
    assert re.sub(r"\s+", "", text_of_status(html)) == "公开推荐通过"
    assert "成绩尚未公布" in stage_text(html, "written") and stage_text(html, "written").startswith("●")
    assert "您的成绩" not in html and "您的总成绩" not in html
    # nothing later than the held status shows as passed
    assert stage_text(html, "interview").startswith("○") and stage_text(html, "inspection").startswith("○")

    # When the written scores are published this morning, the interview's tomorrow
    db.session.add_all([
        ScorePublication(round=demo, exam=ExamKind.WRITTEN, publish_at=datetime(2026, 11, 21, 1, tzinfo=UTC),
                         review_until=datetime(2026, 11, 28, tzinfo=UTC)),
        ScorePublication(round=demo, exam=ExamKind.INTERVIEW, publish_at=datetime(2026, 11, 22, 1, tzinfo=UTC),
                         review_until=datetime(2026, 11, 29, tzinfo=UTC)),
    ])
    db.session.commit()
    html = client.get("/me").get_data(as_text=True)
    # Then the written score shows, and the status stops at the interview list
    assert re.sub(r"\s+", "", text_of_status(html)) == "进入面试"
    assert f"您的成绩：{result.written:.2f}" in stage_text(html, "written")
    assert "您的成绩" not in stage_text(html, "interview")
    assert "成绩将于2026年11月22日09:00公布" in stage_text(html, "interview")
    assert "您的总成绩" not in html and "您的排名" not in html

    # When the interview's are published too (moved to before the pinned noon)
    db.session.scalar(select(ScorePublication).where(ScorePublication.exam == ExamKind.INTERVIEW)).publish_at = noon
    db.session.commit()
    html = client.get("/me").get_data(as_text=True)
    # Then everything shows: the status, the interview score, the evaluation, the total and the rank
    assert re.sub(r"\s+", "", text_of_status(html)) == "考察合格"
    assert f"您的成绩：{result.interview:.2f}" in stage_text(html, "interview")
    assert f"您的工作表现考评得分：{result.evaluation:.2f}" in stage_text(html, "evaluation")
    assert f"您的总成绩：{result.total:.2f}" in stage_text(html, "totals")
    assert f"您在本职位的排名：第{result.rank}名" in stage_text(html, "totals")
    assert "考察预告已于2026年9月1日发布" in stage_text(html, "inspection_notice")


def text_of_status(html: str) -> str:
    return unescape(re.sub(r"<[^>]+>", " ", re.search(r'<dd class="my-status[^"]*">(.*?)</dd>', html, re.S).group(1)))


def stage_text(html: str, stage: str, code: str = DEMO_CODE) -> str:
    """The visible text of one stage of a registration's timeline, without spaces."""
    start = html.index(f'id="stage-{code}-{stage}"')
    block = html[start:html.index('<li class="step', start)] if stage != "probation" else html[start:]
    return re.sub(r"\s+", "", unescape(re.sub(r"<[^>]+>", " ", block.split(">", 1)[1])))


@pytest.mark.parametrize(("day", "status", "words"), [
    ("2026-11-20", Status.IN_PUBLICITY, "任前公示中"), ("2026-11-23", Status.POSTPONED, "公示中，待作出任用决定"),
])
def test_p18_the_candidate_complained_about_sees_no_trace_of_it(make_app: Callable[..., Flask], db: SQLAlchemy,
                                                                create_account: Any, login_as: Any, day: str,
                                                                status: Status, words: str) -> None:
    # Given the demo at `day`: C010 (P02's backfill) in publicity (2026-11-16 .. 22), an allegation still open
    app = make_app(TODAY=day)
    with app.app_context():
        assert app.test_cli_runner().invoke(args=["demo", "load"]).exit_code == 0
    demo = db.session.scalar(select(Round).where(Round.code == DEMO_CODE))
    c010 = db.session.scalar(select(Candidate).where(Candidate.round_id == demo.id, Candidate.ref == "C010"))
    assert c010.status is status and c010.complaints  # type: ignore[attr-defined]
    client = login_as(app.test_client(), account_for(db, demo, "C010", create_account))

    response = client.get("/me")

    html, page = response.get_data(as_text=True), text(response).replace(" ", "")
    assert f"状态{words}下一步任前公示" in page and "公示期：2026年11月16日至2026年11月22日" in page
    for trace in ("暂缓", "举报", "投诉", "反映", "complaint", "postpone", "allegation", "overdue", "flag"):
        assert trace not in html.lower(), trace
    english = client.get("/me?lang=en").get_data(as_text=True)
    assert ("In publicity, decision pending" if status is Status.POSTPONED else "In publicity") in english
    for trace in ("postpone", "complaint", "allegation", "overdue"):
        assert trace not in english.lower(), trace


def test_staff_and_anonymous_have_no_status_page(app: Flask, create_account: Any, login_as: Any) -> None:
    assert app.test_client().get("/me").status_code == 302
    assert login_as(app.test_client(), create_account(Role.ADMIN)).get("/me").status_code == 403
