"""The exams screens in the browser: registrations, qualification review, written exam, interview list, interview.

Through the test client as a logged-in admin, on the demo round (P04 at the written exam
with C030's score missing, P05 at review and recommendation). What a page shows is
checked against `round_results` for the same round.
"""

from __future__ import annotations

import io
import re
from decimal import Decimal
from html import unescape
from typing import Any

import openpyxl
import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import func, select

from exams.models import InterviewScore, WrittenScore
from selection.labels import STATUS_LABELS
from selection.models import AuditEvent, Candidate, Position, Role, Round
from selection.pipeline import Stage, Status
from selection.record.demo import demo_record
from selection.record.engine import compute
from selection.record.parse import parse_record
from selection.record.services import close_position_stage, round_results
from selection.record.store import store_record
from selection.services import reveal_id_number

ROUND = "/exams/rounds/DEMO-2026"
P04 = f"{ROUND}/positions/P04"
P05 = f"{ROUND}/positions/P05"
DAY = "2026-11-20"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def demo(db: SQLAlchemy) -> Round:
    record = parse_record(demo_record())
    round_ = store_record(record, compute(record), replace=False, actor="test")
    db.session.commit()
    return round_


@pytest.fixture
def admin(app: Flask, demo: Round, create_account: Any, login_as: Any) -> FlaskClient:
    return login_as(app.test_client(), create_account(Role.ADMIN, "zzb"))


def _text(response: Any) -> str:
    """The page's visible text, tags dropped and spaces folded."""
    html = response.get_data(as_text=True)
    html = html[html.index("<main"):]
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def _row(response: Any, ref: str) -> str:
    """The visible text of the table row of candidate `ref`."""
    html = response.get_data(as_text=True)
    start = html.rindex("<tr", 0, html.index(f'id="candidate-{ref}"'))
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html[start:html.index("</tr>", start)])))


def _candidate(db: SQLAlchemy, ref: str) -> Candidate:
    return db.session.scalar(select(Candidate).where(Candidate.ref == ref))


def _position(db: SQLAlchemy, code: str) -> Position:
    return db.session.scalar(select(Position).where(Position.code == code))


def _flashes(client: FlaskClient) -> list[str]:
    with client.session_transaction() as session:
        return [message for _category, message in session.get("_flashes", [])]


def _sheet(header: list[str], rows: list[list[object]]) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _upload(client: FlaskClient, url: str, data: bytes) -> Any:
    return client.post(url, data={"sheet": (io.BytesIO(data), "scores.xlsx")}, content_type="multipart/form-data")


def _token(response: Any) -> str | None:
    found = re.search(r'name="token" value="([^"]+)"', response.get_data(as_text=True))
    return found.group(1) if found else None


# --- access -------------------------------------------------------------------------------------

SCREENS = [f"{ROUND}/registrations", f"{ROUND}/registrations.xlsx", f"{P05}/review", f"{P04}/written",
           f"{P04}/interview-list", f"{P04}/interview", f"{P04}/written/import", f"{P04}/interview/import",
           f"{P04}/written/template.xlsx", f"{P04}/interview/template.xlsx"]


@pytest.mark.parametrize("role", [Role.SUPERVISION, Role.INSPECTOR, Role.COMMITTEE_MEMBER, Role.CANDIDATE])
def test_every_screen_is_the_organisation_departments(app: Flask, demo: Round, create_account: Any,
                                                      login_as: Any, role: Role) -> None:
    client = login_as(app.test_client(), create_account(role))

    assert {url: client.get(url).status_code for url in SCREENS} == {url: 403 for url in SCREENS}
    assert client.post(f"{P04}/written", data={}).status_code == 403


def test_anonymous_is_sent_to_log_in(client: FlaskClient, demo: Round) -> None:
    assert {client.get(url).status_code for url in SCREENS} == {302}


def test_unknown_round_or_position_is_404(admin: FlaskClient) -> None:
    assert admin.get("/exams/rounds/NOPE/registrations").status_code == 404
    assert admin.get(f"{ROUND}/positions/P99/written").status_code == 404


# --- registrations ------------------------------------------------------------------------------


