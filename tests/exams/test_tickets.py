"""The exam logistics screens in the browser: venues and rooms, seating, PDFs, attendance, the
candidate's own ticket (P13) and the public check of a ticket through its QR code.

Through the test client, on the demo round with P04 at the written exam and nothing entered
for it (tests/exams/logistics_helpers.py), the clock pinned at 2026-11-20.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from html import unescape
from typing import Any
from urllib.parse import quote, urlsplit

import pypdfium2
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import refresh
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import select

from exams import logistics
from exams.models import AdmissionTicket, ExamRoom, Seating
from selection.crypto import generate_keyring, sign_ticket, verify_ticket
from selection.models import Candidate, Role, Round, User
from selection.pipeline import Stage, Status
from selection.record.services import round_results
from selection.services import reveal_id_number, reveal_phone
from tests.conftest import make_test_config
from tests.exams.logistics_helpers import DAY, add_rooms, p04, seat, store_logistics_round
from tests.exams.test_pdf import page_qr_codes, page_texts

CODE = "DEMO-2026"
HUB = f"/tickets/rounds/{CODE}"


@pytest.fixture
def test_config(database_url: str) -> dict[str, Any]:
    return make_test_config(database_url, TODAY=DAY, TICKET_VERIFY_LIMIT="40 per minute")


@pytest.fixture
def round_(db: SQLAlchemy) -> Round:
    return store_logistics_round(db)


@pytest.fixture
def zzb(create_account: Callable[..., User]) -> User:
    return create_account(Role.ADMIN, "zzb")


@pytest.fixture
def admin(app: Flask, round_: Round, zzb: User, login_as: Any) -> FlaskClient:
    return login_as(app.test_client(), zzb)


@pytest.fixture
def seated(db: SQLAlchemy, round_: Round, zzb: User) -> Seating:
    add_rooms(round_, zzb, {"市第一中学": [("第一考场", 3), ("第二考场", 3)]})
    seating = seat(round_, zzb)
    db.session.commit()
    return seating


def _text(response: Any) -> str:
    html = response.get_data(as_text=True)
    html = html[html.index("<main"):]
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def _flashes(client: FlaskClient) -> list[str]:
    with client.session_transaction() as session:
        return [message for _category, message in session.get("_flashes", [])]


def _room(db: SQLAlchemy, name: str) -> ExamRoom:
    return db.session.scalar(select(ExamRoom).where(ExamRoom.name == name))


def _candidate(db: SQLAlchemy, ref: str) -> Candidate:
    return db.session.scalar(select(Candidate).where(Candidate.ref == ref))


def _ticket(db: SQLAlchemy, ref: str) -> AdmissionTicket:
    return db.session.scalar(select(AdmissionTicket).join(Candidate, AdmissionTicket.candidate_id == Candidate.id)
                             .where(Candidate.ref == ref))


def _candidate_client(app: Flask, db: SQLAlchemy, create_account: Any, login_as: Any, ref: str) -> FlaskClient:
    user = create_account(Role.CANDIDATE, f"cand-{ref}", person_id=_candidate(db, ref).person_id)
    return login_as(app.test_client(), user)


# --- access --------------------------------------------------------------------------------


def test_the_logistics_screens_are_the_organisation_departments(
        app: Flask, db: SQLAlchemy, seated: Seating, create_account: Any, login_as: Any) -> None:
    room = _room(db, "第一考场").id
    urls = [HUB, f"{HUB}/tickets.pdf", f"{HUB}/sign-in.pdf", f"{HUB}/rooms/{room}",
            f"{HUB}/rooms/{room}/tickets.pdf", f"{HUB}/rooms/{room}/sign-in.pdf"]
    for role in (Role.SUPERVISION, Role.INSPECTOR, Role.COMMITTEE_MEMBER, Role.CANDIDATE):
        client = login_as(app.test_client(), create_account(role))
        assert {url: client.get(url).status_code for url in urls} == {url: 403 for url in urls}
        assert client.post(f"{HUB}/seating", data={}).status_code == 403
    assert app.test_client().get(HUB).status_code == 302


# --- venues and rooms ------------------------------------------------------------------------


def test_venues_and_rooms_are_set_up_on_the_page_in_chinese(admin: FlaskClient, db: SQLAlchemy, round_: Round) -> None:
    version = round_.version_id
    response = admin.post(f"{HUB}/venues", data={"venue-new-version": version, "venue-new-name": "市第一中学",
                                                 "venue-new-address": "人民路1号"})
    assert response.status_code == 302
    venue = db.session.scalar(select(logistics.Venue).where(logistics.Venue.name == "市第一中学"))
    db.session.refresh(round_)
    admin.post(f"{HUB}/venues/{venue.id}/rooms", data={f"room-new-{venue.id}-version": round_.version_id,
                                                      f"room-new-{venue.id}-name": "第一考场",
                                                      f"room-new-{venue.id}-capacity": "30"})
    db.session.refresh(round_)
    admin.post(f"{HUB}/venues/{venue.id}/rooms", data={f"room-new-{venue.id}-version": round_.version_id,
                                                      f"room-new-{venue.id}-name": "第二考场",
                                                      f"room-new-{venue.id}-capacity": "25"})

    page = admin.get(HUB)

    text = _text(page)
    assert page.status_code == 200
    assert "考务安排" in text and "市第一中学" in text and "第一考场" in text and "第二考场" in text
    assert re.search(r'id="total-seats">55<', page.get_data(as_text=True))


def test_a_stale_venue_form_is_refused(admin: FlaskClient, db: SQLAlchemy, round_: Round) -> None:
    stale = round_.version_id - 1

    admin.post(f"{HUB}/venues", data={"venue-new-version": stale, "venue-new-name": "市第一中学",
                                      "venue-new-address": "人民路1号"})

    assert any("他人已修改" in message for message in _flashes(admin))
    assert db.session.scalar(select(logistics.Venue)) is None


def test_removing_a_room_with_tickets_is_refused_on_the_page(
        admin: FlaskClient, db: SQLAlchemy, round_: Round, seated: Seating) -> None:
    room = _room(db, "第一考场")
    db.session.refresh(round_)

    admin.post(f"{HUB}/rooms/{room.id}/remove", data={"version": round_.version_id})

    assert db.session.get(ExamRoom, room.id) is not None
    assert any("第一考场" in message for message in _flashes(admin))


# --- seating -------------------------------------------------------------------------------


def test_seating_through_the_page_shows_the_recorded_seed(admin: FlaskClient, db: SQLAlchemy, round_: Round,
                                                          zzb: User) -> None:
    add_rooms(round_, zzb, {"市第一中学": [("第一考场", 30)]})
    db.session.commit()

    response = admin.post(f"{HUB}/seating", data={
        "seating-version": round_.version_id, "seating-day": "2026-11-28", "seating-starts": "09:00",
        "seating-ends": "11:30", "seating-prefix": "gx26"})

    assert response.status_code == 302
    seating = db.session.scalar(select(Seating))
    assert seating.ticket_prefix == "GX26" and seating.starts_at.isoformat() == "2026-11-28T01:00:00+00:00"
    page = admin.get(HUB)
    assert f'<code id="seed">{seating.seed}</code>' in page.get_data(as_text=True)
    assert "2026年11月28日 09:00—11:30" in _text(page)


def test_seating_is_refused_naming_the_missing_step(admin: FlaskClient, db: SQLAlchemy, round_: Round,
                                                    zzb: User) -> None:
    add_rooms(round_, zzb, {"市第一中学": [("第一考场", 30)]})
    p04(db).stage = Stage.RECOMMENDATION
    db.session.commit()

    page = admin.get(HUB)
    response = admin.post(f"{HUB}/seating", data={
        "seating-version": round_.version_id, "seating-day": "2026-11-28", "seating-starts": "09:00",
        "seating-ends": "11:30", "seating-prefix": "GX26"})

    assert "公开推荐尚未结束,不能开始笔试。" in _text(page)
    assert 'action="/tickets/rounds/DEMO-2026/seating"' not in page.get_data(as_text=True)
    assert response.status_code == 302 and db.session.scalar(select(Seating)) is None
    assert _flashes(admin) == ["公开推荐尚未结束,不能开始笔试。"]


def test_seating_without_rooms_says_to_add_them(admin: FlaskClient, round_: Round) -> None:
    page = admin.get(HUB)

    assert "尚无考场:请先添加考点及其考场。" in _text(page)
    assert 'action="/tickets/rounds/DEMO-2026/seating"' not in page.get_data(as_text=True)


# --- PDFs ------------------------------------------------------------------------------------


def test_the_bulk_pdf_has_one_page_per_ticket_and_is_never_cached(admin: FlaskClient, seated: Seating,
                                                                  db: SQLAlchemy) -> None:
    response = admin.get(f"{HUB}/tickets.pdf")

    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Cache-Control"] == "no-store"
    texts = page_texts(response.data)
    rows = logistics.ticket_rows(seated)
    assert len(texts) == len(rows) == 5
    assert all(row.number in text and row.name in text for row, text in zip(rows, texts))


def test_a_room_pdf_holds_only_that_rooms_tickets(admin: FlaskClient, seated: Seating, db: SQLAlchemy) -> None:
    room = _room(db, "第二考场")

    texts = page_texts(admin.get(f"{HUB}/rooms/{room.id}/tickets.pdf").data)

    assert len(texts) == 2 and all("第二考场" in text for text in texts)


def test_the_sign_in_sheet_lists_the_room_without_id_numbers(admin: FlaskClient, seated: Seating,
                                                             db: SQLAlchemy) -> None:
    room = _room(db, "第一考场")

    response = admin.get(f"{HUB}/rooms/{room.id}/sign-in.pdf")

    assert response.headers["Cache-Control"] == "no-store"
    [text] = page_texts(response.data)
    assert "考场签到表" in text and "考生签名" in text
    for row in logistics.ticket_rows(seated, room):
        assert row.number in text and row.name in text and row.position in text
    for ticket in seated.tickets:
        assert reveal_id_number(ticket.candidate.person) not in text
    assert re.search(r"\d{6}", text.replace(seated.ticket_prefix, "")) is None  # no ID number, whole or in part
    all_sheets = page_texts(admin.get(f"{HUB}/sign-in.pdf").data)
    assert len(all_sheets) == 2


# --- attendance ----------------------------------------------------------------------------


def _attendance_form(db: SQLAlchemy, refs: list[str], absent: set[str]) -> dict[str, str]:
    data = {}
    for ref in refs:
        data[f"version-{ref}"] = str(_candidate(db, ref).version_id)
        if ref in absent:
            data[f"absent-{ref}"] = "1"
    return data


def test_an_absence_marked_in_the_room_shows_on_the_written_scores_screen(
        admin: FlaskClient, db: SQLAlchemy, round_: Round, seated: Seating) -> None:
    room = _room(db, "第一考场")
    refs = [row.ref for row in logistics.ticket_rows(seated, room)]
    absent = refs[1]

    response = admin.post(f"{HUB}/rooms/{room.id}", data=_attendance_form(db, refs, {absent}))

    assert response.status_code == 302
    db.session.expire_all()
    statuses = {r.ref: r.status for r in round_results(round_, today=round_.as_of).candidates}
    assert statuses[absent] is Status.ABSENT_WRITTEN
    assert {statuses[ref] for ref in refs if ref != absent} == {Status.RECOMMENDED}
    room_page = admin.get(f"{HUB}/rooms/{room.id}")
    assert room_page.headers["Cache-Control"] == "no-store"
    assert re.search(rf'name="absent-{absent}" value="1" checked', room_page.get_data(as_text=True))
    written = admin.get(f"/exams/rounds/{CODE}/positions/P04/written").get_data(as_text=True)
    assert re.search(rf'name="absent-{absent}" value="1" checked', written)


def test_a_stale_attendance_form_is_refused_on_the_page(admin: FlaskClient, db: SQLAlchemy, seated: Seating) -> None:
    room = _room(db, "第一考场")
    refs = [row.ref for row in logistics.ticket_rows(seated, room)]
    stale = _attendance_form(db, refs, {refs[0]})
    admin.post(f"{HUB}/rooms/{room.id}", data=stale)

    admin.post(f"{HUB}/rooms/{room.id}", data={**stale, f"absent-{refs[0]}": "", f"absent-{refs[2]}": "1"})

    assert any("他人已修改" in m for m in _flashes(admin))
    db.session.expire_all()
    assert _candidate(db, refs[0]).status is Status.ABSENT_WRITTEN
    assert _candidate(db, refs[2]).status is Status.RECOMMENDED


def test_attendance_is_refused_once_the_written_stage_closed(admin: FlaskClient, db: SQLAlchemy,
                                                            seated: Seating) -> None:
    room = _room(db, "第一考场")
    refs = [row.ref for row in logistics.ticket_rows(seated, room)]
    form = _attendance_form(db, refs, {refs[0]})
    p04(db).stage = Stage.INTERVIEW_LIST
    db.session.commit()

    page = admin.get(f"{HUB}/rooms/{room.id}")
    admin.post(f"{HUB}/rooms/{room.id}", data=form)

    assert 'name="absent-' not in page.get_data(as_text=True) and "保存考勤" not in _text(page)
    assert "笔试已结束,结果已确定,不能再修改。" in _text(page)
    assert _flashes(admin) == ["笔试已结束,结果已确定,不能再修改。"]
    assert _candidate(db, refs[0]).status is Status.RECOMMENDED


# --- the candidate's own ticket (P13) ------------------------------------------------------


def test_a_candidate_downloads_their_own_ticket(app: Flask, db: SQLAlchemy, seated: Seating, create_account: Any,
                                                login_as: Any) -> None:
    client = _candidate_client(app, db, create_account, login_as, "C027")
    ticket = _ticket(db, "C027")

    response = client.get(f"/me/rounds/{CODE}/ticket.pdf")

    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    [text] = page_texts(response.data)
    candidate = _candidate(db, "C027")
    assert ticket.number in text and candidate.name in text and candidate.position.title in text


def test_p13_candidate_cannot_read_other_candidates_ticket(app: Flask, db: SQLAlchemy, seated: Seating,
                                                           create_account: Any, login_as: Any) -> None:
    client = _candidate_client(app, db, create_account, login_as, "C027")
    other = _candidate(db, "C028")
    other_ticket = _ticket(db, "C028")

    # whatever the URL, the query or the form say, the ticket is the signed-in candidate's
    responses = [client.get(f"/me/rounds/{CODE}/ticket.pdf?ref=C028&candidate={other.id}"),
                 client.get(f"/me/rounds/{CODE}/ticket.pdf", query_string={"number": other_ticket.number})]
    for response in responses:
        [text] = page_texts(response.data)
        assert other.name not in text and other_ticket.number not in text
    # and no other path leads to it
    for url in (f"{HUB}/tickets.pdf", f"{HUB}/rooms/{other_ticket.room_id}/tickets.pdf",
                f"{HUB}/rooms/{other_ticket.room_id}"):
        assert client.get(url).status_code == 403


def test_a_candidate_not_seated_gets_no_ticket(app: Flask, db: SQLAlchemy, seated: Seating, create_account: Any,
                                               login_as: Any) -> None:
    eliminated = _candidate_client(app, db, create_account, login_as, "C031")   # out at the recommendation
    elsewhere = _candidate_client(app, db, create_account, login_as, "C001")    # another position
    nobody = login_as(app.test_client(), create_account(Role.CANDIDATE, "no-person"))

    for client in (eliminated, elsewhere, nobody):
        response = client.get(f"/me/rounds/{CODE}/ticket.pdf")
        assert response.status_code == 404 and response.mimetype == "text/html"
        assert "准考证" in _text(response)


# --- the public check through the QR code ---------------------------------------------------


def _qr_path(client: FlaskClient, db: SQLAlchemy, app: Flask, create_account: Any, login_as: Any,
             ref: str) -> str:
    data = _candidate_client(app, db, create_account, login_as, ref).get(f"/me/rounds/{CODE}/ticket.pdf").data
    [url] = page_qr_codes(data)
    parts = urlsplit(url)
    assert parts.scheme == "http" and parts.netloc == "localhost"
    return parts.path


def test_the_qr_code_on_a_ticket_opens_a_page_saying_it_is_valid(
        app: Flask, db: SQLAlchemy, seated: Seating, create_account: Any, login_as: Any) -> None:
    path = _qr_path(app.test_client(), db, app, create_account, login_as, "C027")
    ticket = _ticket(db, "C027")
    candidate = _candidate(db, "C027")

    response = app.test_client().get(path)

    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    text = _text(response)
    assert "有效" in text
    for shown in (candidate.name, candidate.position.title, ticket.room.name, str(ticket.seat), ticket.number):
        assert shown in text
    # never anything else of the person: no ID or phone number, no unit, no ref
    html = response.get_data(as_text=True)
    assert reveal_id_number(candidate.person) not in html and candidate.person.phone_cipher is not None
    assert (reveal_phone(candidate.person) or "-") not in html and candidate.unit not in html
    assert candidate.ref not in text


@pytest.mark.parametrize("tamper", ["forged", "altered number", "truncated", "other ticket's", "empty-ish"])
def test_a_tampered_verification_url_says_invalid(app: Flask, db: SQLAlchemy, seated: Seating, create_account: Any,
                                                 login_as: Any, tamper: str) -> None:
    path = _qr_path(app.test_client(), db, app, create_account, login_as, "C027")
    _prefix, _verify, number, signature = path.rsplit("/", 3)
    other = _ticket(db, "C028").number
    last = "B" if signature[-1] == "A" else "A"
    url = {
        "forged": f"/tickets/verify/{number}/{signature[:-1]}{last}",
        "altered number": f"/tickets/verify/{other}/{signature}",
        "truncated": f"/tickets/verify/{number}/{signature[:-2]}",
        "other ticket's": f"/tickets/verify/{number}/{path.rsplit('/', 1)[1][::-1]}",
        "empty-ish": f"/tickets/verify/{number}/-",
    }[tamper]

    response = app.test_client().get(url)

    assert response.status_code == 404
    text = _text(response)
    assert "无效" in text
    assert _candidate(db, "C027").name not in text and _candidate(db, "C028").name not in text


def test_verification_is_rate_limited(app: Flask, db: SQLAlchemy, seated: Seating) -> None:
    app.config["TICKET_VERIFY_LIMIT"] = "3 per minute"
    client = app.test_client()

    codes = [client.get("/tickets/verify/GX2600101/aaaaaaaaaaaaaaaaaaaa").status_code for _ in range(4)]

    assert codes == [404, 404, 404, 429]


def test_ticket_signatures_are_keyed_and_bound_to_their_holder() -> None:
    keys, other_keys = generate_keyring(), generate_keyring()
    signature = sign_ticket("GX2600101", holder="7:1", keys=keys)

    assert verify_ticket("GX2600101", signature, holder="7:1", keys=keys)
    assert not verify_ticket("GX2600101", signature, holder="8:1", keys=keys)
    assert not verify_ticket("GX2600101", signature, holder="7:1", keys=other_keys)
    assert not verify_ticket("GX2600101", "考" * 20, holder="7:1", keys=keys)
    assert re.fullmatch(r"[A-Za-z0-9_-]{20}", signature)


def test_the_round_page_leads_to_the_logistics_screen(admin: FlaskClient) -> None:
    page = admin.get(f"/rounds/{CODE}")

    assert f'href="{HUB}"' in page.get_data(as_text=True) and "考务安排" in _text(page)


def test_the_ticket_follows_the_readers_language(app: Flask, db: SQLAlchemy, seated: Seating, create_account: Any,
                                                 login_as: Any) -> None:
    client = _candidate_client(app, db, create_account, login_as, "C027")

    [english] = page_texts(client.get(f"/me/rounds/{CODE}/ticket.pdf?lang=en").data)
    refresh()  # the test's app context outlives the request, and Flask-Babel keeps the locale on it
    [chinese] = page_texts(client.get(f"/me/rounds/{CODE}/ticket.pdf?lang=zh_Hans_CN").data)

    assert "Admission ticket for the written exam" in english and "Instructions for candidates" in english
    assert "November 28, 2026" in english or "Nov 28, 2026" in english
    assert "笔试准考证" in chinese and "考生须知" in chinese and "2026年11月28日 09:00—11:30" in chinese
    assert _candidate(db, "C027").name in english


def test_the_logistics_forms_carry_and_need_their_csrf_tokens(make_app: Callable[..., Flask], db: SQLAlchemy,
                                                             round_: Round, zzb: User, login_as: Any) -> None:
    app = make_app(WTF_CSRF_ENABLED=True)
    client = login_as(app.test_client(), zzb)
    page = client.get(HUB).get_data(as_text=True)
    token = re.search(r'name="venue-new-csrf_token" type="hidden" value="([^"]+)"', page)
    assert token is not None
    form = {"venue-new-version": round_.version_id, "venue-new-name": "市第一中学", "venue-new-address": "人民路1号"}

    refused = client.post(f"{HUB}/venues", data=form)
    accepted = client.post(f"{HUB}/venues", data={**form, "venue-new-csrf_token": token.group(1)})

    assert refused.status_code == 400 and accepted.status_code == 302
    assert [v.name for v in logistics.venues_of(round_)] == ["市第一中学"]


# --- P22: no input makes these screens fail ------------------------------------------------

FUZZ = settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@FUZZ
@given(number=st.text(min_size=1, max_size=30), signature=st.text(min_size=1, max_size=30))
def test_p22_the_verification_page_answers_any_url(app: Flask, seated: Seating, number: str,
                                                   signature: str) -> None:
    app.config["TICKET_VERIFY_LIMIT"] = "100000 per minute"

    response = app.test_client().get(f"/tickets/verify/{quote(number, safe='')}/{quote(signature, safe='')}")

    # invalid (404), or the router's own answer to an odd path (a redirect for "//"); never valid, never an error
    assert response.status_code in (404, 308)


_FIELDS = {
    "venues": ["venue-new-version", "venue-new-name", "venue-new-address"],
    "venues/{venue}": ["venue-{venue}-version", "venue-{venue}-name", "venue-{venue}-address", "venue-{venue}-ordinal"],
    "venues/{venue}/rooms": ["room-new-{venue}-version", "room-new-{venue}-name", "room-new-{venue}-capacity"],
    "rooms/{room}/edit": ["room-{room}-version", "room-{room}-name", "room-{room}-capacity", "room-{room}-ordinal"],
    "seating": ["seating-version", "seating-day", "seating-starts", "seating-ends", "seating-prefix"],
    "rooms/{room}": ["version-C026", "absent-C026", "version-C027", "absent-C027", "version-C001"],
}


@FUZZ
@given(data=st.data())
def test_p22_the_logistics_forms_answer_any_input(admin: FlaskClient, db: SQLAlchemy, seated: Seating,
                                                 data: st.DataObject) -> None:
    room = _room(db, "第一考场")
    ids = {"venue": room.venue_id, "room": room.id}
    form = data.draw(st.sampled_from(sorted(_FIELDS)))
    values = data.draw(st.dictionaries(st.sampled_from(_FIELDS[form]), st.one_of(
        st.text(max_size=20), st.integers(-5, 200).map(str), st.just("2026-11-28"), st.just("09:00"))))

    response = admin.post(f"{HUB}/{form.format(**ids)}",
                          data={key.format(**ids): value for key, value in values.items()})

    assert response.status_code in (302, 400)
    db.session.rollback()


def test_p22_stored_names_come_back_escaped(admin: FlaskClient, round_: Round) -> None:
    admin.post(f"{HUB}/venues", data={"venue-new-version": round_.version_id,
                                      "venue-new-name": "<script>alert(1)</script>", "venue-new-address": "\"><b>x"})

    html = admin.get(HUB).get_data(as_text=True)

    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "\"><b>x" not in html


@pytest.mark.parametrize("lang", ["zh_Hans_CN", "en"])
def test_a_ticket_stays_inside_the_paper_in_either_language(app: Flask, db: SQLAlchemy, seated: Seating,
                                                            create_account: Any, login_as: Any, lang: str) -> None:
    client = _candidate_client(app, db, create_account, login_as, "C027")

    data = client.get(f"/me/rounds/{CODE}/ticket.pdf?lang={lang}").data

    document = pypdfium2.PdfDocument(data)
    page = document[0]
    text = page.get_textpage()
    boxes = [text.get_charbox(i) for i in range(text.count_chars())]
    assert boxes and all(0 <= bottom and top <= page.get_height() for _left, bottom, _right, top in boxes)
    assert min(bottom for _left, bottom, _right, _top in boxes) > 15 * 72 / 25.4  # above a 15 mm bottom margin
    # nothing runs into the side margins (a label too wide for its cell would)
    margin = 18 * 72 / 25.4 - 1
    assert all(margin <= left and right <= page.get_width() - margin for left, _bottom, right, _top in boxes)
