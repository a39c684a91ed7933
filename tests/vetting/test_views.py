"""The vetting screens through the client as a logged-in admin: in Chinese, saving, refusing out of
order with the missing step named, refusing stale forms, and showing what `round_results` computes."""

from __future__ import annotations

import html
import io
import re
from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient
from flask_sqlalchemy import SQLAlchemy
from openpyxl import load_workbook

from selection.models import Role, Round, User
from selection.pipeline import Status
from selection.record.services import round_results
from selection.rules import exact_percent
from selection.spreadsheets import Sheet, export_xlsx
from vetting import imports, services
from vetting.models import InspectionTeam

from .conftest import DAY, candidate, p03_at_evaluation, p03_at_inspection_notice, p05_at_review, position

BASE = "/vetting/rounds/DEMO-2026"
STALE = "他人已修改了这些内容;本次未保存"
GOOD = {100: 8, 95: 10, 90: 7, 80: 5}


def _text(page: str) -> str:
    """The page as a reader sees it: tags gone, entities decoded, spaces collapsed."""
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


def _get(client: FlaskClient, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, path
    return response.get_data(as_text=True)


def _post(client: FlaskClient, path: str, data: dict[str, Any]) -> str:
    """POST, follow the redirect, and return the page it lands on (with its flashed messages)."""
    response = client.post(path, data=data, follow_redirects=True)
    assert response.status_code == 200, path
    return response.get_data(as_text=True)


def _results(round_: Round) -> dict[str, Any]:
    return {r.ref: r for r in round_results(round_, today=DAY).candidates}


def _row(page: str, ref: str) -> str:
    """The text of the table row of `ref` (the first row naming it)."""
    match = re.search(r"<tr[^>]*>(?:(?!</tr>).)*<code>" + ref + r"</code>(?:(?!</tr>).)*</tr>", page, re.S)
    assert match, ref
    return _text(match.group(0))


# --- access -----------------------------------------------------------------------------------


def test_vetting_screens_are_for_the_organisation_department(client: FlaskClient, store_demo: Callable[..., Round],
                                                             create_account: Callable[..., User],
                                                             login_as: Callable[..., FlaskClient]) -> None:
    store_demo()

    anonymous = client.get(f"{BASE}/positions/P03/totals")
    login_as(client, create_account(Role.INSPECTOR, "insp"))
    inspector = client.get(f"{BASE}/positions/P03/totals")

    assert anonymous.status_code == 302 and anonymous.location.startswith("/login")
    assert inspector.status_code == 403


# --- refusals out of order --------------------------------------------------------------------


@pytest.mark.parametrize(("path", "refusal"), [
    ("/positions/P05/evaluation", "面试尚未结束,不能开始考评与业绩。"),
    ("/positions/P04/totals", "考评与业绩尚未结束,不能开始总成绩。"),
    ("/positions/P05/inspection-notice", "总成绩尚未结束,不能开始考察预告。"),
    ("/positions/P04/inspection", "考察预告尚未结束,不能开始差额考察。"),
    ("/positions/P03/vote-list", "差额考察尚未结束,不能开始票决名单。"),
    ("/committee", "票决名单尚未结束,不能开始差额票决。"),
    ("/positions/P04/recommendation", "公开推荐已结束,结果已确定,不能再修改。"),
    ("/positions/P05/endorsements", "资格审查已结束,结果已确定,不能再修改。"),
])
def test_screens_out_of_order_name_the_missing_step_and_offer_no_form(
        admin_client: FlaskClient, store_demo: Callable[..., Round], path: str, refusal: str) -> None:
    store_demo()

    page = _get(admin_client, BASE + path)

    assert refusal in _text(page)
    assert 'action="/vetting/' not in page


def test_a_save_out_of_order_is_refused_and_stores_nothing(admin_client: FlaskClient, db: SQLAlchemy,
                                                           store_demo: Callable[..., Round]) -> None:
    round_ = store_demo()
    c026 = candidate(db, round_, "C026")  # P04 is at the written exam

    page = _post(admin_client, f"{BASE}/positions/P04/recommendation/C026",
                 {"yes": 1, "no": 40, "abstain": 0, "invalid": 0, "version": c026.version_id})

    assert "公开推荐已结束,结果已确定,不能再修改。" in _text(page)
    db.session.expire_all()
    assert candidate(db, round_, "C026").recommendation_tally.no != 40


# --- endorsements -----------------------------------------------------------------------------


def test_endorsements_save_and_refuse_a_stale_form(admin_client: FlaskClient, db: SQLAlchemy,
                                                   store_demo: Callable[..., Round]) -> None:
    round_ = store_demo(p05_at_review)
    c033 = candidate(db, round_, "C033")
    shown = c033.version_id
    before = _get(admin_client, f"{BASE}/positions/P05/endorsements")

    saved = _post(admin_client, f"{BASE}/positions/P05/endorsements/C033",
                  {"unit": "市人社局党组", "date": "2026-05-11", "document": "人社函〔2026〕7号", "version": shown})
    stale = _post(admin_client, f"{BASE}/positions/P05/endorsements/C033",
                  {"unit": "别的单位", "date": "2026-05-12", "document": "X", "version": shown})

    assert "单位把关" in _text(before) and "淘汰:所在单位未同意报考" in _row(before, "C033")
    assert "已保存C033的单位把关意见。" in _text(saved)
    assert "人社函〔2026〕7号" in _row(saved, "C033") and "已报名,待资格审查" in _row(saved, "C033")
    assert STALE in _text(stale)
    db.session.expire_all()
    assert candidate(db, round_, "C033").endorsement.document == "人社函〔2026〕7号"


# --- recommendation ---------------------------------------------------------------------------


def test_recommendation_shows_the_engines_rate_and_gate(admin_client: FlaskClient, db: SQLAlchemy,
                                                        store_demo: Callable[..., Round]) -> None:
    round_ = store_demo()
    c035 = candidate(db, round_, "C035")

    page = _post(admin_client, f"{BASE}/positions/P05/recommendation/C035",
                 {"yes": 40, "no": 8, "abstain": 2, "invalid": 4, "version": c035.version_id})

    results = _results(round_)
    assert "推荐率要求" in _text(page) and "80.00%" in _text(page)
    for ref in ("C035", "C037"):
        assert f"{exact_percent(results[ref].recommendation_rate)}%" in _row(page, ref)
    assert "80.00%" in _row(page, "C035") and "通过" in _row(page, "C035")  # exactly 80% passes
    assert results["C035"].status is Status.RECOMMENDED
    assert "淘汰:所在单位未同意报考" in _row(page, "C033")  # shown as out, with why


def test_recommendation_refuses_no_valid_ballots_and_a_stale_form(admin_client: FlaskClient, db: SQLAlchemy,
                                                                  store_demo: Callable[..., Round]) -> None:
    round_ = store_demo()
    shown = candidate(db, round_, "C035").version_id
    path = f"{BASE}/positions/P05/recommendation/C035"

    empty = _post(admin_client, path, {"yes": 0, "no": 0, "abstain": 0, "invalid": 9, "version": shown})
    _post(admin_client, path, {"yes": 45, "no": 3, "abstain": 2, "invalid": 0, "version": shown})
    stale = _post(admin_client, path, {"yes": 1, "no": 48, "abstain": 1, "invalid": 0, "version": shown})

    assert "没有有效票" in _text(empty)
    assert STALE in _text(stale)
    db.session.expire_all()
    assert candidate(db, round_, "C035").recommendation_tally.yes == 45


# --- evaluation and performance ---------------------------------------------------------------


def test_evaluation_shows_the_engines_scores_and_trimming(admin_client: FlaskClient, db: SQLAlchemy,
                                                          store_demo: Callable[..., Round]) -> None:
    round_ = store_demo(p03_at_evaluation)
    c017 = candidate(db, round_, "C017")
    tally = {f"v{v}": n for v, n in GOOD.items()}

    _post(admin_client, f"{BASE}/positions/P03/evaluation/C017/ballots", {**tally, "version": c017.version_id})
    page = _post(admin_client, f"{BASE}/positions/P03/evaluation/C017/performance",
                 {"annual_1": "excellent", "annual_2": "competent", "annual_3": "basically_competent",
                  "award_merit_class_3": 1, "penalty_warning": 0, "version": candidate(db, round_, "C017").version_id})

    results = _results(round_)
    assert "工作表现考评与工作业绩打分" in _text(page)
    for ref in ("C017", "C018", "C019", "C020"):
        row = _row(page, ref)
        assert f"{results[ref].evaluation:.2f}" in row and f"{results[ref].performance:.2f}" in row
    # 30 ballots, trim ratio 0.10: 3 from each end
    assert re.search(r"C017 \S+ \S+ 30 3 ", _row(page, "C017"))
    assert "优秀、称职、基本称职; 三等功" in _row(page, "C017")
    assert "淘汰:工作表现考评得分低于底线(一票否决)" in _row(page, "C019")  # the veto, with its reason


def test_evaluation_refuses_a_stale_form_and_too_few_ballots(admin_client: FlaskClient, db: SQLAlchemy,
                                                             store_demo: Callable[..., Round]) -> None:
    round_ = store_demo(p03_at_evaluation)
    shown = candidate(db, round_, "C017").version_id
    path = f"{BASE}/positions/P03/evaluation/C017/ballots"

    few = _post(admin_client, path, {"v100": 2, "v90": 2, "version": shown})
    _post(admin_client, path, {"v100": 5, "version": shown})
    stale = _post(admin_client, path, {"v20": 9, "version": shown})

    assert "有效票4张,至少需要5张。" in _text(few)
    assert STALE in _text(stale)
    assert services.stored_tally(candidate(db, round_, "C017")) == {100: 5}


def test_a_performance_count_of_ten_to_the_forty_is_refused_not_expanded(
        admin_client: FlaskClient, db: SQLAlchemy, store_demo: Callable[..., Round]) -> None:
    # P22: the counts were expanded into that many items before the form was validated
    round_ = store_demo(p03_at_evaluation)
    shown = candidate(db, round_, "C017").version_id

    page = _post(admin_client, f"{BASE}/positions/P03/evaluation/C017/performance",
                 {"annual_1": "excellent", "award_merit_class_3": "1" + "0" * 40, "version": shown})

    assert "flash-error" in page
    assert candidate(db, round_, "C017").version_id == shown


@pytest.mark.parametrize("sitting", ["9" * 20, "-" + "9" * 40])
def test_a_paper_ballot_for_a_sitting_number_past_64_bits_finds_no_sitting(
        admin_client: FlaskClient, store_demo: Callable[..., Round], sitting: str) -> None:
    # P22: the number went to db.session.get, and SQLite refused to bind it (a 500)
    store_demo()

    response = admin_client.post(f"{BASE}/committee/ballots", data={"sitting": sitting, "part_P01": ["C001"]})

    assert response.status_code == 404


def _sheet(rows: list[list[Any]]) -> bytes:
    headers = [c.name for c in imports.evaluation_columns()]
    return export_xlsx([Sheet("ballots", headers, rows)])


def _counts(tally: dict[int, int]) -> list[Any]:
    return [tally.get(v) for v in services.BALLOT_ORDER]


def test_evaluation_import_preview_confirm_and_again(admin_client: FlaskClient, db: SQLAlchemy,
                                                     store_demo: Callable[..., Round]) -> None:
    round_ = store_demo(p03_at_evaluation)
    path = f"{BASE}/positions/P03/evaluation/import"
    template = admin_client.get(f"{BASE}/positions/P03/evaluation/template.xlsx")
    sheet = load_workbook(io.BytesIO(template.data)).active
    good = _sheet([["C017", None, *_counts(GOOD)]])
    bad = _sheet([["C017", None, *_counts(GOOD)], ["C023", None, *_counts(GOOD)], ["C018", None, -3]])

    refused = admin_client.post(path, data={"file": (io.BytesIO(bad), "bad.xlsx")}).get_data(as_text=True)
    preview = admin_client.post(path, data={"file": (io.BytesIO(good), "good.xlsx")}).get_data(as_text=True)
    token = re.search(r'name="token" value="([^"]+)"', preview)
    stored = _post(admin_client, path, {"token": token.group(1) if token else ""})
    again = admin_client.post(path, data={"file": (io.BytesIO(good), "good.xlsx")}).get_data(as_text=True)
    second = _post(admin_client, path, {"token": re.search(r'name="token" value="([^"]+)"', again).group(1)})

    assert [c.value for c in sheet[1]] == ["ref", "name", *[str(v) for v in services.BALLOT_ORDER]]
    assert [c.value for c in sheet[2]][:2] == ["C017", candidate(db, round_, "C017").name]
    assert "第3行" in _text(refused) and "C023未完成面试" in _text(refused)
    assert "第4行 · 100: -3为负数" in _text(refused) and 'name="token"' not in refused
    assert "有变化" in _text(preview) and token
    assert "1人有变化,0人无变化。" in _text(stored)
    assert "0人有变化,1人无变化。" in _text(second)
    assert services.stored_tally(candidate(db, round_, "C017")) == GOOD


# --- totals and the inspection list -----------------------------------------------------------


def test_totals_equal_the_engine_with_the_reason_for_every_cut(admin_client: FlaskClient, db: SQLAlchemy,
                                                               store_demo: Callable[..., Round]) -> None:
    round_ = store_demo(p03_at_inspection_notice)

    page = _get(admin_client, f"{BASE}/positions/P03/totals")
    export = admin_client.get(f"{BASE}/positions/P03/totals.xlsx")

    results = _results(round_)
    p03 = {c.ref for c in position(db, round_, "P03").candidates}
    scored = sorted((r for r in results.values() if r.ref in p03 and r.total is not None),
                    key=lambda r: (r.rank, r.ref))
    assert [r.ref for r in scored] == ["C017", "C018", "C020", "C021", "C022", "C019"]
    for r in scored:
        row = _row(page, r.ref)
        assert row.startswith(f" {r.rank} {r.ref}")
        for value in (r.written, r.interview, r.evaluation, r.performance, r.total):
            assert f"{value:.2f}" in row
    assert "权重" in _text(page) and "前4名(职数2 × 2)" in _text(page)
    assert "入选:在规定名额内" in _row(page, "C021")
    assert "未入选:在规定名额之外" in _row(page, "C022")
    assert "未入选:一票否决" in _row(page, "C019")
    rows = list(load_workbook(io.BytesIO(export.data)).active.iter_rows(min_row=2, values_only=True))
    assert [(row[0], f"{row[7]:.2f}", row[8]) for row in rows] == [(r.ref, f"{r.total:.2f}", r.rank) for r in scored]


# --- inspection notice, teams and records -----------------------------------------------------

NOTICE = {"period": "2026年11月23日至12月4日", "purpose": "了解德能勤绩廉", "discipline": "严守纪律",
          "members": "王强、李明", "office_address": "市委组织部", "phone": "0571-87000000"}


def test_publish_inspection_notice(admin_client: FlaskClient, db: SQLAlchemy,
                                   store_demo: Callable[..., Round]) -> None:
    round_ = store_demo(p03_at_inspection_notice)
    path = f"{BASE}/positions/P03/inspection-notice"
    before = _get(admin_client, path)

    page = _post(admin_client, path, NOTICE)

    assert "考察对象" in _text(before) and "C020" in before and "C022" not in _text(before)
    assert "P03的考察预告已发布。" in _text(page) and "已于2026年11月20日发布。" in _text(page)
    db.session.expire_all()
    assert position(db, round_, "P03").inspection_notice.phone == "0571-87000000"


def test_inspection_records_save_refuse_duplicate_ranks_and_stale_forms(
        admin_client: FlaskClient, db: SQLAlchemy, store_demo: Callable[..., Round]) -> None:
    round_ = store_demo()
    path = f"{BASE}/positions/P03/inspection"
    findings = {"de": "德好", "neng": "能强", "qin": "勤勉", "ji": "实绩好", "lian": "廉洁", "fit": "适合"}
    shown = candidate(db, round_, "C020").version_id

    shared = _post(admin_client, f"{path}/C020", {**findings, "conclusion": "qualified", "rank": 2, "version": shown})
    saved = _post(admin_client, f"{path}/C020", {**findings, "conclusion": "qualified", "rank": 3, "version": shown})
    stale = _post(admin_client, f"{path}/C020", {**findings, "conclusion": "unqualified", "rank": 3,
                                                 "version": shown})

    assert "排名2将同时属于C018、C020" in _text(shared)
    assert "已保存C020的考察结果。" in _text(saved) and "考察合格" in _row(saved, "C020")
    assert STALE in _text(stale)
    db.session.expire_all()
    assert str(candidate(db, round_, "C020").inspection_record.conclusion) == "qualified"


def test_teams_are_formed_from_inspector_accounts(admin_client: FlaskClient, db: SQLAlchemy,
                                                  store_demo: Callable[..., Round],
                                                  create_account: Callable[..., User]) -> None:
    round_ = store_demo()
    leader = create_account(Role.INSPECTOR, "insp-1", display_name="王强")
    member = create_account(Role.INSPECTOR, "insp-2", display_name="李明")
    p03 = position(db, round_, "P03")

    page = _post(admin_client, f"{BASE}/teams", {"name": "第一考察组", "leader": leader.id,
                                                 "members": [member.id], "positions": [p03.id]})
    again = _post(admin_client, f"{BASE}/teams", {"name": "第二考察组", "leader": member.id, "positions": [p03.id]})
    inspection = _get(admin_client, f"{BASE}/positions/P03/inspection")

    assert "已组建考察组第一考察组。" in _text(page) and "王强、李明" in _text(page)
    assert "P03已由第一考察组负责考察:每个职位只设一个考察组。" in _text(again)
    assert "第一考察组: 王强 (组长)、李明" in _text(inspection)
    assert db.session.query(InspectionTeam).count() == 1
