"""The outbox page (/admin/outbox): what was sent, what waits, what failed; filters and pages; no numbers."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from html import unescape
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import select

from selection.models import Candidate, Channel, Notification, Role, Round, User
from selection.notify import LogBackend, queue_notification
from selection.outbox import deliver_batch
from selection.record.demo import demo_record
from selection.record.engine import compute
from selection.record.parse import parse_record
from selection.record.store import store_record
from selection.services import reveal_id_number, reveal_phone

LATER = datetime(2099, 1, 1, tzinfo=UTC)


class Refusing:
    name = "refusing"

    def send(self, notification: Notification) -> None:
        raise RuntimeError("gateway down")


@pytest.fixture
def outbox(db: SQLAlchemy, create_account: Any) -> tuple[Round, User, Candidate]:
    """The demo round; C030's account with 30 messages queued (60: SMS and email), the SMS sent, the email failing once."""
    record = parse_record(demo_record())
    round_ = store_record(record, compute(record), replace=False, actor="test")
    c030 = db.session.scalar(select(Candidate).where(Candidate.ref == "C030"))
    user = create_account(Role.CANDIDATE, "ks-c030", display_name="考生 甲", person_id=c030.person_id,
                          email="kaosheng@example.org")
    for n in range(30):
        queue_notification(user, kind="status_changed", subject=f"状态变更{n}", body="正文", round_=round_)
    db.session.commit()
    deliver_batch({Channel.SMS: LogBackend(), Channel.EMAIL: Refusing()}, limit=100, now=LATER)
    return round_, user, c030


def _text(response: Any) -> str:
    html = response.get_data(as_text=True)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html[html.index("<main"):])))


@pytest.mark.parametrize("role", [Role.ADMIN, Role.SUPERVISION])
def test_staff_see_what_was_sent_and_what_waits(app: Flask, outbox: Any, create_account: Any, login_as: Any,
                                                role: Role) -> None:
    _round, _user, c030 = outbox
    client = login_as(app.test_client(), create_account(role))

    response = client.get("/admin/outbox")

    assert response.status_code == 200
    text = _text(response)
    assert "通知发送记录" in text and "考生 甲" in text
    assert "已发送" in text and "待发送" in text and "RuntimeError" in text
    assert "共60条通知;第1页,共2页。" in text
    html = response.get_data(as_text=True)
    for secret in (reveal_id_number(c030.person), reveal_phone(c030.person), "kaosheng@example.org"):
        assert secret not in html


def test_a_page_number_past_64_bits_shows_the_first_page(app: Flask, outbox: Any, create_account: Any,
                                                         login_as: Any) -> None:
    # P22: it went into the query's OFFSET, which SQLite refused to bind (a 500)
    client = login_as(app.test_client(), create_account(Role.ADMIN))

    response = client.get("/admin/outbox?page=" + "9" * 20)

    assert response.status_code == 200 and "第1页,共2页" in _text(response)


def test_filters_and_pages(app: Flask, outbox: Any, create_account: Any, login_as: Any) -> None:
    client = login_as(app.test_client(), create_account(Role.ADMIN))

    sent = _text(client.get("/admin/outbox?status=sent"))
    waiting = _text(client.get("/admin/outbox?status=pending&channel=email&round=DEMO-2026"))
    other_round = _text(client.get("/admin/outbox?round=R-NONE"))
    second = client.get("/admin/outbox?page=2")

    assert "共30条通知" in sent and "待发送 (" not in sent
    assert "共30条通知" in waiting and "已发送 (" not in waiting
    assert "没有符合条件的通知。" in other_round
    assert second.status_code == 200 and "第2页,共2页" in _text(second)


@pytest.mark.parametrize("role", [Role.CANDIDATE, Role.INSPECTOR, Role.COMMITTEE_MEMBER])
def test_others_may_not_read_the_outbox(app: Flask, outbox: Any, create_account: Any, login_as: Any,
                                        role: Role) -> None:
    client = login_as(app.test_client(), create_account(role))

    assert client.get("/admin/outbox").status_code == 403


def test_anonymous_is_sent_to_log_in(client: FlaskClient, outbox: Any) -> None:
    assert client.get("/admin/outbox").status_code == 302


def test_the_page_reads_in_english_on_request(app: Flask, outbox: Any, create_account: Any, login_as: Any) -> None:
    client = login_as(app.test_client(), create_account(Role.ADMIN))

    text = _text(client.get("/admin/outbox?lang=en"))

    assert "Notifications" in text and "Waiting to be sent" in text and "60 messages; page 1 of 2." in text
