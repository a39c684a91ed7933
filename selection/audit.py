"""The audit trail (审计): append-only, each event chained to the previous by HMAC.

``hash = audit_mac(prev_hash + canonical JSON of the event's other fields)``, so editing
a field, deleting or reordering a row, or recomputing the chain without the key is
found by `verify_chain`. The one row of ``audit_heads`` holds the count and last hash;
an exported copy of it (``audit export-head``) also finds a cut-off tail.
"""

from __future__ import annotations

import enum
import hmac
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from .crypto import audit_mac
from .extensions import db
from .models import AuditEvent, AuditHead, utcnow

GENESIS_HASH = "0" * 64
HEAD_ID = 1


@dataclass(frozen=True)
class ChainHead:
    """How long the chain is and its last hash."""

    count: int
    hash: str


@dataclass(frozen=True)
class VerifyResult:
    """The outcome of `verify_chain`: ok, or the first broken event and why."""

    count: int
    head: ChainHead
    broken_id: int | None = None
    reason: str | None = None

    @property
    def ok(self) -> bool:
        return self.reason is None


def record_audit(
    action: str,
    *,
    actor: str,
    subject: str,
    round_id: int | None = None,
    before: Any = None,
    after: Any = None,
) -> AuditEvent:
    """Append one event to the chain; flushes, never commits.

    The head row is updated first: that takes its row lock on PostgreSQL and the write
    lock on SQLite, so appenders queue up instead of forking the chain (and the
    unique ``prev_hash`` refuses a fork should one ever get that far).
    """
    db.session.execute(
        update(AuditHead).where(AuditHead.id == HEAD_ID).values(count=AuditHead.count + 1)
    )
    head = db.session.execute(
        select(AuditHead.count, AuditHead.hash).where(AuditHead.id == HEAD_ID)
    ).one()
    event = AuditEvent(
        id=head.count,
        at=utcnow().replace(microsecond=0),
        actor=actor,
        action=action,
        round_id=round_id,
        subject=subject,
        before=_as_json(before),
        after=_as_json(after),
        prev_hash=head.hash,
    )
    event.hash = _event_hash(event)
    db.session.add(event)
    db.session.execute(
        update(AuditHead).where(AuditHead.id == HEAD_ID).values(hash=event.hash)
    )
    db.session.flush()
    return event


@dataclass(frozen=True)
class AuditEntry:
    """One event for `record_audits`: what `record_audit` takes, less the actor they all share."""

    action: str
    subject: str
    round_id: int | None = None
    before: Any = None
    after: Any = None


#: events per INSERT statement when `record_audits` writes many
_BATCH = 1000


def record_audits(entries: Iterable[AuditEntry], *, actor: str) -> int:
    """Append many events, in order: the rows `record_audit` would append one by one, in one go.

    For a whole sheet stored at once (a 100,000-row score import): the head row is locked
    once (the same no-op UPDATE that queues appenders), the chain is computed here, the rows
    go in by executemany in batches, and the head is moved once at the end. `entries` may be
    a generator, so nothing holds every event. Returns how many were appended. Flushes,
    never commits.
    """
    # an UPDATE that changes nothing still takes the row lock (PostgreSQL) or the write lock (SQLite)
    db.session.execute(update(AuditHead).where(AuditHead.id == HEAD_ID).values(count=AuditHead.count))
    head = db.session.execute(select(AuditHead.count, AuditHead.hash).where(AuditHead.id == HEAD_ID)).one()
    at = utcnow().replace(microsecond=0)
    count, prev_hash, rows = head.count, head.hash, []
    for entry in entries:
        count += 1
        row = {"id": count, "at": at, "actor": actor, "action": entry.action, "round_id": entry.round_id,
               "subject": entry.subject, "before": _as_json(entry.before), "after": _as_json(entry.after),
               "prev_hash": prev_hash}
        row["hash"] = prev_hash = _fields_hash(row)
        rows.append(row)
        if len(rows) == _BATCH:
            db.session.execute(insert(AuditEvent), rows)
            rows = []
    if rows:
        db.session.execute(insert(AuditEvent), rows)
    if count != head.count:
        db.session.execute(update(AuditHead).where(AuditHead.id == HEAD_ID).values(count=count, hash=prev_hash))
    db.session.flush()
    return count - head.count


def chain_head(*, session: Session | None = None) -> ChainHead:
    """The head row: the number of events and the last hash (for export)."""
    head = (session or db.session).get_one(AuditHead, HEAD_ID)
    return ChainHead(count=head.count, hash=head.hash)


def verify_chain(expected: ChainHead | None = None, *, session: Session | None = None) -> VerifyResult:
    """Recompute the chain; name the first event that does not fit.

    `expected` is a head exported earlier: the chain must still contain it. `session` reads
    another database than the app's (a backup being restored).
    """
    session = session or db.session
    prev_hash = GENESIS_HASH
    count = 0
    broken: tuple[int | None, str] | None = None
    events = session.scalars(
        select(AuditEvent).order_by(AuditEvent.id).execution_options(yield_per=500)
    )
    for event in events:
        count += 1
        if event.id != count or event.prev_hash != prev_hash:
            broken = (event.id, f"event {count} is missing or out of place")
        elif not hmac.compare_digest(event.hash, _event_hash(event)):
            broken = (event.id, "its content does not match its hash")
        if broken:
            break
        if expected is not None and event.id == expected.count and event.hash != expected.hash:
            broken = (event.id, "it differs from the exported head")
            break
        prev_hash = event.hash
    events.close()
    head = chain_head(session=session)
    if broken is None and (head.count, head.hash) != (count, prev_hash):
        broken = (count + 1 if head.count > count else count,
                  f"the head row names {head.count} events, the chain holds {count}")
    if broken is None and expected is not None and expected.count > count:
        broken = (count + 1, f"the exported head names {expected.count} events, "
                             f"the chain holds {count}")
    if broken is None:
        return VerifyResult(count=count, head=head)
    return VerifyResult(count=count, head=head, broken_id=broken[0], reason=broken[1])


def _event_hash(event: AuditEvent) -> str:
    return _fields_hash({name: getattr(event, name) for name in _HASHED + ("prev_hash",)})


#: the fields an event's hash covers, besides the previous hash
_HASHED = ("id", "at", "actor", "action", "round_id", "subject", "before", "after")


def _fields_hash(row: dict[str, Any]) -> str:
    fields = {name: row[name] for name in _HASHED}
    fields["at"] = row["at"].astimezone(UTC).isoformat()
    return audit_mac((row["prev_hash"] + _canonical(fields)).encode("utf-8"))


def _canonical(value: Any) -> str:
    return json.dumps(
        value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=_plain
    )


def _plain(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"cannot record {type(value).__name__} in the audit trail")


def _as_json(value: Any) -> Any:
    """`value` as it will come back from the JSON column, so its hash stays stable."""
    return None if value is None else json.loads(_canonical(value))
