"""P48: audit verify passes on an untouched chain and names the first broken link after each tamper case."""

from __future__ import annotations

import dataclasses

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from selection.audit import GENESIS_HASH, chain_head, record_audit, verify_chain
from selection.crypto import EXTENSION_KEY, generate_keyring
from selection.models import AuditEvent
from tests.selection.test_audit import chain, tamper  # noqa: F401 (fixtures)

pytestmark = pytest.mark.db


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


def test_p48_verify_passes_on_an_untouched_chain(chain: list[AuditEvent]) -> None:
    result = verify_chain()

    assert result.ok and result.count == 5 and result.broken_id is None


def test_p48_audit_table_is_append_only_on_postgresql(
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


def test_p48_cli_audit_verify_names_the_broken_event(
    runner: FlaskCliRunner, db: SQLAlchemy, chain: list[AuditEvent], tamper: None
) -> None:
    db.session.execute(text("UPDATE audit_events SET subject = 'elsewhere' WHERE id = 2"))
    db.session.commit()

    result = runner.invoke(args=["audit", "verify"])

    assert result.exit_code != 0
    assert "broken at event 2" in result.output
