"""P50b: importing the same file twice → no new rows; a file with one bad row → nothing stored, and
the reply names the row and the problem.

Every import the app offers: the registration list (.xlsx), the written and the interview score
sheets (.xlsx), the evaluation ballots sheet (.xlsx), the holiday calendar (CSV and JSON) and the
round record (``flask round import``). "No new rows" is counted over every table, the audit
trail included. The same preview confirmed twice adds nothing either; confirmed twice at one
moment, the second is refused in words, never with a server error: once in-process with the race
made certain (the second confirm reads the round as it was before the first one stored), and once
for every web import on a real gunicorn, three confirms of one preview fired together.
"""

from __future__ import annotations

import io
import json
import re
import threading
from collections.abc import Callable, Iterator
from datetime import date
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient, FlaskCliRunner
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import func, select

from exams import imports as exam_imports
from selection.audit import verify_chain
from selection.models import Candidate, Round, User
from selection.pipeline import Stage
from selection.record.demo import demo_record
from selection.rounds import PositionDetails, RoundDetails, create_position, open_round
from tests.exams.test_registrations_import import BAD_ROWS, GOOD as REGISTRATIONS, _sheet as registration_sheet
from tests.exams.test_screens import _sheet as score_sheet
from tests.live_server import Browser, LiveServer, form_with, start_server, write_keys
from tests.publicity.test_calendar import CSV_2027
from tests.vetting.conftest import DAY, p03_at_evaluation
from tests.vetting.test_views import GOOD as BALLOTS, _counts as ballot_counts, _sheet as ballot_sheet

pytestmark = pytest.mark.db

DEMO = "/exams/rounds/DEMO-2026/positions/P04"
EVALUATION = "/vetting/rounds/DEMO-2026/positions/P03/evaluation/import"
REGISTRATIONS_ROUND = "R2027"
REGISTRATION_IMPORT = f"/exams/rounds/{REGISTRATIONS_ROUND}/registrations/import"


# ---------------------------------------------------------------- helpers


def _rows(db: SQLAlchemy) -> dict[str, int]:
    """How many rows every table holds, the audit trail included."""
    db.session.expire_all()
    return {table.name: db.session.scalar(select(func.count()).select_from(table))
            for table in db.metadata.sorted_tables}


def _text(html: str) -> str:
    """What a reader sees: tags dropped, entities decoded, spaces folded."""
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def _token(html: str) -> str | None:
    found = re.search(r'name="token" value="([^"]+)"', html)
    return found.group(1) if found else None


def _upload(client: FlaskClient, path: str, field: str, data: bytes, filename: str, **form: str) -> str:
    """Upload a file for its preview; the preview page."""
    reply = client.post(path, data={field: (io.BytesIO(data), filename), **form}, content_type="multipart/form-data")
    assert reply.status_code == 200, reply.status_code
    return reply.get_data(as_text=True)


def _confirm(client: FlaskClient, path: str, token: str) -> tuple[int, str]:
    """Confirm a preview; the status and the page it lands on (flashed messages included)."""
    reply = client.post(path, data={"token": token})
    status = reply.status_code
    if status == 302:
        reply = client.get(reply.location)
    return status, _text(reply.get_data(as_text=True))


def _twice(db: SQLAlchemy, client: FlaskClient, path: str, upload: Callable[[], str]) -> dict[str, Any]:
    """Import a file, then the same preview again, then the same file again; what each step did."""
    first_preview = upload()
    token = _token(first_preview)
    assert token is not None, _text(first_preview)
    first = _confirm(client, path, token)
    after_first = _rows(db)
    same_token = _confirm(client, path, token)
    after_same_token = _rows(db)
    again_preview = upload()
    again_token = _token(again_preview)
    again = _confirm(client, path, again_token) if again_token else None
    return {"first": first, "after_first": after_first, "same_token": same_token,
            "after_same_token": after_same_token, "again_preview": _text(again_preview), "again": again,
            "after_again": _rows(db)}


