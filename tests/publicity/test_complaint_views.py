"""The public complaint form and the receipt lookup (publicity/complaint_views.py), through the client.

On the demo round: C010, P02's backfill, is in publicity from 2026-11-16 to 2026-11-22, and the
clock is pinned to 2026-11-20; C009 was cleared after its publicity in September.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import func, select
from werkzeug.test import TestResponse

from publicity import complaints
from publicity.models import Complaint, ComplaintChannel, ComplaintEvidence, ComplaintKind, ComplaintOutcome
from selection.models import Position, Role, Round
from tests.publicity.complaint_support import FORM, LOOKUP, PDF, PNG, main_of, receipt_of
from tests.publicity.complaint_support import file_online as _file

pytestmark = pytest.mark.db
DAY = "2026-11-20"


@pytest.fixture
def demo(app: Flask, db: SQLAlchemy, store_demo: Callable[..., Round]) -> Round:
    """The demo round, live, with the clock pinned inside C010's publicity."""
    app.config["TODAY"] = DAY
    return store_demo()


def _count(db: SQLAlchemy, model: type = Complaint) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _text(response: TestResponse) -> str:
    return response.get_data(as_text=True)


def _field_errors(page: str, field: str) -> list[str]:
    """The errors shown under one field (`selection/_form.html` puts them in <div id="<field>-note">)."""
    start = page.find(f'id="{field}-note"')
    if start < 0:
        return []
    return re.findall(r'<p class="field-error">(.*?)</p>', page[start:page.index("</div>", start)])


# --- the form ------------------------------------------------------------------------------------


def test_the_form_names_the_candidate_the_post_and_the_office_in_chinese(client: FlaskClient, demo: Round) -> None:
    response = client.get(FORM)

    page = _text(response)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    assert '<html lang="zh-CN">' in page and "任前公示期间反映问题" in page
    candidate = next(c for c in demo.candidates if c.ref == "C010")
    assert candidate.name in page and candidate.position.title in page
    assert "0571-87000000" in page and "市委组织部干部一科" in page
    assert "2026年11月16日" in page and "2026年11月22日" in page
    assert 'id="complaint-form"' in page and 'enctype="multipart/form-data"' in page
    # anonymous is the default
    assert re.search(r'<input checked id="identity-0" name="identity" required type="radio" value="anonymous">', page)


@pytest.mark.parametrize(("day", "ref", "said"), [
    ("2026-11-10", "C010", "任前公示将于2026年11月16日开始"),
    ("2026-11-25", "C010", "已关闭"),
    (DAY, "C009", "已关闭"),
])
def test_outside_the_publicity_the_page_gives_the_dates_and_the_office_instead_of_the_form(
        app: Flask, client: FlaskClient, db: SQLAlchemy, demo: Round, day: str, ref: str, said: str) -> None:
    app.config["TODAY"] = day
    url = f"/complaints/DEMO-2026/{ref}/new"

    page = _text(client.get(url))
    posted = _file(client) if ref == "C010" else client.post(url, data={"content": "x", "identity": "anonymous"})

    assert said in page and "0571-87000000" in page and "市委组织部干部一科" in page
    assert 'id="complaint-form"' not in page and "receipt-code" not in _text(posted)
    assert _count(db) == 3  # the demo's own complaints only


def test_an_unknown_round_or_candidate_or_one_never_proposed_is_not_found(
        client: FlaskClient, db: SQLAlchemy, demo: Round) -> None:
    never_proposed = db.session.scalar(select(Position).where(Position.round_id == demo.id,
                                                              Position.code == "P03")).candidates[0].ref
    for url in ("/complaints/NO-SUCH/C010/new", "/complaints/DEMO-2026/C999/new",
                f"/complaints/DEMO-2026/{never_proposed}/new", "/complaints/DEMO-2026/C011/new"):
        assert client.get(url).status_code == 404, url
        assert client.post(url, data={"content": "x"}).status_code == 404, url


def test_an_anonymous_complaint_is_stored_and_its_receipt_shown_once_in_the_response(
        client: FlaskClient, db: SQLAlchemy, demo: Round) -> None:
    response = _file(client, kind="suggestion", content="  公示期太短,建议在单位内也张贴。 ")

    assert response.status_code == 200 and "Location" not in response.headers
    assert response.headers["Cache-Control"] == "no-store"
    receipt = receipt_of(response)
    page = _text(response)
    assert "只显示这一次" in page and f'href="{LOOKUP}"' in page
    complaint = complaints.find_by_receipt(receipt)
    assert complaint is not None and complaint.candidate.ref == "C010"
    assert complaint.kind is ComplaintKind.SUGGESTION and complaint.channel is ComplaintChannel.ONLINE
    assert complaint.anonymous and complaint.complainant_cipher is None
    assert complaint.received == date(2026, 11, 20)
    assert complaints.complaint_content(complaint) == "公示期太短,建议在单位内也张贴。"
    # the code never comes back: not in a cookie, not on the form page, not in the next lookup page
    assert receipt not in response.headers.get("Set-Cookie", "")
    assert receipt.replace("-", "") not in _text(client.get(FORM)) + _text(client.get(LOOKUP))


