"""The supervision workbench's pages (publicity/supervision_views.py), through the client.

The demo round at its own date, 2026-11-20 (TODAY pinned): C010, P02's backfill, is in
publicity with an open anonymous allegation received 2026-11-18.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from flask.testing import FlaskClient
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import select

from publicity.models import Complaint, ComplaintKind, ComplaintOutcome
from selection.models import AuditEvent, Candidate, Role, Round, User
from selection.pipeline import Status
from tests.conftest import make_test_config

pytestmark = pytest.mark.db
DAY = date(2026, 11, 20)
Login = Callable[[FlaskClient, User], FlaskClient]
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def test_config(database_url: str) -> dict[str, Any]:
    return make_test_config(database_url, TODAY=DAY.isoformat())


@pytest.fixture
def officer(create_account: Callable[..., User]) -> User:
    return create_account(Role.SUPERVISION, "sup-1", display_name="监督科 甲")


@pytest.fixture
def staff(client: FlaskClient, login_as: Login, officer: User) -> FlaskClient:
    return login_as(client, officer)


def _allegation(db: SQLAlchemy, round_: Round, ref: str = "C010") -> Complaint:
    return db.session.scalar(select(Complaint).join(Candidate).where(
        Candidate.round_id == round_.id, Candidate.ref == ref, Complaint.kind == ComplaintKind.ALLEGATION))


def _register(staff: FlaskClient, **fields: Any) -> Any:
    data = {"candidate": "C010", "channel": "letter", "received": DAY.isoformat(), "kind": "allegation",
            "named": "anonymous", "content": "来信反映收受礼金", **fields}
    return staff.post("/supervision/complaints/new?round=DEMO-2026", data=data,
                      content_type="multipart/form-data")


def test_the_list_renders_in_chinese_with_every_complaint_and_an_overdue_alert(
        db: SQLAlchemy, staff: FlaskClient, store_demo: Callable[..., Round]) -> None:
    def received_long_ago(raw: dict[str, Any]) -> None:
        raw["complaints"][2]["received"] = "2026-10-01"  # C010's: more than 30 days before DAY

    store_demo(received_long_ago)

    page = staff.get("/supervision/complaints")
    html = page.get_data(as_text=True)

    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert "举报" in html and html.count('id="complaint-') == 3
    assert 'id="overdue-alert"' in html and "1" in html.split('id="overdue-alert"')[1][:80]
    filtered = staff.get("/supervision/complaints?state=overdue").get_data(as_text=True)
    assert filtered.count('id="complaint-') == 1 and "C010" in filtered
    assert staff.get("/supervision/complaints?kind=suggestion").get_data(as_text=True).count('id="complaint-') == 1


def test_supervision_staff_land_on_the_workbench_after_login(
        client: FlaskClient, officer: User, db: SQLAlchemy) -> None:
    response = client.post("/login", data={"username": "sup-1", "password": "sup-1-secret-2026"})

    assert response.status_code == 302 and response.location.endswith("/supervision/complaints")


def test_the_detail_shows_the_text_and_records_notes_handler_and_outcome(
        db: SQLAlchemy, staff: FlaskClient, store_demo: Callable[..., Round], officer: User) -> None:
    round_ = store_demo()
    _register(staff)
    complaint = db.session.scalar(select(Complaint).order_by(Complaint.id.desc()))
    url = f"/supervision/complaints/{complaint.id}"

    assert "来信反映收受礼金" in staff.get(url).get_data(as_text=True)
    staff.post(f"{url}/notes", data={"body": "已调取相关账目"})
    staff.post(f"{url}/handler", data={"handler": str(officer.id)})
    response = staff.post(f"{url}/outcome", data={"outcome": "founded_affecting", "concluded_on": DAY.isoformat()},
                          follow_redirects=True)
    html = response.get_data(as_text=True)

    assert "已调取相关账目" in html and "监督科 甲" in html
    assert db.session.get(Complaint, complaint.id).outcome is ComplaintOutcome.FOUNDED_AFFECTING
    candidate = db.session.scalar(select(Candidate).where(Candidate.round_id == round_.id, Candidate.ref == "C010"))
    assert candidate.status is Status.CANCELLED
    assert "取消" in html.split('id="effect"')[1].split("</section>")[0]
    assert 'id="history"' in html and "complaint.conclude" in html
    # a final outcome is final: no form for another
    assert f'action="{url}/outcome"' not in html
    refused = staff.post(f"{url}/outcome", data={"outcome": "unfounded", "concluded_on": DAY.isoformat()},
                         follow_redirects=True)
    assert db.session.get(Complaint, complaint.id).outcome is ComplaintOutcome.FOUNDED_AFFECTING
    assert "flash-error" in refused.get_data(as_text=True)


def test_classifying_is_saved_and_audited(
        db: SQLAlchemy, staff: FlaskClient, store_demo: Callable[..., Round]) -> None:
    round_ = store_demo()
    complaint = _allegation(db, round_)

    staff.post(f"/supervision/complaints/{complaint.id}/kind", data={"kind": "suggestion"})

    db.session.expire_all()
    assert db.session.get(Complaint, complaint.id).kind is ComplaintKind.SUGGESTION
    event = db.session.scalar(select(AuditEvent).order_by(AuditEvent.id.desc()).where(
        AuditEvent.action == "complaint.classify"))
    assert event.before == {"kind": "allegation"} and event.after == {"kind": "suggestion"}


def test_a_suggestion_about_an_appointee_cannot_become_an_allegation(
        db: SQLAlchemy, staff: FlaskClient, store_demo: Callable[..., Round]) -> None:
    # P22: C001 was appointed on 2026-10-19 while this suggestion (received 2026-09-26) was
    # open; as an allegation it would have held the appointment, so the round no longer added up
    round_ = store_demo()
    suggestion = db.session.scalar(select(Complaint).join(Candidate).where(
        Candidate.round_id == round_.id, Candidate.ref == "C001", Complaint.kind == ComplaintKind.SUGGESTION))

    response = staff.post(f"/supervision/complaints/{suggestion.id}/kind", data={"kind": "allegation"},
                          follow_redirects=True)

    assert response.status_code == 200
    assert "flash-error" in response.text and "C001" in response.text
    db.session.expire_all()
    assert db.session.get(Complaint, suggestion.id).kind is ComplaintKind.SUGGESTION
    assert staff.get(f"/supervision/complaints/{suggestion.id}").status_code == 200


def test_registering_shows_the_receipt_once_and_refuses_a_future_day(
        db: SQLAlchemy, staff: FlaskClient, store_demo: Callable[..., Round]) -> None:
    store_demo()

    form = staff.get("/supervision/complaints/new?round=DEMO-2026").get_data(as_text=True)
    response = _register(staff, named="named", name="王某某", phone="13800138000")
    refused = _register(staff, received="2026-11-21")

    assert "C010" in form and "C009" in form and "C001" not in form.split('name="candidate"')[1].split("</select>")[0]
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    assert 'class="receipt-code"' in html
    receipt = html.split('id="receipt">')[1].split("<")[0]
    assert len(receipt.replace("-", "")) == 20
    complaint = db.session.scalar(select(Complaint).order_by(Complaint.id.desc()))
    assert complaint.channel.value == "letter" and not complaint.anonymous
    assert receipt not in staff.get(f"/supervision/complaints/{complaint.id}").get_data(as_text=True)
    assert refused.status_code == 400
    assert db.session.scalar(select(Complaint).order_by(Complaint.id.desc())).id == complaint.id


def test_a_named_complainant_without_contact_is_marked_told(
        db: SQLAlchemy, staff: FlaskClient, store_demo: Callable[..., Round]) -> None:
    store_demo()
    _register(staff, named="named", name="李某")
    complaint = db.session.scalar(select(Complaint).order_by(Complaint.id.desc()))
    url = f"/supervision/complaints/{complaint.id}"
    staff.post(f"{url}/outcome", data={"outcome": "unfounded", "concluded_on": DAY.isoformat()})

    assert f'action="{url}/told"' in staff.get(url).get_data(as_text=True)
    staff.post(f"{url}/told")

    db.session.expire_all()
    assert db.session.get(Complaint, complaint.id).complainant_told_on == DAY
    assert f'action="{url}/told"' not in staff.get(url).get_data(as_text=True)


def test_an_unknown_complaint_is_404(staff: FlaskClient, store_demo: Callable[..., Round]) -> None:
    store_demo()

    assert staff.get("/supervision/complaints/9999").status_code == 404
    assert staff.post("/supervision/complaints/9999/notes", data={"body": "x"}).status_code == 404


def test_evidence_sent_with_a_registered_complaint_is_listed_and_downloaded(
        db: SQLAlchemy, staff: FlaskClient, store_demo: Callable[..., Round]) -> None:
    store_demo()
    _register(staff, evidence=[(io.BytesIO(PNG), "photo.png")])
    complaint = db.session.scalar(select(Complaint).order_by(Complaint.id.desc()))
    [evidence] = complaint.evidence

    html = staff.get(f"/supervision/complaints/{complaint.id}").get_data(as_text=True)
    response = staff.get(f"/supervision/complaints/{complaint.id}/evidence/{evidence.id}")

    assert evidence.name in html
    assert response.data == PNG and response.headers["Content-Disposition"].startswith("attachment")
