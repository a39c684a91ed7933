"""The publicity, appointment and probation screens, through the client as a logged-in admin.

Each screen renders in Chinese, saves, refuses out of order naming the missing step,
refuses a stale form, and shows the dates `round_results` computes.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import format_date
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import func, select

from publicity.models import Appointment, FinalAssessment, ProbationReview, Publicity
from selection.models import Candidate, Role, Round
from selection.pipeline import Status
from selection.record.services import round_results
from tests.publicity.conftest import without_publicity_of

pytestmark = pytest.mark.db
DAY = "2026-11-20"
P01 = "/publicity/rounds/DEMO-2026/positions/P01"
P02 = "/publicity/rounds/DEMO-2026/positions/P02"
P03 = "/publicity/rounds/DEMO-2026/positions/P03"
STALE = "他人已修改了这些内容"


@pytest.fixture
def admin(app: Flask, client: FlaskClient, create_account: Callable[..., Any],
          login_as: Callable[[FlaskClient, Any], FlaskClient]) -> FlaskClient:
    """A client logged in as the organisation department, with the clock pinned to 2026-11-20."""
    app.config["TODAY"] = DAY
    return login_as(client, create_account(Role.ADMIN))


def _page(client: FlaskClient, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _flashes(page: str) -> list[str]:
    return re.findall(r'<li class="flash flash-\w+" role="status">(.*?)</li>', page, re.S)


def _count(db: SQLAlchemy, model: type) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _zh(app: Flask, day: date) -> str:
    with app.test_request_context("/"):
        return format_date(day)


def _text(html: str) -> str:
    return re.sub(r"<[^>]+>", "", html)


def _main(page: str) -> str:
    return page[page.index("<main"):page.index("</main>")]


def _row(page: str, ref: str) -> str:
    start = page.index(f'id="candidate-{ref}"')
    return page[start:page.index("</tr>", start)]


# --- publicity ------------------------------------------------------------------------


def test_publicity_screen_shows_who_is_in_who_is_out_and_the_engines_dates(
        app: Flask, db: SQLAlchemy, admin: FlaskClient, store_demo: Callable[..., Round]) -> None:
    demo = store_demo()

    page = _page(admin, P02 + "/publicity")

    results = {c.ref: c for c in round_results(demo, today=date(2026, 11, 20)).candidates}
    assert '<html lang="zh-CN">' in page and "任前公示" in page
    assert "取消任用资格" in _row(page, "C008") and "经查属实" in _row(page, "C008")
    assert "公示无异议" in _row(page, "C009")
    assert "任前公示中" in _row(page, "C010") and "依次递补" in _row(page, "C010")
    for ref in ("C008", "C009", "C010"):
        assert _zh(app, results[ref].publicity_end) in _row(page, ref)
    assert "淘汰:未提交票决" in _row(page, "C011") and "C002" not in page  # C002 is of P01
    # the notice text, as it will be published
    assert "拟任市发展和改革委员会副主任" in page and "0571-87000000" in page
    assert 'name="start"' not in page  # everyone proposed already has a publicity


def test_publicity_is_previewed_then_saved(app: Flask, db: SQLAlchemy, admin: FlaskClient,
                                          store_demo: Callable[..., Round]) -> None:
    # Given the backfill C010 without a publicity
    demo = store_demo(without_publicity_of("C010"))
    version = db.session.scalar(select(Candidate.version_id).where(Candidate.ref == "C010"))
    assert 'name="start"' in _row(_page(admin, P02 + "/publicity"), "C010")

    # When the start 2026-09-24 is previewed
    preview = _page(admin, f"{P02}/publicity/C010/preview?ref=C010&version={version}&start=2026-09-24")

    # Then the page shows the counted days and the end, and nothing is saved yet
    assert "09-24, 09-28, 09-29, 09-30, 10-08, 10-09, 10-10" in _text(preview)
    assert "2026年10月10日" in preview and "确认并保存" in preview
    assert _count(db, Publicity) == 3

    # When confirmed
    response = admin.post(P02 + "/publicity", data={"ref": "C010", "version": version, "start": "2026-09-24"},
                          follow_redirects=True)

    # Then it is saved and the screen shows the end the engine computes
    page = response.get_data(as_text=True)
    assert "已安排C010的任前公示" in page
    assert round_results(demo, today=date(2026, 11, 20)).candidates[9].publicity_end == date(2026, 10, 10)
    assert "2026年10月10日" in _row(page, "C010") and "公示无异议" in _row(page, "C010")


def test_publicity_preview_refuses_a_year_without_holiday_data(
        db: SQLAlchemy, admin: FlaskClient, store_demo: Callable[..., Round]) -> None:
    store_demo(without_publicity_of("C010"))

    response = admin.get(f"{P02}/publicity/C010/preview?ref=C010&version=1&start=2026-12-28",
                         follow_redirects=True)

    assert _flashes(response.get_data(as_text=True)) == ["没有2027年的节假日数据,请先补充该年的节假日安排。"]
    assert _count(db, Publicity) == 3


def test_publicity_refuses_a_stale_form(db: SQLAlchemy, admin: FlaskClient, store_demo: Callable[..., Round]) -> None:
    store_demo(without_publicity_of("C010"))
    version = db.session.scalar(select(Candidate.version_id).where(Candidate.ref == "C010"))
    form = {"ref": "C010", "version": version, "start": "2026-11-23"}

    admin.post(P02 + "/publicity", data=form)
    second = admin.post(P02 + "/publicity", data={**form, "start": "2026-11-30"}, follow_redirects=True)

    assert any(STALE in f for f in _flashes(second.get_data(as_text=True)))
    assert db.session.scalars(select(Publicity.start).join(Candidate).where(Candidate.ref == "C010")).all() == [
        date(2026, 11, 23)]


@pytest.mark.parametrize(("screen", "message"), [
    ("publicity", "差额票决尚未结束,不能开始任前公示。"),
    ("appointment", "任前公示尚未结束,不能开始任职。"),
    ("probation", "任职尚未结束,不能开始任职试用。"),
])
def test_each_screen_refuses_out_of_order_naming_the_missing_step(
        admin: FlaskClient, store_demo: Callable[..., Round], screen: str, message: str) -> None:
    store_demo()

    page = _page(admin, f"{P03}/{screen}")

    assert message in page
    assert "<form" not in _main(page)


def test_a_closed_stage_shows_its_figures_without_forms(admin: FlaskClient, store_demo: Callable[..., Round]) -> None:
    store_demo()

    page = _page(admin, P01 + "/publicity")

    assert "任前公示已结束,结果已确定,不能再修改。" in page
    assert "C001" in page and "2026年10月10日" in page


# --- appointment ----------------------------------------------------------------------


def test_appointment_screen_offers_the_form_to_the_cleared_and_says_why_not_to_others(
        app: Flask, admin: FlaskClient, store_demo: Callable[..., Round]) -> None:
    store_demo()

    page = _page(admin, P02 + "/appointment")

    assert 'name="appointed"' in _row(page, "C009")
    assert 'name="appointed"' not in _row(page, "C010")
    assert "公示期至2026年11月22日才结束" in _row(page, "C010")
    # an appointment today would end probation on 2027-11-20
    assert "2027年11月20日" in page


def test_appointment_is_recorded_and_shows_the_probation_end(
        app: Flask, db: SQLAlchemy, admin: FlaskClient, store_demo: Callable[..., Round]) -> None:
    demo = store_demo()
    version = db.session.scalar(select(Candidate.version_id).where(Candidate.ref == "C009"))

    response = admin.post(P02 + "/appointment", data={"ref": "C009", "version": version, "appointed": "2026-11-18"},
                          follow_redirects=True)

    page = response.get_data(as_text=True)
    c009 = next(c for c in round_results(demo, today=date(2026, 11, 20)).candidates if c.ref == "C009")
    assert _flashes(page) == ["已登记C009的任职。"]
    assert c009.status is Status.ON_PROBATION
    assert _zh(app, c009.probation_end) == "2027年11月18日"
    assert "试用期于2027年11月18日届满" in _row(page, "C009")


def test_appointment_refused_while_the_publicity_runs(
        db: SQLAlchemy, admin: FlaskClient, store_demo: Callable[..., Round]) -> None:
    store_demo()
    version = db.session.scalar(select(Candidate.version_id).where(Candidate.ref == "C010"))

    response = admin.post(P02 + "/appointment", data={"ref": "C010", "version": version, "appointed": DAY},
                          follow_redirects=True)

    assert _flashes(response.get_data(as_text=True)) == [
        "C010不能于2026年11月20日任职:公示期至2026年11月22日才结束。"]
    assert _count(db, Appointment) == 1


def test_appointment_refuses_a_stale_form(db: SQLAlchemy, admin: FlaskClient, store_demo: Callable[..., Round]) -> None:
    store_demo()
    version = db.session.scalar(select(Candidate.version_id).where(Candidate.ref == "C009"))
    form = {"ref": "C009", "version": version, "appointed": "2026-11-18"}

    admin.post(P02 + "/appointment", data=form)
    second = admin.post(P02 + "/appointment", data={**form, "appointed": DAY}, follow_redirects=True)

    assert any(STALE in f for f in _flashes(second.get_data(as_text=True)))
    assert db.session.scalars(select(Appointment.date).join(Candidate).where(Candidate.ref == "C009")).all() == [
        date(2026, 11, 18)]


# --- probation ------------------------------------------------------------------------


def test_probation_screen_shows_the_engines_end_and_records_a_review(
        app: Flask, db: SQLAlchemy, admin: FlaskClient, store_demo: Callable[..., Round]) -> None:
    demo = store_demo()
    version = db.session.scalar(select(Candidate.version_id).where(Candidate.ref == "C001"))
    page = _page(admin, P01 + "/probation")
    c001 = next(c for c in round_results(demo, today=date(2026, 11, 20)).candidates if c.ref == "C001")
    assert f'class="probation-end">{_zh(app, c001.probation_end)}' in page
    assert "试用期于2027年10月19日届满,届时可登记试用期满考核。" in page
    assert 'name="result"' not in page

    response = admin.post(P01 + "/probation/reviews",
                          data={"ref": "C001", "version": version, "on": "2026-11-15", "note": "适应新岗位较快"},
                          follow_redirects=True)

    page = response.get_data(as_text=True)
    assert _flashes(page) == ["已登记C001的跟踪考核。"]
    assert "适应新岗位较快" in page and "2026年11月15日" in page
    assert _count(db, ProbationReview) == 1


def test_probation_review_refuses_a_stale_form(db: SQLAlchemy, admin: FlaskClient,
                                              store_demo: Callable[..., Round]) -> None:
    store_demo()
    version = db.session.scalar(select(Candidate.version_id).where(Candidate.ref == "C001"))
    form = {"ref": "C001", "version": version, "on": "2026-11-15", "note": "第一次"}

    admin.post(P01 + "/probation/reviews", data=form)
    second = admin.post(P01 + "/probation/reviews", data={**form, "note": "第二次"}, follow_redirects=True)

    assert any(STALE in f for f in _flashes(second.get_data(as_text=True)))
    assert db.session.scalars(select(ProbationReview.note)).all() == ["第一次"]


def test_final_assessment_refused_before_the_end_with_the_date_named(
        db: SQLAlchemy, admin: FlaskClient, store_demo: Callable[..., Round]) -> None:
    store_demo()
    version = db.session.scalar(select(Candidate.version_id).where(Candidate.ref == "C001"))

    response = admin.post(P01 + "/probation/assessment",
                          data={"ref": "C001", "version": version, "on": DAY, "result": "competent"},
                          follow_redirects=True)

    assert _flashes(response.get_data(as_text=True)) == ["试用期满考核须在试用期届满之日(2027年10月19日)或之后登记。"]
    assert _count(db, FinalAssessment) == 0


def test_probations_due_within_30_days_are_listed(app: Flask, admin: FlaskClient,
                                                  store_demo: Callable[..., Round]) -> None:
    store_demo()
    app.config["TODAY"] = "2027-10-01"

    page = _page(admin, P02 + "/probation")

    due = page[page.index("30日内试用期届满"):page.index("</section>")]
    assert "C001" in due and "2027年10月19日届满" in due


def test_screens_speak_english_when_asked(admin: FlaskClient, store_demo: Callable[..., Round]) -> None:
    store_demo()

    page = _page(admin, P02 + "/appointment?lang=en")

    assert "cannot be appointed on" in page and "the publicity runs until" in page


def test_screens_are_for_the_organisation_department_only(
        app: Flask, client: FlaskClient, create_account: Callable[..., Any],
        login_as: Callable[[FlaskClient, Any], FlaskClient], store_demo: Callable[..., Round]) -> None:
    store_demo()
    login_as(client, create_account(Role.SUPERVISION))

    assert client.get(P02 + "/publicity").status_code == 403
    assert client.post(P02 + "/appointment", data={"ref": "C009", "version": 1, "appointed": DAY}).status_code == 403


def test_unknown_round_position_or_candidate_is_404(admin: FlaskClient, store_demo: Callable[..., Round]) -> None:
    store_demo()

    assert admin.get("/publicity/rounds/NOPE/positions/P02/publicity").status_code == 404
    assert admin.get("/publicity/rounds/DEMO-2026/positions/P99/appointment").status_code == 404
    assert admin.get(f"{P02}/publicity/C999/preview?start={DAY}&version=1&ref=C999").status_code == 404


@pytest.mark.parametrize("form", [
    {"ref": "C009", "version": str(10**30), "appointed": DAY},
    {"ref": "C009", "version": "x", "appointed": DAY},
    {"ref": "C009", "version": "1", "appointed": "9999-99-99"},
    {"ref": "C009" * 10, "version": "1", "appointed": DAY},
    {"ref": "C009", "version": "1", "appointed": "0001-01-01"},
])
def test_a_malformed_or_forged_form_is_refused_without_an_error(
        db: SQLAlchemy, admin: FlaskClient, store_demo: Callable[..., Round], form: dict[str, str]) -> None:
    store_demo()

    response = admin.post(P02 + "/appointment", data=form, follow_redirects=True)

    assert response.status_code in (200, 404)
    assert _count(db, Appointment) == 1


@pytest.mark.parametrize("start", ["0001-01-01", "9999-12-31", "2026-02-30", ""])
def test_a_preview_of_an_impossible_start_is_refused_without_an_error(
        db: SQLAlchemy, admin: FlaskClient, store_demo: Callable[..., Round], start: str) -> None:
    store_demo(without_publicity_of("C010"))

    response = admin.get(f"{P02}/publicity/C010/preview?ref=C010&version=1&start={start}", follow_redirects=True)

    assert response.status_code == 200
    assert len(_flashes(response.get_data(as_text=True))) == 1
    assert _count(db, Publicity) == 3
