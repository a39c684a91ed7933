"""P45: a named complainant's identity is hidden by default even from supervision staff; revealing it
needs a reason, is shown on that one response only (no-store) and audited with the reason, never the
identity; no other role can reveal (SECURITY.md)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import select

from publicity.models import Complaint
from selection.models import AuditEvent, Role, Round, User

DAY = date(2026, 11, 20)
Login = Callable[[FlaskClient, User], FlaskClient]
IDENTITY = ("实名人钱某某", "13712345678", "qian.secret@example.com")


@pytest.fixture
def staff(app: Flask, create_account: Callable[..., User], login_as: Login) -> FlaskClient:
    return login_as(app.test_client(), create_account(Role.SUPERVISION, "sup-1"))


@pytest.fixture
def complaint_url(db: SQLAlchemy, store_demo: Callable[..., Round], staff: FlaskClient) -> str:
    store_demo()
    response = staff.post("/supervision/complaints/new?round=DEMO-2026", content_type="multipart/form-data", data={
        "candidate": "C010", "channel": "phone", "received": DAY.isoformat(), "kind": "allegation",
        "named": "named", "name": IDENTITY[0], "phone": IDENTITY[1], "email": IDENTITY[2],
        "content": "来电反映"})
    assert response.status_code == 200
    complaint = db.session.scalar(select(Complaint).order_by(Complaint.id.desc()))
    return f"/supervision/complaints/{complaint.id}"


def _shows_identity(html: str) -> bool:
    return any(part in html for part in IDENTITY)


def test_hidden_on_the_list_and_the_detail_even_for_supervision(staff: FlaskClient, complaint_url: str) -> None:
    assert not _shows_identity(staff.get("/supervision/complaints").get_data(as_text=True))
    assert not _shows_identity(staff.get(complaint_url).get_data(as_text=True))


def test_a_reveal_without_a_reason_shows_nothing_and_records_nothing(
        db: SQLAlchemy, staff: FlaskClient, complaint_url: str) -> None:
    response = staff.post(f"{complaint_url}/reveal", data={"reason": "  "})

    assert response.status_code == 400 and not _shows_identity(response.get_data(as_text=True))
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "complaint.reveal")) is None


def test_a_reveal_with_a_reason_shows_it_once_uncached_and_audits_the_reason_only(
        db: SQLAlchemy, staff: FlaskClient, complaint_url: str) -> None:
    response = staff.post(f"{complaint_url}/reveal", data={"reason": "需回访核实"})

    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    assert all(part in response.get_data(as_text=True) for part in IDENTITY)
    [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "complaint.reveal")).all()
    assert event.actor == "sup-1" and event.after == {"reason": "需回访核实"}
    assert not _shows_identity(repr((event.subject, event.before, event.after)))
    # the next page hides it again
    assert not _shows_identity(staff.get(complaint_url).get_data(as_text=True))


@pytest.mark.parametrize("role", [Role.ADMIN, Role.INSPECTOR, Role.COMMITTEE_MEMBER, Role.CANDIDATE])
def test_no_other_role_can_reveal(db: SQLAlchemy, app: Flask, complaint_url: str, role: Role,
                                  create_account: Callable[..., User], login_as: Login) -> None:
    client = login_as(app.test_client(), create_account(role))

    response = client.post(f"{complaint_url}/reveal", data={"reason": "想看看"})

    assert response.status_code == 403 and not _shows_identity(response.get_data(as_text=True))
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "complaint.reveal")) is None
