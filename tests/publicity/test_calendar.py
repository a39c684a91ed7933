"""The holiday calendar (节假日安排): the missing-year rule, reading addition files, the services
and the page, its imports and the warning on the dashboard and the round list.

The clock is pinned to 2026-11-20 (the demo's date); the `chinese-calendar` package covers
2004–2026, so 2027 has no data until an import makes it known.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import func, select

from publicity import calendar, services
from publicity.calendar_rules import (
    HOLIDAY, WORKDAY, AdditionRow, DayState, Stored, day_state, plan_additions, read_additions,
)
from publicity.rules import PUBLISHED_YEARS, HolidayCalendar, missing_holiday_years
from selection.models import AuditEvent, Candidate, DayKind, HolidayAddition, Role, Round
from selection.record.services import missing_holiday_years as round_missing_years
from tests.publicity.conftest import without_publicity_of

DAY = date(2026, 11, 20)
EMPTY = HolidayCalendar()
#: 2027's New Year, as an import would add it: the holiday, the bridged rest days, a make-up day
CSV_2027 = ("date,name,kind\r\n"
            "2027-01-01,元旦,休\r\n"
            "2027-01-02,元旦,rest\r\n"
            "2027-01-03,元旦,holiday\r\n"
            "2027-01-09,元旦,班\r\n").encode()


def _rows(*days: tuple[str, str, str | None]) -> list[AdditionRow]:
    return [AdditionRow(n, date.fromisoformat(d), kind, name) for n, (d, kind, name) in enumerate(days, start=2)]


# --- the rule: which years a running round may lack (pure) ---------------------------------


def test_the_package_covers_2026_but_not_2027() -> None:
    assert 2026 in PUBLISHED_YEARS and 2027 not in PUBLISHED_YEARS


@pytest.mark.parametrize(("today", "starts", "holidays", "running", "expected"), [
    # early in a covered year nothing is missing
    (date(2026, 6, 1), [], EMPTY, True, ()),
    # within 60 days of the year's end the next year is needed
    (date(2026, 11, 2), [], EMPTY, True, (2027,)),
    (date(2026, 11, 1), [], EMPTY, True, ()),
    # once an addition makes 2027 known, nothing is missing
    (date(2026, 11, 20), [], HolidayCalendar({date(2027, 1, 1): "元旦"}), True, ()),
    # a scheduled publicity running into 2027 needs it, however early today is
    (date(2026, 9, 1), [date(2026, 12, 28)], EMPTY, True, (2027,)),
    (date(2026, 9, 1), [date(2026, 9, 24)], EMPTY, True, ()),
    # a round whose positions are all closed needs nothing
    (date(2026, 11, 20), [date(2026, 12, 28)], EMPTY, False, ()),
    # a round running in a year with no data at all needs that year and the next
    (date(2027, 12, 1), [], EMPTY, True, (2027, 2028)),
])
def test_missing_holiday_years(today: date, starts: list[date], holidays: HolidayCalendar, running: bool,
                               expected: tuple[int, ...]) -> None:
    assert missing_holiday_years(holidays, today, starts, 7, "calendar", running=running) == expected


# --- reading an addition file (pure) ---------------------------------------------------------


def test_read_csv_accepts_every_kind_spelling_and_numbers_lines_as_in_the_file() -> None:
    data = ("日期,名称,类型,备注\n"
            "2027-01-01,元旦,休,\n"
            "\n"
            "2027-01-02,元旦,Rest Day,x\n"
            "2027-01-03,元旦,放假,\n"
            "2027-01-09,,班\n"
            "2027-01-10,,WORK\n"
            "2027-01-11,,make-up working day\n").encode("gb18030")

    read = read_additions(data)

    assert read.problems == []
    assert [(r.line, r.day.isoformat(), r.kind, r.name) for r in read.rows] == [
        (2, "2027-01-01", HOLIDAY, "元旦"), (4, "2027-01-02", HOLIDAY, "元旦"), (5, "2027-01-03", HOLIDAY, "元旦"),
        (6, "2027-01-09", WORKDAY, None), (7, "2027-01-10", WORKDAY, None), (8, "2027-01-11", WORKDAY, None)]
    assert read.ignored == ("备注",)


def test_read_csv_lists_every_bad_row_with_its_line_and_reason() -> None:
    data = ("date,name,kind\n"
            "2027-01-01,元旦,休\n"
            "2027-02-30,春节,休\n"
            "2027-02-06,,休\n"
            "2027-02-07,春节,maybe\n"
            "1999-10-01,国庆节,休\n"
            ",春节,休\n").encode()

    read = read_additions(data)

    assert [r.line for r in read.rows] == [2]
    assert [(p.row, p.column, p.message) for p in read.problems] == [
        (3, "date", "%(value)s is not a date (YYYY-MM-DD)"),
        (4, "name", "A rest day needs the name of its holiday."),
        (5, "kind", "%(value)s is not one of: %(choices)s"),
        (6, "date", "%(value)s is outside the years %(first)s–%(last)s."),
        (7, "date", "A value is required."),
    ]


def test_read_json_gives_each_entry_the_line_it_starts_on() -> None:
    data = json.dumps([
        {"date": "2027-01-01", "name": "元旦", "kind": "holiday"},
        {"date": "2027-01-09", "kind": "workday"},
        {"date": 20270110, "kind": "workday"},
        "2027-01-11",
    ], ensure_ascii=False, indent=1).encode()

    read = read_additions(data)

    assert [(r.line, r.kind) for r in read.rows] == [(2, HOLIDAY), (7, WORKDAY)]
    assert [(p.row, p.message) for p in read.problems] == [
        (11, "The value is not text."), (15, "An entry is an object with date, name and kind.")]


@pytest.mark.parametrize(("data", "message"), [
    (b"", "The file is empty."),
    (b"\xff\xfe\xfa", "The file is not text in UTF-8 or GB18030."),
    (b'[{"date": ', "The file is not valid JSON."),
    (b'{"date": "2027-01-01"}', "A JSON file holds an array of objects with date, name and kind."),
    (b"when,what\n2027-01-01,x\n", "Required columns are missing: %(columns)s"),
])
def test_read_refuses_a_file_it_cannot_read(data: bytes, message: str) -> None:
    read = read_additions(data)
    assert read.rows == [] and [p.message for p in read.problems] == [message]


def test_plan_reports_contradictions_and_repeats_and_keeps_what_is_stored() -> None:
    stored = {date(2027, 1, 1): Stored(HOLIDAY, "元旦"), date(2027, 1, 9): Stored(WORKDAY, None),
              date(2027, 2, 6): Stored(HOLIDAY, "春节")}
    rows = _rows(("2027-01-01", HOLIDAY, "元旦"), ("2027-01-09", HOLIDAY, "元旦"),
                 ("2027-02-06", HOLIDAY, "除夕"), ("2027-01-02", HOLIDAY, "元旦"), ("2027-01-02", HOLIDAY, "元旦"))

    planned, problems = plan_additions(rows, stored, HolidayCalendar({date(2027, 1, 1): "元旦"}))

    assert [(p.row.line, p.new) for p in planned] == [(2, False), (5, True)]
    assert [(p.row, p.column) for p in problems] == [(3, "kind"), (4, "name"), (6, "date")]
    assert problems[2].params == {"day": "2027-01-02", "line": "5"}


def test_day_state_says_how_a_calendar_counts_a_day() -> None:
    assert day_state(EMPTY, date(2026, 10, 1)) == DayState(HOLIDAY, "National Day")
    assert day_state(EMPTY, date(2026, 10, 10)) == DayState(WORKDAY, "National Day")
    assert day_state(EMPTY, date(2026, 10, 12)) == DayState("weekday")
    assert day_state(EMPTY, date(2026, 10, 11)) == DayState("weekend")
    assert day_state(EMPTY, date(2027, 1, 1)) == DayState("unknown")
    assert day_state(HolidayCalendar(workdays=frozenset({date(2026, 10, 1)})), date(2026, 10, 1)) == DayState(WORKDAY)


# --- the services, on the demo round ---------------------------------------------------------


def _count(db: SQLAlchemy, **where: Any) -> int:
    query = select(func.count()).select_from(HolidayAddition)
    for name, value in where.items():
        column = getattr(HolidayAddition, name)
        query = query.where(column.is_(None) if value is None else column == value)
    return db.session.scalar(query)


@pytest.mark.db
def test_year_calendar_groups_2026_by_holiday_with_the_make_up_days(db: SQLAlchemy) -> None:
    view = calendar.year_calendar(2026, today=DAY)

    national_day = next(g for g in view.groups if g.name == "National Day")
    assert [d.day for d in national_day.rest_days] == [date(2026, 10, n) for n in range(1, 8)]
    assert [d.day for d in national_day.workdays] == [date(2026, 9, 20), date(2026, 10, 10)]
    assert {d.source for d in national_day.rest_days + national_day.workdays} == {"national"}
    assert view.summary.known and view.summary.national


@pytest.mark.db
def test_year_calendar_marks_system_wide_and_round_additions(
        db: SQLAlchemy, store_demo: Callable[..., Round]) -> None:
    demo = store_demo()
    db.session.add_all([
        HolidayAddition(round_id=None, day=date(2026, 10, 10), kind=DayKind.HOLIDAY, name=None),
        HolidayAddition(round_id=demo.id, day=date(2026, 12, 29), kind=DayKind.HOLIDAY, name="本地"),
    ])
    db.session.flush()

    view = calendar.year_calendar(2026, today=DAY)

    national_day = next(g for g in view.groups if g.name == "National Day")
    overridden = next(d for d in national_day.rest_days if d.day == date(2026, 10, 10))
    assert (overridden.source, overridden.replaces) == ("system", WORKDAY)
    assert [(d.code, d.day, d.name) for d in view.round_days] == [("DEMO-2026", date(2026, 12, 29), "本地")]
    years = {y.year: y for y in calendar.calendar_years(today=DAY)}
    assert years[2026].rounds == ("DEMO-2026",) and not years[2027].known
    assert min(years) == 2004 and max(years) == 2027


@pytest.mark.db
def test_import_stores_all_rows_audited_and_the_same_file_twice_adds_nothing(
        db: SQLAlchemy, store_demo: Callable[..., Round]) -> None:
    store_demo()
    preview = calendar.preview_import(CSV_2027, None)
    assert preview.ok and len(preview.new) == 4 and _count(db) == 0
    assert preview.rows[0].before == DayState("unknown")

    calendar.import_additions([p.row for p in preview.rows], None, actor="admin", today=DAY)

    assert _count(db, round_id=None) == 4
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "calendar.import"))
    assert event.subject == "calendar:system-wide"
    assert event.after == {"added": 4, "rest_days": 3, "workdays": 1, "from": "2027-01-01", "to": "2027-01-09"}
    again = calendar.preview_import(CSV_2027, None)
    assert again.ok and again.new == []
    calendar.import_additions([p.row for p in again.rows], None, actor="admin", today=DAY)
    assert _count(db) == 4
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "calendar.import")) == 1


@pytest.mark.db
def test_import_with_a_bad_or_contradicting_row_stores_nothing(
        db: SQLAlchemy, store_demo: Callable[..., Round]) -> None:
    store_demo()
    db.session.add(HolidayAddition(round_id=None, day=date(2027, 1, 9), kind=DayKind.HOLIDAY, name="元旦"))
    db.session.flush()

    preview = calendar.preview_import(CSV_2027, None)
    with pytest.raises(calendar.ImportRefused) as refused:
        calendar.import_additions([p.row for p in preview.rows] + _rows(("2027-01-09", WORKDAY, None)), None,
                                  actor="admin", today=DAY)

    assert [(p.row, p.column) for p in preview.problems] == [(5, "kind")]
    assert [p.column for p in refused.value.preview.problems] == ["kind"]
    assert _count(db) == 1


@pytest.mark.db
def test_a_round_import_counts_for_that_round_only(
        db: SQLAlchemy, store_demo: Callable[..., Round], candidate_of: Callable[[Round, str], Candidate]) -> None:
    demo = store_demo(without_publicity_of("C010"))

    calendar.import_additions(read_additions(CSV_2027).rows, demo, actor="admin", today=DAY)

    assert _count(db, round_id=demo.id) == 4 and _count(db, round_id=None) == 0
    assert calendar.calendar_years(today=DAY)[-1].rounds == ("DEMO-2026",)
    assert services.preview_publicity(candidate_of(demo, "C010"), date(2026, 12, 28), today=DAY).end \
        == date(2027, 1, 6)


@pytest.mark.db
def test_a_2027_import_lets_a_december_publicity_run_into_2027(
        db: SQLAlchemy, store_demo: Callable[..., Round], candidate_of: Callable[[Round, str], Candidate]) -> None:
    # Given C010 awaiting a publicity that would start on 28 December 2026
    demo = store_demo(without_publicity_of("C010"))
    c010 = candidate_of(demo, "C010")
    with pytest.raises(services.PublicityRefused) as refused:
        services.preview_publicity(c010, date(2026, 12, 28), today=DAY)
    assert refused.value.params == {"year": "2027"}

    # When 2027's New Year is imported for every round
    calendar.import_additions(read_additions(CSV_2027).rows, None, actor="admin", today=DAY)

    # Then 28–31 December count, 1–3 January are off, and 4–6 January count
    preview = services.preview_publicity(c010, date(2026, 12, 28), today=DAY)
    assert preview.counted == (date(2026, 12, 28), date(2026, 12, 29), date(2026, 12, 30), date(2026, 12, 31),
                               date(2027, 1, 4), date(2027, 1, 5), date(2027, 1, 6))


@pytest.mark.db
def test_removing_an_addition_is_audited_and_refused_when_a_scheduled_publicity_needs_it(
        db: SQLAlchemy, store_demo: Callable[..., Round], candidate_of: Callable[[Round, str], Candidate]) -> None:
    demo = store_demo(without_publicity_of("C010"))
    calendar.import_additions(read_additions(CSV_2027).rows, None, actor="admin", today=DAY)
    c010 = candidate_of(demo, "C010")
    services.schedule_publicity(c010, date(2026, 12, 28), seen_version=c010.version_id, actor="admin", today=DAY)

    # three of the four days go; the last would leave the publicity without 2027's data
    for day in (2, 3, 9):
        calendar.remove_addition(date(2027, 1, day), actor="admin", today=DAY)
    with pytest.raises(services.PublicityRefused) as refused:
        calendar.remove_addition(date(2027, 1, 1), actor="admin", today=DAY)

    assert refused.value.params["code"] == "DEMO-2026" and "2027" in refused.value.params["problem"]
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "calendar.remove")).all()
    assert [e.before["day"] for e in events][:3] == ["2027-01-02", "2027-01-03", "2027-01-09"]
    with pytest.raises(services.PublicityRefused):
        calendar.remove_addition(date(2027, 5, 1), actor="admin", today=DAY)


@pytest.mark.db
def test_the_round_needs_2027_until_it_is_imported(db: SQLAlchemy, store_demo: Callable[..., Round]) -> None:
    demo = store_demo()
    assert round_missing_years(demo, today=DAY) == (2027,)
    assert round_missing_years(demo, today=date(2026, 6, 1)) == ()

    calendar.import_additions(read_additions(CSV_2027).rows, None, actor="admin", today=DAY)

    assert round_missing_years(demo, today=DAY) == ()


# --- the pages -------------------------------------------------------------------------------


@pytest.fixture
def admin(app: Flask, client: FlaskClient, create_account: Callable[..., Any],
          login_as: Callable[[FlaskClient, Any], FlaskClient]) -> FlaskClient:
    """A client logged in as the organisation department, with the clock pinned to 2026-11-20."""
    app.config["TODAY"] = DAY.isoformat()
    return login_as(client, create_account(Role.ADMIN))


def _page(client: FlaskClient, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _upload(client: FlaskClient, data: bytes, filename: str = "days.csv", scope: str = "") -> Any:
    return client.post("/calendar/import", data={"data_file": (io.BytesIO(data), filename), "scope": scope},
                       content_type="multipart/form-data")


def _token(page: str) -> str | None:
    found = re.search(r'name="token" value="([^"]+)"', page)
    return found.group(1) if found else None


@pytest.mark.db
def test_calendar_page_lists_the_years_and_2026s_national_day_in_chinese(
        db: SQLAlchemy, admin: FlaskClient) -> None:
    overview = _text(_page(admin, "/calendar"))
    assert "节假日日历" in overview and "以下年份没有节假日数据:2027" in overview

    page = _page(admin, "/calendar/2026")

    groups = {_text(h2).strip(): _text(body) for h2, body in
              re.findall(r'<section class="round holiday-group">\s*<h2>(.*?)</h2>(.*?)</section>', page, re.S)}
    assert "2026年节假日安排" in _text(page) and {"元旦", "春节", "国庆节", "中秋节"} <= set(groups)
    national_day = groups["国庆节"]
    assert all(f"2026年10月{n}日 放假日 国家公布" in national_day for n in range(1, 8))
    assert "2026年9月20日 调休上班日 国家公布" in national_day and "2026年10月10日 调休上班日" in national_day
    assert "2026年10月8日" not in national_day
    assert admin.get("/calendar/1990").status_code == 404


@pytest.mark.db
def test_calendar_pages_are_for_the_organisation_department_only(
        app: Flask, client: FlaskClient, create_account: Callable[..., Any],
        login_as: Callable[[FlaskClient, Any], FlaskClient]) -> None:
    login_as(client, create_account(Role.SUPERVISION))
    assert client.get("/calendar").status_code == 403
    assert client.get("/calendar/import").status_code == 403


@pytest.mark.db
def test_import_csv_previews_every_row_stores_nothing_then_confirms(db: SQLAlchemy, admin: FlaskClient) -> None:
    page = _upload(admin, CSV_2027).get_data(as_text=True)
    text = _text(page)

    assert "预览:尚未保存任何内容" in text and "读取4天,其中新增4天" in text
    assert "2027年1月9日 调休上班日" in text and "该年无节假日数据" in text and _count(db) == 0

    confirmed = admin.post("/calendar/import", data={"token": _token(page)})
    assert confirmed.status_code == 302 and confirmed.headers["Location"].endswith("/calendar/2027")
    assert _count(db, round_id=None) == 4
    year = _text(_page(admin, "/calendar/2027"))
    assert "已新增4天" in year and "全局补充" in year and "2027年1月1日" in year

    # the same file again: every day stored already, nothing to confirm
    again = _upload(admin, CSV_2027).get_data(as_text=True)
    assert _token(again) is None and "均已保存" in _text(again)
    assert _count(db) == 4


@pytest.mark.db
def test_import_json_with_bad_rows_lists_them_by_line_and_offers_no_confirm(
        db: SQLAlchemy, admin: FlaskClient) -> None:
    data = ('[\n {"date": "2027-01-01", "name": "元旦", "kind": "休"},\n'
            ' {"date": "2027-01-32", "name": "元旦", "kind": "休"},\n'
            ' {"date": "2027-01-09", "kind": "調休"}\n]\n').encode()

    page = _upload(admin, data, "days.json").get_data(as_text=True)

    text = _text(page)
    assert "第3行 日期:“2027-01-32”不是日期" in text
    assert "第4行 类别:“調休”不是以下之一" in text
    assert _token(page) is None and _count(db) == 0


@pytest.mark.db
def test_import_confirm_refuses_a_forged_token_and_a_row_that_now_contradicts(
        db: SQLAlchemy, admin: FlaskClient) -> None:
    page = _upload(admin, CSV_2027).get_data(as_text=True)
    token = _token(page)

    # one character of the signature changed, away from its last, whose low bits base64 ignores
    altered = token[:-5] + ("A" if token[-5] != "A" else "B") + token[-4:]
    forged = admin.post("/calendar/import", data={"token": altered})
    assert forged.status_code == 400 and _count(db) == 0

    # someone stores 9 January 2027 as a rest day between the preview and the confirm
    db.session.add(HolidayAddition(round_id=None, day=date(2027, 1, 9), kind=DayKind.HOLIDAY, name="元旦"))
    db.session.commit()
    late = admin.post("/calendar/import", data={"token": token})
    assert late.status_code == 422 and "第5行" in _text(late.get_data(as_text=True))
    assert _count(db) == 1


@pytest.mark.db
def test_import_for_one_round(db: SQLAlchemy, admin: FlaskClient, store_demo: Callable[..., Round]) -> None:
    demo = store_demo()
    page = _upload(admin, CSV_2027, scope="DEMO-2026").get_data(as_text=True)
    assert "适用于DEMO-2026" in _text(page)

    admin.post("/calendar/import", data={"token": _token(page)})

    assert _count(db, round_id=demo.id) == 4 and _count(db, round_id=None) == 0


@pytest.mark.db
def test_remove_a_system_wide_addition_from_the_year_page(db: SQLAlchemy, admin: FlaskClient) -> None:
    db.session.add(HolidayAddition(round_id=None, day=date(2027, 1, 1), kind=DayKind.HOLIDAY, name="元旦"))
    db.session.commit()

    response = admin.post("/calendar/remove", data={"day": "2027-01-01"})

    assert response.status_code == 302 and response.headers["Location"].endswith("/calendar/2027")
    assert _count(db) == 0


@pytest.mark.db
def test_the_example_csv_reads_cleanly(db: SQLAlchemy, admin: FlaskClient) -> None:
    response = admin.get("/calendar/example.csv")

    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    read = read_additions(response.data)
    assert read.problems == [] and {r.kind for r in read.rows} == {HOLIDAY, WORKDAY}


@pytest.mark.db
def test_warning_on_dashboard_and_round_list_until_2027_is_imported(
        db: SQLAlchemy, admin: FlaskClient, store_demo: Callable[..., Round], client: FlaskClient) -> None:
    store_demo()
    warning = "没有2027年的节假日数据"

    dashboard = _page(admin, "/rounds/DEMO-2026/dashboard")
    assert warning in dashboard and 'href="/calendar"' in dashboard
    assert warning in _page(admin, "/")

    page = _upload(admin, CSV_2027).get_data(as_text=True)
    admin.post("/calendar/import", data={"token": _token(page)})

    assert warning not in _page(admin, "/rounds/DEMO-2026/dashboard")
    assert warning not in _page(admin, "/")


@pytest.mark.db
def test_round_list_keeps_the_warning_from_the_public(
        app: Flask, db: SQLAlchemy, store_demo: Callable[..., Round]) -> None:
    store_demo()
    app.config["TODAY"] = DAY.isoformat()

    assert "节假日数据" not in app.test_client().get("/").get_data(as_text=True)
