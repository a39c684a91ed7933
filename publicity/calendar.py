"""The holiday calendar the system counts with (节假日安排): what it holds per year, imports and removals.

The national calendar comes from the `chinese-calendar` package (`rules.PUBLISHED_YEARS`);
additions (`HolidayAddition`) are system-wide or one round's (RULES.md §9). Services flush,
never commit; after a change every round concerned is recomputed (`refresh_statuses`), and
a change that would make a round's figures fail (a publicity running into a year that
loses its data) is refused naming the round.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

import chinese_calendar
from sqlalchemy import select

from selection.audit import record_audit
from selection.extensions import db
from selection.i18n import _l
from selection.models import DayKind, HolidayAddition, Round
from selection.record.parse import RecordError
from selection.record.services import refresh_statuses, round_results
from selection.record.store import load_calendar
from selection.rules import DomainError
from selection.spreadsheets import Problem

from . import calendar_rules
from .calendar_rules import HOLIDAY, WORKDAY, AdditionRow, PlannedRow, Stored
from .rules import PUBLISHED_YEARS, HolidayCalendar
from .services import PublicityRefused

#: the subject of audit events about the system-wide additions
SYSTEM_SUBJECT = "calendar:system-wide"


# --- what the calendar holds ---------------------------------------------------------------


@dataclass(frozen=True)
class YearSummary:
    """One year on the calendar page: where its data comes from, or that it has none."""

    year: int
    #: the `chinese-calendar` package covers it
    national: bool
    #: system-wide additions dated in the year
    system_wide: int
    #: rounds with additions of their own dated in the year
    rounds: tuple[str, ...]

    @property
    def known(self) -> bool:
        """Known to every round: published nationally or made known by a system-wide addition."""
        return self.national or self.system_wide > 0


def calendar_years(*, today: date) -> list[YearSummary]:
    """Every year from the first with data to the last known or next year, whichever is later."""
    system: dict[int, int] = {}
    rounds: dict[int, set[str]] = {}
    for day, code in db.session.execute(
            select(HolidayAddition.day, Round.code).outerjoin(Round, HolidayAddition.round_id == Round.id)):
        if code is None:
            system[day.year] = system.get(day.year, 0) + 1
        else:
            rounds.setdefault(day.year, set()).add(code)
    first = min(*PUBLISHED_YEARS, *system, *rounds)
    last = max(today.year + 1, *PUBLISHED_YEARS, *system, *rounds)
    return [YearSummary(year, year in PUBLISHED_YEARS, system.get(year, 0), tuple(sorted(rounds.get(year, ()))))
            for year in range(first, last + 1)]


@dataclass(frozen=True)
class CalendarDay:
    """A rest day or make-up working day of the system-wide calendar, and where it comes from."""

    day: date
    kind: str
    #: the holiday's name: the addition's own, or the package's (English, translated when shown)
    name: str | None
    #: "national" (the package) or "system" (a system-wide addition)
    source: str
    #: what the national calendar says of the day an addition overrides: its kind, or None
    replaces: str | None = None


@dataclass(frozen=True)
class HolidayGroup:
    """The days of one holiday: its rest days and the make-up working days that go with it."""

    name: str | None
    rest_days: list[CalendarDay] = field(default_factory=list)
    workdays: list[CalendarDay] = field(default_factory=list)

    @property
    def national(self) -> bool:
        """The name is one of the package's, shown translated (an addition's own is shown as typed)."""
        return self.name in NATIONAL_NAMES


@dataclass(frozen=True)
class RoundDay:
    """An addition of one round only."""

    code: str
    day: date
    kind: str
    name: str | None


@dataclass(frozen=True)
class YearCalendar:
    """One year as the system counts it: its holidays, grouped, and the rounds' own additions."""

    summary: YearSummary
    groups: list[HolidayGroup]
    round_days: list[RoundDay]


#: the package's holiday names (English; publicity/labels.py gives them in words)
NATIONAL_NAMES: frozenset[str] = frozenset(h.value for h in chinese_calendar.Holiday)


