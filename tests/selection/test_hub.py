"""The round and position hubs (选拔工作总览): figures from the engine, and closing a stage."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from html import unescape

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_sqlalchemy import SQLAlchemy
from openpyxl import load_workbook
from sqlalchemy import select

from exams.models import WrittenScore
from exams.services import TypedWritten, record_written_scores
from selection import views
from selection.auth import requires_role
from selection.labels import STATUS_LABELS
from selection.models import Candidate, Position, Role, Round, User
from selection.pipeline import Stage
from selection.record.demo import DEMO_CODE, demo_record
from selection.record.engine import Results, compute
from selection.record.parse import parse_record
from selection.record.services import round_results
from selection.record.store import store_record
from selection.rules import exact_percent
from selection.services import reveal_id_number

TODAY = "2026-11-20"
DAY = date(2026, 11, 20)


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    return make_app(TODAY=TODAY)


@pytest.fixture
def demo(db: SQLAlchemy) -> Round:
    record = parse_record(demo_record())
    round_ = store_record(record, compute(record), replace=False, actor="test")
    db.session.commit()
    return round_


@pytest.fixture
def admin(create_account: Callable[..., User]) -> User:
    return create_account(Role.ADMIN, "org-admin")


@pytest.fixture
def admin_client(client: FlaskClient, admin: User, login_as: Callable[..., FlaskClient]) -> FlaskClient:
    return login_as(client, admin)


def _page(client: FlaskClient, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def _cells(row: str) -> list[str]:
    return [unescape(re.sub(r"<[^>]+>", "", cell)).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]


def _rows(page: str, prefix: str) -> dict[str, list[str]]:
    return {key: _cells(body) for key, body in re.findall(rf'<tr id="{prefix}-([^"]+)">(.*?)</tr>', page, re.S)}


def _shown(value: object) -> str:
    return "" if value is None else str(value)


def _results(db: SQLAlchemy, round_: Round) -> Results:
    return round_results(db.session.get(Round, round_.id), today=parse_record(demo_record()).as_of)


def _position(db: SQLAlchemy, round_: Round, code: str) -> Position:
    return db.session.scalar(select(Position).where(Position.round_id == round_.id, Position.code == code))


# --- the round hub


def test_round_hub_in_chinese_shows_each_position_as_the_engine_counts(
        admin_client: FlaskClient, db: SQLAlchemy, demo: Round) -> None:
    page = _page(admin_client, f"/rounds/{DEMO_CODE}")

    assert '<html lang="zh-CN">' in page
    for words in ("工作看板", "审计记录", "节假日日历", "规则设置", "报名公告", "资格条件截止日期", "2026年6月30日",
                  "当前阶段", "在选人数", "推荐人数不足", "未发布"):
        assert words in page
    results = _results(db, demo)
    status = {c.ref: c.status for c in results.candidates}
    rows = _rows(page, "position")
    for position in demo.positions:
        live = sum(1 for c in position.candidates if status[c.ref].is_live)
        registered = len(position.candidates)
        assert rows[position.code][5:8] == [str(registered), str(live), str(registered - live)]
    # P05 has too few recommended candidates (insufficient_applicants), the others no warning
    assert rows["P05"][8] == "推荐人数不足" and rows["P01"][8] == ""
    assert rows["P04"][4] == "笔试"


def test_round_hub_links_what_exists(admin_client: FlaskClient, demo: Round) -> None:
    page = _page(admin_client, f"/rounds/{DEMO_CODE}")

    for href in (f"/rounds/{DEMO_CODE}/edit", f"/rounds/{DEMO_CODE}/dashboard", f"/audit?round={DEMO_CODE}",
                 f"/rounds/{DEMO_CODE}/calendar", f"/rounds/{DEMO_CODE}/positions/P04",
                 f"/rounds/{DEMO_CODE}/positions/new"):
        assert f'href="{href}"' in page


def test_home_page_links_round_titles_to_the_hub_for_admins_only(
        client: FlaskClient, admin: User, login_as: Callable[..., FlaskClient], demo: Round) -> None:
    hub = f'href="/rounds/{DEMO_CODE}"'
    assert hub not in _page(client, "/")

    assert hub in _page(login_as(client, admin), "/")


def test_hubs_refuse_other_roles_and_unknown_codes(
        app: Flask, create_account: Callable[..., User], login_as: Callable[..., FlaskClient],
        admin_client: FlaskClient, demo: Round) -> None:
    assert admin_client.get("/rounds/NOPE").status_code == 404
    assert admin_client.get(f"/rounds/{DEMO_CODE}/positions/P99").status_code == 404
    supervision = login_as(app.test_client(), create_account(Role.SUPERVISION))
    assert supervision.get(f"/rounds/{DEMO_CODE}").status_code == 403


# --- the position hub


@pytest.mark.parametrize("code", ["P01", "P02", "P03", "P04", "P05"])
def test_position_hub_shows_exactly_what_the_engine_computes(
        admin_client: FlaskClient, db: SQLAlchemy, demo: Round, code: str) -> None:
    page = _page(admin_client, f"/rounds/{DEMO_CODE}/positions/{code}")
    results = {c.ref: c for c in _results(db, demo).candidates}

    rows = _rows(page, "candidate")
    refs = [c.ref for c in _position(db, demo, code).candidates]
    assert list(rows) == refs
    with admin_client.application.test_request_context("/"):
        for ref in refs:
            r = results[ref]
            rate = "" if r.recommendation_rate is None else f"{exact_percent(r.recommendation_rate)}%"
            assert rows[ref][3:] == [str(STATUS_LABELS[r.status]), rate, _shown(r.written), _shown(r.interview),
                                     _shown(r.evaluation), _shown(r.performance), _shown(r.total), _shown(r.rank)]


def test_position_hub_shows_the_lists_formed(admin_client: FlaskClient, db: SQLAlchemy, demo: Round) -> None:
    page = _page(admin_client, f"/rounds/{DEMO_CODE}/positions/P02")
    result = next(p for p in _results(db, demo).positions if p.code == "P02")

    lists = {name: _cells(f"<td>{body}</td>")[0] for name, body in
             re.findall(r'<div id="list-([a-z_]+)"><dt>.*?</dt><dd>(.*?)</dd></div>', page, re.S)}
    assert lists["interview_list"] == "、".join(result.interview_list)
    assert lists["elected"] == "、".join(result.elected)
    assert lists["backfill"] == "、".join(result.backfill) == "C010"
    assert lists["tie_revote"] == "无"


def test_position_hub_timeline_and_open_stage(admin_client: FlaskClient, demo: Round) -> None:
    page = _page(admin_client, f"/rounds/{DEMO_CODE}/positions/P04")

    marks = re.findall(r'<li class="timeline-(closed|open|future)"', page)
    assert marks == ["closed"] * 3 + ["open"] + ["future"] * 11
    assert "当前环节:笔试" in page and "结束环节:笔试" in page
    assert 'name="stage" type="hidden" value="written"' in page
    # what keeps the stage open is said before anyone tries
    assert "笔试还不能结束:笔试成绩未录入 (C030)。" in page


def test_position_hub_names_a_stage_screen_not_built_yet_without_a_link(
        admin_client: FlaskClient, demo: Round, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(views.STAGE_SCREENS, Stage.WRITTEN, (("exams.not_built_yet", True),))

    page = _page(admin_client, f"/rounds/{DEMO_CODE}/positions/P04")

    assert '<span class="muted">笔试</span>' in page


def test_position_hub_links_the_stage_screen_once_it_exists(make_app: Callable[..., Flask], db: SQLAlchemy,
                                                          admin: User, login_as: Callable[..., FlaskClient],
                                                          demo: Round) -> None:
    app = make_app(TODAY=TODAY)
    if "exams.enter_written_scores" not in app.view_functions:
        app.add_url_rule("/test/<code>/<position>/written", endpoint="exams.enter_written_scores",
                         view_func=requires_role(Role.ADMIN)(lambda code, position: "written"))
    client = login_as(app.test_client(), admin)

    page = _page(client, f"/rounds/{DEMO_CODE}/positions/P04")

    assert re.search(rf'<a href="[^"]*{DEMO_CODE}[^"]*P04[^"]*">笔试</a>', page)


# --- closing a stage from the hub


def _close(client: FlaskClient, position: str, stage: str) -> str:
    response = client.post(f"/rounds/{DEMO_CODE}/positions/{position}/close", data={"stage": stage},
                           follow_redirects=True)
    assert response.status_code == 200
    return response.get_data(as_text=True)


@pytest.mark.db
def test_closing_p04_is_refused_naming_c030_then_closes_once_its_score_is_in(
        admin_client: FlaskClient, admin: User, db: SQLAlchemy, demo: Round) -> None:
    refused = _close(admin_client, "P04", "written")

    assert "笔试还不能结束:笔试成绩未录入 (C030)。" in refused
    assert _position(db, demo, "P04").stage is Stage.WRITTEN

    # Given C030's written score entered through the exams service
    c030 = db.session.scalar(select(Candidate).where(Candidate.round_id == demo.id, Candidate.ref == "C030"))
    record_written_scores(_position(db, demo, "P04"), {"C030": TypedWritten({"written": "90"})},
                          versions={"C030": c030.version_id}, actor=admin, today=DAY)
    db.session.commit()

    closed = _close(admin_client, "P04", "written")

    assert "笔试已结束,进入面试名单。" in closed
    db.session.expire_all()
    assert _position(db, demo, "P04").stage is Stage.INTERVIEW_LIST
    rows = _rows(closed, "candidate")
    assert rows["C030"][3] == "进入面试" and rows["C028"][3] == "淘汰:未进入面试"


def test_publicity_cannot_close_while_a_backfill_is_in_publicity(
        admin_client: FlaskClient, db: SQLAlchemy, demo: Round) -> None:
    page = _close(admin_client, "P02", "publicity")

    assert "任前公示还不能结束" in page and "(C010)" in page
    db.session.expire_all()
    assert _position(db, demo, "P02").stage is Stage.PUBLICITY


def test_a_second_submit_of_the_close_form_does_not_close_the_next_stage(
        admin_client: FlaskClient, db: SQLAlchemy, demo: Round) -> None:
    c030 = db.session.scalar(select(Candidate).where(Candidate.round_id == demo.id, Candidate.ref == "C030"))
    db.session.add(WrittenScore(candidate_id=c030.id, paper="written", score=Decimal("70")))
    db.session.commit()
    _close(admin_client, "P04", "written")

    again = _close(admin_client, "P04", "written")

    assert "笔试已结束,结果已确定,不能再修改。" in again
    db.session.expire_all()
    assert _position(db, demo, "P04").stage is Stage.INTERVIEW_LIST


def test_closing_out_of_order_names_the_missing_step(admin_client: FlaskClient, db: SQLAlchemy, demo: Round) -> None:
    page = _close(admin_client, "P05", "written")

    assert "公开推荐尚未结束,不能开始笔试。" in page
    assert _position(db, demo, "P05").stage is Stage.RECOMMENDATION


# --- export


def test_position_export_has_the_hub_figures_and_masked_id_numbers_only(
        admin_client: FlaskClient, db: SQLAlchemy, demo: Round) -> None:
    response = admin_client.get(f"/rounds/{DEMO_CODE}/positions/P01/export")

    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == f'attachment; filename="{DEMO_CODE}-P01.xlsx"'
    sheet = load_workbook(io.BytesIO(response.data), read_only=True).worksheets[0]
    header, *rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert header[:3] == ["编号", "姓名", "身份证号码"]
    c001 = db.session.scalar(select(Candidate).where(Candidate.round_id == demo.id, Candidate.ref == "C001"))
    number = reveal_id_number(c001.person)
    assert rows[0][0] == "C001" and rows[0][2] == number[:3] + "*" * 11 + number[-4:]
    assert rows[0][5] == "任职试用期" and rows[0][11] == 89.99 and rows[0][12] == 1
    assert not any(number in str(cell) for row in rows for cell in row)


# --- a round run in the browser


def test_a_browser_round_closes_registration_once_published_and_the_window_has_ended(
        make_app: Callable[..., Flask], db: SQLAlchemy, admin: User, login_as: Callable[..., FlaskClient]) -> None:
    # Given a round set up and a position added through the pages, during its registration window
    during = login_as(make_app(TODAY="2027-03-10").test_client(), admin)
    during.post("/rounds/new", data={"code": "R2027-01", "title": "2027年公开选拔", "cutoff_date": "2027-03-31",
                                     "registration_opens": "2027-03-01", "registration_closes": "2027-03-15"})
    round_ = db.session.scalar(select(Round).where(Round.code == "R2027-01"))
    during.post("/rounds/R2027-01/positions/new", data={"code": "P01", "title": "市财政局副局长", "unit": "市财政局",
                                                        "posts": "1", "version": round_.version_id})
    close = {"stage": "registration"}

    unpublished = during.post("/rounds/R2027-01/positions/P01/close", data=close, follow_redirects=True)
    db.session.expire_all()
    during.post("/rounds/R2027-01/publish", data={"announcement": "公告", "version": round_.version_id})
    still_open = during.post("/rounds/R2027-01/positions/P01/close", data=close, follow_redirects=True)
    after = login_as(make_app(TODAY="2027-03-16").test_client(), admin)
    closed = after.post("/rounds/R2027-01/positions/P01/close", data=close, follow_redirects=True)

    assert "报名还不能结束:报名公告尚未发布。" in unpublished.get_data(as_text=True)
    assert "报名还不能结束:报名时间尚未截止。" in still_open.get_data(as_text=True)
    assert "报名已结束,进入资格审查。" in closed.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.scalar(select(Position.stage).where(Position.round_id == round_.id)) is Stage.REVIEW
