"""P30: after a full scenario, the raw bytes of the database (and its write-ahead log), the backups and
the logs hold no ID or phone number that was registered: 0 hits (SECURITY.md).

The scenario and the search are in at_rest_support.py. Every ID number on file (demo, sign-ups,
the open round) is searched with an upper- and a lower-case x, every phone number plain, spaced
and dashed (the named complainant's too), each in UTF-8 (= ASCII), UTF-16-LE and UTF-16-BE.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from flask_sqlalchemy import SQLAlchemy

from selection.models import Round, User
from tests.security.at_rest_support import files_to_search, plaintext_needles, run_scenario, search

pytestmark = pytest.mark.db


def test_p30_no_id_or_phone_number_in_the_database_files_backups_or_logs(
        app: Flask, db: SQLAlchemy, store_demo: Callable[..., Round], create_account: Callable[..., User],
        tmp_path: Path) -> None:
    # Given the full scenario played over HTTP, and every file it left
    trail = run_scenario(app, store_demo, create_account, tmp_path)
    files = files_to_search(trail, app)
    needles = plaintext_needles(trail)

    # Then the search does find what is kept in plain text (the names people signed up with) ...
    names = {name: name.encode("utf-8") for name in trail.plain_names}
    for kept in [name for name in files if name.startswith(("database, after", "pg_dump", "backup, decrypted"))]:
        assert {label for label, _file in search({kept: files[kept]}, names)} == set(names), kept
    log = files["log file"]
    assert b"POST /signup HTTP/1.1" in log and b"hide_parameters" in log and b"sent by log" in log
    # ... and no ID or phone number anywhere
    assert len(trail.id_numbers) >= 40 and len(trail.phones) >= 40
    assert search(files, needles) == []
