"""P36: after a full scenario, the logs hold no ID or phone number, password, session cookie, ballot
code or receipt, complaint receipt, or named complainant's name (SECURITY.md).

The logs are every logger at DEBUG and SQLAlchemy's at INFO (each statement, as with
``SQLALCHEMY_ECHO``) written to a file, the werkzeug server's access log among them, plus
whatever reached standard output and error (at_rest_support.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from flask_sqlalchemy import SQLAlchemy

from selection.models import Round, User
from tests.security.at_rest_support import encodings, plaintext_needles, run_scenario, search


def _forms(label: str, values: list[str]) -> dict[str, bytes]:
    return {f"{label} {value} ({enc})": data for value in values for enc, data in encodings(value).items()}


def test_p36_the_logs_hold_no_secret_of_the_scenario(
        app: Flask, db: SQLAlchemy, store_demo: Callable[..., Round], create_account: Callable[..., User],
        tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    # Given the full scenario played over HTTP with every logger writing to a file
    trail = run_scenario(app, store_demo, create_account, tmp_path)
    out, err = capfd.readouterr()
    logs = {"log file": trail.log.read_bytes(), "stdout": out.encode("utf-8"), "stderr": err.encode("utf-8")}

    # (the log did record the scenario: access lines, statements, the outbox)
    for expected in (b"POST /vote/cast HTTP/1.1", b"POST /login HTTP/1.1", b"INSERT INTO complaints",
                     b"sent by log"):
        assert expected in logs["log file"], expected

    # Then none of its secrets is in them, in any form
    receipts = trail.complaint_receipts + [re.sub(r"\D", "", code) for code in trail.complaint_receipts]
    ballot_receipts = trail.ballot_receipts + [code.replace("-", "") for code in trail.ballot_receipts]
    tokens = trail.ballot_tokens + [code.replace("-", "") for code in trail.ballot_tokens]
    needles = {
        **plaintext_needles(trail),
        **_forms("password", trail.passwords),
        **_forms("session cookie", trail.cookies),
        **_forms("ballot code", tokens + [t.lower() for t in tokens]),
        **_forms("ballot receipt", ballot_receipts),
        **_forms("complaint receipt", receipts),
        **_forms("complainant", list(trail.complainant.values())),
    }
    assert len(trail.cookies) >= 5 and len(trail.ballot_tokens) == 3 and len(trail.complaint_receipts) == 2
    assert search(logs, needles) == []
