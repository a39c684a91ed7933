"""Backups (备份) of the database: one encrypted, authenticated file, checked and restored.

SQLite: the online backup API (``sqlite3.Connection.backup``) copies a consistent snapshot
in one step while writers go on (WAL), into a private temporary folder beside the database.
PostgreSQL: ``pg_dump`` in custom format, run inside a snapshot this module exports, so the
header's facts (revision, audit head) are those of the very data dumped. Either copy is
then sealed by `selection.crypto.seal_backup` (AES-256-GCM under a key derived from the
audit key): the file as a whole is encrypted and authenticated, on top of the columns that
are encrypted already.

Restoring checks the authentication tag of the whole file before anything is written,
then (SQLite) ``PRAGMA integrity_check`` and the audit chain on a temporary file that is
renamed over the database only when all passed; PostgreSQL restores in one transaction
(``pg_restore --single-transaction``), then checks the chain. These are operations of the
command line; they commit nothing through the app's session except the audit event the
command records.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import URL, Connection, create_engine, text
from sqlalchemy.exc import DBAPIError, NoResultFound
from sqlalchemy.orm import Session

from selection.audit import ChainHead, verify_chain
from selection.crypto import DecryptionError, open_backup, seal_backup
from selection.extensions import db

SQLITE = "sqlite"
POSTGRESQL = "postgresql"
HEADER_FORMAT = 1
_OWNER_ONLY = 0o600


class BackupError(Exception):
    """A backup cannot be made, checked or restored; the message says why and what to do."""


@dataclass(frozen=True)
class BackupHeader:
    """What a backup says about itself, readable before opening it and authenticated with it."""

    database: str
    #: UTC, ISO 8601, when the snapshot was taken
    created_at: str
    #: the Alembic revision of the schema in the backup
    revision: str | None
    audit_count: int
    audit_hash: str
    format: int = HEADER_FORMAT

    def to_bytes(self) -> bytes:
        return json.dumps(asdict(self), sort_keys=True).encode("utf-8")

    @classmethod
    def from_bytes(cls, data: bytes) -> BackupHeader:
        try:
            values = json.loads(data)
            header = cls(**values)
        except (ValueError, TypeError):
            raise BackupError("the backup's header is not one this application writes") from None
        if header.format != HEADER_FORMAT or header.database not in (SQLITE, POSTGRESQL):
            raise BackupError(f"backup format {header.format} of {header.database} is not known")
        return header

    @property
    def audit_head(self) -> ChainHead:
        return ChainHead(count=self.audit_count, hash=self.audit_hash)


@dataclass(frozen=True)
class Checked:
    """A backup made, verified or restored: its header and the checks that passed, in words."""

    header: BackupHeader
    checks: tuple[str, ...]


def default_backup_path(instance_path: str, now: datetime) -> Path:
    return Path(instance_path) / "backups" / f"selection-{now.strftime('%Y%m%dT%H%M%SZ')}.backup"


def database_kind() -> str:
    backend = db.engine.url.get_backend_name()
    if backend not in (SQLITE, POSTGRESQL):
        raise BackupError(f"backups are made of SQLite and PostgreSQL databases, not {backend}")
    return backend


# --- create ----------------------------------------------------------------------------------


def create_backup(output: Path, *, now: datetime) -> Checked:
    """Write a backup of the app's database to `output` (mode 0600; refused if it exists)."""
    if output.exists():
        raise BackupError(f"{output} exists already: choose another name")
    output.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    partial = output.with_name(output.name + ".partial")
    try:
        with _private_file(partial) as sealed:
            if database_kind() == SQLITE:
                checked = _create_sqlite(sealed, now=now)
            else:
                checked = _create_postgresql(sealed, now=now)
            sealed.flush()
            os.fsync(sealed.fileno())
        os.replace(partial, output)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return checked


def _create_sqlite(sealed: BinaryIO, *, now: datetime) -> Checked:
    source = _sqlite_path()
    with _private_folder(source.parent) as folder:
        copy = folder / "snapshot.db"
        with closing(sqlite3.connect(source)) as live, closing(sqlite3.connect(copy)) as target:
            live.execute("PRAGMA busy_timeout=5000")
            # one step (pages=-1): a single read transaction, hence one consistent snapshot
            live.backup(target)
            # one self-contained file: no write-ahead log to carry along
            target.execute("PRAGMA journal_mode=DELETE")
        header, checks = _check_sqlite_file(copy, now=now)
        with copy.open("rb") as plain:
            seal_backup(plain, sealed, header=header.to_bytes())
    return Checked(header, checks)


