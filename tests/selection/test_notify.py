"""The notification outbox (selection/notify.py): queueing, status-change messages, back-ends, delivery.

On the demo round stored at 2026-11-20 (P04 at the written exam with C030's score missing).
Delivery is driven the way `flask --app selection outbox deliver` drives it
(`selection.outbox.deliver_batch`), with the clock passed in.
"""

from __future__ import annotations

import json
import logging
import smtplib
import threading
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest
from flask import Flask
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import event, func, select

from exams import services as exams_services
from exams.models import ExamKind, ScorePublication
from selection import notify
from selection.extensions import db as _db
from selection.models import Candidate, Channel, DeliveryStatus, Notification, Role, Round, User
from selection.notify import (
    MAX_ATTEMPTS, DeliveryError, HttpSmsBackend, LogBackend, SmtpBackend, configured_backends, notify_status_changes,
    queue_notification,
)
from selection.outbox import deliver_batch
from selection.pipeline import Status
from selection.record.demo import demo_record
from selection.record.engine import compute
from selection.record.parse import parse_record
from selection.record.store import store_record
from selection.services import create_user, move_candidate, reveal_id_number, reveal_phone

pytestmark = pytest.mark.db
DAY = date(2026, 11, 20)
#: the delivery clock: later than any message queued during the tests (they are queued at the real time)
T0 = datetime(2099, 11, 20, 2, 0, tzinfo=UTC)


@pytest.fixture
def demo(db: SQLAlchemy) -> Round:
    record = parse_record(demo_record())
    round_ = store_record(record, compute(record), replace=False, actor="test")
    db.session.commit()
    return round_


@pytest.fixture
def admin(db: SQLAlchemy) -> User:
    return create_user("zzb", display_name="组织部 张明", password="zzb-secret-2026", role=Role.ADMIN, actor="test")


def _candidate(db: SQLAlchemy, ref: str) -> Candidate:
    return db.session.scalar(select(Candidate).where(Candidate.ref == ref))


def _account(db: SQLAlchemy, candidate: Candidate, *, email: str | None = "kaosheng@example.org") -> User:
    user = create_user(f"ks-{candidate.ref}", display_name=candidate.name, password="kaosheng-secret-2026",
                       role=Role.CANDIDATE, actor="test")
    user.person_id, user.email = candidate.person_id, email
    db.session.commit()
    return user


def _outbox(db: SQLAlchemy) -> list[Notification]:
    return list(db.session.scalars(select(Notification).order_by(Notification.id)))


def _secrets(candidate: Candidate) -> list[str]:
    """What must never show: the person's ID and phone number, and their tails."""
    id_number, phone = reveal_id_number(candidate.person), reveal_phone(candidate.person)
    assert phone is not None
    return [id_number, phone, id_number[-6:], phone[-8:]]


def _row_text(notification: Notification) -> str:
    return " ".join(str(getattr(notification, column.key)) for column in Notification.__table__.columns)


# --- queueing ----------------------------------------------------------------------------------


def test_queue_notification_one_message_per_channel_the_user_can_receive(db: SQLAlchemy, demo: Round,
                                                                        admin: User) -> None:
    # Given a candidate with a phone on record and an email address, one with a phone only,
    # and a staff member with neither
    both = _account(db, _candidate(db, "C030"))
    phone_only = _account(db, _candidate(db, "C029"), email=None)

    queued = {user.username: sorted(n.channel.value for n in queue_notification(
        user, kind="test", subject="主题", body="正文", round_=demo)) for user in (both, phone_only, admin)}

    assert queued == {"ks-C030": ["email", "sms"], "ks-C029": ["sms"], "zzb": []}
    assert {(n.status, n.attempts, n.round_id) for n in _outbox(db)} == {(DeliveryStatus.PENDING, 0, demo.id)}


def _publish_written(db: SQLAlchemy, round_: Round, *, opens: timedelta) -> None:
    now = datetime.now(UTC)
    db.session.add(ScorePublication(round=round_, exam=ExamKind.WRITTEN, publish_at=now + opens,
                                    review_until=now + opens + timedelta(days=3)))
    db.session.flush()