def year_calendar(year: int, *, today: date) -> YearCalendar | None:
    """The year's days by holiday (national, then system-wide additions on top), or None outside the page."""
    summary = next((s for s in calendar_years(today=today) if s.year == year), None)
    if summary is None:
        return None
    days: dict[date, CalendarDay] = {}
    if summary.national:
        for table, kind in ((chinese_calendar.holidays, HOLIDAY), (chinese_calendar.workdays, WORKDAY)):
            days.update({d: CalendarDay(d, kind, name, "national") for d, name in table.items() if d.year == year})
    round_days = []
    for addition, code in db.session.execute(
            select(HolidayAddition, Round.code).outerjoin(Round, HolidayAddition.round_id == Round.id)
            .where(HolidayAddition.day >= date(year, 1, 1), HolidayAddition.day <= date(year, 12, 31))
            .order_by(HolidayAddition.day, Round.code)):
        if code is not None:
            round_days.append(RoundDay(code, addition.day, addition.kind.value, addition.name))
            continue
        national = days.get(addition.day)
        days[addition.day] = CalendarDay(
            addition.day, addition.kind.value, addition.name or (national.name if national else None), "system",
            replaces=national.kind if national else None)
    groups: dict[str | None, HolidayGroup] = {}
    for day in sorted(days.values(), key=lambda d: d.day):
        group = groups.setdefault(day.name, HolidayGroup(day.name))
        (group.rest_days if day.kind == HOLIDAY else group.workdays).append(day)
    return YearCalendar(summary, list(groups.values()), round_days)


def system_additions(year: int) -> list[HolidayAddition]:
    """The system-wide additions dated in `year`, by day (the ones that can be removed)."""
    return list(db.session.scalars(select(HolidayAddition).where(
        HolidayAddition.round_id.is_(None),
        HolidayAddition.day >= date(year, 1, 1), HolidayAddition.day <= date(year, 12, 31))
        .order_by(HolidayAddition.day)))


# --- importing additions -------------------------------------------------------------------


@dataclass(frozen=True)
class ImportPreview:
    """What an addition file would store in its scope; nothing is stored."""

    round: Round | None
    rows: list[PlannedRow]
    problems: list[Problem]
    ignored: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def new(self) -> list[PlannedRow]:
        return [row for row in self.rows if row.new]


class ImportRefused(PublicityRefused):
    """An addition file with problems: nothing of it was stored. `preview` lists every row and problem."""

    def __init__(self, preview: ImportPreview) -> None:
        super().__init__(_l("The file has problems; nothing was stored."))
        self.preview = preview


def round_codes() -> list[str]:
    """Every round's code, for choosing the scope of an import."""
    return list(db.session.scalars(select(Round.code).order_by(Round.code)))


def _scope(round_: Round | None) -> list[HolidayAddition]:
    where = HolidayAddition.round_id.is_(None) if round_ is None else HolidayAddition.round_id == round_.id
    return list(db.session.scalars(select(HolidayAddition).where(where)))


def _counted_with(round_: Round | None) -> HolidayCalendar:
    """The calendar the scope counts with now: the system-wide one, and a round's own on top."""
    system = load_calendar(None)
    return system if round_ is None else system.merged(load_calendar(round_.id))


def plan_import(rows: Sequence[AdditionRow], round_: Round | None, problems: Iterable[Problem] = (),
                ignored: tuple[str, ...] = ()) -> ImportPreview:
    """Each row and what storing it in the scope (`round_`, or None: every round) does; stores nothing."""
    stored = {a.day: Stored(a.kind.value, a.name) for a in _scope(round_)}
    planned, conflicts = calendar_rules.plan_additions(rows, stored, _counted_with(round_))
    found = sorted([*problems, *conflicts], key=lambda p: (p.row or 0))
    if not rows and not found:
        found = [Problem(None, None, calendar_rules.N_("The file lists no days."))]
    return ImportPreview(round_, planned, found, ignored)


def preview_import(data: bytes, round_: Round | None) -> ImportPreview:
    """Read an addition file (CSV or JSON) and plan it; stores nothing."""
    read = calendar_rules.read_additions(data)
    return plan_import(read.rows, round_, read.problems, read.ignored)


