"""Issue 6's "done means", over HTTP only: a member of the public, supervision staff and the admin.

1. On the demo round, an anonymous complaint filed through the public form holds C010's
   appointment; supervision staff conclude it on the workbench; the complainant reads the
   outcome with the receipt; founded and affecting, it cancels C010.
2. On a variant where C008's allegation is still open, concluding it founded and affecting
   cancels C008 and proposes C010 as the backfill, who then goes through their own publicity,
   whose end on the public notice equals `round results`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import select

from publicity.models import Complaint
from selection.models import Candidate, Role, Round, User
from selection.pipeline import Status
from selection.record.services import round_results
from tests.publicity.complaint_support import LOOKUP, file_online, receipt_of

pytestmark = pytest.mark.db
P02 = "/publicity/rounds/DEMO-2026/positions/P02"
Login = Callable[[FlaskClient, User], FlaskClient]


@pytest.fixture
def people(app: Flask, create_account: Callable[..., User], login_as: Login) -> dict[str, FlaskClient]:
    app.config["TODAY"] = "2026-11-20"  # C010's publicity runs 2026-11-16 … 2026-11-22
    return {"public": app.test_client(),
            "staff": login_as(app.test_client(), create_account(Role.SUPERVISION, "sup-1")),
            "admin": login_as(app.test_client(), create_account(Role.ADMIN, "org-1"))}


def _text(response: Any) -> str:
    assert response.status_code == 200, response.status_code
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


def _status(round_: Round, ref: str, day: str) -> Status:
    return next(c.status for c in round_results(round_, today=date.fromisoformat(day)).candidates if c.ref == ref)


def _complaint_id(db: SQLAlchemy, ref: str, received: str) -> int:
    return db.session.scalar(select(Complaint.id).join(Candidate).where(
        Candidate.ref == ref, Complaint.received == date.fromisoformat(received)))


def _conclude(staff: FlaskClient, complaint_id: int, outcome: str, on: str) -> str:
    return _text(staff.post(f"/supervision/complaints/{complaint_id}/outcome",
                            data={"outcome": outcome, "concluded_on": on}, follow_redirects=True))


def _appoint(db: SQLAlchemy, admin: FlaskClient, ref: str, day: str) -> str:
    version = db.session.scalar(select(Candidate.version_id).where(Candidate.ref == ref))
    return _text(admin.post(P02 + "/appointment", data={"ref": ref, "version": version, "appointed": day},
                            follow_redirects=True))


def _lookup(public: FlaskClient, receipt: str) -> str:
    return _text(public.post(LOOKUP, data={"receipt": receipt}))


def test_an_anonymous_complaint_postpones_then_cancels_and_the_complainant_reads_the_outcome(
        app: Flask, db: SQLAlchemy, store_demo: Callable[..., Round], people: dict[str, FlaskClient]) -> None:
    round_ = store_demo()
    public, staff, admin = people["public"], people["staff"], people["admin"]
    # the demo's own allegation about C010 is cleared first, so only the new one holds C010
    _conclude(staff, _complaint_id(db, "C010", "2026-11-18"), "unfounded", "2026-11-20")

    filed = file_online(public)
    receipt = receipt_of(filed)
    assert "2026" not in _lookup(public, receipt)  # received, no outcome, no date

    # the period ends on 2026-11-22; on the 24th the allegation still holds the appointment
    app.config["TODAY"] = "2026-11-24"
    assert _status(round_, "C010", "2026-11-24") is Status.POSTPONED
    refusal = _appoint(db, admin, "C010", "2026-11-24")
    assert "C010不能于2026年11月24日任职" in refusal and "2026年11月20日" in refusal
    assert "收受" not in refusal  # the admin learns that an allegation holds it, never what it says

    mine = _complaint_id(db, "C010", "2026-11-20")
    workbench = _conclude(staff, mine, "founded_affecting", "2026-11-24")
    assert _status(round_, "C010", "2026-11-24") is Status.CANCELLED
    assert "C010" in workbench
    answer = _lookup(public, receipt)
    assert "2026年11月24日" in answer and "C010" not in answer and "收受" not in answer


def _c008_still_open(raw: dict[str, Any]) -> None:
    """C008's allegation (received 2026-09-30) has no outcome yet, so C010 is not proposed yet."""
    for complaint in raw["complaints"]:
        if complaint["received"] == "2026-09-30":
            complaint["outcome"] = None
    c010 = raw["complaints"][2]["candidate"]
    raw["publicity"] = [p for p in raw["publicity"] if p["candidate"] != c010]
    raw["complaints"] = [c for c in raw["complaints"] if c["candidate"] != c010]


def test_a_founded_and_affecting_outcome_cancels_and_proposes_the_backfill_who_gets_a_publicity(
        app: Flask, db: SQLAlchemy, store_demo: Callable[..., Round], people: dict[str, FlaskClient]) -> None:
    round_ = store_demo(_c008_still_open)
    staff, admin, public = people["staff"], people["admin"], people["public"]
    assert _status(round_, "C008", "2026-11-20") is Status.POSTPONED
    assert _status(round_, "C010", "2026-11-20") is Status.NOT_ELECTED

    workbench = _conclude(staff, _complaint_id(db, "C008", "2026-09-30"), "founded_affecting", "2026-11-20")

    assert _status(round_, "C008", "2026-11-20") is Status.CANCELLED
    assert "C010" in workbench  # the backfill proposal is named where the outcome was entered
    assert _status(round_, "C010", "2026-11-20") is Status.ELECTED
    version = db.session.scalar(select(Candidate.version_id).where(Candidate.ref == "C010"))
    saved = _text(admin.post(P02 + "/publicity", data={"ref": "C010", "version": version, "start": "2026-11-20"},
                             follow_redirects=True))
    assert "C010" in saved and _status(round_, "C010", "2026-11-20") is Status.IN_PUBLICITY
    end = next(c.publicity_end for c in round_results(round_, today=date(2026, 11, 20)).candidates if c.ref == "C010")
    notice = _text(public.get("/notices/rounds/DEMO-2026/positions/P02/publicity/C010"))
    assert f"{end.year}年{end.month}月{end.day}日" in notice
