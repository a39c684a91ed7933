"""P46: too many complaints from one client → 429, in the reader's language, and nothing stored;
other clients are not held up. Refused forms count towards a looser limit of attempts only.

The limiter keys on a keyed hash of the client's address: its store never holds the address.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import func, select

from publicity.models import Complaint
from selection.extensions import limiter
from selection.models import Round
from tests.conftest import make_test_config
from tests.publicity.complaint_support import file_online, receipt_of
from tests.vetting.conftest import DAY

pytestmark = pytest.mark.db
ONE = {"REMOTE_ADDR": "203.0.113.46"}
OTHER = {"REMOTE_ADDR": "203.0.113.47"}


@pytest.fixture
def test_config(database_url: str) -> dict[str, Any]:
    return make_test_config(database_url, TODAY=DAY.isoformat(), COMPLAINT_LIMIT_PER_CLIENT="2 per hour;3 per day",
                            COMPLAINT_ATTEMPT_LIMIT_PER_CLIENT="6 per hour")


def _count(db: SQLAlchemy) -> int:
    return db.session.scalar(select(func.count(Complaint.id)))


def test_p46_a_third_complaint_within_the_hour_is_refused_with_429_and_stores_nothing(
        client: FlaskClient, db: SQLAlchemy, store_demo: Callable[..., Round]) -> None:
    store_demo()
    stored = _count(db)

    filed = [file_online(client, environ=ONE) for _ in range(2)]
    refused = file_online(client, environ=ONE)

    assert all(receipt_of(response) for response in filed)
    assert refused.status_code == 429
    page = refused.get_data(as_text=True)
    assert '<html lang="zh-CN">' in page and "本机提交的举报过多" in page and "receipt-code" not in page
    assert _count(db) == stored + 2
    # another client files on
    assert receipt_of(file_online(client, environ=OTHER))
    # and the limiter's store holds no address, only keyed hashes
    stored_keys = repr(vars(limiter.storage))
    assert "complaints:" in stored_keys and ONE["REMOTE_ADDR"] not in stored_keys


def test_p46_the_429_page_speaks_the_readers_language(client: FlaskClient, store_demo: Callable[..., Round]) -> None:
    store_demo()
    client.set_cookie("lang", "en")
    for _ in range(2):
        file_online(client, environ=ONE)

    refused = file_online(client, environ=ONE)

    page = refused.get_data(as_text=True)
    assert refused.status_code == 429 and '<html lang="en">' in page
    assert "Too many complaints were sent from this computer" in page


def test_p46_refused_forms_do_not_use_up_the_filings_but_an_attempt_limit_holds(
        client: FlaskClient, db: SQLAlchemy, store_demo: Callable[..., Round]) -> None:
    store_demo()
    stored = _count(db)

    mistakes = [file_online(client, environ=ONE, content="  ").status_code for _ in range(4)]
    filed = [file_online(client, environ=ONE) for _ in range(2)]
    refused = file_online(client, environ=ONE, content=" ")

    assert mistakes == [200] * 4 and all(receipt_of(response) for response in filed)
    assert refused.status_code == 429
    assert _count(db) == stored + 2
