"""The audit trail page (审计记录): newest first, filtered, 50 a page, its chain verified."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from datetime import date, timedelta

import pytest
from flask.testing import FlaskClient
from flask_sqlalchemy import SQLAlchemy
from openpyxl import load_workbook
from sqlalchemy import select, text

from selection.audit import record_audit
from selection.models import AuditEvent, Role, User
from selection.audit_trail import changes
from selection.rounds import RoundDetails, open_round

DETAILS = RoundDetails(title="2027年公开选拔", cutoff_date=date(2027, 3, 31))


@pytest.fixture
def admin_client(client: FlaskClient, create_account: Callable[..., User],
                 login_as: Callable[..., FlaskClient]) -> FlaskClient:
    return login_as(client, create_account(Role.ADMIN, "org-admin"))


@pytest.fixture
def trail(db: SQLAlchemy) -> dict[str, int]:
    """Two rounds by two people, and status changes of three candidates."""
    first = open_round("R1", DETAILS, {}, actor="alice")
    second = open_round("R2", DETAILS, {}, actor="bob")
    for ref, round_ in (("C030", first), ("C031", first), ("C030", second)):
        record_audit("candidate.status", actor="bob", subject=f"candidate:{round_.code}/{ref}", round_id=round_.id,
                     before={"status": "recommended"}, after={"status": "interview_list"})
    db.session.commit()
    return {"R1": first.id, "R2": second.id}


def _events(page: str) -> list[tuple[str, str]]:
    """(id, the row's cells as text) of every event shown."""
    rows = re.findall(r'<tr id="event-(\d+)">(.*?)</tr>', page, re.S)
    return [(number, re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body)).strip()) for number, body in rows]


def _ids(client: FlaskClient, query: str = "") -> list[int]:
    return [int(number) for number, _ in _events(client.get(f"/audit{query}").get_data(as_text=True))]


def _subjects(db: SQLAlchemy, ids: list[int]) -> list[str]:
    return [db.session.get(AuditEvent, n).subject for n in ids]


def test_audit_page_in_chinese_newest_first_with_the_chain_verified(
        admin_client: FlaskClient, db: SQLAlchemy, trail: dict[str, int]) -> None:
    page = admin_client.get("/audit").get_data(as_text=True)

    assert '<html lang="zh-CN">' in page and "审计记录" in page and "时间(北京时间)" in page
    count = db.session.scalar(select(AuditEvent.id).order_by(AuditEvent.id.desc()).limit(1))
    assert f"审计链校验通过:共 {count} 条记录,均未被改动。" in page
    ids = [int(n) for n, _ in _events(page)]
    assert ids == sorted(ids, reverse=True) and len(ids) == count


def test_audit_page_shows_who_when_and_before_after(admin_client: FlaskClient, db: SQLAlchemy,
                                                    trail: dict[str, int]) -> None:
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.subject == "candidate:R2/C030"))

    [(number, row)] = [e for e in _events(admin_client.get("/audit").get_data(as_text=True)) if e[0] == str(event.id)]

    shanghai = (event.at + timedelta(hours=8)).strftime("%Y-%m-%d %H:%M:%S")
    assert row == f"{event.id} {shanghai} bob candidate.status candidate:R2/C030 status : recommended → interview_list"


@pytest.mark.parametrize(("query", "expected"), [
    ("?round=R1", ["candidate:R1/C031", "candidate:R1/C030", "round:R1"]),
    ("?subject=C030", ["candidate:R2/C030", "candidate:R1/C030"]),
    ("?subject=candidate:R1/C030", ["candidate:R1/C030"]),
    ("?actor=alice", ["round:R1"]),
    ("?round=R2&actor=bob", ["candidate:R2/C030", "round:R2"]),
    ("?subject=C03%25", []),
])
def test_audit_page_filters(admin_client: FlaskClient, db: SQLAlchemy, trail: dict[str, int], query: str,
                            expected: list[str]) -> None:
    assert _subjects(db, _ids(admin_client, query)) == expected


def test_audit_page_shows_fifty_a_page(admin_client: FlaskClient, db: SQLAlchemy, trail: dict[str, int]) -> None:
    for n in range(120):
        record_audit("test.event", actor="carol", subject=f"test:{n}")
    db.session.commit()

    first, third = _ids(admin_client, "?actor=carol"), _ids(admin_client, "?actor=carol&page=3")

    assert len(first) == 50 and len(third) == 20
    assert _subjects(db, first[:1]) == ["test:119"] and _subjects(db, third[-1:]) == ["test:0"]
    page = admin_client.get("/audit?actor=carol").get_data(as_text=True)
    assert "共 120 条记录;第 1 页,共 3 页。" in page and 'rel="next"' in page


@pytest.mark.parametrize("page", ["9" * 20, "²", "-1", "x"])
def test_audit_page_number_past_any_page_shows_the_first(admin_client: FlaskClient, db: SQLAlchemy,
                                                        trail: dict[str, int], page: str) -> None:
    # P22: 10**20 went into the query's OFFSET, which SQLite refused to bind (a 500)
    response = admin_client.get(f"/audit?page={page}")

    assert response.status_code == 200
    assert _ids(admin_client, f"?page={page}") == _ids(admin_client)


def test_audit_page_names_the_first_broken_event(admin_client: FlaskClient, db: SQLAlchemy,
                                                 trail: dict[str, int]) -> None:
    # Given one field edited behind the application's back (SQLite has no refusing trigger)
    db.session.execute(text("UPDATE audit_events SET actor = 'mallory' WHERE id = 2"))
    db.session.commit()

    page = admin_client.get("/audit").get_data(as_text=True)

    assert "审计链在第 2 条记录处断裂" in page


def test_audit_export_has_the_filtered_events(admin_client: FlaskClient, db: SQLAlchemy,
                                              trail: dict[str, int]) -> None:
    response = admin_client.get("/audit/export?subject=C030")

    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    header, *rows = load_workbook(io.BytesIO(response.data), read_only=True).worksheets[0].iter_rows(values_only=True)
    assert header == ("序号", "时间(北京时间)", "操作人", "操作", "对象", "变更前 → 变更后")
    assert [row[4] for row in rows] == ["candidate:R2/C030", "candidate:R1/C030"]
    assert rows[0][5] == "status: recommended → interview_list"


def test_audit_page_refused_to_other_roles(client: FlaskClient, create_account: Callable[..., User],
                                           login_as: Callable[..., FlaskClient]) -> None:
    candidate = login_as(client, create_account(Role.CANDIDATE))

    assert candidate.get("/audit").status_code == 403
    assert candidate.get("/audit/export").status_code == 403


def test_changes_read_as_key_old_new() -> None:
    assert [(c.key, c.old, c.new) for c in changes({"a": 1, "b": {"x": "1"}}, {"a": 2, "b": {"x": "1"}, "c": None})] \
        == [("a", "1", "2")]
    assert [(c.key, c.old, c.new) for c in changes(None, {"weights": {"written": "0.5"}})] == [
        ("weights", "—", "written=0.5")]
    assert changes(None, None) == []