def test_registrations_list_shows_everyone_masked_with_the_status_in_words(admin: FlaskClient,
                                                                           db: SQLAlchemy) -> None:
    c030 = _candidate(db, "C030")
    number = reveal_id_number(c030.person)

    response = admin.get(f"{ROUND}/registrations")

    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "报名信息" in page
    assert "共显示44条报名信息" in _text(response)
    assert number not in page and number[:3] + "*" * 11 + number[-4:] in page
    assert "淘汰:所在单位未同意报考" in _row(response, "C033")
    assert c030.name in _row(response, "C030")


def test_registrations_search_by_full_id_number_and_filters(admin: FlaskClient, db: SQLAlchemy) -> None:
    number = reveal_id_number(_candidate(db, "C030").person)

    by_id = admin.post(f"{ROUND}/registrations", data={"q": number.lower(), "position": "", "status": ""})
    out_of_p04 = _text(admin.post(f"{ROUND}/registrations", data={"position": "P04", "status": "out"},
                                  follow_redirects=True))

    # the number travels sealed: not in the URL, the page, its export link or the search box
    assert by_id.status_code == 303 and "sealed=" in by_id.location
    assert number not in by_id.location and number.lower() not in by_id.location
    page = admin.get(by_id.location)
    html = page.get_data(as_text=True)
    assert "共显示1条报名信息" in _text(page) and "C030" in _text(page)
    assert number not in html and number.lower() not in html
    assert f"按身份证号码 {number[:3]}{'*' * 11}{number[-4:]} 检索。" in _text(page)
    assert "共显示2条报名信息" in out_of_p04 and "C031" in out_of_p04 and "C032" in out_of_p04


def test_an_id_number_in_a_typed_url_is_sealed_at_once_and_a_tampered_seal_filters_nothing(
        admin: FlaskClient, db: SQLAlchemy) -> None:
    number = reveal_id_number(_candidate(db, "C030").person)

    typed = admin.get(f"{ROUND}/registrations", query_string={"q": number})
    sealed = typed.location.split("sealed=")[1]
    export = admin.get(f"{ROUND}/registrations.xlsx", query_string={"sealed": sealed})
    flipped = sealed[:20] + ("B" if sealed[20] != "B" else "C") + sealed[21:]
    tampered = _text(admin.get(f"{ROUND}/registrations", query_string={"sealed": flipped}))

    assert typed.status_code == 303 and number not in typed.location
    rows = list(openpyxl.load_workbook(io.BytesIO(export.data)).active.iter_rows(values_only=True))
    assert [row[0] for row in rows[1:]] == ["C030"]
    assert "共显示44条报名信息" in tampered and "按身份证号码" not in tampered


def test_registrations_export_is_an_xlsx_of_the_filtered_list_with_masked_ids(admin: FlaskClient,
                                                                             db: SQLAlchemy) -> None:
    number = reveal_id_number(_candidate(db, "C030").person)

    response = admin.get(f"{ROUND}/registrations.xlsx", query_string={"position": "P04"})

    assert response.mimetype == XLSX and "attachment" in response.headers["Content-Disposition"]
    rows = list(openpyxl.load_workbook(io.BytesIO(response.data)).active.iter_rows(values_only=True))
    assert rows[0][:3] == ("编号", "姓名", "身份证号码")
    assert [row[0] for row in rows[1:]] == [f"C0{n}" for n in range(26, 33)]
    assert number not in str(rows) and number[:3] + "*" * 11 + number[-4:] in str(rows)
    assert rows[-1][-1] == "淘汰:公开推荐得票率未达要求"


# --- qualification review -----------------------------------------------------------------------


@pytest.fixture
def p05_at_review(db: SQLAlchemy, demo: Round) -> Position:
    p05 = _position(db, "P05")
    p05.stage = Stage.REVIEW
    db.session.commit()
    return p05


def test_review_screen_shows_the_checks_in_words_and_the_endorsement(admin: FlaskClient,
                                                                     p05_at_review: Position) -> None:
    response = admin.get(f"{P05}/review")

    assert response.status_code == 200
    assert "年龄 不符合 截止日期时46周岁;要求不超过40周岁" in _row(response, "C034")
    assert "未备案" in _row(response, "C033") and "淘汰:所在单位未同意报考" in _row(response, "C033")
    assert "已报名,待资格审查" in _row(response, "C036") and 'name="decision"' in response.get_data(as_text=True)


