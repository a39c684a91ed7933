"""P44: an anonymous online complaint stores no IP address, no user agent and no time finer than the
day; its receipt code appears in no URL, cookie, log line or stored byte.

The probe files from a distinctive address and browser, then reads back everything the
database holds: every column of every row of every table and, on SQLite, the raw bytes of
the database file and its write-ahead log.
"""

from __future__ import annotations

import json
import logging
import re
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url

from publicity import complaints, rules
from selection.models import Round
from tests.conftest import make_test_config
from tests.publicity.complaint_support import FORM, PNG, file_online, receipt_of
from tests.vetting.conftest import DAY

pytestmark = pytest.mark.db
ADDRESS = "203.0.113.7"
AGENT = "P44-Probe/7.3 (distinctive; Trace-Me-Not-9f41c2)"
ENVIRON = {"REMOTE_ADDR": ADDRESS, "HTTP_USER_AGENT": AGENT}
#: a time of day as any database or serialiser writes one
TIME_OF_DAY = re.compile(r"\d{1,2}:\d{2}(:\d{2})?")


@pytest.fixture
def test_config(database_url: str) -> dict[str, Any]:
    return make_test_config(database_url, TODAY=DAY.isoformat())


def _rows(db: SQLAlchemy) -> dict[str, Counter[tuple[Any, ...]]]:
    """Every row of every table, as it is stored, but the round's data revision.

    A complaint counts in the round's results, so filing one gives the round a new data
    revision (selection/record/cache.py): 62 random bits, holding no time and nothing of the
    filer; the probe checks that it is that and nothing else that changes in `rounds`.
    """
    tables = inspect(db.engine).get_table_names()
    return {table: Counter(tuple(_hashable(value) for key, value in row._mapping.items() if key != REVISION)
                           for row in db.session.execute(text(f'SELECT * FROM "{table}"')))
            for table in tables}


REVISION = "data_revision"


def _revisions(db: SQLAlchemy) -> set[int]:
    return set(db.session.scalars(text(f"SELECT {REVISION} FROM rounds")))


def _hashable(value: Any) -> Any:
    """A JSON column's value (PostgreSQL gives dicts and lists) as its text; anything else as it is."""
    return json.dumps(value, sort_keys=True, default=str, ensure_ascii=False) if isinstance(value, (dict, list)) \
        else value


def _as_text(value: Any) -> str:
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).decode("latin-1")
    return str(value)


def test_p44_an_anonymous_filing_leaves_no_address_agent_time_or_receipt(
        app: Flask, client: FlaskClient, db: SQLAlchemy, store_demo: Callable[..., Round],
        caplog: pytest.LogCaptureFixture) -> None:
    # Given the demo round and everything the database holds before the filing
    store_demo()
    before, revisions = _rows(db), _revisions(db)
    db.session.commit()

    # When someone opens the form and files anonymously, with evidence, from a known address and browser
    with caplog.at_level(logging.DEBUG):
        page = client.get(FORM, environ_base=ENVIRON)
        response = file_online(client, environ=ENVIRON, evidence=[(PNG, "IMG_20261120_093512.png")])
    receipt = receipt_of(response)
    digits = receipt.replace("-", "")
    db.session.remove()

    # Then the receipt went out in this one body only: no redirect, no cookie, no URL, no log line
    assert page.status_code == 200 and response.status_code == 200
    assert "Location" not in response.headers and "Set-Cookie" not in response.headers
    body = response.get_data(as_text=True)
    urls = re.findall(r'(?:href|src|action)="([^"]*)"', body)
    assert urls and [url for url in urls if digits in re.sub(r"\D", "", url)] == []
    assert all(digits not in value and receipt not in value for value in response.headers.values())
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert [s for s in (ADDRESS, AGENT, digits, receipt) if s in logged] == []

    # and the database gained a complaint and its evidence, nothing else: no audit event, no file
    # row, no session
    after = _rows(db)
    added = {table: after[table] - before.get(table, Counter()) for table in after}
    changed = {table for table, rows in added.items() if rows}
    assert changed == {"complaints", "complaint_evidence"}
    new_revisions = _revisions(db)
    assert len(new_revisions) == 1 and new_revisions != revisions and all(0 <= r < 2**62 for r in new_revisions)
    assert all(not (before[table] - after[table]) for table in before), "a row was changed or deleted"

    # and no stored value, in any table, holds the address, the user agent or the receipt
    everything = [_as_text(value) for rows in after.values() for row in rows for value in row]
    for secret in (ADDRESS, AGENT, "Trace-Me-Not", digits, receipt, "IMG_20261120_093512"):
        assert [value for value in everything if secret in value] == [], secret

    # and the new rows hold a day, never a time of day
    for table in changed:
        for row in added[table]:
            for value in row:
                assert not isinstance(value, datetime), (table, row)
                if isinstance(value, str):
                    assert not TIME_OF_DAY.search(value), (table, value)
    filed = complaints.find_by_receipt(digits)
    assert filed is not None and filed.received == DAY and filed.anonymous

    # and on SQLite, not even the raw bytes of the file and its write-ahead log hold them
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "sqlite":
        raw = b"".join(path.read_bytes() for path in (Path(url.database), Path(url.database + "-wal"))
                       if path.exists())
        assert raw, "the database file was not found"
        for secret in (ADDRESS, AGENT, digits, rules.format_receipt(digits)):
            assert secret.encode("utf-8") not in raw, secret
