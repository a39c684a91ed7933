"""Holiday additions from a file (节假日安排导入): reading a CSV or JSON list of days, and what storing it does.

Pure (no Flask, no database, no clock): bytes in, rows and problems out; stored additions
in, a plan out. `publicity/calendar.py` stores the plan. The file format is documented in
docs/decisions.md ("The holiday calendar page") and shown by the example CSV.
"""

from __future__ import annotations

import csv
import io
import json
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import chinese_calendar

from selection.spreadsheets import Problem

from .rules import PUBLISHED_YEARS, HolidayCalendar

HOLIDAY = "holiday"  # a statutory-holiday rest day (法定节假日、调休放假)
WORKDAY = "workday"  # a make-up working day (调休上班)

#: What the kind column accepts, after NFKC, trimming and case folding: English, Chinese and
#: the one-character marks of the published arrangement (休 / 班).
KIND_WORDS: Mapping[str, str] = {
    **dict.fromkeys(("holiday", "rest", "rest day", "off", "休", "休息", "放假", "假", "节假日",
                     "法定节假日"), HOLIDAY),
    **dict.fromkeys(("workday", "work", "working day", "make-up working day", "班", "上班", "补班",
                     "调休上班"), WORKDAY),
}
#: Column headers (CSV) or field names (JSON) for each field, either language.
FIELD_NAMES: Mapping[str, tuple[str, ...]] = {
    "date": ("date", "day", "日期"),
    "name": ("name", "holiday", "名称", "节日"),
    "kind": ("kind", "type", "类型", "类别"),
}
#: Holiday data makes sense for these years only; anything else is a typing slip.
FIRST_YEAR, LAST_YEAR = 2000, 2099
#: A file lists a few years of days at most; the cap keeps the signed preview small.
MAX_ROWS = 1000
NAME_MAX = 80


def N_(message: str) -> str:
    """Mark a msgid for extraction; the edge translates it when shown."""
    return message


@dataclass(frozen=True)
class AdditionRow:
    """One day of an addition file: its line in the file, the day, its kind and the holiday's name."""

    line: int
    day: date
    kind: str
    name: str | None


@dataclass(frozen=True)
class ReadAdditions:
    """The rows that read cleanly and every problem found (a row with a problem is left out)."""

    rows: list[AdditionRow]
    problems: list[Problem]
    #: columns (CSV) or fields (JSON) the file has but an addition does not: read past, not refused
    ignored: tuple[str, ...] = ()