def test_review_refuses_a_pass_against_a_failed_check_naming_it(admin: FlaskClient, db: SQLAlchemy,
                                                                  p05_at_review: Position) -> None:
    c034 = _candidate(db, "C034")

    response = admin.post(f"{P05}/review", data={"ref": "C034", "version": c034.version_id, "decision": "pass"})

    assert response.status_code == 302
    assert _flashes(admin) == ["C034不能审查通过:年龄不符合资格条件(截止日期时46周岁;要求不超过40周岁)。"]
    db.session.expire_all()
    assert _candidate(db, "C034").qualification_review is None


def test_review_pass_then_a_stale_form_is_refused(admin: FlaskClient, db: SQLAlchemy,
                                                  p05_at_review: Position) -> None:
    version = _candidate(db, "C036").version_id
    form = {"ref": "C036", "version": version, "decision": "pass"}

    first = admin.post(f"{P05}/review", data=form)
    first_flashes = _flashes(admin)
    admin.get(f"{P05}/review")  # the flash is shown
    second = admin.post(f"{P05}/review", data={**form, "decision": "fail", "reason": "证明材料不全"})

    assert (first.status_code, second.status_code) == (302, 302)
    assert first_flashes == ["已保存对C036的审查结论。"]
    assert _flashes(admin) == ["您打开本页后,他人已修改了这些内容;本次未保存。请刷新后查看最新内容。"]
    db.session.expire_all()
    assert _candidate(db, "C036").status is Status.QUALIFIED
    page = admin.get(f"{P05}/review")
    assert "资格审查通过,待公开推荐" in _row(page, "C036")


def test_review_fail_needs_a_reason(admin: FlaskClient, db: SQLAlchemy, p05_at_review: Position) -> None:
    version = _candidate(db, "C036").version_id

    admin.post(f"{P05}/review", data={"ref": "C036", "version": version, "decision": "fail", "reason": ""})

    assert _flashes(admin) == ["C036审查不通过,须注明理由。"]


def test_review_screen_of_a_position_past_review_is_read_only(admin: FlaskClient) -> None:
    response = admin.get(f"{P04}/review")

    assert "资格审查已结束,结果已确定,不能再修改。" in _text(response)
    assert 'name="decision"' not in response.get_data(as_text=True)


# --- written exam -------------------------------------------------------------------------------


def test_written_screen_before_recommendation_closed_names_the_missing_step(admin: FlaskClient) -> None:
    response = admin.get(f"{P05}/written")

    assert "公开推荐尚未结束,不能开始笔试。" in _text(response)
    assert 'name="score-' not in response.get_data(as_text=True)


def test_written_screen_shows_scores_pass_line_and_who_is_out(admin: FlaskClient, demo: Round) -> None:
    response = admin.get(f"{P04}/written")

    results = {r.ref: r for r in round_results(demo, today=demo.as_of).candidates}
    text = _text(response)
    assert "合格分数线 60.00" in text
    for ref in ("C026", "C027", "C028", "C029", "C030"):
        written = results[ref].written
        assert (f"{written:.2f}" if written is not None else "—") in _row(response, ref)
        assert str(STATUS_LABELS[results[ref].status]) in _row(response, ref)
    assert "不在笔试阶段的人员" in text and "淘汰:公开推荐得票率未达要求" in text


def _written_form(db: SQLAlchemy, **scores: str) -> dict[str, Any]:
    form: dict[str, Any] = {}
    for ref, score in scores.items():
        form[f"version-{ref}"] = _candidate(db, ref).version_id
        form[f"score-{ref}-1"] = score
    return form


def test_written_form_refuses_bad_scores_row_by_row_and_keeps_what_was_typed(admin: FlaskClient,
                                                                             db: SQLAlchemy) -> None:
    response = admin.post(f"{P04}/written", data=_written_form(db, C030="100.5", C029="77"))

    assert response.status_code == 422
    assert "C030: 笔试:100.5不在0至100之间" in _text(response)
    assert 'value="100.5"' in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).where(WrittenScore.candidate_id == _candidate(db, "C030").id)) == 0