def _create_postgresql(sealed: BinaryIO, *, now: datetime) -> Checked:
    _require("pg_dump")
    with db.engine.connect() as connection:
        connection = connection.execution_options(isolation_level="REPEATABLE READ")
        with connection.begin():
            # pg_dump reads this very snapshot, so the header describes exactly the data dumped
            snapshot = connection.scalar(text("SELECT pg_export_snapshot()"))
            header = _header(connection, POSTGRESQL, now=now)
            with _pg_process("pg_dump", "--format=custom", f"--snapshot={snapshot}", stdout=subprocess.PIPE) as dump:
                assert dump.stdout is not None
                seal_backup(dump.stdout, sealed, header=header.to_bytes())
    return Checked(header, ("pg_dump finished without error",))


# --- verify ----------------------------------------------------------------------------------


def read_header(path: Path) -> BackupHeader:
    """Authenticate the whole file and return its header; nothing is written anywhere."""
    with _open_backup_file(path) as file:
        return BackupHeader.from_bytes(_open(file, None))


def verify_backup(path: Path, *, work: Path) -> Checked:
    """Authenticate a backup and check what is inside, without touching the app's database.

    SQLite: integrity check and audit chain on a temporary copy in a private folder made in
    `work`. PostgreSQL: ``pg_restore --list`` reads the archive; the chain is checked on restore.
    """
    header = read_header(path)
    if header.database == SQLITE:
        with _private_folder(work) as folder, _open_backup_file(path) as file:
            copy = folder / "verify.db"
            with _private_file(copy) as plain:
                _open(file, plain)
            _same, checks = _check_sqlite_file(copy, expected=header)
        return Checked(header, ("authenticated", *checks))
    with _open_backup_file(path) as file, _pg_process("pg_restore", "--list", database=False,
                                                      stdin=subprocess.PIPE, stdout=subprocess.DEVNULL) as listing:
        _feed(file, listing)
    return Checked(header, ("authenticated", "pg_restore reads the archive"))


# --- restore ---------------------------------------------------------------------------------


def restore_backup(path: Path, *, force: bool) -> Checked:
    """Replace the app's database with the backup's content; refused over a database with tables unless `force`.

    Stop every worker of the app first: a restore is not something to do under load.
    """
    header = read_header(path)
    if header.database != database_kind():
        raise BackupError(f"this is a backup of a {header.database} database; the app's database is "
                          f"{database_kind()}")
    if not force and _has_tables():
        raise BackupError("the database holds tables already: restore into an empty database, or add --force "
                          "to replace what it holds")
    if header.database == SQLITE:
        return _restore_sqlite(path, header)
    return _restore_postgresql(path, header, force=force)


def _restore_sqlite(path: Path, header: BackupHeader) -> Checked:
    target = _sqlite_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    with _private_folder(target.parent) as folder:
        copy = folder / "restored.db"
        with _open_backup_file(path) as file, _private_file(copy) as plain:
            _open(file, plain)
            plain.flush()
            os.fsync(plain.fileno())
        _same, checks = _check_sqlite_file(copy, expected=header)
        db.engine.dispose()
        if target.exists():
            # the old database's log must not outlive it: replayed over the new file it would corrupt it
            try:
                with closing(sqlite3.connect(target)) as old:
                    old.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            except sqlite3.DatabaseError:
                pass  # no database (replaced with --force): no log of its own either
        os.replace(copy, target)
        for suffix in ("-wal", "-shm"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)
        _sync_folder(target.parent)
    return Checked(header, ("authenticated", *checks, "renamed into place"))


def _restore_postgresql(path: Path, header: BackupHeader, *, force: bool) -> Checked:
    db.engine.dispose()
    clean = ("--clean", "--if-exists") if force else ()
    with _open_backup_file(path) as file, _pg_process(
            "pg_restore", "--no-owner", "--no-privileges", "--single-transaction", "--exit-on-error", *clean,
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL) as restore:
        _feed(file, restore)
    result = verify_chain(header.audit_head if header.audit_count else None)
    if not result.ok:
        raise BackupError(f"restored, but the audit chain breaks at event {result.broken_id}: {result.reason}; "
                          "keep this database as evidence and compare with other backups")
    return Checked(header, ("authenticated", "restored in one transaction",
                            f"audit chain verifies ({result.count} events)"))


# --- checks and helpers ----------------------------------------------------------------------