def test_status_change_queues_one_message_per_channel_in_chinese(db: SQLAlchemy, demo: Round, admin: User) -> None:
    # Given the written scores are published, and C030 (P04, written score missing) has an
    # account, and C026 of the same position has not
    _publish_written(db, demo, opens=-timedelta(hours=1))
    c030 = _candidate(db, "C030")
    user = _account(db, c030)
    p04 = c030.position

    # When C030's written score is entered below the pass line
    exams_services.record_written_scores(p04, {"C030": exams_services.TypedWritten({"written": "50"})},
                                         versions={"C030": c030.version_id}, actor=admin, today=DAY)

    # Then only C030 hears of it, once by SMS and once by email, in Chinese words, with no number
    assert c030.status is Status.BELOW_WRITTEN_LINE
    messages = _outbox(db)
    assert sorted((n.user_id, n.channel.value, n.kind) for n in messages) == [
        (user.id, "email", "status_changed"), (user.id, "sms", "status_changed")]
    body = messages[0].body
    assert "笔试成绩未达合格线" in body and demo.title in body and p04.title in body
    assert messages[0].subject == messages[1].subject and "状态" in messages[0].subject
    for message in messages:
        assert not any(secret in _row_text(message) for secret in _secrets(c030))


def test_a_status_that_would_tell_an_unpublished_score_is_not_announced(db: SQLAlchemy, demo: Round,
                                                                       admin: User) -> None:
    # Given the written scores are published only tomorrow, and C030 has an account
    _publish_written(db, demo, opens=timedelta(days=1))
    c030 = _candidate(db, "C030")
    _account(db, c030)

    # When C030's written score is entered below the pass line
    exams_services.record_written_scores(c030.position, {"C030": exams_services.TypedWritten({"written": "50"})},
                                         versions={"C030": c030.version_id}, actor=admin, today=DAY)

    # Then the status is stored, but no message tells it before the scores are published
    assert c030.status is Status.BELOW_WRITTEN_LINE
    assert _outbox(db) == []


def test_p18_a_move_the_candidate_must_not_see_sends_nothing(db: SQLAlchemy, demo: Round) -> None:
    # Given a candidate in publicity with an account
    c030 = _candidate(db, "C030")
    _account(db, c030)

    # When a complaint postpones them, the words they read say the same as when cleared
    c030.status = Status.POSTPONED
    postponed = notify_status_changes(demo, [(c030, Status.IN_PUBLICITY)])
    c030.status = Status.CLEARED
    cleared = notify_status_changes(demo, [(c030, Status.IN_PUBLICITY)])
    c030.status = Status.POSTPONED
    between = notify_status_changes(demo, [(c030, Status.CLEARED)])

    # Then cleared and postponed send the same message, and a move between them sends none
    assert (postponed, cleared, between) == (2, 2, 0)
    messages = _outbox(db)
    assert len(messages) == 4 and len({(n.subject, n.body) for n in messages}) == 1
    assert not any(word in n.body for n in messages for word in ("投诉", "举报", "暂缓", "反映"))


def test_status_changes_of_a_whole_round_take_one_query_for_the_accounts(db: SQLAlchemy, demo: Round) -> None:
    # Given every candidate of the round changed status, and three of them have accounts
    for ref in ("C001", "C017", "C030"):
        _account(db, _candidate(db, ref), email=None)
    candidates = list(demo.candidates)
    list(demo.positions)
    changes = [(c, Status.REGISTERED if c.status is not Status.REGISTERED else Status.QUALIFIED) for c in candidates]
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(_db.engine, "before_cursor_execute", count)
    try:
        queued = notify_status_changes(demo, changes)
    finally:
        event.remove(_db.engine, "before_cursor_execute", count)

    assert queued == 3
    assert [s.split()[0] for s in statements] == ["SELECT", "INSERT"]


def test_move_candidate_notifies_too(db: SQLAlchemy, demo: Round) -> None:
    c030 = _candidate(db, "C030")
    _account(db, c030, email=None)

    move_candidate(c030, Status.ABSENT_WRITTEN, actor="test")

    [message] = _outbox(db)
    assert message.channel is Channel.SMS and "缺考" in message.body


def test_inactive_account_hears_nothing(db: SQLAlchemy, demo: Round) -> None:
    c030 = _candidate(db, "C030")
    _account(db, c030).active = False

    move_candidate(c030, Status.ABSENT_WRITTEN, actor="test")

    assert _outbox(db) == []


# --- delivery ------------------------------------------------------------------------------------


class FailingBackend:
    """A back-end whose server is down; its error quotes the address, as real servers do."""

    name = "failing"

    def __init__(self) -> None:
        self.tries = 0

    def send(self, notification: Notification) -> None:
        self.tries += 1
        raise DeliveryError("550 <kaosheng@example.org> rejected, call 13800138000")