def test_written_form_stale_save_is_refused_and_changes_nothing(admin: FlaskClient, db: SQLAlchemy) -> None:
    form = _written_form(db, C030="75")
    admin.post(f"{P04}/written", data=form)
    admin.get(f"{P04}/written")

    response = admin.post(f"{P04}/written", data={**form, "score-C030-1": "95"})

    # refused, and the grid comes back as typed (SECURITY.md P50a: nothing typed is lost)
    assert response.status_code == 409
    assert "您打开本页后,他人已修改了这些内容;本次未保存。您填写的内容保留在下方" in _text(response)
    assert 'name="score-C030-1" value="95"' in response.get_data(as_text=True)
    db.session.expire_all()
    assert [s.score for s in _candidate(db, "C030").written_scores] == [75]


@pytest.mark.parametrize("version", ["²", "9" * 10_000])
def test_written_form_skips_a_row_whose_version_is_no_number(admin: FlaskClient, db: SQLAlchemy,
                                                             version: str) -> None:
    # P22: "²" passed str.isdigit() and 10,000 digits passed too, then int() refused both: a 500
    response = admin.post(f"{P04}/written", data={"version-C030": version, "score-C030-1": "75"})

    assert response.status_code == 302
    assert db.session.scalar(select(func.count()).where(WrittenScore.candidate_id == _candidate(db, "C030").id)) == 0


def test_interview_list_before_the_written_exam_closed_names_the_missing_step(admin: FlaskClient) -> None:
    response = admin.get(f"{P04}/interview-list")

    assert "笔试尚未结束,不能开始面试名单。" in _text(response)
    assert "未进入面试名单" not in _text(response)


# --- imports ------------------------------------------------------------------------------------


def test_written_template_lists_the_candidates_at_the_stage(admin: FlaskClient) -> None:
    response = admin.get(f"{P04}/written/template.xlsx")

    rows = list(openpyxl.load_workbook(io.BytesIO(response.data)).active.iter_rows(values_only=True))
    assert rows[0] == ("编号", "姓名", "笔试", "缺考")
    assert [row[0] for row in rows[1:]] == ["C026", "C027", "C028", "C029", "C030"]


def test_written_import_preview_with_a_bad_row_offers_no_confirmation(admin: FlaskClient, db: SQLAlchemy) -> None:
    names = {ref: _candidate(db, ref).name for ref in ("C029", "C030")}
    data = _sheet(["编号", "姓名", "笔试", "缺考"], [["C030", names["C030"], 88, None], ["C029", "别人", 70, None]])

    response = _upload(admin, f"{P04}/written/import", data)

    assert response.status_code == 200
    assert "第3行“姓名”:“别人”与C029的姓名不符。" in _text(response)
    assert _token(response) is None
    assert _candidate(db, "C030").written_scores == []


def test_written_import_confirm_stores_the_previewed_file_once(admin: FlaskClient, db: SQLAlchemy) -> None:
    name = _candidate(db, "C030").name
    data = _sheet(["ref", "name", "written", "absent"], [["C030", name, 88.5, None]])
    preview = _upload(admin, f"{P04}/written/import", data)
    token = _token(preview)
    assert token is not None and "尚未保存任何内容" in _text(preview)
    assert _candidate(db, "C030").written_scores == []

    stored = admin.post(f"{P04}/written/import", data={"token": token})
    audits = db.session.scalar(select(func.count()).select_from(AuditEvent))
    again = admin.post(f"{P04}/written/import", data={"token": _token(_upload(admin, f"{P04}/written/import", data))})

    assert (stored.status_code, stored.location) == (302, f"{P04}/written")
    assert "成绩表已导入:0行有变化,1行与已存成绩相同。" in _flashes(admin)
    assert again.status_code == 302
    db.session.expire_all()
    assert [s.score for s in _candidate(db, "C030").written_scores] == [88.5]
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == audits


def test_written_import_refuses_a_tampered_or_foreign_token(admin: FlaskClient, db: SQLAlchemy) -> None:
    name = _candidate(db, "C030").name
    token = _token(_upload(admin, f"{P04}/written/import", _sheet(["编号", "姓名", "笔试"], [["C030", name, 90]])))
    assert token is not None

    # one character of the signature changed, away from its last, whose low bits base64 ignores
    altered = token[:-5] + ("A" if token[-5] != "A" else "B") + token[-4:]
    tampered = admin.post(f"{P04}/written/import", data={"token": altered})
    foreign = admin.post(f"{P04}/interview/import", data={"token": token})

    assert tampered.status_code == 400
    assert foreign.status_code == 200 and "面试名单尚未结束,不能开始面试。" in _text(foreign)
    assert _candidate(db, "C030").written_scores == []


