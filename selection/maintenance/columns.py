"""The registry of encrypted columns (加密字段): every column holding `encrypt_field` ciphertexts.

Key rotation and ``keys status`` read this list and nothing else, so a new encrypted column
is added here, once, with the AAD its writer binds it to. A test compares the list with the
models' binary columns, so a column left out fails it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Column, Row, Table

from publicity.complaints import complaint_aad
from publicity.models import Complaint, ComplaintNote
from publicity.supervision import note_aad
from selection.models import Notification, Person
from selection.notify import recipient_aad
from selection.services import ID_NUMBER, PHONE, person_aad
from vetting.ballots import ballot_aad, lock_boxes
from vetting.models import UnitBallot


@dataclass(frozen=True)
class EncryptedColumn:
    """One encrypted column: its table, the columns its AAD is built from, and how."""

    table: Table
    column: str
    #: columns of the row the AAD needs, in the order `aad` reads them from the row
    reads: tuple[str, ...]
    aad: Callable[[Row[Any]], str]
    #: takes the locks the column's own writers take, given the rows about to be rewritten
    lock: Callable[[Sequence[Row[Any]]], None] | None = field(default=None)

    @property
    def name(self) -> str:
        return f"{self.table.name}.{self.column}"

    @property
    def cipher(self) -> Column[Any]:
        return self.table.c[self.column]

    @property
    def key(self) -> Column[Any]:
        [key] = self.table.primary_key.columns
        return key


def _table(model: Any) -> Table:
    table: Table = model.__table__
    return table


def _lock_ballot_boxes(rows: Iterable[Row[Any]]) -> None:
    lock_boxes(row.box_id for row in rows)


ENCRYPTED_COLUMNS: tuple[EncryptedColumn, ...] = (
    EncryptedColumn(_table(Person), "id_number_cipher", ("uid",), lambda row: person_aad(ID_NUMBER, row.uid)),
    EncryptedColumn(_table(Person), "phone_cipher", ("uid",), lambda row: person_aad(PHONE, row.uid)),
    EncryptedColumn(_table(Notification), "recipient_cipher", ("id",), lambda row: recipient_aad(row.id)),
    EncryptedColumn(_table(UnitBallot), "sealed", ("box_id", "id"), lambda row: ballot_aad(row.box_id, row.id),
                    lock=_lock_ballot_boxes),
    EncryptedColumn(_table(Complaint), "content_cipher", ("uid",), lambda row: complaint_aad("content", row.uid)),
    EncryptedColumn(_table(Complaint), "complainant_cipher", ("uid",),
                    lambda row: complaint_aad("complainant", row.uid)),
    EncryptedColumn(_table(ComplaintNote), "body_cipher", ("uid",), lambda row: note_aad(row.uid)),
)