def test_log_backend_sends_without_numbers_in_the_log_or_the_row(db: SQLAlchemy, demo: Round,
                                                                caplog: pytest.LogCaptureFixture) -> None:
    # Given a status change queued for a candidate with a phone and an email address
    c030 = _candidate(db, "C030")
    _account(db, c030)
    move_candidate(c030, Status.ABSENT_WRITTEN, actor="test")
    db.session.commit()

    # When the outbox is delivered with the default back-ends
    with caplog.at_level(logging.DEBUG):
        outcome = deliver_batch(configured_backends({}), now=T0)

    # Then both are sent by "log", and neither the log nor the row holds a number, address or body
    assert (outcome["claimed"], outcome["sent"]) == (2, 2)
    messages = _outbox(db)
    assert {(n.status, n.backend, n.attempts, n.sent_at) for n in messages} == {(DeliveryStatus.SENT, "log", 1, T0)}
    logged = caplog.text
    assert all(f"notification {n.id} sent by log" in logged for n in messages)
    for secret in [*_secrets(c030), "kaosheng@example.org", messages[0].body, c030.name]:
        assert secret not in logged
        assert not any(secret in _row_text(n) for n in messages if secret != n.body)


def test_failing_backend_retries_with_back_off_then_fails(db: SQLAlchemy, demo: Round) -> None:
    # Given one SMS in the outbox and an SMS back-end that always fails
    user = _account(db, _candidate(db, "C030"), email=None)
    [message] = queue_notification(user, kind="test", subject="主题", body="正文")
    message.next_attempt_at = T0
    db.session.commit()
    failing = FailingBackend()
    backends = {Channel.SMS: failing, Channel.EMAIL: LogBackend()}
    waits = []

    # When it is delivered whenever due, five times
    now = T0
    for _attempt in range(MAX_ATTEMPTS):
        assert deliver_batch(backends, now=now - timedelta(seconds=1))["claimed"] == 0  # not due yet
        assert deliver_batch(backends, now=now)["claimed"] == 1
        db.session.refresh(message)
        waits.append(message.next_attempt_at - now)
        now = message.next_attempt_at

    # Then it waited 1, 5, 25 and 125 minutes between tries, and then failed for good
    assert waits[:4] == [timedelta(minutes=m) for m in (1, 5, 25, 125)]
    assert (message.status, message.attempts, failing.tries) == (DeliveryStatus.FAILED, 5, 5)
    assert deliver_batch(backends, now=now + timedelta(days=1))["claimed"] == 0
    # the error is kept, without the address or number the server quoted
    assert message.last_error is not None and message.last_error.startswith("550")
    assert "example.org" not in message.last_error and "13800138000" not in message.last_error


def test_an_unexpected_error_keeps_only_its_kind(db: SQLAlchemy, demo: Round) -> None:
    user = _account(db, _candidate(db, "C030"), email=None)
    queue_notification(user, kind="test", subject="主题", body="正文")
    db.session.commit()

    class Broken:
        name = "broken"

        def send(self, notification: Notification) -> None:
            raise ValueError(f"bad number {reveal_phone(notification.user.person)}")

    deliver_batch({Channel.SMS: Broken(), Channel.EMAIL: LogBackend()})

    [message] = _outbox(db)
    assert (message.status, message.last_error) == (DeliveryStatus.PENDING, "ValueError")


def test_two_deliverers_at_once_never_send_a_message_twice(app: Flask, db: SQLAlchemy, demo: Round) -> None:
    # Given 60 messages due
    user = _account(db, _candidate(db, "C030"), email=None)
    for n in range(60):
        queue_notification(user, kind="test", subject=f"主题{n}", body="正文")
    db.session.commit()
    sent: list[int] = []
    lock = threading.Lock()

    class Slow:
        name = "slow"

        def send(self, notification: Notification) -> None:
            time.sleep(0.005)
            with lock:
                sent.append(notification.id)

    def deliverer(outcomes: Counter[str]) -> None:
        with app.app_context():
            backends = {Channel.SMS: Slow(), Channel.EMAIL: Slow()}
            while (batch := deliver_batch(backends, limit=7))["claimed"]:
                outcomes.update(batch)
            _db.session.remove()

    # When two deliverers (separate sessions, as separate processes would have) run at once
    results: list[Counter[str]] = [Counter(), Counter()]
    threads = [threading.Thread(target=deliverer, args=(r,)) for r in results]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    # Then every message was sent exactly once, and both took a share
    assert sorted(sent) == sorted(set(sent)) and len(sent) == 60
    assert results[0]["sent"] + results[1]["sent"] == 60
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).where(Notification.status == DeliveryStatus.SENT)) == 60


