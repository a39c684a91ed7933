"""Maintenance commands (运维命令): field key rotation and backups.

``flask --app selection keys status``, ``keys rotate [--to N]``, ``keys retire --version N``;
``flask --app selection backup create [--output PATH]``, ``backup verify PATH``,
``backup restore PATH [--force]``. See docs/configuration.md, "Key rotation" and "Backups".
"""

from __future__ import annotations

import json
import time
from collections import Counter
from pathlib import Path

import click
from flask import current_app
from sqlalchemy.exc import OperationalError

from selection.audit import record_audit
from selection.models import utcnow
from selection.crypto import current_keys
from selection.extensions import db
from selection.keys import KeyConfigurationError, add_field_key, field_keys_in_file, refresh_keys, remove_field_key

from . import backup
from .columns import ENCRYPTED_COLUMNS, EncryptedColumn
from .rotation import reencrypt_batch, versions_in_use

keys_cli = click.Group("keys", help="Rotate the field encryption key.")
backup_cli = click.Group("backup", help="Make, check and restore encrypted backups of the database.")

#: passes over every column: later ones catch rows a writer changed while a batch was written
MAX_PASSES = 3
#: tries of one batch that met a lock timeout or a deadlock (the app's writers come first)
BATCH_TRIES = 5


# --- keys ------------------------------------------------------------------------------------


def _versions_line(counts: Counter[int]) -> str:
    return ", ".join(f"v{version}: {n}" for version, n in sorted(counts.items())) or "no rows"


@keys_cli.command("status")
def status() -> None:
    """How many rows of each encrypted column each field key version holds."""
    keys = current_keys()
    held = ", ".join(str(v) for v in sorted(keys.field_keys))
    click.echo(f"field key versions held: {held}; new data uses {keys.field_key_version}")
    for name, counts in versions_in_use().items():
        click.echo(f"{name}: {_versions_line(counts)}")


@keys_cli.command("rotate")
@click.option("--to", "target", type=int,
              help="The version to re-encrypt to, already in the keys and the one new data uses.")
@click.option("--batch-size", default=500, show_default=True, type=click.IntRange(1, 10_000),
              help="Rows per transaction.")
def rotate(target: int | None, batch_size: int) -> None:
    """Re-encrypt every encrypted column under a new field key version, in short transactions.

    With keys in instance/keys.json and no --to, adds a new version there first (the running
    app picks it up by itself). With keys in the environment, add the version to
    SELECTION_FIELD_KEYS, restart the app, then run ``keys rotate --to N``. Run again after an
    interruption: it finishes the job.
    """
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    keys = current_keys()
    behind = {v for counts in versions_in_use().values() for v in counts if v != keys.field_key_version}
    if target is None and not behind:
        if not field_keys_in_file(app):
            raise click.ClickException(
                "the field keys come from the configuration: add a new version to SELECTION_FIELD_KEYS "
                f"(e.g. \"{max(keys.field_keys) + 1}\": a new key), restart every worker, then run "
                f"`keys rotate --to {max(keys.field_keys) + 1}`")
        try:
            added = add_field_key(app)
        except KeyConfigurationError as error:
            raise click.ClickException(str(error)) from None
        refresh_keys(app)
        click.echo(f"added field key version {added} to {Path(app.instance_path) / 'keys.json'}: "
                   "back up that file now, new data is encrypted with it from here on")
    elif target is None:
        click.echo(f"finishing the rotation to version {keys.field_key_version}: rows remain under "
                   f"{', '.join(f'v{v}' for v in sorted(behind))}")
    keys = current_keys()
    if target is not None and target != keys.field_key_version:
        held = "holds" if target in keys.field_keys else "does not hold"
        raise click.ClickException(
            f"new data uses field key version {keys.field_key_version}, and the app {held} version {target}: "
            f"configure version {target} as the one new data uses (SELECTION_FIELD_KEY_VERSION, or leave it out "
            "to use the highest), restart every worker, then run this again")
    done = _rotate_all(batch_size)
    left = {name: sum(n for v, n in counts.items() if v != keys.field_key_version)
            for name, counts in versions_in_use().items()}
    for column in ENCRYPTED_COLUMNS:
        click.echo(f"{column.name}: {done[column.name]} re-encrypted, {left[column.name]} left")
    record_audit("keys.rotate", actor="cli:keys rotate", subject=f"field_key:{keys.field_key_version}",
                 after={"reencrypted": done, "left": {n: c for n, c in left.items() if c}})
    db.session.commit()
    if any(left.values()):
        raise click.ClickException(
            f"{sum(left.values())} rows are not under version {keys.field_key_version} yet (written meanwhile by a "
            "worker still on the old keys, or unreadable, named above): run `keys rotate` again")
    click.echo(f"ok: every encrypted column is under field key version {keys.field_key_version}")


