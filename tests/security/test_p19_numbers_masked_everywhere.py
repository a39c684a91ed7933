"""P19: ID and phone numbers are masked on every page and in every export, for every role, in the
HTML source too; the full numbers appear only through the admin's explicit, audited action (SECURITY.md).

The walk is the P15 one (tests/selection/test_access.py): every GET route of the URL map, with its
sample arguments, for each audience, on the demo round. Spreadsheets are read cell by cell
(openpyxl), PDFs as text (pypdfium2), everything else as text.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator

import pypdfium2
import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from openpyxl import load_workbook
from sqlalchemy import select
from werkzeug.test import TestResponse

from selection.auth import is_exempt, stamp_session
from selection.extensions import db
from selection.models import AuditEvent, Candidate, Person
from selection.record.demo import DEMO_CODE
from selection.rules import mask_id_number, mask_phone
from selection.services import reveal_id_number, reveal_phone
from tests.selection.test_access import AUDIENCES, _session_id, _values

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def body_text(response: TestResponse) -> str:
    """What a reader (or a scraper) gets out of a response: cell values, PDF text, or the source."""
    if response.mimetype == XLSX:
        workbook = load_workbook(io.BytesIO(response.data), read_only=True)
        cells = (str(value) for sheet in workbook for row in sheet.iter_rows(values_only=True)
                 for value in row if value is not None)
        text = "\n".join(cells)
        workbook.close()
        return text
    if response.mimetype == "application/pdf":
        document = pypdfium2.PdfDocument(response.data)
        try:
            return "\n".join(page.get_textpage().get_text_range() for page in document)
        finally:
            document.close()
    return response.get_data(as_text=True)


def leaks(text: str, numbers: set[str]) -> set[str]:
    """The full numbers found in `text`, also across the line breaks and spaces a PDF inserts."""
    squeezed = re.sub(r"\s+", "", text)
    return {n for n in numbers if n in text or n in squeezed or n.lower() in squeezed}


def _numbers() -> tuple[set[str], set[str]]:
    persons = db.session.scalars(select(Person)).all()
    ids = {reveal_id_number(p) for p in persons}
    phones = {phone for p in persons if (phone := reveal_phone(p)) is not None}
    return ids, phones


def _get_urls(app: Flask) -> Iterator[tuple[str, str]]:
    """Every GET route with its sample URL (rules the URL_SAMPLES cannot fill are P15's concern)."""
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if is_exempt(rule.endpoint) or "GET" not in (rule.methods or set()):
            continue
        with app.app_context():
            values, missing = _values(rule)
        if not missing:
            yield rule.endpoint, app.url_map.bind("localhost").build(rule.endpoint, values)


def _client(app: Flask, username: str | None) -> FlaskClient:
    client = app.test_client()
    if username:
        with app.app_context():
            session_id = _session_id(username)
        with client.session_transaction() as session:
            session["_user_id"] = session_id
            stamp_session(session)
    return client


def test_p19_no_page_or_export_shows_a_full_number_to_any_role(app: Flask, runner: FlaskCliRunner) -> None:
    # Given the demo round (and the open round), every person's numbers known
    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    with app.app_context():
        ids, phones = _numbers()
        refs = list(db.session.scalars(select(Candidate.ref).join(Candidate.round).where(
            Candidate.round.has(code=DEMO_CODE))))
    assert len(ids) >= 44 and len(phones) >= 44
    found: list[str] = []
    cells = 0
    shown = {"pages": 0, "xlsx": 0, "pdf": 0}

    # When every audience fetches every GET route, and the admin every candidate's page
    urls = list(_get_urls(app))
    admin_extra = [("exams.show_registration", f"/exams/rounds/{DEMO_CODE}/registrations/{ref}") for ref in refs]
    for audience, username in AUDIENCES.items():
        client = _client(app, username)
        for endpoint, url in urls + (admin_extra if audience == "admin" else []):
            response = client.get(url)
            cells += 1
            if response.status_code != 200:
                continue
            shown["xlsx" if response.mimetype == XLSX else "pdf" if response.mimetype == "application/pdf"
                  else "pages"] += 1
            leaked = leaks(body_text(response), ids | phones)
            if leaked:
                found.append(f"{audience} {url} ({endpoint}): {len(leaked)} full numbers")

    # Then no full number appears anywhere
    assert found == []
    # (and the walk did reach pages, spreadsheets and PDFs that name people)
    assert cells >= 6 * 100 and shown["pages"] >= 150 and shown["xlsx"] >= 5 and shown["pdf"] >= 5, (cells, shown)


def test_p19_the_admin_sees_masked_numbers_where_numbers_are_shown(
        app: Flask, runner: FlaskCliRunner) -> None:
    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    with app.app_context():
        c017 = db.session.scalars(select(Candidate).where(Candidate.ref == "C017")).first()
        number, phone = reveal_id_number(c017.person), reveal_phone(c017.person)
    client = _client(app, "demo-admin")

    listing = client.get(f"/exams/rounds/{DEMO_CODE}/registrations").get_data(as_text=True)
    page = client.get(f"/exams/rounds/{DEMO_CODE}/registrations/C017")
    export = body_text(client.get(f"/exams/rounds/{DEMO_CODE}/registrations.xlsx"))

    assert mask_id_number(number) in listing and number not in listing
    assert mask_id_number(number) in page.text and mask_phone(phone) in page.text
    assert number not in page.text and phone not in page.text and page.headers["Cache-Control"] == "no-store"
    assert "显示完整证件号码" in page.text
    assert mask_id_number(number) in export and number not in export


def test_p19_the_full_view_is_the_admins_explicit_audited_action(
        app: Flask, runner: FlaskCliRunner) -> None:
    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    with app.app_context():
        c017 = db.session.scalars(select(Candidate).where(Candidate.ref == "C017")).first()
        number, phone = reveal_id_number(c017.person), reveal_phone(c017.person)
        ids, _phones = _numbers()
    client = _client(app, "demo-admin")

    revealed = client.post(f"/exams/rounds/{DEMO_CODE}/registrations/C017/numbers")
    exported = client.post(f"/exams/rounds/{DEMO_CODE}/registrations-full.xlsx?position=P03")
    after = client.get(f"/exams/rounds/{DEMO_CODE}/registrations/C017").text

    assert revealed.status_code == 200 and revealed.headers["Cache-Control"] == "no-store"
    assert number in revealed.text and phone in revealed.text
    assert number not in after  # shown once: the next visit is masked again
    assert exported.status_code == 200 and exported.headers["Cache-Control"] == "no-store"
    sheet = body_text(exported)
    assert number in sheet and phone in sheet and "C001" not in sheet  # the list's filter applies
    with app.app_context():
        events = db.session.scalars(select(AuditEvent).where(
            AuditEvent.action.in_(["person.reveal", "registrations.export_full"])).order_by(AuditEvent.id)).all()
        assert [(e.action, e.actor, e.subject) for e in events] == [
            ("person.reveal", "demo-admin", f"candidate:{DEMO_CODE}/C017"),
            ("registrations.export_full", "demo-admin", f"round:{DEMO_CODE}")]
        assert not leaks(repr([(e.subject, e.before, e.after) for e in events]), ids | {phone})


@pytest.mark.parametrize("audience", ["anonymous", "candidate", "inspector", "committee_member", "supervision"])
def test_p19_no_other_role_gets_the_full_view(app: Flask, runner: FlaskCliRunner, audience: str) -> None:
    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    client = _client(app, AUDIENCES[audience])
    with app.app_context():
        ids, phones = _numbers()

    responses = [client.post(f"/exams/rounds/{DEMO_CODE}/registrations/C017/numbers"),
                 client.post(f"/exams/rounds/{DEMO_CODE}/registrations-full.xlsx")]

    expected = 302 if audience == "anonymous" else 403
    assert [r.status_code for r in responses] == [expected, expected]
    assert all(not leaks(r.get_data(as_text=True), ids | phones) for r in responses)
    with app.app_context():
        assert db.session.scalar(select(AuditEvent.id).where(
            AuditEvent.action.in_(["person.reveal", "registrations.export_full"]))) is None

