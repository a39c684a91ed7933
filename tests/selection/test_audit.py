"""The audit chain: verify, and find every kind of tampering (SECURITY.md P48)."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from itertools import pairwise
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from selection.audit import GENESIS_HASH, ChainHead, chain_head, record_audit, verify_chain
from selection.crypto import EXTENSION_KEY, generate_keyring
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


def test_verify_chain_passes_untouched(chain: list[AuditEvent]) -> None:
    result = verify_chain()

    assert result.ok and result.count == 5 and result.broken_id is None


def test_verify_chain_passes_empty(db: SQLAlchemy) -> None:
    assert verify_chain().ok and verify_chain().count == 0


def test_p48_edited_field_names_that_event(
    db: SQLAlchemy, chain: list[AuditEvent], tamper: None
) -> None:
    db.session.execute(text("UPDATE audit_events SET actor = 'someone else' WHERE id = 3"))

    result = verify_chain()

    assert not result.ok and result.broken_id == 3


def test_p48_deleted_middle_row_names_the_next_event(
    db: SQLAlchemy, chain: list[AuditEvent], tamper: None
) -> None:
    db.session.execute(text("DELETE FROM audit_events WHERE id = 3"))

    result = verify_chain()

    assert not result.ok and result.broken_id == 4


def test_p48_cut_tail_is_found_by_head_row_and_exported_head(
    db: SQLAlchemy, chain: list[AuditEvent], tamper: None
) -> None:
    exported = chain_head()
    db.session.execute(text("DELETE FROM audit_events WHERE id = 5"))

    assert verify_chain().broken_id == 5

    # the head row rewritten too: only the exported head still tells
    db.session.execute(
        text("UPDATE audit_heads SET count = 4, hash = :hash"), {"hash": chain[3].hash}
    )
    assert verify_chain().ok
    assert verify_chain(exported).broken_id == 5


def test_p48_chain_recomputed_without_the_key_is_found(
    app: Flask, db: SQLAlchemy, chain: list[AuditEvent], tamper: None
) -> None:
    # Given the whole chain rewritten by someone with a key of their own
    real_keys = app.extensions[EXTENSION_KEY]
    app.extensions[EXTENSION_KEY] = dataclasses.replace(
        real_keys, audit_key=generate_keyring().audit_key
    )
    db.session.execute(text("DELETE FROM audit_events"))
    db.session.execute(text("UPDATE audit_heads SET count = 0, hash = :g"), {"g": GENESIS_HASH})
    record_audit("forged", actor="mallory", subject="x")
    app.extensions[EXTENSION_KEY] = real_keys

    assert verify_chain().broken_id == 1


def test_audit_events_append_only_on_postgresql(
    db: SQLAlchemy, chain: list[AuditEvent], database_backend: str
) -> None:
    if database_backend != "postgresql":
        pytest.skip("the append-only trigger is PostgreSQL's")

    for statement in (
        "UPDATE audit_events SET actor = 'x' WHERE id = 1",
        "DELETE FROM audit_events WHERE id = 5",
        "TRUNCATE audit_events",
    ):
        with pytest.raises(DBAPIError, match="append-only"):
            db.session.execute(text(statement))
        db.session.rollback()
    assert verify_chain().ok


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


def test_cli_audit_verify_names_the_broken_event(
    runner: FlaskCliRunner, db: SQLAlchemy, chain: list[AuditEvent], tamper: None
) -> None:
    db.session.execute(text("UPDATE audit_events SET subject = 'elsewhere' WHERE id = 2"))
    db.session.commit()

    result = runner.invoke(args=["audit", "verify"])

    assert result.exit_code != 0
    assert "broken at event 2" in result.output
