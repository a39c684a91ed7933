"""P17: the organisation admin opens no complaint: every /supervision route is refused to everyone but
supervision staff, and the admin's own pages, exports and outbox hold no complaint text, identity,
contact or receipt (SECURITY.md; RULES.md §10)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import select

from publicity import supervision
from publicity.complaints import Complainant
from publicity.models import ComplaintChannel, ComplaintKind, ComplaintOutcome
from selection.models import Candidate, Role, Round, User

DAY = date(2026, 11, 20)
TEXT = "反映该同志违规收受购物卡"
WHO = Complainant(name="举报人赵某某", phone="13912345678", email="zhao.secret@example.com", address="某小区9栋")
Login = Callable[[FlaskClient, User], FlaskClient]


@pytest.fixture
def filed(db: SQLAlchemy, store_demo: Callable[..., Round], create_account: Callable[..., User],
          app: Flask) -> dict[str, str]:
    """A named allegation about C010 registered, noted, revealed and concluded by supervision staff."""
    round_ = store_demo()
    officer = create_account(Role.SUPERVISION, "sup-1")
    c010 = db.session.scalar(select(Candidate).where(Candidate.round_id == round_.id, Candidate.ref == "C010"))
    with app.test_request_context():
        done = supervision.register_complaint(c010, kind=ComplaintKind.ALLEGATION, channel=ComplaintChannel.LETTER,
                                              content=TEXT, received=DAY, complainant=WHO, actor="sup-1", today=DAY)
        supervision.add_note(done.complaint, "调查记录机密内容", author=officer)
        supervision.reveal(done.complaint, "核实需要", actor="sup-1")
        supervision.conclude_complaint(done.complaint, ComplaintOutcome.FOUNDED_NOT_AFFECTING, DAY, actor="sup-1",
                                       today=DAY)
    db.session.commit()
    return {"receipt": done.receipt, "id": str(done.complaint.id), "uid": done.complaint.uid}


def _supervision_urls(app: Flask, complaint_id: str) -> list[tuple[str, str]]:
    urls = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/supervision"):
            continue
        url = rule.rule.replace("<int:complaint_id>", complaint_id).replace("<int:evidence_id>", "1")
        urls.extend((method, url) for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}))
    return urls


@pytest.mark.parametrize("role", [None, Role.CANDIDATE, Role.INSPECTOR, Role.COMMITTEE_MEMBER, Role.ADMIN])
def test_every_supervision_route_is_refused_to_every_other_audience(
        app: Flask, filed: dict[str, str], create_account: Callable[..., User], login_as: Login,
        role: Role | None) -> None:
    client = app.test_client()
    if role is not None:
        login_as(client, create_account(role))
    urls = _supervision_urls(app, filed["id"])
    assert len(urls) >= 10

    for method, url in urls:
        response = client.open(url, method=method, data={"reason": "x", "body": "x", "outcome": "unfounded"})
        if role is None:
            assert response.status_code == 302 and response.location.startswith("/login"), (method, url)
        else:
            assert response.status_code == 403, (method, url, role)
        assert TEXT not in response.get_data(as_text=True)


def test_supervision_staff_may_use_them(app: Flask, filed: dict[str, str], create_account: Callable[..., User],
                                       login_as: Login) -> None:
    client = login_as(app.test_client(), create_account(Role.SUPERVISION))

    assert TEXT in client.get(f"/supervision/complaints/{filed['id']}").get_data(as_text=True)


def _admin_pages(app: Flask) -> list[str]:
    """Every GET page the admin may open, filled in for the demo round, P02 and C010."""
    pages = []
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or set()) or rule.rule.startswith(("/static", "/supervision")):
            continue
        url = (rule.rule.replace("<code>", "DEMO-2026").replace("<position>", "P02").replace("<ref>", "C010")
               .replace("<int:user_id>", "1"))
        if "<" not in url:
            pages.append(url)
    return pages


def test_the_admins_pages_exports_and_outbox_hold_no_complaint_text_identity_or_receipt(
        app: Flask, admin_client: FlaskClient, filed: dict[str, str]) -> None:
    secrets = [TEXT, "调查记录机密内容", "核实需要", WHO.name, WHO.phone, WHO.email, WHO.address,
               filed["receipt"], "-".join(re.findall(".{4}", filed["receipt"])), filed["uid"]]
    pages = _admin_pages(app)
    assert {"/audit", "/audit/export", "/admin/outbox", "/rounds/DEMO-2026/dashboard"} <= set(pages)

    for url in pages:
        response = admin_client.get(url)
        body = response.get_data()
        for secret in secrets:
            assert secret.encode() not in body, (url, secret)
    audit = admin_client.get("/audit").get_data(as_text=True)
    assert "complaint." not in audit and "complaint:" not in audit
    outbox = admin_client.get("/admin/outbox").get_data(as_text=True)
    assert "complaint_outcome" not in outbox
