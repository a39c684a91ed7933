"""Importing the registration list (报名) from an .xlsx sheet: template, preview, all-or-nothing confirm.

Through the test client as a logged-in admin, on a round set up in the browser whose
positions P01 and P02 are at registration. Every row is checked as a round record's
registration is (RULES.md §3: GB 11643 ID numbers, one registration per person per round).
"""

from __future__ import annotations

import io
import json
import re
from datetime import date, datetime
from html import unescape
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import func, inspect, select, text

from selection.models import AuditEvent, Candidate, Person, Role, Round
from selection.pipeline import Stage
from selection.record.demo import demo_record
from selection.record.engine import compute
from selection.record.parse import parse_record
from selection.record.store import store_record
from selection.rounds import PositionDetails, RoundDetails, create_position, open_round
from selection.rules import id_check_digit
from selection.services import close_stage, reveal_id_number, reveal_phone
from vetting.models import Endorsement

pytestmark = pytest.mark.db

CODE = "R2027"
ROUND = f"/exams/rounds/{CODE}"
IMPORT = f"{ROUND}/registrations/import"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADER = ["编号", "职位代码", "姓名", "性别", "出生日期", "身份证号码", "手机号码", "学历", "单位", "现任职务",
          "任现职时间", "职级", "任现职级时间", "同意报考单位", "同意报考日期", "同意报考文号"]


def id_number(birth: date, serial: int, sex: str) -> str:
    """A valid ID number (GB 11643) of someone born on `birth`: the 17th digit odd for a man."""
    body = f"110105{birth:%Y%m%d}{serial:02d}{(2 * serial + (sex == 'male')) % 10}"
    return body + id_check_digit(body)


ID1 = id_number(date(1985, 3, 12), 11, "male")
ID2 = id_number(date(1988, 7, 2), 12, "female")
ID3 = id_number(date(1983, 11, 30), 13, "male")
PHONE1, PHONE3 = "13800138001", "13900139003"
# Three registrations: Chinese choices with Excel dates, no phone and no endorsement, English codes with text dates.
GOOD = [
    ["C001", "P01", "张伟", "男", datetime(1985, 3, 12), ID1, PHONE1, "本科", "市发展和改革委员会", "综合科科长",
     datetime(2019, 6, 1), "正科级", datetime(2018, 1, 1), "市发展和改革委员会党组", datetime(2027, 1, 10),
     "发改党〔2027〕3号"],
    ["C002", "P01", "李娜", "女", datetime(1988, 7, 2), ID2, None, "硕士", "市教育局", "办公室主任",
     datetime(2020, 3, 1), "正科级", datetime(2020, 3, 1), None, None, None],
    ["c003", "P02", "王强", "male", "1983-11-30", ID3, PHONE3, "master", "市财政局", "预算科科长",
     "2017-09-01", "正科级", "2016-12-01", "市财政局党组", "2027-01-12", "财党〔2027〕1号"],
]


@pytest.fixture
def live(db: SQLAlchemy) -> Round:
    round_ = open_round(CODE, RoundDetails("2027年公开选拔副处级领导干部", date(2027, 3, 31),
                                           date(2027, 1, 1), date(2027, 1, 31)), {}, actor="test")
    for code, title in (("P01", "市发展和改革委员会副主任"), ("P02", "市财政局副局长")):
        create_position(round_, code, PositionDetails(title, title[:-3], 1), seen_version=round_.version_id,
                        actor="test")
    db.session.commit()
    return round_


@pytest.fixture
def admin(app: Flask, live: Round, create_account: Any, login_as: Any) -> FlaskClient:
    return login_as(app.test_client(), create_account(Role.ADMIN, "zzb"))


def _sheet(rows: list[list[object]], header: list[str] = HEADER) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _upload(client: FlaskClient, data: bytes, url: str = IMPORT) -> Any:
    return client.post(url, data={"sheet": (io.BytesIO(data), "registrations.xlsx")},
                       content_type="multipart/form-data")