def _key(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip().casefold()


_FIELD_OF = {_key(name): field for field, names in FIELD_NAMES.items() for name in names}


def _decode(data: bytes) -> str | None:
    """The file as text: UTF-8 (with or without BOM), or GB18030 as Excel saves CSV on Chinese Windows."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


def read_additions(data: bytes) -> ReadAdditions:
    """Read a CSV or JSON file of holiday additions; never raises on a bad file.

    A file whose first non-blank character is ``[`` is JSON (an array of objects with
    date, name, kind); anything else is CSV with a header row. Line numbers are the file's own.
    """
    text = _decode(data)
    if text is None:
        return _refused(N_("The file is not text in UTF-8 or GB18030."))
    if not text.strip():
        return _refused(N_("The file is empty."))
    if text.lstrip().startswith(("[", "{")):
        return _read_json(text)
    return _read_csv(text)


def _refused(message: str, **params: str) -> ReadAdditions:
    return ReadAdditions([], [Problem(None, None, message, params)])


def _read_csv(text: str) -> ReadAdditions:
    reader = csv.reader(io.StringIO(text, newline=""))
    problems: list[Problem] = []
    columns: dict[str, int] | None = None
    ignored: list[str] = []
    rows: list[AdditionRow] = []
    line = 1
    try:
        for values in reader:
            # reader.line_num is the last physical line read; a quoted field may span several
            if not any(v.strip() for v in values):
                line = reader.line_num + 1
                continue
            if columns is None:
                columns = _header(values, line, problems, ignored)
                if columns is None:
                    return ReadAdditions([], problems)
            else:
                if len(rows) + len(problems) >= MAX_ROWS:
                    return _refused(N_("The file has more than %(limit)s rows."), limit=str(MAX_ROWS))
                raw = {field: values[index] if index < len(values) else "" for field, index in columns.items()}
                row = _row(line, raw, problems)
                if row is not None:
                    rows.append(row)
            line = reader.line_num + 1
    except csv.Error:
        problems.append(Problem(line, None, N_("The line is not valid CSV.")))
        return ReadAdditions(rows, problems)
    if columns is None:
        return _refused(N_("The file is empty."))
    return ReadAdditions(rows, problems, tuple(ignored))


def _header(values: Sequence[str], line: int, problems: list[Problem],
            ignored: list[str]) -> dict[str, int] | None:
    columns: dict[str, int] = {}
    for index, value in enumerate(values):
        field = _FIELD_OF.get(_key(value))
        if field is None:
            if value.strip():
                ignored.append(value.strip())
        elif field in columns:
            problems.append(Problem(line, value.strip(), N_("The column appears more than once.")))
            return None
        else:
            columns[field] = index
    missing = [field for field in ("date", "kind") if field not in columns]
    if missing:
        problems.append(Problem(line, None, N_("Required columns are missing: %(columns)s"),
                                {"columns": ", ".join(missing)}))
        return None
    return columns


def _read_json(text: str) -> ReadAdditions:
    try:
        items = json.loads(text)
    except json.JSONDecodeError as error:
        return ReadAdditions([], [Problem(error.lineno, None, N_("The file is not valid JSON."))])
    if not isinstance(items, list):
        return _refused(N_("A JSON file holds an array of objects with date, name and kind."))
    if len(items) > MAX_ROWS:
        return _refused(N_("The file has more than %(limit)s rows."), limit=str(MAX_ROWS))
    lines = _item_lines(text, len(items))
    problems: list[Problem] = []
    ignored: dict[str, None] = {}
    rows: list[AdditionRow] = []
    for item, line in zip(items, lines, strict=True):
        if not isinstance(item, dict):
            problems.append(Problem(line, None, N_("An entry is an object with date, name and kind.")))
            continue
        raw: dict[str, str] = {}
        typed = True
        for name, value in item.items():
            field = _FIELD_OF.get(_key(str(name)))
            if field is None:
                ignored[str(name)] = None
            elif value is not None and not isinstance(value, str):
                problems.append(Problem(line, field, N_("The value is not text.")))
                typed = False
            else:
                raw[field] = value or ""
        if not typed:
            continue
        row = _row(line, raw, problems)
        if row is not None:
            rows.append(row)
    return ReadAdditions(rows, problems, tuple(ignored))


def _item_lines(text: str, count: int) -> list[int]:
    """The line on which each element of the top-level JSON array starts."""
    decoder = json.JSONDecoder()
    position = text.index("[") + 1
    lines = []
    for _index in range(count):
        while text[position] in " \t\r\n,":
            position += 1
        lines.append(text.count("\n", 0, position) + 1)
        _value, position = decoder.raw_decode(text, position)
    return lines


def _row(line: int, raw: Mapping[str, str], problems: list[Problem]) -> AdditionRow | None:
    """One row from its raw fields, or None with its problems recorded."""
    found = len(problems)
    day_text, kind_text = raw.get("date", "").strip(), raw.get("kind", "").strip()
    name = unicodedata.normalize("NFKC", raw.get("name", "")).strip() or None
    day = None
    if not day_text:
        problems.append(Problem(line, "date", N_("A value is required.")))
    else:
        try:
            day = date.fromisoformat(day_text) if len(day_text) == 10 else None
        except ValueError:
            day = None
        if day is None:
            problems.append(Problem(line, "date", N_("%(value)s is not a date (YYYY-MM-DD)"), {"value": day_text}))
        elif not FIRST_YEAR <= day.year <= LAST_YEAR:
            problems.append(Problem(line, "date", N_("%(value)s is outside the years %(first)s–%(last)s."),
                                    {"value": day_text, "first": str(FIRST_YEAR), "last": str(LAST_YEAR)}))
    kind = KIND_WORDS.get(_key(kind_text))
    if not kind_text:
        problems.append(Problem(line, "kind", N_("A value is required.")))
    elif kind is None:
        problems.append(Problem(line, "kind", N_("%(value)s is not one of: %(choices)s"),
                                {"value": kind_text, "choices": "holiday/rest/休, workday/work/班"}))
    if kind == HOLIDAY and name is None:
        problems.append(Problem(line, "name", N_("A rest day needs the name of its holiday.")))
    if name is not None and len(name) > NAME_MAX:
        problems.append(Problem(line, "name", N_("The name is longer than %(limit)s characters."),
                                {"limit": str(NAME_MAX)}))
    if len(problems) > found or day is None or kind is None:
        return None
    return AdditionRow(line, day, kind, name)


# --- what an import does ---------------------------------------------------------------------


@dataclass(frozen=True)
class Stored:
    """An addition already stored in the import's scope (system-wide or one round's)."""

    kind: str
    name: str | None


@dataclass(frozen=True)
class DayState:
    """How a calendar counts a day: `holiday` (with its name), `workday` (make-up), `weekday`,
    `weekend`, or `unknown` (its year has no data)."""

    kind: str
    name: str | None = None


@dataclass(frozen=True)
class PlannedRow:
    """A row of a clean file and what storing it does: `new` adds it, else it is stored already."""

    row: AdditionRow
    new: bool
    #: the day as the calendar counted it before the import (see `day_state`)
    before: DayState


def day_state(holidays: HolidayCalendar, day: date) -> DayState:
    """How `holidays` counts `day`, naming the holiday of a rest day or make-up working day."""
    if day.year not in holidays.known_years():
        return DayState("unknown")
    if day in holidays.holidays:
        return DayState(HOLIDAY, holidays.holidays[day] or None)
    if day in holidays.workdays:
        return DayState(WORKDAY)
    if day.year in PUBLISHED_YEARS and day in chinese_calendar.holidays:
        return DayState(HOLIDAY, chinese_calendar.holidays[day])
    if day.year in PUBLISHED_YEARS and day in chinese_calendar.workdays:
        return DayState(WORKDAY, chinese_calendar.workdays[day])
    return DayState("weekday" if day.weekday() < 5 else "weekend")


def plan_additions(rows: Sequence[AdditionRow], stored: Mapping[date, Stored],
                   holidays: HolidayCalendar) -> tuple[list[PlannedRow], list[Problem]]:
    """What storing `rows` in a scope holding `stored` does, and every row that cannot be stored.

    A row identical to a stored addition is stored already (importing a file twice adds
    nothing). A row that contradicts a stored one (same day, other kind or other name) is a
    problem, as is a day listed twice in the file. `holidays` is the calendar the scope
    counts with now, for the preview's "before".
    """
    planned: list[PlannedRow] = []
    problems: list[Problem] = []
    first_line: dict[date, int] = {}
    for row in rows:
        if row.day in first_line:
            problems.append(Problem(row.line, "date", N_("%(day)s is listed already, on line %(line)s."),
                                    {"day": row.day.isoformat(), "line": str(first_line[row.day])}))
            continue
        first_line[row.day] = row.line
        taken = stored.get(row.day)
        if taken is not None and taken.kind != row.kind:
            problems.append(Problem(row.line, "kind", N_(
                "%(day)s is stored already as the other kind; remove that addition first."),
                {"day": row.day.isoformat()}))
            continue
        if taken is not None and taken.name != row.name:
            problems.append(Problem(row.line, "name", N_(
                "%(day)s is stored already with the name %(name)s; remove that addition first."),
                {"day": row.day.isoformat(), "name": taken.name or "—"}))
            continue
        planned.append(PlannedRow(row, taken is None, day_state(holidays, row.day)))
    return planned, problems