# --- the whole of P04 through these screens -------------------------------------------------------


@pytest.mark.db
def test_position_p04_from_the_last_written_score_to_the_interview_scores(admin: FlaskClient, db: SQLAlchemy,
                                                                 demo: Round) -> None:
    # Given P04 at the written exam with C030's score missing: enter it through the form
    saved = admin.post(f"{P04}/written", data=_written_form(db, C030="84"))
    assert saved.status_code == 302 and "笔试成绩已保存。" in _flashes(admin)

    # Then the registrations list shows C030 on the interview list (1 post × 3: 86, 84, 83)
    listed = admin.get(f"{ROUND}/registrations", query_string={"position": "P04"})
    assert str(STATUS_LABELS[Status.INTERVIEW_LIST]) in _row(listed, "C030")

    # When the hub closes the written exam and the interview list
    p04 = _position(db, "P04")
    close_position_stage(p04, Stage.WRITTEN, actor="zzb", today=demo.as_of)
    close_position_stage(p04, Stage.INTERVIEW_LIST, actor="zzb", today=demo.as_of)
    db.session.commit()

    # Then the interview list page shows the engine's list, ranked, and who is out and why
    page = admin.get(f"{P04}/interview-list")
    results = {r.ref: r for r in round_results(demo, today=demo.as_of).candidates}
    [p04_result] = [p for p in round_results(demo, today=demo.as_of).positions if p.code == "P04"]
    assert p04_result.interview_list == ["C026", "C027", "C030"]
    for rank, ref in ((1, "C026"), (2, "C030"), (3, "C027")):
        assert _row(page, ref).split()[:2] == [str(rank), ref]
    assert "淘汰:未进入面试" in _row(page, "C028")

    # When C026 is scored through the form by five examiners and the others through a sheet
    versions = {ref: _candidate(db, ref).version_id for ref in ("C026", "C027", "C030")}
    form = {"examiners": "5", "version-C026": versions["C026"],
            **{f"score-C026-{n}": s for n, s in enumerate(["80", "90", "70", "85", "60"], start=1)}}
    assert admin.post(f"{P04}/interview", data=form).status_code == 302
    names = {ref: _candidate(db, ref).name for ref in ("C027", "C030")}
    sheet = _sheet(["编号", "姓名", "考官1", "考官2", "考官3", "缺考"],
                   [["C027", names["C027"], 88, 86.5, 87, None], ["C030", names["C030"], None, None, None, "是"]])
    token = _token(_upload(admin, f"{P04}/interview/import", sheet))
    assert token is not None
    assert admin.post(f"{P04}/interview/import", data={"token": token}).status_code == 302

    # Then what the interview page shows is what round_results computes
    db.session.expire_all()
    results = {r.ref: r for r in round_results(demo, today=demo.as_of).candidates}
    # C026: 90 and 60 dropped, (80 + 70 + 85) / 3; C027: three examiners, (88 + 86.5 + 87) / 3
    assert (results["C026"].interview, results["C027"].interview) == (Decimal("78.33"), Decimal("87.17"))
    assert results["C030"].status is Status.ABSENT_INTERVIEW
    page = admin.get(f"{P04}/interview")
    for ref in ("C026", "C027", "C030"):
        r = results[ref]
        row = _row(page, ref)
        assert (f"{r.interview:.2f}" if r.interview is not None else "—") in row
        assert str(STATUS_LABELS[r.status]) in row
    assert "去掉一个最高分和一个最低分" in _text(page)
    assert db.session.scalar(select(func.count()).select_from(InterviewScore)
                             .join(Candidate, InterviewScore.candidate_id == Candidate.id)
                             .where(Candidate.ref.in_(["C026", "C027"]))) == 8
    listed = admin.get(f"{ROUND}/registrations", query_string={"position": "P04"})
    for ref in ("C026", "C027", "C028", "C029", "C030", "C031", "C032"):
        assert str(STATUS_LABELS[results[ref].status]) in _row(listed, ref)