def test_a_named_complaint_needs_a_name_and_a_way_to_reach_them_and_keeps_them_encrypted(
        client: FlaskClient, db: SQLAlchemy, demo: Round) -> None:
    # no name
    page = _text(_file(client, identity="named", phone="13800138000"))
    assert _field_errors(page, "name") == ["请填写您的姓名,或选择匿名反映。"]
    # no way to reach them
    page = _text(_file(client, identity="named", name="王某某"))
    assert "请至少留下一种联系方式:手机号码、电子邮箱或通信地址。" in page
    # not a mobile number, not an e-mail address
    page = _text(_file(client, identity="named", name="王某某", phone="12345", email="not-an-address"))
    assert _field_errors(page, "phone") and _field_errors(page, "email")
    assert "未提交" in page and "receipt-code" not in page
    assert _count(db) == 3

    response = _file(client, identity="named", name="王某某", phone="１３８ 0013 8000", address="某某路1号")

    complaint = complaints.find_by_receipt(receipt_of(response))
    assert not complaint.anonymous
    assert complaints.reveal_complainant(complaint) == complaints.Complainant(
        name="王某某", phone="13800138000", email=None, address="某某路1号")
    assert b"\xe7\x8e\x8b\xe6\x9f\x90" not in complaint.complainant_cipher  # 王某 not in clear


def test_an_anonymous_complaint_ignores_and_keeps_nothing_typed_into_the_identity_fields(
        client: FlaskClient, db: SQLAlchemy, demo: Round) -> None:
    response = _file(client, name="王某某", phone="bad", email="bad")

    complaint = complaints.find_by_receipt(receipt_of(response))
    assert complaint.anonymous and complaint.complainant_cipher is None


@pytest.mark.parametrize(("fields", "field", "error"), [
    ({"content": "   "}, "content", "请说明反映的问题。"),
    ({"content": "字" * (complaints.MAX_CONTENT + 1)}, "content", "字段长度不能超过 5000 个字符"),
    ({"kind": "gossip"}, None, "不是有效的选择"),
])
def test_a_bad_form_stores_nothing_and_says_what_is_wrong_where(
        client: FlaskClient, db: SQLAlchemy, demo: Round, fields: dict[str, str], field: str | None,
        error: str) -> None:
    response = _file(client, **fields)

    page = _text(response)
    assert response.status_code == 200 and "receipt-code" not in page
    assert error in (" ".join(_field_errors(page, field)) if field else page)
    assert _count(db) == 3


def test_evidence_is_judged_by_its_content_not_its_name(client: FlaskClient, db: SQLAlchemy, demo: Round) -> None:
    # an HTML page named like a photo
    page = _text(_file(client, evidence=[(b"<html><script>alert(1)</script></html>", "photo.png")]))

    errors = _field_errors(page, "evidence")
    assert len(errors) == 1 and "photo.png" in errors[0] and "按文件内容判断" in errors[0]
    assert _count(db) == 3 and _count(db, ComplaintEvidence) == 0

    response = _file(client, evidence=[(PNG, "a.png"), (PDF, "letter.bin")])

    complaint = complaints.find_by_receipt(receipt_of(response))
    assert sorted(e.content_type for e in complaint.evidence) == ["application/pdf", "image/png"]
    assert all(re.fullmatch(r"[0-9a-f]{32}\.(png|pdf)", e.name) for e in complaint.evidence)


def test_evidence_is_capped_in_size_and_number(app: Flask, client: FlaskClient, db: SQLAlchemy, demo: Round) -> None:
    app.config["COMPLAINT_EVIDENCE_MAX_BYTES"] = 512 * 1024

    too_large = _text(_file(client, evidence=[(PNG + b"\x00" * 512 * 1024, "big.png")]))
    too_many = _text(_file(client, evidence=[(PNG, f"{n}.png") for n in range(6)]))

    assert "big.png" in _field_errors(too_large, "evidence")[0] and "文件超过0.5 MB" in too_large
    assert _field_errors(too_many, "evidence") == ["最多可上传5个证据材料。"]
    assert _count(db) == 3 and _count(db, ComplaintEvidence) == 0


