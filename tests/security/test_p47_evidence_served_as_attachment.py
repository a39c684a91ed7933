"""P47, the serving side: a complaint's evidence goes back out only to supervision staff, as an
attachment under its generated name, with the type its content showed, never sniffed nor cached;
an upload whose content is not a PDF, PNG or JPEG is refused and nothing is stored (SECURITY.md)."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import func, select

from publicity.models import Complaint, ComplaintEvidence
from selection.models import Role, Round, User

DAY = date(2026, 11, 20)
Login = Callable[[FlaskClient, User], FlaskClient]
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
HTML = b"<html><script>alert(1)</script></html>"


@pytest.fixture
def staff(app: Flask, create_account: Callable[..., User], login_as: Login) -> FlaskClient:
    return login_as(app.test_client(), create_account(Role.SUPERVISION, "sup-1"))


def _register(staff: FlaskClient, *files: tuple[bytes, str]) -> Any:
    return staff.post("/supervision/complaints/new?round=DEMO-2026", content_type="multipart/form-data", data={
        "candidate": "C010", "channel": "letter", "received": DAY.isoformat(), "kind": "allegation",
        "named": "anonymous", "content": "见附件", "evidence": [(io.BytesIO(data), name) for data, name in files]})


def test_evidence_is_served_as_an_attachment_with_its_detected_type_nosniff_and_no_store(
        db: SQLAlchemy, store_demo: Callable[..., Round], staff: FlaskClient) -> None:
    store_demo()
    assert _register(staff, (JPEG, "<script>.html")).status_code == 200
    [evidence] = db.session.scalars(select(ComplaintEvidence)).all()

    response = staff.get(f"/supervision/complaints/{evidence.complaint_id}/evidence/{evidence.id}")

    assert response.status_code == 200 and response.data == JPEG
    assert response.mimetype == "image/jpeg"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment") and evidence.name in disposition and "script" not in disposition
    assert evidence.name.endswith(".jpg") and len(evidence.name) == 36
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"


def test_evidence_of_another_complaint_or_unknown_is_404(
        db: SQLAlchemy, store_demo: Callable[..., Round], staff: FlaskClient) -> None:
    store_demo()
    _register(staff, (JPEG, "a.jpg"))
    [evidence] = db.session.scalars(select(ComplaintEvidence)).all()
    other = db.session.scalar(select(Complaint.id).where(Complaint.id != evidence.complaint_id))

    assert staff.get(f"/supervision/complaints/{other}/evidence/{evidence.id}").status_code == 404
    assert staff.get(f"/supervision/complaints/{evidence.complaint_id}/evidence/9999").status_code == 404


@pytest.mark.parametrize("role", [Role.ADMIN, Role.INSPECTOR, Role.COMMITTEE_MEMBER, Role.CANDIDATE])
def test_no_other_role_downloads_evidence(
        db: SQLAlchemy, app: Flask, store_demo: Callable[..., Round], staff: FlaskClient, role: Role,
        create_account: Callable[..., User], login_as: Login) -> None:
    store_demo()
    _register(staff, (JPEG, "a.jpg"))
    [evidence] = db.session.scalars(select(ComplaintEvidence)).all()
    client = login_as(app.test_client(), create_account(role))

    response = client.get(f"/supervision/complaints/{evidence.complaint_id}/evidence/{evidence.id}")

    assert response.status_code == 403 and JPEG not in response.data


def test_an_upload_that_is_not_a_document_is_refused_and_nothing_is_stored(
        db: SQLAlchemy, store_demo: Callable[..., Round], staff: FlaskClient) -> None:
    store_demo()
    complaints = db.session.scalar(select(func.count(Complaint.id)))

    response = _register(staff, (JPEG, "ok.jpg"), (HTML, "photo.jpg"))

    assert response.status_code == 400
    assert db.session.scalar(select(func.count(Complaint.id))) == complaints
    assert db.session.scalar(select(func.count(ComplaintEvidence.id))) == 0