def import_additions(rows: Sequence[AdditionRow], round_: Round | None, *, actor: str,
                     today: date) -> ImportPreview:
    """Store every new row of a clean file in the scope, or none; audited. Flushes, never commits.

    Rows already stored are left as they are, so importing a file twice adds nothing.
    Raises ImportRefused when a row now contradicts what is stored, and PublicityRefused
    when the new days would make a round's figures fail.
    """
    preview = plan_import(rows, round_)
    if not preview.ok:
        raise ImportRefused(preview)
    if not preview.new:
        return preview
    concerned = _rounds_concerned(round_)
    broken = _failing(concerned, today)
    for planned in preview.new:
        row = planned.row
        db.session.add(HolidayAddition(round_id=None if round_ is None else round_.id, day=row.day,
                                       kind=DayKind(row.kind), name=row.name))
    db.session.flush()
    new = [p.row for p in preview.new]
    record_audit("calendar.import", actor=actor, subject=_subject(round_),
                 round_id=None if round_ is None else round_.id, before=None,
                 after={"added": len(new), "rest_days": sum(r.kind == HOLIDAY for r in new),
                        "workdays": sum(r.kind == WORKDAY for r in new),
                        "from": min(r.day for r in new).isoformat(), "to": max(r.day for r in new).isoformat()})
    _refresh(concerned, broken, actor=actor, today=today)
    return preview


def remove_addition(day: date, *, actor: str, today: date) -> None:
    """Take a system-wide addition out of the calendar; audited. Flushes, never commits."""
    addition = db.session.scalar(select(HolidayAddition).where(
        HolidayAddition.round_id.is_(None), HolidayAddition.day == day))
    if addition is None:
        raise PublicityRefused(_l("%(day)s is not among the system-wide additions."), day=day)
    concerned = _rounds_concerned(None)
    broken = _failing(concerned, today)
    record_audit("calendar.remove", actor=actor, subject=SYSTEM_SUBJECT,
                 before={"day": day.isoformat(), "kind": addition.kind.value, "name": addition.name})
    db.session.delete(addition)
    db.session.flush()
    _refresh(concerned, broken, actor=actor, today=today)


def _subject(round_: Round | None) -> str:
    return SYSTEM_SUBJECT if round_ is None else f"round:{round_.code}"


def _rounds_concerned(round_: Round | None) -> list[Round]:
    return [round_] if round_ is not None else list(db.session.scalars(select(Round).order_by(Round.code)))


def _failing(rounds: Iterable[Round], today: date) -> set[int]:
    """The rounds whose figures cannot be computed now (left as they are by a calendar change)."""
    failing = set()
    for round_ in rounds:
        try:
            round_results(round_, today=today)
        except (RecordError, DomainError):
            failing.add(round_.id)
    return failing


def _refresh(rounds: Iterable[Round], failing_before: set[int], *, actor: str, today: date) -> None:
    """Recompute every round the change concerns; refuse a change that breaks one that computed before."""
    for round_ in rounds:
        try:
            refresh_statuses(round_, actor=actor, today=today)
        except (RecordError, DomainError) as error:
            if round_.id in failing_before:
                continue  # it failed before the change too; the change is not what breaks it
            problem = error.problems[0] if isinstance(error, RecordError) and error.problems else str(error)
            raise PublicityRefused(_l("The change would make the figures of %(code)s fail (%(problem)s); "
                                      "nothing was stored."), code=round_.code, problem=problem) from error


# --- the example file ------------------------------------------------------------------------


#: Dated 2099 on purpose: the example shows the format, and imported by mistake it could not
#: pass for a real year's arrangement (a year it names becomes known, every other day ordinary).
EXAMPLE_ROWS: tuple[tuple[str, str, str], ...] = (
    ("2099-01-01", "元旦", "休"),
    ("2099-01-02", "元旦", "rest"),
    ("2099-01-04", "元旦", "班"),
    ("2099-10-01", "国庆节", "holiday"),
    ("2099-10-02", "国庆节", "休"),
    ("2099-10-10", "国庆节", "workday"),
)


def example_csv() -> str:
    """A CSV showing the format: a header and a few rows (dated 2099: no real arrangement)."""
    lines = ["date,name,kind", *(",".join(row) for row in EXAMPLE_ROWS)]
    return "\r\n".join(lines) + "\r\n"
