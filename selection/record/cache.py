"""The round-state cache (轮次结果缓存): the engine's view of a round, computed once per change.

Every page that shows a status, a list or a score asks the engine for the whole round
(`round_state`), and that costs what the round weighs: every candidate and every entry
loaded, every rule computed. The answer is the same for everyone until something in the
round changes, so it is kept, per process, under a key that every change replaces:

* `rounds.data_revision` — a random number, set anew in the same transaction as any change
  to what `load_record` reads of the round (its settings, positions, candidates and every
  entry of every stage, down to a committee ballot). It is random, not a counter, so a
  database restored from a backup, or another database with the same round ids, can never
  meet a cached state it does not hold;
* the date the round is computed at (a live round's statuses move with the calendar).

A change is seen by SQLAlchemy's unit of work (`after_flush`: every new, changed or deleted
row of a record table, followed to its round) and by bulk statements (`do_orm_execute`: an
INSERT, UPDATE or DELETE on a record table that does not name its round with the execution
option `round_id` gives every round a new revision — correct by default, precise where the
caller says). Changes to system-wide holidays concern every round alike.

A session that has changed a round in its open transaction neither reads nor fills the
cache for that round: what it sees is not committed, and may yet be rolled back.

Because the revision lives in the database, any number of workers and hosts each keep
their own cache and never serve a state older than the data they read; nothing needs to be
told to forget. The cached record carries no ID or phone numbers (the engine never reads
them), so the cache holds no more personal data than the pages show.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from datetime import date
from typing import Any, TypeVar

from sqlalchemy import Table, event, select, update
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction

from selection.models import Candidate, HolidayAddition, Position, Round, new_data_revision

T = TypeVar("T")

#: the session.info key of the rounds changed in the open transaction (ALL: every round)
_TOUCHED = "record_cache.touched"
ALL = "all"

#: where the app keeps its RoundCache (app.extensions)
EXTENSION_KEY = "round_cache"

#: how many round states each process keeps (ROUND_CACHE_SIZE): the most recently used win
DEFAULT_SIZE = 8


# ---------------------------------------------------------------- which rows belong to which round


def _record_tables() -> dict[Table, tuple[str, Table | None]]:
    """Each table `load_record` reads → (its column leading to the round, the table that column points at).

    The target is None where the column is the round's id itself. Kept beside load_record's
    own imports so that a table added to the record is added here in the same change.
    """
    from exams.models import ExamAbsence, InterviewScore, QualificationReview, WrittenScore
    from publicity.models import Appointment, Complaint, FinalAssessment, Publicity
    from vetting.models import (
        CommitteeBallot, CommitteeVote, Endorsement, EvaluationTally, InspectionNotice, InspectionRecord,
        PerformanceItem, PerformanceRecord, RecommendationTally,
    )

    candidates, positions = Candidate.__table__, Position.__table__
    tables: dict[Table, tuple[str, Table | None]] = {
        Round.__table__: ("id", None), Position.__table__: ("round_id", None),
        Candidate.__table__: ("round_id", None), HolidayAddition.__table__: ("round_id", None),
        CommitteeVote.__table__: ("round_id", None),
        InspectionNotice.__table__: ("position_id", positions),
        CommitteeBallot.__table__: ("vote_id", CommitteeVote.__table__),
        PerformanceItem.__table__: ("record_id", PerformanceRecord.__table__),
        FinalAssessment.__table__: ("appointment_id", Appointment.__table__),
    }
    for model in (Endorsement, QualificationReview, RecommendationTally, ExamAbsence, WrittenScore,
                  InterviewScore, EvaluationTally, PerformanceRecord, InspectionRecord, Publicity, Complaint,
                  Appointment):
        tables[model.__table__] = ("candidate_id", candidates)  # type: ignore[attr-defined]
    return tables


_TABLES: dict[Table, tuple[str, Table | None]] = {}


def record_tables() -> dict[Table, tuple[str, Table | None]]:
    if not _TABLES:
        _TABLES.update(_record_tables())
    return _TABLES


def _rounds_of(session: Session, objects: Iterable[Any]) -> set[int] | str:
    """The ids of the rounds the changed rows belong to, following each row up to its round."""
    tables = record_tables()
    rounds: set[int] = set()
    # (table, id) of the parents still to follow; a parent deleted in the same flush is found
    # among the objects themselves
    pending: dict[Table, set[int]] = {}
    seen: dict[Table, dict[int, Any]] = {}
    for obj in objects:
        table = getattr(type(obj), "__table__", None)
        if table not in tables:
            continue
        column, parent = tables[table]
        value = getattr(obj, column, None)
        seen.setdefault(table, {})[getattr(obj, "id", None)] = obj
        if parent is None:
            if value is None:  # a system-wide holiday: every round counts with it
                return ALL
            rounds.add(value)
        elif value is None:
            return ALL  # a row not (yet) tied to a round: be safe
        else:
            pending.setdefault(parent, set()).add(value)
    while pending:
        parent, ids = pending.popitem()
        column, grandparent = tables[parent]
        known = seen.get(parent, {})
        found = {id_: getattr(known[id_], column) for id_ in ids if id_ in known}
        missing = ids - found.keys()
        if missing:
            found |= dict(session.connection().execute(
                select(parent.c.id, parent.c[column]).where(parent.c.id.in_(missing))).all())
        if len(found) < len(ids):
            return ALL
        if grandparent is None:
            rounds.update(found.values())
        else:
            pending.setdefault(grandparent, set()).update(found.values())
    return rounds


def _touch(session: Session, rounds: set[int] | str) -> None:
    if not rounds:
        return
    touched = session.info.setdefault(_TOUCHED, set())
    if touched == ALL:
        return
    if rounds == ALL:
        session.info[_TOUCHED] = ALL
        statement = update(Round.__table__)
    else:
        touched.update(rounds)
        statement = update(Round.__table__).where(Round.__table__.c.id.in_(sorted(rounds)))
    session.connection().execute(statement.values(data_revision=new_data_revision()))


def _after_flush(session: Session, _flush: UOWTransaction) -> None:
    _touch(session, _rounds_of(session, [*session.new, *session.dirty, *session.deleted]))


def _bulk(state: ORMExecuteState) -> None:
    """An INSERT/UPDATE/DELETE statement on a record table: its round, or every round."""
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    table = getattr(state.statement, "table", None)
    if table is None or table not in record_tables() or state.execution_options.get("record_unchanged"):
        return
    named = state.execution_options.get("round_id")
    _touch(state.session, {named} if named is not None else ALL)


def _forget(session: Session) -> None:
    session.info.pop(_TOUCHED, None)


def install(session_class: type[Session]) -> None:
    """Listen to every session of `session_class` (the app's) for changes to rounds. Once per process."""
    if event.contains(session_class, "after_flush", _after_flush):
        return
    event.listen(session_class, "after_flush", _after_flush)
    event.listen(session_class, "do_orm_execute", _bulk)
    event.listen(session_class, "after_commit", _forget)
    event.listen(session_class, "after_rollback", _forget)


def touched(session: Session, round_id: int) -> bool:
    """Whether the session's open transaction has changed the round."""
    changed = session.info.get(_TOUCHED)
    return bool(changed) and (changed == ALL or round_id in changed)


# ---------------------------------------------------------------- the cache itself


class RoundCache:
    """A small least-recently-used map of (round, revision, date) → state, safe across threads."""

    def __init__(self, size: int = DEFAULT_SIZE) -> None:
        self.size = size
        self._states: OrderedDict[tuple[int, int, date], Any] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, key: tuple[int, int, date], compute: Callable[[], T]) -> T:
        with self._lock:
            if key in self._states:
                self._states.move_to_end(key)
                self.hits += 1
                return self._states[key]  # type: ignore[no-any-return]
        self.misses += 1
        value = compute()
        if self.size > 0:
            with self._lock:
                # older revisions of the same round are never asked for again
                for stale in [k for k in self._states if k[0] == key[0] and k[1] != key[1]]:
                    del self._states[stale]
                self._states[key] = value
                while len(self._states) > self.size:
                    self._states.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._states.clear()