def _token(response: Any) -> str | None:
    found = re.search(r'name="token" value="([^"]+)"', response.get_data(as_text=True))
    return found.group(1) if found else None


def _text(response: Any) -> str:
    html = response.get_data(as_text=True)
    html = html[html.index("<main"):]
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def _flashes(client: FlaskClient) -> list[str]:
    with client.session_transaction() as session:
        return [message for _category, message in session.get("_flashes", [])]


def _import(client: FlaskClient, rows: list[list[object]]) -> Any:
    """Upload, then confirm what the preview offered."""
    preview = _upload(client, _sheet(rows))
    token = _token(preview)
    assert token is not None, _text(preview)
    return client.post(IMPORT, data={"token": token})


def _counts(db: SQLAlchemy) -> dict[str, int]:
    db.session.expire_all()
    return {model.__tablename__: db.session.scalar(select(func.count()).select_from(model))
            for model in (Candidate, Person, Endorsement, AuditEvent)}


def _candidates(db: SQLAlchemy) -> dict[str, Candidate]:
    db.session.expire_all()
    return {c.ref: c for c in db.session.scalars(select(Candidate).where(Candidate.round.has(code=CODE)))}


def _with(row: list[object], **changes: object) -> list[object]:
    """A copy of a sheet row with some cells changed, by header."""
    keys = {"ref": 0, "position": 1, "name": 2, "sex": 3, "birth": 4, "id": 5, "phone": 6, "education": 7,
            "unit": 8, "endorsing_unit": 13}
    copy = list(row)
    for key, value in changes.items():
        copy[keys[key]] = value
    return copy


# --- template and access -------------------------------------------------------------------------


def test_template_has_every_column_in_chinese(admin: FlaskClient) -> None:
    response = admin.get(f"{ROUND}/registrations/template.xlsx")

    assert response.mimetype == XLSX and "attachment" in response.headers["Content-Disposition"]
    rows = list(openpyxl.load_workbook(io.BytesIO(response.data)).active.iter_rows(values_only=True))
    assert rows == [tuple(HEADER)]


def test_the_registrations_list_links_to_the_import(admin: FlaskClient) -> None:
    page = admin.get(f"{ROUND}/registrations").get_data(as_text=True)

    assert f'href="{IMPORT}"' in page and "从Excel导入" in page


@pytest.mark.parametrize("role", [Role.SUPERVISION, Role.INSPECTOR, Role.COMMITTEE_MEMBER, Role.CANDIDATE])
def test_only_an_admin_may_import(app: Flask, live: Round, db: SQLAlchemy, create_account: Any, login_as: Any,
                                  role: Role) -> None:
    client = login_as(app.test_client(), create_account(role))

    statuses = [client.get(f"{ROUND}/registrations/template.xlsx").status_code, client.get(IMPORT).status_code,
                _upload(client, _sheet(GOOD)).status_code]

    assert statuses == [403, 403, 403]
    assert _candidates(db) == {}


# --- a good file -----------------------------------------------------------------------------------


def test_a_good_file_of_three_registrations_is_previewed_then_stored(admin: FlaskClient, db: SQLAlchemy) -> None:
    preview = _upload(admin, _sheet(GOOD))

    assert preview.status_code == 200
    assert "预览:尚未保存任何内容" in _text(preview)
    assert "可保存3行:新增3行,变更0行,无变化0行;问题0个。" in _text(preview)
    assert _text(preview).count("新增报名") == 3
    assert ID1 not in preview.get_data(as_text=True) and "110***********" + ID1[-4:] in _text(preview)
    assert _candidates(db) == {}

    stored = admin.post(IMPORT, data={"token": _token(preview)})

    assert (stored.status_code, stored.location) == (302, f"{ROUND}/registrations")
    assert "报名信息已导入:新增3条,变更0条,无变化0条。" in _flashes(admin)
    candidates = _candidates(db)
    assert sorted(candidates) == ["C001", "C002", "C003"]
    c001, c002, c003 = candidates["C001"], candidates["C002"], candidates["C003"]
    assert (c001.position.code, c001.name, c001.sex.value, c001.birth_date, c001.education.value) == (
        "P01", "张伟", "male", date(1985, 3, 12), "bachelor")
    assert (c003.position.code, c003.education.value, c003.rank_since) == ("P02", "master", date(2016, 12, 1))
    assert [reveal_id_number(c.person) for c in (c001, c002, c003)] == [ID1, ID2, ID3]
    assert [reveal_phone(c.person) for c in (c001, c002, c003)] == [PHONE1, None, PHONE3]
    assert (c001.endorsement.unit, c001.endorsement.date, c001.endorsement.document) == (
        "市发展和改革委员会党组", date(2027, 1, 10), "发改党〔2027〕3号")
    assert c002.endorsement is None and c003.endorsement.document == "财党〔2027〕1号"
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "round.registrations_import"))
    assert event is not None and event.subject == f"round:{CODE}"
    assert json.loads(json.dumps(event.after)) == {"new": 3, "changed": 0, "unchanged": 0}


