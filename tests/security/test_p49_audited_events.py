"""P49: logins, refusals, full-ID views and exports, and identity reveals are all in the audit trail,
and no audit row holds a secret (SECURITY.md).

"Refusals" here are: a refused login (wrong password, unknown user), a refused re-authentication,
and a logged-in user refused a sensitive action by their role (``access.refused``). Ordinary 403s
on other pages are not audited: they are the access matrix working (P15), and writing a chained
row for each would let any account grow the trail at will.

A secret is: a password typed (right or wrong), any ID or phone number, a complaint's receipt
code, and the revealed complainant's name, phone and e-mail. Every column of every row is read,
both as the database stores it and as JSON decoded (SQLite keeps Chinese as \\u escapes).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import select, text

from selection import auth
from selection.models import AuditEvent, Person, Role, Round, User
from selection.services import reveal_id_number, reveal_phone
from tests.publicity.complaint_support import FORM, file_online, receipt_of
from tests.vetting.conftest import DAY, candidate

pytestmark = pytest.mark.db

ADMIN_PASSWORD = "组织部的一句足够长的口令"
SUPERVISION_PASSWORD = "监督科也有自己的长口令"
CANDIDATE_PASSWORD = "考生自己的登录口令2026"
WRONG = ("wrong-password-typed-1", "另一个错误的口令")
COMPLAINANT = ("实名人周某某", "13698765432", "zhou.secret@example.com")
Login = Callable[[FlaskClient, User], FlaskClient]


def _log_in(client: FlaskClient, username: str, password: str) -> int:
    return client.post("/login", data={"username": username, "password": password}).status_code


def _rows_as_text(db: SQLAlchemy) -> list[str]:
    """Each audit row, every column, as stored and as decoded."""
    raw = [repr(tuple(row)) for row in db.session.execute(text("SELECT * FROM audit_events"))]
    decoded = [" ".join(str(value) for value in (
        e.id, e.at, e.actor, e.action, e.round_id, e.subject, json.dumps(e.before, ensure_ascii=False),
        json.dumps(e.after, ensure_ascii=False), e.prev_hash, e.hash))
        for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    return raw + decoded


def test_p49_logins_refusals_full_views_and_reveals_are_audited_without_secrets(
        app: Flask, db: SQLAlchemy, store_demo: Callable[..., Round], create_account: Callable[..., User],
        login_as: Login, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given the demo round, an admin, a supervision officer, an inspector, and C017's candidate account
    round_ = store_demo()
    create_account(Role.ADMIN, "org-admin", password=ADMIN_PASSWORD)
    create_account(Role.SUPERVISION, "sup-1", password=SUPERVISION_PASSWORD)
    inspector = create_account(Role.INSPECTOR, "insp-1")
    c017 = candidate(db, round_, "C017")
    create_account(Role.CANDIDATE, "k00000017", password=CANDIDATE_PASSWORD, person_id=c017.person_id)
    c017_number = reveal_id_number(c017.person)
    now = [1_800_000_000.0]
    monkeypatch.setattr(auth, "now", lambda: now[0])

    # When: logins that succeed (the candidate by their ID number), and logins that fail
    admin, staff = app.test_client(), app.test_client()
    assert _log_in(app.test_client(), "org-admin", WRONG[0]) == 200
    assert _log_in(app.test_client(), "nobody", WRONG[1]) == 200
    assert _log_in(app.test_client(), c017_number[:-1] + "0", WRONG[0]) == 200  # an ID number nobody has
    assert _log_in(admin, "org-admin", ADMIN_PASSWORD) == 302
    assert _log_in(staff, "sup-1", SUPERVISION_PASSWORD) == 302
    assert _log_in(app.test_client(), c017_number.lower(), CANDIDATE_PASSWORD) == 302
    # an inspector knocks at the full view
    assert login_as(app.test_client(), inspector).post(
        "/exams/rounds/DEMO-2026/registrations/C017/numbers").status_code == 403
    # six minutes on, the admin re-authenticates (wrong, then right), sees C017's numbers and exports them
    now[0] += 6 * 60
    assert admin.post("/exams/rounds/DEMO-2026/registrations/C017/numbers").status_code == 302
    assert admin.post("/reauth", data={"password": WRONG[1]}).status_code == 200
    assert admin.post("/reauth", data={"password": ADMIN_PASSWORD}).status_code == 302
    revealed = admin.post("/exams/rounds/DEMO-2026/registrations/C017/numbers").get_data(as_text=True)
    assert c017_number in revealed
    assert admin.post("/exams/rounds/DEMO-2026/registrations-full.xlsx").status_code == 200
    # a named complaint by phone and an anonymous one online, each with its receipt; the name is revealed
    registered = staff.post("/supervision/complaints/new?round=DEMO-2026", content_type="multipart/form-data",
                            data={"candidate": "C010", "channel": "phone", "received": DAY.isoformat(),
                                  "kind": "allegation", "named": "named", "name": COMPLAINANT[0],
                                  "phone": COMPLAINANT[1], "email": COMPLAINANT[2], "content": "来电反映"})
    receipts = [receipt_of(registered), receipt_of(file_online(app.test_client(), FORM))]
    complaint_id = re.search(r"/supervision/complaints/(\d+)", registered.get_data(as_text=True))
    assert complaint_id
    staff.post("/reauth", data={"password": SUPERVISION_PASSWORD})
    shown = staff.post(f"/supervision/complaints/{complaint_id.group(1)}/reveal", data={"reason": "需回访核实"})
    assert COMPLAINANT[0] in shown.get_data(as_text=True)
    admin.post("/logout")

    # Then each is in the audit trail, as who did it and to what
    db.session.expire_all()
    events = [(e.action, e.actor, e.subject) for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    actions = [action for action, _actor, _subject in events]
    assert actions.count("login.refused") == 3 and actions.count("login") == 3
    expected = {"reauth.refused", "reauth", "access.refused", "person.reveal", "registrations.export_full",
                "complaint.reveal", "logout"}
    assert expected <= set(actions)
    assert ("access.refused", "user:insp-1", f"user:{inspector.id}") in events
    assert ("person.reveal", "org-admin", "candidate:DEMO-2026/C017") in events
    # and no row, in any column, holds a secret
    persons = db.session.scalars(select(Person)).all()
    secrets = {ADMIN_PASSWORD, SUPERVISION_PASSWORD, CANDIDATE_PASSWORD, *WRONG, *COMPLAINANT,
               c017_number[:-1] + "0", *receipts, *(r.replace("-", "") for r in receipts)}
    secrets |= {reveal_id_number(p) for p in persons} | {phone for p in persons if (phone := reveal_phone(p))}
    rows = _rows_as_text(db)
    assert len(rows) >= 2 * len(events) > 0
    found = sorted({secret for secret in secrets for row in rows if secret in row or secret.lower() in row})
    assert found == []