def _rotate_all(batch_size: int) -> dict[str, int]:
    done = {column.name: 0 for column in ENCRYPTED_COLUMNS}
    for _pass in range(MAX_PASSES):
        changed = 0
        for column in ENCRYPTED_COLUMNS:
            reencrypted, meanwhile = _rotate_column(column, batch_size)
            done[column.name] += reencrypted
            changed += reencrypted + meanwhile
        if not changed:
            break
    return done


def _rotate_column(column: EncryptedColumn, batch_size: int) -> tuple[int, int]:
    """One pass over a column, a transaction per batch; the rows re-encrypted and those changed meanwhile."""
    after = None
    reencrypted = meanwhile = 0
    reported: set[str] = set()
    while True:
        for attempt in range(BATCH_TRIES):
            try:
                batch = reencrypt_batch(column, after=after, limit=batch_size)
                db.session.commit()
                break
            except OperationalError:
                # a lock timeout or a deadlock with the app's own writers: they win, the batch is tried again
                db.session.rollback()
                if attempt == BATCH_TRIES - 1:
                    raise
                time.sleep(0.2 * (attempt + 1))
        for name in batch.unreadable:
            if name not in reported:
                click.echo(f"unreadable with any key held, left as it is: {name}", err=True)
                reported.add(name)
        reencrypted += batch.reencrypted
        meanwhile += batch.changed_meanwhile
        if batch.read < batch_size:
            return reencrypted, meanwhile
        after = batch.last_key


@keys_cli.command("retire")
@click.option("--version", "version", type=int, required=True, help="The field key version to remove.")
def retire(version: int) -> None:
    """Remove an old field key version once no row uses it any more."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    keys = current_keys()
    if version == keys.field_key_version:
        raise click.ClickException(f"version {version} is the one new data uses")
    using = {name: counts[version] for name, counts in versions_in_use().items() if counts[version]}
    if using:
        raise click.ClickException(f"version {version} is still used by {json.dumps(using)}: "
                                   "run `keys rotate` first")
    if field_keys_in_file(app):
        try:
            remove_field_key(app, version)
        except KeyConfigurationError as error:
            raise click.ClickException(str(error)) from None
        refresh_keys(app)
        where = "removed from keys.json"
    else:
        where = "no row uses it: remove it from SELECTION_FIELD_KEYS and restart every worker"
    record_audit("keys.retire", actor="cli:keys retire", subject=f"field_key:{version}", after={"version": version})
    db.session.commit()
    click.echo(f"field key version {version} {where}. Backups taken before the rotation still need it: "
               "keep a copy with them for as long as they are kept")


# --- backups ---------------------------------------------------------------------------------


@backup_cli.command("create")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write the backup (default: instance/backups/selection-<UTC time>.backup).")
def create(output: Path | None) -> None:
    """Write an encrypted backup of the database while the app keeps running."""
    now = utcnow()  # the real moment, not a clock pinned for a demo
    output = output or backup.default_backup_path(current_app.instance_path, now)
    started = time.monotonic()
    try:
        made = backup.create_backup(output, now=now)
    except backup.BackupError as error:
        raise click.ClickException(str(error)) from None
    record_audit("backup.create", actor="cli:backup create", subject=f"backup:{output.name}",
                 after=backup.header_summary(made.header))
    db.session.commit()
    click.echo(f"wrote {output} ({output.stat().st_size} bytes, {time.monotonic() - started:.1f} s): "
               f"{'; '.join(made.checks)}")


@backup_cli.command("verify")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def verify(path: Path) -> None:
    """Authenticate a backup and check the database inside it; changes nothing."""
    try:
        checked = backup.verify_backup(path, work=Path(current_app.instance_path))
    except backup.BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"ok: {json.dumps(backup.header_summary(checked.header))}; {'; '.join(checked.checks)}")


@backup_cli.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace a database that holds tables already.")
def restore(path: Path, force: bool) -> None:
    """Restore a backup into the app's database (stop the app first)."""
    try:
        checked = backup.restore_backup(path, force=force)
    except backup.BackupError as error:
        raise click.ClickException(str(error)) from None
    record_audit("backup.restore", actor="cli:backup restore", subject=f"backup:{path.name}",
                 after=backup.header_summary(checked.header))
    db.session.commit()
    click.echo(f"restored {path}: {'; '.join(checked.checks)}")
