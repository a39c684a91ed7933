"""Reading the audit trail (审计记录): filtered, newest first, and each change as key: old → new.

This is the organisation department's view of the trail. Complaint events (``complaint.*``)
are left out of it, page and export alike: what is done about a complaint is for supervision
staff only, who read a complaint's own history on its workbench page (SECURITY.md P17, P18).
The chain itself keeps them, and `audit verify` checks every event.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import Select, or_, select

from .clock import TIMEZONE
from .extensions import db
from .models import AuditEvent, Round

PER_PAGE = 50
#: actions of this prefix are shown to supervision staff only (publicity/supervision.py)
SUPERVISION_ONLY_PREFIX = "complaint."


@dataclass(frozen=True)
class AuditFilter:
    """Which events to show: of a round (by code), about a subject, by an actor; blank shows all."""

    round_code: str = ""
    subject: str = ""
    actor: str = ""


@dataclass(frozen=True)
class Change:
    key: str
    old: str
    new: str


def _query(where: AuditFilter) -> Select[tuple[AuditEvent]]:
    query = (select(AuditEvent).where(~AuditEvent.action.startswith(SUPERVISION_ONLY_PREFIX, autoescape=True))
             .order_by(AuditEvent.id.desc()))
    if where.round_code:
        round_id = db.session.scalar(select(Round.id).where(Round.code == where.round_code))
        query = query.where(AuditEvent.round_id == round_id)
    if where.subject:
        if ":" in where.subject:
            query = query.where(AuditEvent.subject == where.subject)
        else:
            # a bare reference (C030, P04, DEMO-2026) names the last part of a subject
            query = query.where(or_(AuditEvent.subject.endswith("/" + where.subject, autoescape=True),
                                    AuditEvent.subject.endswith(":" + where.subject, autoescape=True)))
    if where.actor:
        query = query.where(AuditEvent.actor == where.actor)
    return query


def audit_page(where: AuditFilter, page: int = 1) -> Pagination:
    """One page (PER_PAGE events) of the filtered trail, newest first."""
    return db.paginate(_query(where), page=page, per_page=PER_PAGE, error_out=False, count=True)


def audit_events(where: AuditFilter) -> Sequence[AuditEvent]:
    """Every event of the filtered trail, newest first (for export)."""
    return db.session.scalars(_query(where)).all()


def round_codes() -> list[str]:
    """Every round's code, for the round filter."""
    return list(db.session.scalars(select(Round.code).order_by(Round.code)))


def shown(value: Any) -> str:
    """A recorded value in plain words: maps as k=v, lists joined, nothing as —."""
    if value is None:
        return "—"
    if isinstance(value, dict):
        return ", ".join(f"{k}={shown(v)}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(shown(v) for v in value)
    if isinstance(value, bool):
        return json.dumps(value)
    return str(value)


def changes(before: Any, after: Any) -> list[Change]:
    """An event's before → after as one line per key that changed (or was set, or removed)."""
    if isinstance(before, dict) or isinstance(after, dict):
        old = before if isinstance(before, dict) else {}
        new = after if isinstance(after, dict) else {}
        keys = list(old) + [k for k in new if k not in old]
        return [Change(k, shown(old.get(k)), shown(new.get(k))) for k in keys if old.get(k) != new.get(k)]
    if before is None and after is None:
        return []
    return [Change("", shown(before), shown(after))]


def local_time(event: AuditEvent) -> str:
    """When the event happened, in Asia/Shanghai."""
    return event.at.astimezone(TIMEZONE).strftime("%Y-%m-%d %H:%M:%S")