def _check_sqlite_file(path: Path, *, now: datetime | None = None,
                       expected: BackupHeader | None = None) -> tuple[BackupHeader, tuple[str, ...]]:
    """Integrity check and audit chain of an SQLite file; its header facts (as of `now`)."""
    with closing(sqlite3.connect(path)) as connection:
        problems = [row[0] for row in connection.execute("PRAGMA integrity_check")]
    if problems != ["ok"]:
        raise BackupError("the database in the backup fails its integrity check: " + "; ".join(problems[:5]))
    engine = create_engine(URL.create("sqlite", database=str(path)))
    try:
        with engine.connect() as connection:
            header = _header(connection, SQLITE, now=now) if now is not None else expected
        assert header is not None
        with Session(engine) as session:
            result = verify_chain(expected.audit_head if expected and expected.audit_count else None,
                                  session=session)
    finally:
        engine.dispose()
    if not result.ok:
        raise BackupError(f"the audit chain in the backup breaks at event {result.broken_id}: {result.reason}")
    return header, ("integrity check ok", f"audit chain verifies ({result.count} events)")


def _header(connection: Connection, database: str, *, now: datetime) -> BackupHeader:
    try:
        revision = connection.scalar(text("SELECT version_num FROM alembic_version"))
        head = connection.execute(text("SELECT count, hash FROM audit_heads WHERE id = 1")).one()
    except (DBAPIError, NoResultFound):
        raise BackupError("the database has no schema or no audit head: is it migrated (flask db upgrade)?") from None
    return BackupHeader(database=database, created_at=now.isoformat(), revision=revision,
                        audit_count=head.count, audit_hash=head.hash)


def _has_tables() -> bool:
    if database_kind() == SQLITE:
        path = _sqlite_path()
        if not path.exists() or path.stat().st_size == 0:
            return False
        try:
            with closing(sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)) as connection:
                return bool(connection.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0])
        except sqlite3.DatabaseError:
            return True  # a file that is no database still holds something: only --force replaces it
    with db.engine.connect() as connection:
        return bool(connection.scalar(text(
            "SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')")))


def _sqlite_path() -> Path:
    database = db.engine.url.database
    if not database or database == ":memory:":
        raise BackupError("the SQLite database is in memory: there is no file to back up or restore")
    return Path(database).resolve()


def _open(file: BinaryIO, target: BinaryIO | None) -> bytes:
    try:
        return open_backup(file, target)
    except DecryptionError as error:
        raise BackupError(str(error)) from None


def _feed(file: BinaryIO, process: subprocess.Popen[bytes]) -> None:
    """Decrypt `file` into the process's standard input; a file that fails to authenticate kills it."""
    assert process.stdin is not None
    try:
        _open(file, process.stdin)
    except BrokenPipeError:
        pass  # the tool stopped reading: its exit status and message say why
    except BaseException:
        process.kill()
        raise
    finally:
        try:
            process.stdin.close()
        except BrokenPipeError:
            pass


@contextmanager
def _pg_process(tool: str, *args: str, database: bool = True, stdin: int | None = None,
                stdout: int | None = None) -> Iterator[subprocess.Popen[bytes]]:
    """Run pg_dump or pg_restore (on the app's database, if `database`); fail naming the tool's own message."""
    _require(tool)
    command = [tool, *args, *(("--dbname", _libpq_url()) if database else ())]
    password = db.engine.url.password
    # the password goes through the environment, not the command line other users can read
    env = {**os.environ, **({"PGPASSWORD": str(password)} if password else {})}
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(command, stdin=stdin, stdout=stdout, stderr=errors, env=env)
        try:
            yield process
        finally:
            if process.stdout is not None:
                process.stdout.close()
            status = process.wait()
        if status != 0:
            errors.seek(0)
            message = errors.read().decode("utf-8", "replace").strip()
            raise BackupError(f"{tool} failed (exit status {status}): {message}")


def _libpq_url() -> str:
    return db.engine.url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)


def _require(tool: str) -> None:
    if shutil.which(tool) is None:
        raise BackupError(f"{tool} is not on PATH: install the PostgreSQL client tools of the server's version "
                          "(Debian: apt-get install postgresql-client)")


@contextmanager
def _open_backup_file(path: Path) -> Iterator[BinaryIO]:
    try:
        file = path.open("rb")
    except OSError as error:
        raise BackupError(f"cannot read {path}: {error.strerror}") from None
    with file:
        yield file


@contextmanager
def _private_file(path: Path) -> Iterator[BinaryIO]:
    """A new file only its owner may read."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, _OWNER_ONLY)
    with os.fdopen(descriptor, "wb") as file:
        yield file


@contextmanager
def _private_folder(parent: Path) -> Iterator[Path]:
    """A temporary folder (mode 0700) in `parent`, removed with whatever it holds."""
    folder = Path(tempfile.mkdtemp(prefix=".backup-", dir=parent))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _sync_folder(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def header_summary(header: BackupHeader) -> dict[str, Any]:
    """The header as the commands print it."""
    return {"database": header.database, "created_at": header.created_at, "revision": header.revision,
            "audit_events": header.audit_count}

