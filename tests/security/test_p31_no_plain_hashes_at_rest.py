"""P31: after the full scenario, no MD5, SHA-1 or SHA-256 of a registered ID or phone number is in the
raw bytes of the database (and its write-ahead log), the backups or the logs: 0 hits (SECURITY.md).

An unkeyed hash of an ID number is as good as the number: there are few enough to hash them
all. Lookups use the keyed blind index instead (selection.crypto.blind_index). Each hash is
searched as lower- and upper-case hex and as its raw bytes, of every ID number with an upper-
and a lower-case x and of every phone number (at_rest_support.py).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import select

from selection.models import AuditEvent, Round, User
from tests.security.at_rest_support import files_to_search, hash_needles, run_scenario, search

pytestmark = pytest.mark.db


def test_p31_no_unkeyed_hash_of_an_id_or_phone_number_at_rest_or_in_the_logs(
        app: Flask, db: SQLAlchemy, store_demo: Callable[..., Round], create_account: Callable[..., User],
        tmp_path: Path) -> None:
    # Given the full scenario played over HTTP, and every file it left
    trail = run_scenario(app, store_demo, create_account, tmp_path)
    files = files_to_search(trail, app)
    needles = hash_needles(trail)

    # Then the search finds a hash that is stored (an audit event's, as hex) ...
    stored = db.session.scalar(select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1))
    assert search(files, {"an audit hash": stored.encode("ascii")})
    # ... and no hash of an ID or phone number, in any form, anywhere
    assert len(needles) == 9 * len({f for n in trail.id_numbers for f in (n.upper(), n.lower())} | set(trail.phones))
    assert hashlib.sha256(trail.id_numbers[0].encode()).digest() in needles.values()
    assert search(files, needles) == []