def test_five_files_at_the_cap_fit_in_one_filing_beyond_the_app_wide_body_limit(
        app: Flask, client: FlaskClient, db: SQLAlchemy, demo: Round) -> None:
    # Given files of 1.5 MB each: five are more than the app-wide MAX_CONTENT_LENGTH (6 MB)
    photo = PNG + b"\x00" * (3 * 1024 * 1024 // 2)
    assert 5 * len(photo) > app.config["MAX_CONTENT_LENGTH"]

    response = _file(client, evidence=[(photo, f"{n}.png") for n in range(5)])

    complaint = complaints.find_by_receipt(receipt_of(response))
    assert len(complaint.evidence) == 5
    # and a body beyond five files at the cap is refused before it is read
    huge = PNG + b"\x00" * (5 * 1024 * 1024)
    refused = _file(client, evidence=[(huge, f"{n}.png") for n in range(6)])
    assert refused.status_code == 413 and "每次提交最多26 MB" in _text(refused)


def test_the_form_works_with_csrf_on_and_the_filing_sets_no_cookie(
        make_app: Callable[..., Flask], store_demo: Callable[..., Round]) -> None:
    app = make_app(WTF_CSRF_ENABLED=True, TODAY=DAY)
    with app.app_context():
        store_demo()
        client = app.test_client()
        page = _text(client.get(FORM))
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)

        refused = client.post(FORM, data={"kind": "allegation", "content": "无令牌", "identity": "anonymous"})
        response = client.post(FORM, data={"kind": "allegation", "content": "有令牌", "identity": "anonymous",
                                           "csrf_token": token})

        assert refused.status_code == 400
        receipt = receipt_of(response)
        assert "Set-Cookie" not in response.headers
        assert complaints.complaint_content(complaints.find_by_receipt(receipt)) == "有令牌"


# --- the lookup ----------------------------------------------------------------------------------


def _look_up(client: FlaskClient, code: str) -> str:
    response = client.post(LOOKUP, data={"receipt": code})
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    return _text(response)


def _answer(page: str) -> str:
    found = re.search(r'<dl class="details" id="answer">(.*?)</dl>', page, re.S)
    assert found, "no answer on the page"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found.group(1))).strip()


def test_the_receipt_reads_the_status_then_the_outcome_and_nothing_else(
        client: FlaskClient, db: SQLAlchemy, demo: Round, create_account: Callable[..., Any]) -> None:
    receipt = receipt_of(_file(client, content="举报内容甲乙丙"))
    complaint = complaints.find_by_receipt(receipt)
    candidate = complaint.candidate

    assert "已收到" in _answer(_look_up(client, receipt))

    complaint.handler = create_account(Role.SUPERVISION)
    db.session.commit()
    assert _answer(_look_up(client, " ".join(receipt.split("-")))) == "办理状态 正在办理"

    complaint.outcome, complaint.concluded_on = ComplaintOutcome.UNFOUNDED, date(2026, 11, 21)
    db.session.commit()
    page = _look_up(client, receipt.replace("-", ""))

    assert _answer(page) == "办理状态 已办结 办理结果 经核查,反映的问题不属实 办结日期 2026年11月21日"
    main = main_of(page)
    for secret in (candidate.name, candidate.ref, "举报内容甲乙丙", "2026年11月20日", receipt,
                   receipt.replace("-", "")):
        assert secret not in main


def test_a_wrong_and_a_malformed_code_get_the_same_answer(client: FlaskClient, db: SQLAlchemy, demo: Round) -> None:
    receipt = receipt_of(_file(client)).replace("-", "")
    wrong = receipt[:-1] + str((int(receipt[-1]) + 1) % 10)

    pages = [_look_up(client, code) for code in (wrong, "1234", "abcd-efgh", receipt + "0")]

    answers = {main_of(page) for page in pages}
    assert len(answers) == 1 and "没有与此回执码对应的举报" in answers.pop()



def test_the_pages_read_in_english_on_request(client: FlaskClient, demo: Round) -> None:
    form = _text(client.get(FORM + "?lang=en"))
    lookup = _text(client.post(LOOKUP + "?lang=en", data={"receipt": "1234"}))

    assert '<html lang="en">' in form and "Report a problem during the publicity" in form
    assert "Anonymous" in form and "Up to 5 files, each a PDF, PNG or JPEG of at most 5 MB" in form
    assert "No complaint has this receipt code" in lookup
