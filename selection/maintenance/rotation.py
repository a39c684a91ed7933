"""Field key rotation (密钥轮换): which key versions the stored ciphertexts use, and re-encrypting them.

Rotation goes batch by batch, each batch its own short transaction (the ``keys rotate``
command commits between them), so the app keeps serving. A batch rewrites a ciphertext
only if it still holds what was read (compare and swap): a row a user changed meanwhile is
left to the next pass, never overwritten with older data. Services flush, never commit.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from sqlalchemy import LargeBinary, func, literal, select, update

from selection.crypto import DecryptionError, current_keys, field_key_version_of, reencrypt_field
from selection.extensions import db

from .columns import ENCRYPTED_COLUMNS, EncryptedColumn


@dataclass(frozen=True)
class Batch:
    """What one batch of `reencrypt_batch` did."""

    #: the key of the last row read: the next batch starts after it (None: nothing was left)
    last_key: Any
    read: int
    reencrypted: int
    #: rows changed by another writer between the read and the write; the next pass sees them
    changed_meanwhile: int
    #: "table.column #key" of ciphertexts no key held opens (they are left as they are)
    unreadable: tuple[str, ...]


def versions_in_use(columns: tuple[EncryptedColumn, ...] = ENCRYPTED_COLUMNS) -> dict[str, Counter[int]]:
    """Per encrypted column, how many rows hold a ciphertext of each field key version."""
    in_use: dict[str, Counter[int]] = {}
    for column in columns:
        version = func.substr(column.cipher, 1, 1, type_=LargeBinary)
        rows = db.session.execute(
            select(version, func.count()).where(column.cipher.is_not(None)).group_by(version)).all()
        # version 0 never exists: it counts a value too short to be a ciphertext at all
        in_use[column.name] = Counter({(field_key_version_of(bytes(first)) if first else 0): count
                                       for first, count in rows})
    return in_use


def reencrypt_batch(column: EncryptedColumn, *, after: Any = None, limit: int = 500) -> Batch:
    """Re-encrypt up to `limit` rows of `column` (keys above `after`) not yet under the current field key."""
    keys = current_keys()
    target = literal(bytes([keys.field_key_version]), LargeBinary)
    reads = [column.table.c[name] for name in column.reads if name != column.key.name]
    query = (select(column.key, *reads, column.cipher)
             .where(column.cipher.is_not(None), func.substr(column.cipher, 1, 1, type_=LargeBinary) != target))
    if after is not None:
        query = query.where(column.key > after)
    rows = db.session.execute(query.order_by(column.key).limit(limit)).all()
    if not rows:
        return Batch(None, 0, 0, 0, ())
    if column.lock is not None:
        column.lock(rows)
    reencrypted = changed = 0
    unreadable: list[str] = []
    for row in rows:
        old = bytes(row[-1])
        try:
            new = reencrypt_field(old, aad=column.aad(row), keys=keys)
        except DecryptionError:
            unreadable.append(f"{column.name} #{row[0]}")
            continue
        written = db.session.execute(update(column.table)
                                     .where(column.key == row[0], column.cipher == old)
                                     .values({column.column: new}))
        if written.rowcount == 1:
            reencrypted += 1
        else:
            changed += 1
    db.session.flush()
    return Batch(rows[-1][0], len(rows), reencrypted, changed, tuple(unreadable))