def test_the_same_file_twice_adds_nothing(admin: FlaskClient, db: SQLAlchemy) -> None:
    _import(admin, GOOD)
    before = _counts(db)
    versions = {ref: c.version_id for ref, c in _candidates(db).items()}

    preview = _upload(admin, _sheet(GOOD))
    again = admin.post(IMPORT, data={"token": _token(preview)})

    assert _text(preview).count("无变化") >= 3 and "新增报名" not in _text(preview)
    assert again.status_code == 302 and "报名信息已导入:新增0条,变更0条,无变化3条。" in _flashes(admin)
    assert _counts(db) == before
    assert {ref: c.version_id for ref, c in _candidates(db).items()} == versions


def test_a_changed_row_is_updated_and_audited_without_personal_numbers(admin: FlaskClient,
                                                                      db: SQLAlchemy) -> None:
    _import(admin, GOOD)
    changed = [GOOD[0], _with(GOOD[1], unit="市教育局党委", phone="13700137002"), GOOD[2]]

    preview = _upload(admin, _sheet(changed))
    stored = admin.post(IMPORT, data={"token": _token(preview)})

    assert "变更:单位、手机号码" in _text(preview)
    assert stored.status_code == 302 and "报名信息已导入:新增0条,变更1条,无变化2条。" in _flashes(admin)
    c002 = _candidates(db)["C002"]
    assert c002.unit == "市教育局党委" and reveal_phone(c002.person) == "13700137002"
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "candidate.registration"))
    assert (event.subject, event.before, event.after) == (
        f"candidate:{CODE}/C002", {"unit": "市教育局"}, {"unit": "市教育局党委", "phone": "changed"})
    trail = " ".join(json.dumps([e.before, e.after], ensure_ascii=False)
                     for e in db.session.scalars(select(AuditEvent)))
    assert not any(number in trail for number in (ID1, ID2, ID3, PHONE1, PHONE3, "13700137002"))


def test_the_database_holds_no_imported_id_or_phone_number(admin: FlaskClient, app: Flask, db: SQLAlchemy,
                                                           database_backend: str) -> None:
    _import(admin, GOOD)
    numbers = [ID1, ID2, ID3, PHONE1, PHONE3]
    db.session.remove()

    if database_backend == "sqlite":
        path = Path(db.engine.url.database or "")
        raw = b"".join(Path(f"{path}{suffix}").read_bytes() for suffix in ("", "-wal", "-shm")
                       if Path(f"{path}{suffix}").exists())
    else:
        # every row of every table as PostgreSQL prints it
        with db.engine.connect() as connection:
            raw = "\n".join(str(row) for table in inspect(connection).get_table_names()
                            for row in connection.execute(text(f'SELECT t::text FROM "{table}" AS t'))
                            ).encode("utf-8")

    assert b"C001" in raw  # the rows are there
    assert [number for number in numbers if number.encode("ascii") in raw] == []
    assert [number for number in numbers if number.encode("utf-16-le") in raw] == []


# --- every refusal, with its row ---------------------------------------------------------------------


