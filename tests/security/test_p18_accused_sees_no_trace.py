"""P18: the accused candidate sees no trace of any complaint: not on their pages, not as a count, not in a
notification nor in an e-mail body (SECURITY.md).

C010, P02's backfill, is in publicity 2026-11-16…22 with an open anonymous allegation (the
demo). They get an account; supervision staff register a named allegation about them, note,
reveal and conclude it — the candidate's status moves (cancelled) and they may read that
status, never why.
"""

from __future__ import annotations

import smtplib
from collections.abc import Callable, Iterator
from datetime import date
from email.message import EmailMessage
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import select

from publicity import supervision
from publicity.complaints import Complainant
from publicity.models import ComplaintChannel, ComplaintKind, ComplaintOutcome
from selection.models import Candidate, Channel, Notification, Role, Round, User
from selection.notify import SmtpBackend
from selection.outbox import deliver_batch
from selection.pipeline import Status
from selection.record.demo import publish_demo_scores

DAY = date(2026, 11, 20)
Login = Callable[[FlaskClient, User], FlaskClient]
#: words that would tell the accused a complaint exists (举报, 反映问题, 投诉, 核查, 监督, 信访)
TRACES = ("举报", "反映", "投诉", "核查", "核实", "监督", "信访", "complaint", "allegation", "Complaint")
TEXT = "反映该同志在原单位违规兼职"


@pytest.fixture
def accused(db: SQLAlchemy, store_demo: Callable[..., Round], create_account: Callable[..., User]) -> User:
    round_ = store_demo()
    publish_demo_scores(round_)  # as `demo load` does: status changes are then told to the candidates
    c010 = db.session.scalar(select(Candidate).where(Candidate.round_id == round_.id, Candidate.ref == "C010"))
    user = create_account(Role.CANDIDATE, "c010", email="c010@example.com")
    user.person = c010.person
    db.session.commit()
    return user


def _complain(db: SQLAlchemy, app: Flask, outcome: ComplaintOutcome) -> None:
    round_ = db.session.scalar(select(Round))
    c010 = db.session.scalar(select(Candidate).where(Candidate.round_id == round_.id, Candidate.ref == "C010"))
    officer = db.session.scalar(select(User).where(User.role == Role.SUPERVISION)) or User()
    with app.test_request_context():
        filed = supervision.register_complaint(
            c010, kind=ComplaintKind.ALLEGATION, channel=ComplaintChannel.EMAIL, content=TEXT, received=DAY,
            complainant=Complainant(name="孙某", email="sun@example.com"), actor="sup-1", today=DAY)
        if officer.id is not None:
            supervision.add_note(filed.complaint, "约谈", author=officer)
        supervision.conclude_complaint(filed.complaint, outcome, DAY, actor="sup-1", today=DAY)
    db.session.commit()


def _candidate_pages(app: Flask) -> list[str]:
    from selection.auth import allowed_roles

    pages = []
    for rule in app.url_map.iter_rules():
        declared = allowed_roles(app.view_functions[rule.endpoint])
        if "GET" not in (rule.methods or set()) or not isinstance(declared, frozenset) \
                or Role.CANDIDATE not in declared:
            continue
        url = rule.rule.replace("<code>", "DEMO-2026")
        if "<" not in url:
            pages.append(url)
    return pages


def _assert_no_trace(text: str, where: str) -> None:
    for word in TRACES + (TEXT,):
        assert word not in text, (where, word)


@pytest.mark.parametrize("outcome", [ComplaintOutcome.UNRESOLVED, ComplaintOutcome.FOUNDED_AFFECTING])
def test_pages_and_notifications_of_the_accused_show_no_complaint(
        db: SQLAlchemy, app: Flask, accused: User, login_as: Login, create_account: Callable[..., User],
        outcome: ComplaintOutcome) -> None:
    create_account(Role.SUPERVISION, "sup-1")
    _complain(db, app, outcome)
    client = login_as(app.test_client(), accused)

    pages = _candidate_pages(app)
    assert "/me" in pages
    for url in pages:
        response = client.get(url, follow_redirects=True)
        _assert_no_trace(response.get_data(as_text=True), url)
    mine = db.session.scalars(select(Notification).where(Notification.user_id == accused.id)).all()
    for message in mine:
        _assert_no_trace(message.subject + message.body, f"notification {message.id}")
    if outcome is ComplaintOutcome.FOUNDED_AFFECTING:
        # the cancellation may be told as a status, never why
        assert db.session.scalar(select(Candidate).where(Candidate.ref == "C010")).status is Status.CANCELLED
        assert mine and any("取消" in m.body for m in mine)


class _Recorder:
    sent: list[EmailMessage] = []

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def __enter__(self) -> _Recorder:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def starttls(self, **kwargs: Any) -> None:
        pass

    def send_message(self, message: EmailMessage) -> None:
        _Recorder.sent.append(message)


@pytest.fixture
def smtp(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[EmailMessage]]:
    _Recorder.sent = []
    monkeypatch.setattr(smtplib, "SMTP", _Recorder)
    yield _Recorder.sent


def test_e_mails_to_the_accused_say_nothing_and_the_complainant_gets_the_outcome(
        db: SQLAlchemy, app: Flask, accused: User, create_account: Callable[..., User],
        smtp: list[EmailMessage]) -> None:
    create_account(Role.SUPERVISION, "sup-1")
    _complain(db, app, ComplaintOutcome.FOUNDED_AFFECTING)

    backend = SmtpBackend({"SMTP_SENDER": "noreply@example.com"})
    outcomes = deliver_batch({Channel.EMAIL: backend, Channel.SMS: backend})

    assert outcomes["sent"] >= 2
    to_accused = [m for m in smtp if m["To"] == "c010@example.com"]
    to_complainant = [m for m in smtp if m["To"] == "sun@example.com"]
    assert to_accused and to_complainant
    for message in to_accused:
        _assert_no_trace(message["Subject"] + message.get_content(), "e-mail to the accused")
    body = to_complainant[0].get_content()
    assert "孙某" not in body and "C010" not in body and TEXT not in body
