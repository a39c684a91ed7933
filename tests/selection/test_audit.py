"""The audit chain: links, the CLI, the head (the P48 tamper cases: tests/security/test_p48_*)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from itertools import pairwise
from pathlib import Path

import pytest
from flask.testing import FlaskCliRunner
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import text

from selection.audit import GENESIS_HASH, ChainHead, chain_head, record_audit, verify_chain
from selection.models import AuditEvent

pytestmark = pytest.mark.db


@pytest.fixture
def chain(db: SQLAlchemy) -> list[AuditEvent]:
    """Five committed events."""
    events = [
        record_audit(
            "candidate.status", actor="admin", subject=f"candidate:{n}", round_id=1,
            before={"status": "registered"}, after={"status": "qualified", "n": n},
        )
        for n in range(1, 6)
    ]
    db.session.commit()
    return events


@pytest.fixture
def tamper(db: SQLAlchemy) -> Iterator[None]:
    """Let raw SQL change the audit table (PostgreSQL's trigger refuses it otherwise)."""
    postgresql = db.engine.dialect.name == "postgresql"
    if postgresql:
        db.session.execute(text("ALTER TABLE audit_events DISABLE TRIGGER USER"))
    yield
    if postgresql:
        db.session.execute(text("ALTER TABLE audit_events ENABLE TRIGGER USER"))
    db.session.commit()


def test_record_audit_links_each_event_to_the_previous(chain: list[AuditEvent]) -> None:
    assert [event.id for event in chain] == [1, 2, 3, 4, 5]
    assert chain[0].prev_hash == GENESIS_HASH
    assert all(later.prev_hash == earlier.hash for earlier, later in pairwise(chain))
    assert chain_head() == ChainHead(count=5, hash=chain[-1].hash)


def test_record_audit_keeps_json_values_as_stored(db: SQLAlchemy) -> None:
    event = record_audit(
        "score.enter", actor="admin", subject="candidate:1",
        after={"score": Decimal("78.50"), "on": date(2026, 9, 1), "note": "王芳"},
    )
    db.session.commit()
    db.session.expire_all()

    assert db.session.get(AuditEvent, event.id).after == {
        "score": "78.50", "on": "2026-09-01", "note": "王芳",
    }
    assert verify_chain().ok


def test_verify_chain_passes_empty(db: SQLAlchemy) -> None:
    assert verify_chain().ok and verify_chain().count == 0


def test_cli_audit_verify_and_export_head(
    runner: FlaskCliRunner, db: SQLAlchemy, chain: list[AuditEvent], tmp_path: Path
) -> None:
    verified = runner.invoke(args=["audit", "verify"])
    exported = runner.invoke(args=["audit", "export-head"])

    assert (verified.exit_code, verified.output) == (0, "ok: 5 events\n")
    assert json.loads(exported.output) == {"count": 5, "hash": chain[-1].hash}

    head_file = tmp_path / "head.json"
    head_file.write_text(exported.output)
    assert runner.invoke(args=["audit", "verify", "--head", str(head_file)]).exit_code == 0