BAD_ROWS = [
    pytest.param(_with(GOOD[1], position="P99"), "第3行“职位代码”:没有职位代码为P99的职位。", id="unknown-position"),
    pytest.param(_with(GOOD[1], id=ID2[:-1] + ("0" if ID2[-1] != "0" else "1")),
                 "第3行“身份证号码”:身份证号码校验码不正确(GB 11643)。", id="check-digit"),
    pytest.param(_with(GOOD[1], id="11010519880702"),
                 "第3行“身份证号码”:身份证号码应为18位:17位数字加1位数字或X。", id="id-shape"),
    pytest.param(_with(GOOD[1], birth=datetime(1988, 7, 3)),
                 "第3行“身份证号码”:出生日期1988年7月3日与身份证号码中的出生日期(1988年7月2日)不一致。",
                 id="birth-date-vs-number"),
    pytest.param(_with(GOOD[1], sex="男"),
                 "第3行“身份证号码”:性别“男”与身份证号码第17位所示性别(女)不一致。", id="sex-vs-number"),
    pytest.param(_with(GOOD[1], ref="C001"), "第3行“编号”:C001重复出现,第2行已有。", id="duplicate-ref"),
    pytest.param(_with(GOOD[0], ref="C002"), "第3行“身份证号码”:同一人(身份证号码相同)已在第2行。",
                 id="same-person-twice"),
    pytest.param(_with(GOOD[1], birth="1988-02-30"), "第3行“出生日期”:“1988-02-30”不是日期(格式为YYYY-MM-DD)。",
                 id="bad-date"),
    pytest.param(_with(GOOD[1], sex="M"), "第3行“性别”:“M”不是以下之一:男, 女, male, female", id="bad-sex"),
    pytest.param(_with(GOOD[1], education="大学"), "第3行“学历”:“大学”不是以下之一:高中, 专科, 本科, 硕士, 博士",
                 id="bad-education"),
    pytest.param(_with(GOOD[1], name=None), "第3行“姓名”:此项必填。", id="missing-name"),
    pytest.param(_with(GOOD[1], phone="1234567"), "第3行“手机号码”:不是有效的手机号码(11位数字,以13至19开头)。",
                 id="bad-phone"),
    pytest.param(_with(GOOD[1], endorsing_unit="市教育局党委"),
                 "第3行:同意报考单位、同意报考日期和同意报考文号须同时填写,或都不填。", id="partial-endorsement"),
]


@pytest.mark.parametrize(("bad", "message"), BAD_ROWS)
def test_a_bad_row_is_named_with_its_row_and_nothing_is_stored(admin: FlaskClient, db: SQLAlchemy,
                                                               bad: list[object], message: str) -> None:
    before = _counts(db)

    preview = _upload(admin, _sheet([GOOD[0], bad, GOOD[2]]))

    assert preview.status_code == 200
    assert message in _text(preview)
    assert "报名信息表有问题,不能保存。" in _text(preview)
    assert _token(preview) is None
    assert _counts(db) == before


def test_a_person_registered_under_another_ref_is_refused(admin: FlaskClient, db: SQLAlchemy) -> None:
    _import(admin, GOOD)
    before = _counts(db)

    preview = _upload(admin, _sheet([_with(GOOD[0], ref="C009"), _with(GOOD[1], id=ID3, name="王强")]))

    assert "第2行“身份证号码”:此人(身份证号码相同)已在本批次报名,编号为C001。" in _text(preview)
    assert "第3行“身份证号码”:出生日期1988年7月2日与身份证号码中的出生日期(1983年11月30日)不一致。" in _text(preview)
    assert _token(preview) is None and _counts(db) == before


def test_a_ref_registered_for_another_person_is_refused(admin: FlaskClient, db: SQLAlchemy) -> None:
    _import(admin, GOOD)
    other = id_number(date(1985, 3, 12), 21, "male")

    preview = _upload(admin, _sheet([_with(GOOD[0], id=other)]))

    assert "第2行“身份证号码”:编号C001已是另一身份证号码的报名。" in _text(preview)
    assert _token(preview) is None


