"""Pre-generated admission tickets (issue 8): `flask tickets pregenerate` renders and stores every
ticket, and the candidate's download serves the stored bytes while they still print the ticket.

On the demo round with P04 at the written exam (tests/exams/logistics_helpers.py): five
candidates seated in two rooms, the clock pinned at 2026-11-20.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner, FlaskClient
from flask_babel import refresh
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import func, select

from exams import logistics
from exams.models import AdmissionTicket, Seating, TicketFile
from selection.models import Candidate, Role, Round, User
from tests.conftest import make_test_config
from tests.exams.logistics_helpers import DAY, add_rooms, seat, store_logistics_round
from tests.exams.test_pdf import page_texts

CODE = "DEMO-2026"
#: the test client's address: the QR codes of the stored tickets must point where the candidates are
BASE_URL = "http://localhost"


@pytest.fixture
def test_config(database_url: str) -> dict[str, Any]:
    return make_test_config(database_url, TODAY=DAY)


@pytest.fixture
def zzb(create_account: Any) -> User:
    return create_account(Role.ADMIN, "zzb")


@pytest.fixture
def round_(db: SQLAlchemy) -> Round:
    return store_logistics_round(db)


@pytest.fixture
def seated(db: SQLAlchemy, round_: Round, zzb: User) -> Seating:
    add_rooms(round_, zzb, {"市第一中学": [("第一考场", 3), ("第二考场", 3)]})
    seating = seat(round_, zzb)
    db.session.commit()
    return seating


def _candidate_client(app: Flask, db: SQLAlchemy, create_account: Any, login_as: Any, ref: str) -> FlaskClient:
    person = db.session.scalar(select(Candidate.person_id).where(Candidate.ref == ref))
    return login_as(app.test_client(), create_account(Role.CANDIDATE, f"cand-{ref}", person_id=person))


def _pregenerate(runner: FlaskCliRunner, *options: str) -> str:
    result = runner.invoke(args=["tickets", "pregenerate", CODE, "--base-url", BASE_URL, *options])
    refresh()  # the command ran in the test's app context, where Flask-Babel keeps the locale it used
    assert result.exit_code == 0, result.output
    return result.output


def _stored(db: SQLAlchemy, ref: str, locale: str = "zh_Hans_CN") -> TicketFile | None:
    db.session.expire_all()
    return db.session.scalar(
        select(TicketFile).join(AdmissionTicket, TicketFile.ticket_id == AdmissionTicket.id)
        .join(Candidate, AdmissionTicket.candidate_id == Candidate.id)
        .where(Candidate.ref == ref, TicketFile.locale == locale))


def test_pregeneration_stores_every_ticket_once_per_language(runner: FlaskCliRunner, db: SQLAlchemy,
                                                             seated: Seating) -> None:
    output = _pregenerate(runner)
    _pregenerate(runner, "--locale", "en", "--locale", "zh_Hans_CN")

    tickets = logistics.ticket_rows(seated)
    assert "5 admission tickets pre-generated in zh_Hans_CN" in output
    counts = dict(db.session.execute(select(TicketFile.locale, func.count()).group_by(TicketFile.locale)).all())
    assert counts == {"zh_Hans_CN": len(tickets), "en": len(tickets)}  # run again: replaced, not added
    for row in tickets:
        [text] = page_texts(_stored(db, row.ref).data)
        assert row.number in text and row.name in text and "笔试准考证" in text
        [english] = page_texts(_stored(db, row.ref, "en").data)
        assert row.number in english and "Admission ticket for the written exam" in english


@pytest.mark.db
def test_the_download_serves_the_stored_bytes_equal_to_a_fresh_rendering(
        app: Flask, runner: FlaskCliRunner, db: SQLAlchemy, seated: Seating, create_account: Any,
        login_as: Any) -> None:
    client = _candidate_client(app, db, create_account, login_as, "C027")
    rendered = client.get(f"/me/rounds/{CODE}/ticket.pdf")
    _pregenerate(runner)
    stored = _stored(db, "C027")

    served = client.get(f"/me/rounds/{CODE}/ticket.pdf")

    assert stored is not None and served.data == stored.data == rendered.data
    for header in ("Content-Type", "Content-Disposition", "Cache-Control"):
        assert served.headers[header] == rendered.headers[header]
    assert served.headers["Cache-Control"] == "no-store"
    # and it is the stored file that went out, not a new rendering
    stored.data = b"%PDF-1.4 the stored file"
    db.session.commit()
    assert client.get(f"/me/rounds/{CODE}/ticket.pdf").data == b"%PDF-1.4 the stored file"


def test_a_ticket_that_would_print_otherwise_is_rendered_not_served_from_the_store(
        app: Flask, runner: FlaskCliRunner, db: SQLAlchemy, seated: Seating, create_account: Any,
        login_as: Any) -> None:
    client = _candidate_client(app, db, create_account, login_as, "C027")
    _pregenerate(runner)
    stored = _stored(db, "C027")
    stored.data = b"%PDF-1.4 the stored file"
    venue = logistics.venues_of(seated.round)[0]
    venue.address = "人民路2号"  # moved after pre-generation, before release
    db.session.commit()

    served = client.get(f"/me/rounds/{CODE}/ticket.pdf")
    refresh()  # the test's app context outlives the request, and Flask-Babel keeps the locale on it
    english = client.get(f"/me/rounds/{CODE}/ticket.pdf?lang=en")  # pre-generated in Chinese only

    [text] = page_texts(served.data)
    assert "人民路2号" in text
    assert english.data != b"%PDF-1.4 the stored file" and "Admission ticket" in page_texts(english.data)[0]


@pytest.mark.db  # the stored files go with their tickets by ON DELETE CASCADE, on either database
def test_seating_again_removes_the_stored_tickets_and_pregeneration_replaces_them(
        app: Flask, runner: FlaskCliRunner, db: SQLAlchemy, round_: Round, zzb: User, seated: Seating,
        create_account: Any, login_as: Any) -> None:
    client = _candidate_client(app, db, create_account, login_as, "C027")
    _pregenerate(runner)
    before = _stored(db, "C027").data
    db.session.refresh(round_)

    seat(round_, zzb)
    db.session.commit()

    assert db.session.scalar(select(func.count()).select_from(TicketFile)) == 0
    fresh = client.get(f"/me/rounds/{CODE}/ticket.pdf").data
    assert fresh != before  # a new seed signs a new QR code
    _pregenerate(runner)
    after = _stored(db, "C027")
    assert after is not None and after.data == fresh
    assert client.get(f"/me/rounds/{CODE}/ticket.pdf").data == fresh


def test_p13_a_stored_ticket_goes_to_its_candidate_alone(app: Flask, runner: FlaskCliRunner, db: SQLAlchemy,
                                                        seated: Seating, create_account: Any,
                                                        login_as: Any) -> None:
    _pregenerate(runner)
    own = _candidate_client(app, db, create_account, login_as, "C027")
    other = _stored(db, "C028")
    other_number = db.session.get(AdmissionTicket, other.ticket_id).number
    eliminated = _candidate_client(app, db, create_account, login_as, "C031")   # out at the recommendation
    staff = login_as(app.test_client(), create_account(Role.SUPERVISION))

    asked = own.get(f"/me/rounds/{CODE}/ticket.pdf", query_string={"ref": "C028", "number": other_number,
                                                                   "ticket": other.ticket_id})

    assert asked.data != other.data and other_number not in page_texts(asked.data)[0]
    assert asked.data == _stored(db, "C027").data
    assert eliminated.get(f"/me/rounds/{CODE}/ticket.pdf").status_code == 404
    assert staff.get(f"/me/rounds/{CODE}/ticket.pdf").status_code == 403
    assert app.test_client().get(f"/me/rounds/{CODE}/ticket.pdf").status_code == 302


def test_pregeneration_without_a_seating_says_why(runner: FlaskCliRunner, round_: Round) -> None:
    unseated = runner.invoke(args=["tickets", "pregenerate", CODE, "--base-url", BASE_URL])
    unknown = runner.invoke(args=["tickets", "pregenerate", "NO-SUCH", "--base-url", BASE_URL])

    assert unseated.exit_code == unknown.exit_code == 1
    assert "not seated" in unseated.output and "not seated" in unknown.output


def test_pregeneration_needs_the_address_the_qr_codes_point_to(runner: FlaskCliRunner, db: SQLAlchemy,
                                                               seated: Seating) -> None:
    result = runner.invoke(args=["tickets", "pregenerate", CODE])

    assert result.exit_code == 1 and "--base-url" in result.output
    assert db.session.scalar(select(func.count()).select_from(TicketFile)) == 0
