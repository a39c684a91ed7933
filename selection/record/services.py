"""Keeping stored statuses in step with the rules (状态刷新): the engine over a stored round.

A status is never set by hand from a computed value: after any entry changes a round, the
caller refreshes it here, and every status that moves gets an audit row (before → after).
"""

from __future__ import annotations

from datetime import date

from selection.audit import record_audit
from selection.extensions import db
from selection.models import Round
from selection.record.engine import Results, compute
from selection.record.store import load_record


def refresh_statuses(round_: Round, *, actor: str, today: date) -> Results:
    """Recompute the round and store each candidate's new status, auditing every change.

    Raises RecordError when the stored entries are inconsistent. Flushes, never commits.
    """
    record, calendar = load_record(round_, today=today)
    results = compute(record, calendar=calendar)
    stored = {candidate.ref: candidate for candidate in round_.candidates}
    for result in results.candidates:
        candidate = stored[result.ref]
        if candidate.status is not result.status:
            record_audit(
                "candidate.status", actor=actor, subject=f"candidate:{round_.code}/{candidate.ref}",
                round_id=round_.id, before={"status": candidate.status.value},
                after={"status": result.status.value},
            )
            candidate.status = result.status
    db.session.flush()
    return results