def test_a_row_is_refused_whose_position_has_closed_registration(admin: FlaskClient, db: SQLAlchemy,
                                                                  live: Round) -> None:
    p02 = next(p for p in live.positions if p.code == "P02")
    close_stage(p02, Stage.REGISTRATION, actor="test")
    db.session.commit()

    preview = _upload(admin, _sheet(GOOD))

    assert "第4行“职位代码”:职位P02的报名已结束。" in _text(preview)
    assert _token(preview) is None and _candidates(db) == {}


def test_after_a_position_closes_registration_its_rows_may_stay_unchanged_but_not_change(
        admin: FlaskClient, db: SQLAlchemy, live: Round) -> None:
    _import(admin, GOOD)
    close_stage(next(p for p in live.positions if p.code == "P02"), Stage.REGISTRATION, actor="test")
    db.session.commit()

    same = _upload(admin, _sheet(GOOD))
    changed = _upload(admin, _sheet([GOOD[0], GOOD[1], _with(GOOD[2], unit="市财政局机关")]))

    assert _token(same) is not None and "可保存3行:新增0行,变更0行,无变化3行;问题0个。" in _text(same)
    assert "第4行“职位代码”:职位P02的报名已结束。" in _text(changed) and _token(changed) is None


def test_a_file_that_went_bad_since_its_preview_stores_nothing(admin: FlaskClient, db: SQLAlchemy) -> None:
    # Given a preview of three good rows
    token = _token(_upload(admin, _sheet(GOOD)))
    # and, before it is confirmed, the third person registered under another ref
    _import(admin, [_with(GOOD[2], ref="C100")])
    before = _counts(db)

    # When the first preview is confirmed
    response = admin.post(IMPORT, data={"token": token})

    # Then it is refused whole, naming the row
    assert response.status_code == 422
    assert "第4行“身份证号码”:此人(身份证号码相同)已在本批次报名,编号为C100。" in _text(response)
    assert _counts(db) == before and sorted(_candidates(db)) == ["C100"]


def test_a_registration_changed_since_the_preview_is_stale(admin: FlaskClient, db: SQLAlchemy) -> None:
    _import(admin, GOOD)
    token = _token(_upload(admin, _sheet([_with(GOOD[1], unit="市教育局党委")])))
    _import(admin, [_with(GOOD[1], name="李娜娜")])
    before = _counts(db)

    response = admin.post(IMPORT, data={"token": token})

    assert response.status_code == 302
    assert any("他人已修改" in message for message in _flashes(admin))
    assert _counts(db) == before and _candidates(db)["C002"].unit == "市教育局"


def test_a_tampered_or_foreign_token_is_refused(admin: FlaskClient, db: SQLAlchemy) -> None:
    token = _token(_upload(admin, _sheet(GOOD)))
    assert token is not None

    # one character of the signature changed, away from its last, whose low bits base64 ignores
    flipped = "A" if token[-5] != "A" else "B"
    tampered = admin.post(IMPORT, data={"token": token[:-5] + flipped + token[-4:]})

    assert tampered.status_code == 400 and _candidates(db) == {}


# --- the stage -----------------------------------------------------------------------------------------


@pytest.fixture
def demo(db: SQLAlchemy) -> Round:
    record = parse_record(demo_record())
    round_ = store_record(record, compute(record), replace=False, actor="test")
    db.session.commit()
    return round_


def test_a_round_past_registration_refuses_the_import_naming_the_step(admin: FlaskClient, db: SQLAlchemy,
                                                                       demo: Round) -> None:
    before = _counts(db)
    url = "/exams/rounds/DEMO-2026/registrations/import"

    page = admin.get(url)
    upload = _upload(admin, _sheet([_with(GOOD[0], position="P05")]), url=url)

    assert page.status_code == 200 and "报名已结束,结果已确定,不能再修改。" in _text(page)
    assert 'type="file"' not in page.get_data(as_text=True)
    assert "报名已结束" in _text(upload) and "预览" not in _text(upload)
    assert _counts(db) == before