def _bad_row(db: SQLAlchemy, upload: Callable[[], str]) -> tuple[str, dict[str, int], dict[str, int]]:
    """Upload a file with one bad row; its preview text, and the rows before and after."""
    before = _rows(db)
    preview = upload()
    assert _token(preview) is None  # nothing to confirm
    return _text(preview), before, _rows(db)


# ---------------------------------------------------------------- the registration list (.xlsx)


@pytest.fixture
def registration_round(db: SQLAlchemy) -> Round:
    """A round with P01 and P02 at registration, as tests/exams/test_registrations_import.py sets up."""
    round_ = open_round(REGISTRATIONS_ROUND, RoundDetails("2027年公开选拔副处级领导干部", date(2027, 3, 31),
                                                          date(2027, 1, 1), date(2027, 1, 31)), {}, actor="test")
    for code, title in (("P01", "市发展和改革委员会副主任"), ("P02", "市财政局副局长")):
        create_position(round_, code, PositionDetails(title, title[:-3], 1), seen_version=round_.version_id,
                        actor="test")
    db.session.commit()
    return round_


def _upload_registrations(client: FlaskClient, rows: list[list[object]]) -> Callable[[], str]:
    return lambda: _upload(client, REGISTRATION_IMPORT, "sheet", registration_sheet(rows), "registrations.xlsx")


def test_p50b_registrations_twice_add_nothing(db: SQLAlchemy, registration_round: Round,
                                              admin_client: FlaskClient) -> None:
    client = admin_client
    before = _rows(db)

    done = _twice(db, client, REGISTRATION_IMPORT, _upload_registrations(client, REGISTRATIONS))

    assert done["first"][0] == 302 and "新增3条" in done["first"][1]
    assert done["after_first"]["candidates"] == before["candidates"] + 3
    # the same preview again: refused as stale (its rows were new then), nothing added
    assert done["same_token"][0] == 302 and "他人已修改" in done["same_token"][1]
    assert done["after_same_token"] == done["after_first"]
    # the same file again: all unchanged, nothing added, not even an audit row
    assert "新增0行" in done["again_preview"] and done["again"][0] == 302 and "新增0条" in done["again"][1]
    assert done["after_again"] == done["after_first"]


@pytest.mark.parametrize(("bad", "message"), BAD_ROWS[:3])
def test_p50b_registrations_with_one_bad_row_store_nothing(db: SQLAlchemy, registration_round: Round,
                                                           admin_client: FlaskClient, bad: list[object],
                                                           message: str) -> None:
    client = admin_client

    text, before, after = _bad_row(db, _upload_registrations(client, [REGISTRATIONS[0], bad, REGISTRATIONS[2]]))

    assert message in text  # 第3行“…”: the row and the problem
    assert after == before


def test_p50b_registrations_confirmed_twice_at_one_moment_refuse_the_second_in_words(
        db: SQLAlchemy, registration_round: Round, admin_client: FlaskClient,
        monkeypatch: pytest.MonkeyPatch) -> None:
    client = admin_client
    token = _token(_upload_registrations(client, REGISTRATIONS)())
    assert token is not None
    assert _confirm(client, REGISTRATION_IMPORT, token)[0] == 302
    stored = _rows(db)
    # the second confirm read the round before the first stored its rows: every row still looks new
    monkeypatch.setattr(exam_imports, "stored_registrations", lambda round_: {})

    reply = client.post(REGISTRATION_IMPORT, data={"token": token})

    assert reply.status_code == 409
    page = reply.get_data(as_text=True)
    assert '<html lang="zh-CN">' in page and "他人几乎同时保存了相同的内容,本次未保存" in _text(page)
    assert _rows(db) == stored


# ---------------------------------------------------------------- score sheets (.xlsx)


