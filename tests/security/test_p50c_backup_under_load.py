"""P50c: a backup taken while the app writes passes its integrity check and restores into a
working app; a damaged backup or the wrong keys restore nothing (SECURITY.md).

``flask backup create`` runs while a thread creates audited accounts through the services;
``backup verify`` authenticates the file and checks the database inside; ``backup restore``
fills an empty database of the same kind, where the login page and an admin page render and
``audit verify`` passes. On SQLite and PostgreSQL (pg_dump and pg_restore).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from selection.extensions import db as _db
from selection.models import AuditEvent, Role, Round, User
from selection.services import create_user
from tests.conftest import fresh_key_config

pytestmark = pytest.mark.db
Login = Callable[[FlaskClient, User], FlaskClient]
#: accounts the writer creates before the backup starts, at the least
WARM_UP = 3


def _flask(app: Flask, *args: str) -> Any:
    """Run ``flask ...`` as `app`, in its own app context."""
    with app.app_context():
        result = app.test_cli_runner().invoke(args=list(args))
        _db.session.remove()
    return result


@pytest.fixture
def backup_file(app: Flask, store_demo: Callable[..., Round], admin: User, tmp_path: Path) -> Path:
    """A backup of the demo round taken while a thread keeps creating audited accounts."""
    store_demo()
    _db.session.remove()
    warmed_up, stop = threading.Event(), threading.Event()
    failures: list[str] = []
    written: list[str] = []

    def write() -> None:
        while not stop.is_set():
            with app.app_context():
                try:
                    name = f"load-{len(written) + 1}"
                    create_user(name, display_name=name, password="load-passphrase-2026", role=Role.INSPECTOR,
                                actor="load")
                    _db.session.commit()
                    written.append(name)
                except Exception as error:  # noqa: BLE001 - any failure of the writer is the finding
                    failures.append(repr(error))
                    return
                finally:
                    _db.session.remove()
            if len(written) >= WARM_UP:
                warmed_up.set()

    writer = threading.Thread(target=write)
    writer.start()
    try:
        assert warmed_up.wait(60), failures
        path = tmp_path / "backups" / "demo.backup"
        result = _flask(app, "backup", "create", "--output", str(path))
        # the writer goes on after the snapshot, too: those accounts are in the database, not the backup
        after = len(written)
        while len(written) < after + 2 and writer.is_alive():
            writer.join(0.05)
    finally:
        stop.set()
        writer.join(60)

    assert failures == [] and result.exit_code == 0, (failures, result.output)
    assert "integrity check ok" in result.output or "pg_dump finished" in result.output
    assert path.stat().st_mode & 0o777 == 0o600
    return path


def test_p50c_a_backup_under_write_load_verifies_and_restores_into_a_working_app(
        make_app: Callable[..., Flask], app: Flask, backup_file: Path, empty_database_url: str,
        login_as: Login) -> None:
    # Given a backup taken under load, and an empty database of the same kind
    verified = _flask(app, "backup", "verify", str(backup_file))
    assert verified.exit_code == 0 and "authenticated" in verified.output, verified.output
    restored = make_app(SQLALCHEMY_DATABASE_URI=empty_database_url)

    # When it is restored there
    result = _flask(restored, "backup", "restore", str(backup_file))

    # Then the restore checked it, and the restored app works: login page, an admin page, the audit chain
    assert result.exit_code == 0, result.output
    assert "audit chain verifies" in result.output
    assert restored.test_client().get("/login").status_code == 200
    with restored.app_context():
        admin = _db.session.scalar(select(User).where(User.username == "org-admin"))
        page = login_as(restored.test_client(), admin).get("/")
        assert page.status_code == 200 and "DEMO-2026" in page.get_data(as_text=True)
        # the accounts written before the snapshot came along, each with its audit event
        loaded = _db.session.scalar(select(func.count()).select_from(User).where(User.username.like("load-%")))
        audited = _db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.actor == "load"))
        assert loaded >= 1 and audited == loaded
        restore_event = _db.session.scalar(select(AuditEvent).where(AuditEvent.action == "backup.restore"))
        assert restore_event is not None and restore_event.actor == "cli:backup restore"
        _db.session.remove()
    audit = _flask(restored, "audit", "verify")
    assert audit.exit_code == 0 and audit.output.startswith("ok:"), audit.output
    with app.app_context():
        written_in_all = _db.session.scalar(select(func.count()).select_from(User).where(User.username.like("load-%")))
        _db.session.remove()
    assert written_in_all > loaded, "the writer kept going after the snapshot, so the backup holds fewer"


def test_p50c_restore_refuses_a_database_with_tables_unless_forced(
        make_app: Callable[..., Flask], app: Flask, backup_file: Path) -> None:
    # the app's own database holds the demo and more accounts than the backup
    refused = _flask(app, "backup", "restore", str(backup_file))
    assert refused.exit_code != 0 and "holds tables already" in refused.output

    forced = _flask(app, "backup", "restore", "--force", str(backup_file))

    assert forced.exit_code == 0, forced.output
    assert _flask(app, "audit", "verify").exit_code == 0


def test_p50c_a_damaged_backup_or_other_keys_restore_nothing(
        make_app: Callable[..., Flask], app: Flask, backup_file: Path, empty_database_url: str,
        tmp_path: Path) -> None:
    data = backup_file.read_bytes()
    flipped = tmp_path / "flipped.backup"
    flipped.write_bytes(data[:len(data) // 2] + bytes([data[len(data) // 2] ^ 1]) + data[len(data) // 2 + 1:])
    cut = tmp_path / "cut.backup"
    cut.write_bytes(data[:-100])
    target = make_app(SQLALCHEMY_DATABASE_URI=empty_database_url)
    strangers = make_app(SQLALCHEMY_DATABASE_URI=empty_database_url, **fresh_key_config())

    outcomes = {
        "flipped byte, verify": _flask(app, "backup", "verify", str(flipped)),
        "flipped byte, restore": _flask(target, "backup", "restore", str(flipped)),
        "cut off, restore": _flask(target, "backup", "restore", str(cut)),
        "other keys, restore": _flask(strangers, "backup", "restore", str(backup_file)),
    }

    for what, result in outcomes.items():
        refusal = "is cut off" if what.startswith("cut") else "does not authenticate"
        assert result.exit_code != 0 and refusal in result.output, (what, result.output)
    # and the database that was to receive them is still empty: nothing half-restored
    with target.app_context():
        assert _db.inspect(_db.engine).get_table_names() == []
        _db.session.remove()
    # while the app whose database had tables, forced, keeps them: the file is refused before anything is replaced
    forced = _flask(app, "backup", "restore", "--force", str(flipped))
    assert forced.exit_code != 0
    with app.app_context():
        assert _db.session.scalar(select(func.count()).select_from(User)) > 1
        _db.session.remove()


def test_p50c_without_the_postgresql_tools_the_command_says_so(
        app: Flask, database_backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "no-tools-here"))
    output = tmp_path / "out.backup"

    result = _flask(app, "backup", "create", "--output", str(output))

    if database_backend == "postgresql":
        assert result.exit_code != 0 and "pg_dump is not on PATH" in result.output
        assert not output.exists() and not list(tmp_path.glob("*.partial"))
    else:  # SQLite needs no tool
        assert result.exit_code == 0 and output.exists(), result.output