def test_deliver_command_prints_what_it_did(app: Flask, db: SQLAlchemy, demo: Round) -> None:
    user = _account(db, _candidate(db, "C030"))
    queue_notification(user, kind="test", subject="主题", body="正文")
    db.session.commit()

    result = app.test_cli_runner().invoke(args=["outbox", "deliver"])

    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {"claimed": 2, "sent": 2, "retrying": 0, "failed": 0}


def test_deliver_command_refuses_an_unknown_backend(make_app: Any) -> None:
    app = make_app(NOTIFY_SMS_BACKEND="smtp")

    result = app.test_cli_runner().invoke(args=["outbox", "deliver"])

    assert result.exit_code != 0 and "NOTIFY_SMS_BACKEND" in result.output


# --- the real back-ends, against stand-ins of their servers ------------------------------------


def test_http_sms_backend_posts_the_number_at_send_time(db: SQLAlchemy, demo: Round) -> None:
    # Given a gateway that records what it gets and answers 200 first, then 503
    received: list[tuple[str, dict[str, Any]]] = []
    replies = [200, 503]

    class Gateway(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            length = int(self.headers["Content-Length"])
            received.append((self.headers["Authorization"], json.loads(self.rfile.read(length))))
            self.send_response(replies.pop(0))
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Gateway)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    c030 = _candidate(db, "C030")
    user = _account(db, c030, email=None)
    queue_notification(user, kind="test", subject="主题", body="正文")
    queue_notification(user, kind="test", subject="主题", body="再次")
    db.session.commit()
    backend = HttpSmsBackend({"SMS_GATEWAY_URL": f"http://127.0.0.1:{server.server_port}/send",
                              "SMS_GATEWAY_TOKEN": "t0ken"})
    try:
        outcome = deliver_batch({Channel.SMS: backend, Channel.EMAIL: LogBackend()}, now=T0)
    finally:
        server.shutdown()
        server.server_close()

    assert (outcome["sent"], outcome["retrying"]) == (1, 1)
    assert [(auth, body["to"], body["text"]) for auth, body in received] == [
        ("Bearer t0ken", reveal_phone(c030.person), "正文"), ("Bearer t0ken", reveal_phone(c030.person), "再次")]
    assert [n.last_error for n in _outbox(db)] == [None, "HTTP 503"]


def test_smtp_backend_sends_to_the_accounts_address(db: SQLAlchemy, demo: Round,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    sent: list[Any] = []

    class FakeSMTP:
        def __init__(self, host: str, port: int, timeout: float) -> None:
            self.calls = [("connect", host, port)]

        def __enter__(self) -> FakeSMTP:
            return self

        def __exit__(self, *args: Any) -> None:
            pass

        def starttls(self, context: Any) -> None:
            self.calls.append(("starttls",))

        def login(self, username: str, password: str) -> None:
            self.calls.append(("login", username))

        def send_message(self, message: Any) -> None:
            sent.append((self.calls, message["To"], message["Subject"], message.get_content().strip()))
            raise smtplib.SMTPRecipientsRefused({message["To"]: (550, b"no such user")})

    monkeypatch.setattr(smtplib, "SMTP", FakeSMTP)
    user = _account(db, _candidate(db, "C030"), email="kaosheng@example.org")
    user.person_id = None  # no phone: email only
    queue_notification(user, kind="test", subject="主题", body="正文")
    db.session.commit()
    backend = SmtpBackend({"SMTP_HOST": "mail.example.org", "SMTP_USERNAME": "zzb", "SMTP_SENDER": "zzb@example.org"})

    deliver_batch({Channel.EMAIL: backend, Channel.SMS: LogBackend()}, now=T0)

    assert sent == [([("connect", "mail.example.org", 587), ("starttls",), ("login", "zzb")],
                     "kaosheng@example.org", "主题", "正文")]
    [message] = _outbox(db)
    assert (message.status, message.last_error) == (DeliveryStatus.PENDING, "SMTP recipient refused")


def test_retry_delays_and_safe_errors() -> None:
    assert [notify.retry_delay(n) for n in range(1, 6)] == [
        timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=25), timedelta(minutes=125), None]
    assert notify.safe_error("refused <a.b@example.org> 13800138000 code 550") == "refused … … code 550"