def _p04_at_interview(store_demo: Callable[..., Round]) -> Round:
    """The demo with C030's written score in: P04 moves on to its interview."""
    def written(record: dict[str, Any]) -> None:
        next(c for c in record["candidates"] if c["ref"] == "C030")["written"] = {"written": "84"}

    round_ = store_demo(written)
    assert next(p for p in round_.positions if p.code == "P04").stage is Stage.INTERVIEW
    return round_


def _name(db: SQLAlchemy, ref: str) -> str:
    return db.session.scalar(select(Candidate.name).where(Candidate.ref == ref))


def test_p50b_a_written_score_sheet_twice_adds_nothing(db: SQLAlchemy, store_demo: Callable[..., Round],
                                                       admin_client: FlaskClient) -> None:
    store_demo()
    client = admin_client
    sheet = score_sheet(["编号", "姓名", "笔试", "缺考"], [["C030", _name(db, "C030"), 88, None]])
    path = f"{DEMO}/written/import"
    before = _rows(db)

    done = _twice(db, client, path, lambda: _upload(client, path, "sheet", sheet, "scores.xlsx"))

    assert done["first"][0] == 302 and "1行有变化" in done["first"][1]
    assert done["after_first"]["written_scores"] == before["written_scores"] + 1
    assert done["same_token"][0] == 302 and done["after_same_token"] == done["after_first"]
    assert done["again"] is not None and "0行有变化" in done["again"][1]
    assert done["after_again"] == done["after_first"]


def test_p50b_a_written_score_sheet_with_one_bad_row_stores_nothing(
        db: SQLAlchemy, store_demo: Callable[..., Round], admin_client: FlaskClient) -> None:
    store_demo()
    client = admin_client
    sheet = score_sheet(["编号", "姓名", "笔试", "缺考"],
                        [["C030", _name(db, "C030"), 88, None], ["C029", _name(db, "C029"), 101, None]])

    text, before, after = _bad_row(db, lambda: _upload(client, f"{DEMO}/written/import", "sheet", sheet, "s.xlsx"))

    assert "第3行" in text and "101" in text
    assert after == before


INTERVIEW_HEADER = ["编号", "姓名", "考官1", "考官2", "考官3", "缺考"]


def test_p50b_an_interview_score_sheet_twice_adds_nothing(db: SQLAlchemy, store_demo: Callable[..., Round],
                                                          admin_client: FlaskClient) -> None:
    _p04_at_interview(store_demo)
    client = admin_client
    sheet = score_sheet(INTERVIEW_HEADER, [["C027", _name(db, "C027"), 88, 86.5, 87, None]])
    path = f"{DEMO}/interview/import"

    done = _twice(db, client, path, lambda: _upload(client, path, "sheet", sheet, "scores.xlsx"))

    assert done["first"][0] == 302 and "1行有变化" in done["first"][1]
    assert done["same_token"][0] == 302 and done["after_same_token"] == done["after_first"]
    assert done["again"] is not None and "0行有变化" in done["again"][1]
    assert done["after_again"] == done["after_first"]


def test_p50b_an_interview_score_sheet_with_one_bad_row_stores_nothing(
        db: SQLAlchemy, store_demo: Callable[..., Round], admin_client: FlaskClient) -> None:
    _p04_at_interview(store_demo)
    client = admin_client
    sheet = score_sheet(INTERVIEW_HEADER, [["C027", _name(db, "C027"), 88, 86.5, 87, None],
                                          ["C030", _name(db, "C030"), 90, "九十", 85, None]])

    text, before, after = _bad_row(db, lambda: _upload(client, f"{DEMO}/interview/import", "sheet", sheet, "s.xlsx"))

    assert "第3行" in text and "九十" in text
    assert after == before


# ---------------------------------------------------------------- evaluation ballots (.xlsx)


def test_p50b_an_evaluation_sheet_twice_adds_nothing(db: SQLAlchemy, store_demo: Callable[..., Round],
                                                     admin_client: FlaskClient) -> None:
    store_demo(p03_at_evaluation)
    client = admin_client
    sheet = ballot_sheet([["C017", None, *ballot_counts(BALLOTS)]])

    done = _twice(db, client, EVALUATION, lambda: _upload(client, EVALUATION, "file", sheet, "ballots.xlsx"))

    assert done["first"][0] == 302 and "1人有变化" in done["first"][1]
    assert done["same_token"][0] == 302 and done["after_same_token"] == done["after_first"]
    assert done["again"] is not None and "0人有变化" in done["again"][1]
    assert done["after_again"] == done["after_first"]


def test_p50b_an_evaluation_sheet_with_one_bad_row_stores_nothing(
        db: SQLAlchemy, store_demo: Callable[..., Round], admin_client: FlaskClient) -> None:
    store_demo(p03_at_evaluation)
    client = admin_client
    sheet = ballot_sheet([["C017", None, *ballot_counts(BALLOTS)], ["C018", None, -3]])

    text, before, after = _bad_row(db, lambda: _upload(client, EVALUATION, "file", sheet, "ballots.xlsx"))

    assert "第3行 · 100: -3为负数" in text
    assert after == before


# ---------------------------------------------------------------- the holiday calendar (CSV, JSON)


#: one entry a line, so the second entry is on line 3
JSON_2027 = ('[\n {"date": "2027-01-01", "name": "元旦", "kind": "休"},\n'
             ' {"date": "2027-01-09", "name": "元旦", "kind": "班"}\n]\n').encode()


@pytest.mark.parametrize(("data", "filename"), [(CSV_2027, "days.csv"), (JSON_2027, "days.json")], ids=["csv", "json"])
def test_p50b_a_holiday_calendar_twice_adds_nothing(db: SQLAlchemy, admin_client: FlaskClient,
                                                    data: bytes, filename: str) -> None:
    client = admin_client

    done = _twice(db, client, "/calendar/import",
                  lambda: _upload(client, "/calendar/import", "data_file", data, filename, scope=""))

    assert done["first"][0] == 302 and "已新增" in done["first"][1]
    assert done["after_same_token"] == done["after_first"]
    # the same file again: every day is stored already, so there is nothing to confirm
    assert done["again"] is None and "均已保存" in done["again_preview"]
    assert done["after_again"] == done["after_first"]


@pytest.mark.parametrize(("data", "filename", "message"), [
    (CSV_2027.replace(b"2027-01-02", b"2027-01-32"), "days.csv", "第3行 日期:“2027-01-32”不是日期"),
    (JSON_2027.replace("班".encode(), "調休".encode()), "days.json", "第3行 类别:“調休”不是以下之一"),
], ids=["csv", "json"])
def test_p50b_a_holiday_calendar_with_one_bad_row_stores_nothing(
        db: SQLAlchemy, admin_client: FlaskClient, data: bytes, filename: str, message: str) -> None:
    client = admin_client

    text, before, after = _bad_row(db, lambda: _upload(client, "/calendar/import", "data_file", data, filename,
                                                       scope=""))

    assert message in text
    assert after == before


# ---------------------------------------------------------------- the round record (flask round import)


def _record_file(tmp_path: Path, change: Callable[[dict[str, Any]], None] | None = None) -> str:
    record = demo_record()
    if change is not None:
        change(record)
    path = tmp_path / "record.json"
    path.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    return str(path)


def test_p50b_a_round_record_twice_is_refused_the_second_time(db: SQLAlchemy, runner: FlaskCliRunner,
                                                              tmp_path: Path) -> None:
    record = _record_file(tmp_path)
    first = runner.invoke(args=["round", "import", record])
    stored = _rows(db)

    again = runner.invoke(args=["round", "import", record])
    after_again = _rows(db)
    replaced = runner.invoke(args=["round", "import", "--replace", record])

    assert first.exit_code == 0, first.output
    assert again.exit_code != 0 and "round.code" in again.stderr and "--replace" in again.stderr
    assert after_again == stored
    # replacing it by the same file is a deliberate, audited act; it leaves every other table as it was
    assert replaced.exit_code == 0, replaced.output
    assert {k: v for k, v in _rows(db).items() if k != "audit_events"} == \
        {k: v for k, v in stored.items() if k != "audit_events"}


def test_p50b_a_round_record_with_one_bad_candidate_stores_nothing(db: SQLAlchemy, runner: FlaskCliRunner,
                                                                   tmp_path: Path) -> None:
    def bad_check_digit(record: dict[str, Any]) -> None:
        number = record["candidates"][4]["id_number"]
        record["candidates"][4]["id_number"] = number[:-1] + ("0" if number[-1] != "0" else "1")

    before = _rows(db)

    refused = runner.invoke(args=["round", "import", _record_file(tmp_path, bad_check_digit)])

    assert refused.exit_code != 0 and refused.stdout == ""
    assert "candidates[4].id_number: check digit does not match" in refused.stderr
    assert _rows(db) == before


# ---------------------------------------------------------------- double-clicked confirms, for real


@pytest.fixture
def live(test_config: dict[str, Any], database_url: str, tmp_path: Path) -> Iterator[LiveServer]:
    """gunicorn, 2 workers × 4 threads, on this test's database and keys, its clock at the demo's date."""
    instance = tmp_path / "server"
    write_keys(instance, test_config)
    server = start_server(database_url, instance, workers=2, threads=4, env={"SELECTION_TODAY": DAY.isoformat()})
    try:
        yield server
    finally:
        server.kill()


def test_p50b_every_web_import_confirmed_three_times_at_once_stores_once(
        db: SQLAlchemy, store_demo: Callable[..., Round], registration_round: Round, admin: User,
        live: LiveServer) -> None:
    def ready(record: dict[str, Any]) -> None:
        p03_at_evaluation(record)
        next(c for c in record["candidates"] if c["ref"] == "C030")["written"] = {"written": "84"}

    store_demo(ready)
    imports = [  # path, file field, file name, data, extra fields, table that grows, by how much
        (REGISTRATION_IMPORT, "sheet", "r.xlsx", registration_sheet(REGISTRATIONS), {}, "candidates", 3),
        (f"{DEMO}/interview/import", "sheet", "s.xlsx",
         score_sheet(INTERVIEW_HEADER, [["C027", _name(db, "C027"), 88, 86.5, 87, None]]), {}, "interview_scores", 3),
        (EVALUATION, "file", "b.xlsx", ballot_sheet([["C017", None, *ballot_counts(BALLOTS)]]), {},
         "evaluation_tallies", len(BALLOTS)),
        ("/calendar/import", "data_file", "days.csv", CSV_2027, {"scope": ""}, "holiday_additions", 4),
    ]
    username = admin.username
    db.session.remove()
    browser = Browser(live.url)
    browser.log_in(username, f"{username}-secret-2026")
    for path, field, filename, data, extra, table, grows in imports:
        csrf = form_with(browser.get(path).body, "csrf_token").fields["csrf_token"]
        preview = browser.post_file(path, {"csrf_token": csrf, **extra}, field, filename, data)
        confirm = form_with(preview.body, "token").fields
        before = _rows(db)
        db.session.remove()
        barrier = threading.Barrier(3)
        statuses: list[int] = []

        def click() -> None:
            barrier.wait()
            statuses.append(browser.post(path, confirm).status)

        clicks = [threading.Thread(target=click) for _ in range(3)]
        for thread in clicks:
            thread.start()
        for thread in clicks:
            thread.join()

        assert len(statuses) == 3 and max(statuses) < 500, (path, statuses, live.output()[-2000:])
        assert _rows(db)[table] == before[table] + grows, path
    assert verify_chain().ok
