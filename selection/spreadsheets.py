"""Spreadsheets (电子表格): export tables to .xlsx, read uploaded .xlsx back into checked rows.

Pure functions on bytes: no Flask, no database, no clock. Messages are English msgids with
named placeholders; the web edge translates `Problem.message` and fills in `Problem.params`.
"""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from selection.rules import HUNDRED, DomainError, ScoreError, parse_decimal, parse_score

MAX_ROWS = 200_000
MAX_BYTES = 20 * 1024 * 1024
#: Sum of the declared uncompressed sizes inside the zip; a 20 MB upload that inflates past
#: this is a zip bomb, and openpyxl keeps the shared-strings table in memory even when read-only.
MAX_UNPACKED_BYTES = 400 * 1024 * 1024
#: Past this many problems the file is plainly the wrong one; stop rather than list them all.
MAX_PROBLEMS = 1000

# OWASP "CSV injection": a text cell starting with one of these is run as a formula (or DDE
# command) by Excel, WPS and LibreOffice. SECURITY.md P24.
DANGEROUS_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_SHEET_TITLE_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


# --- export -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Sheet:
    """One worksheet to export: a title, a header row, and data rows."""

    title: str
    headers: Sequence[str]
    rows: Sequence[Sequence[object]]


def neutralise(text: str) -> str:
    """Text safe to put in a cell: a dangerous first character gets a leading quote (P24)."""
    text = ILLEGAL_CHARACTERS_RE.sub("", text)
    return "'" + text if text.startswith(DANGEROUS_PREFIXES) else text


def export_xlsx(sheets: Sequence[Sheet]) -> bytes:
    """An .xlsx workbook with one worksheet per `Sheet`; header bold and frozen."""
    if not sheets:
        raise ValueError("a workbook needs at least one sheet")
    # write_only streams rows to a temporary file, so large exports stay small in memory.
    workbook = Workbook(write_only=True)
    titles: set[str] = set()
    for sheet in sheets:
        worksheet = workbook.create_sheet(_sheet_title(sheet.title, titles))
        for index, width in enumerate(_column_widths(sheet), start=1):
            # write-only sheets take column widths only before the first row is written
            worksheet.column_dimensions[get_column_letter(index)].width = width
        worksheet.freeze_panes = "A2"
        bold = Font(bold=True)
        header = []
        for name in sheet.headers:
            cell = _cell(worksheet, name)
            cell.font = bold
            header.append(cell)
        worksheet.append(header)
        for row in sheet.rows:
            worksheet.append([_cell(worksheet, value) for value in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _cell(worksheet: WriteOnlyWorksheet, value: object) -> WriteOnlyCell:
    if value is None:
        return WriteOnlyCell(worksheet, None)
    if isinstance(value, bool):
        return WriteOnlyCell(worksheet, value)
    if isinstance(value, Decimal):
        cell = WriteOnlyCell(worksheet, value)
        cell.number_format = "0.00"
        return cell
    if isinstance(value, (int, float)):
        return WriteOnlyCell(worksheet, value)
    if isinstance(value, datetime):
        # Excel has no time zones; write the wall-clock time the caller chose.
        cell = WriteOnlyCell(worksheet, value.replace(tzinfo=None))
        cell.number_format = "yyyy-mm-dd hh:mm"
        return cell
    if isinstance(value, date):
        cell = WriteOnlyCell(worksheet, value)
        cell.number_format = "yyyy-mm-dd"
        return cell
    cell = WriteOnlyCell(worksheet, neutralise(str(value)))
    # openpyxl infers "f" (formula) for any string starting with "="; pin text as text.
    cell.data_type = "s"
    return cell


def _sheet_title(title: str, taken: set[str]) -> str:
    """A unique sheet title Excel accepts: no []:*?/\\, at most 31 characters."""
    base = _SHEET_TITLE_FORBIDDEN.sub("_", ILLEGAL_CHARACTERS_RE.sub("", title)).strip("'") or "Sheet"
    candidate, counter = base[:31], 1
    while candidate.casefold() in taken:
        counter += 1
        suffix = f" ({counter})"
        candidate = base[: 31 - len(suffix)] + suffix
    taken.add(candidate.casefold())
    return candidate


def display_width(text: str) -> int:
    """Width of `text` in Excel character units: CJK and other wide characters count double."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def _shown(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, datetime):
        return "0000-00-00 00:00"
    if isinstance(value, date):
        return "0000-00-00"
    return str(value)


def _column_widths(sheet: Sheet) -> list[float]:
    widths = [display_width(str(name)) for name in sheet.headers]
    for row in sheet.rows:
        for index, value in enumerate(row):
            longest = max((display_width(line) for line in _shown(value).splitlines()), default=0)
            if index >= len(widths):
                widths.append(longest)
            elif longest > widths[index]:
                widths[index] = longest
    # a little padding; never so narrow the header is cut, never wider than a screen
    return [min(max(width + 2, 8), 60) for width in widths]


# --- reading ----------------------------------------------------------------------------

class CellError(ValueError):
    """A cell value a column parser refuses; `message` is an msgid with %(name)s placeholders."""

    def __init__(self, message: str, **params: object) -> None:
        super().__init__(message % {key: str(value) for key, value in params.items()})
        self.message = message
        self.params = {key: str(value) for key, value in params.items()}


Parser = Callable[[object], object]


@dataclass(frozen=True)
class Column:
    """An expected column: its header as shown in the sheet, the key in `Row.values`, a parser."""

    name: str
    key: str
    parse: Parser
    required: bool = False


@dataclass(frozen=True)
class Row:
    """One data row read from the sheet: its row number there and the parsed values by key."""

    number: int
    values: dict[str, Any]


@dataclass(frozen=True)
class Problem:
    """Something wrong in the file, a row or a cell; `row`/`column` are None when not about one.

    `message` is an English msgid with %(name)s placeholders filled from `params`, so the edge
    can show `_(problem.message) % problem.params` after "第5行 笔试成绩: ".
    """

    row: int | None
    column: str | None
    message: str
    params: Mapping[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        where = ", ".join(part for part in (
            f"row {self.row}" if self.row is not None else "", self.column or "") if part)
        text = self.message % self.params if self.params else self.message
        return f"{where}: {text}" if where else text


@dataclass(frozen=True)
class ReadResult:
    """Rows that parsed cleanly, and every problem found; rows with a problem are left out."""

    rows: list[Row]
    problems: list[Problem]


def read_xlsx(data: bytes, *, headers: Sequence[Column]) -> ReadResult:
    """Read the first worksheet of an .xlsx upload, checking each cell with its column's parser.

    The header row is the first non-blank row; columns may come in any order, and extra columns
    are reported and ignored. Blank rows are skipped. Never raises on a bad file.
    """
    sheet = SheetRows(data, headers=headers)
    rows = list(sheet)
    return ReadResult([] if sheet.refused else rows, sheet.problems)


class SheetRows:
    """`read_xlsx` one row at a time, for a sheet too large to hold as `Row`s (a 100,000-row import).

    Iterate once: the good rows come as they are read, and `problems` grows meanwhile. When
    the whole file is refused (no workbook, too large, damaged, too many rows), `refused` is
    set and `problems` holds only why, as `read_xlsx` returns it: drop the rows already taken.
    """

    def __init__(self, data: bytes, *, headers: Sequence[Column]) -> None:
        self.data = data
        self.columns = headers
        self.problems: list[Problem] = []
        self.refused = False

    def _refuse(self, message: str, **params: object) -> None:
        self.refused = True
        self.problems[:] = _refused(message, **params).problems

    def __iter__(self) -> Iterator[Row]:
        if len(self.data) > MAX_BYTES:
            return self._refuse("The file is larger than %(limit)s MB.", limit=MAX_BYTES // (1024 * 1024))
        unpacked = _unpacked_size(self.data)
        if unpacked is None:
            return self._refuse("The file is not an Excel workbook (.xlsx).")
        if unpacked > MAX_UNPACKED_BYTES:
            return self._refuse("The file unpacks to more than %(limit)s MB.",
                                limit=MAX_UNPACKED_BYTES // (1024 * 1024))
        try:
            workbook = load_workbook(io.BytesIO(self.data), read_only=True, data_only=True)
        # openpyxl raises whatever its zip and XML layers raise on a damaged file; for an upload
        # every one of them means the same thing to the user.
        except Exception:
            return self._refuse("The file is not an Excel workbook (.xlsx).")
        try:
            yield from self._first_sheet(workbook)
        except Exception:
            self._refuse("The file is damaged and could not be read.")
        finally:
            workbook.close()

    def _first_sheet(self, workbook: Any) -> Iterator[Row]:
        if not workbook.worksheets:
            return self._refuse("The workbook has no worksheet.")
        worksheet = workbook.worksheets[0]
        # The stored dimension can claim thousands of columns; ignore it and read what is there.
        worksheet.reset_dimensions()
        # min_row/min_col given so row numbers match the sheet even when the dimension says "B3:…"
        rows = worksheet.iter_rows(min_row=1, min_col=1, values_only=True)

        header_number, header = 0, ()
        for header_number, values in enumerate(rows, start=1):
            if not _is_blank(values):
                header = values
                break
        else:
            return self._refuse("The worksheet is empty.")

        problems, columns = self.problems, self.columns
        positions, usable = _match_headers(header, header_number, columns, problems)
        if not usable:
            return
        width = max(positions.values(), default=-1) + 1
        count = 0
        for number, values in enumerate(rows, start=header_number + 1):
            if _is_blank(values):
                continue
            count += 1
            if count > MAX_ROWS:
                return self._refuse("The sheet has more than %(limit)s rows.", limit=f"{MAX_ROWS:,}")
            row = _parse_row(number, values[:width], positions, columns, problems)
            if row is not None:
                yield row
            if len(problems) >= MAX_PROBLEMS:
                problems.append(Problem(None, None, "Too many problems; stopped after %(limit)s.",
                                        {"limit": str(MAX_PROBLEMS)}))
                return


def _refused(message: str, **params: object) -> ReadResult:
    return ReadResult([], [Problem(None, None, message, {k: str(v) for k, v in params.items()})])


def _unpacked_size(data: bytes) -> int | None:
    """The declared unpacked size of an .xlsx zip, or None when it is no workbook at all.

    zipfile never inflates a member past its declared size, so checking the sum is enough.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError):
        return None
    return unpacked if {"[Content_Types].xml", "xl/workbook.xml"} <= names else None


def _match_headers(header: Sequence[object], number: int, columns: Sequence[Column],
                   problems: list[Problem]) -> tuple[dict[str, int], bool]:
    """Column key → position in the sheet, and whether rows can be read under these headers.

    Records unknown headers (rows are still read) and duplicate or missing ones (they are not).
    """
    wanted = {_header_key(column.name): column for column in columns}
    positions: dict[str, int] = {}
    usable = True
    for index, raw in enumerate(header):
        if raw is None or not str(raw).strip():
            continue
        name = str(raw).strip()
        column = wanted.get(_header_key(name))
        if column is None:
            problems.append(Problem(number, name, "Unknown column; it is ignored."))
        elif column.key in positions:
            problems.append(Problem(number, name, "The column appears more than once."))
            usable = False
        else:
            positions[column.key] = index
    missing = [column.name for column in columns if column.required and column.key not in positions]
    if missing:
        problems.append(Problem(number, None, "Required columns are missing: %(columns)s",
                                {"columns": ", ".join(missing)}))
        usable = False
    return positions, usable


def _header_key(name: str) -> str:
    return unicodedata.normalize("NFKC", name).strip().casefold()


def _parse_row(number: int, values: Sequence[object], positions: Mapping[str, int],
               columns: Sequence[Column], problems: list[Problem]) -> Row | None:
    parsed: dict[str, Any] = {}
    ok = True
    read: set[str] = set()
    for column in columns:
        if column.key in read:
            # another spelling of a column already read: the same cell, the same parser, the same problem
            continue
        read.add(column.key)
        position = positions.get(column.key)
        raw = values[position] if position is not None and position < len(values) else None
        if _is_empty(raw):
            if column.required:
                problems.append(Problem(number, column.name, "A value is required."))
                ok = False
            parsed[column.key] = None
            continue
        try:
            parsed[column.key] = column.parse(raw)
        except CellError as error:
            problems.append(Problem(number, column.name, error.message, error.params))
            ok = False
        except (ValueError, DomainError) as error:
            # a caller's own parser: its message is already a sentence
            problems.append(Problem(number, column.name, str(error)))
            ok = False
    return Row(number, parsed) if ok else None


def _is_empty(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _is_blank(values: Iterable[object]) -> bool:
    return all(_is_empty(value) for value in values)


# --- column parsers ---------------------------------------------------------------------
# Each takes a non-empty cell value as openpyxl returns it (str, int, float, datetime, bool)
# and returns the parsed value or raises CellError.

def text_cell(raw: object) -> str:
    """Text, stripped; a quote added by `neutralise` on export is taken off again."""
    text = _number_text(raw) if isinstance(raw, (int, float)) and not isinstance(raw, bool) else str(raw)
    text = text.strip()
    if text.startswith("'") and text[1:].startswith(DANGEROUS_PREFIXES):
        text = text[1:]
    if not text:
        raise CellError("A value is required.")
    return text


def score_cell(raw: object) -> Decimal:
    """A score (成绩), 0–100 with at most two decimals, exactly as typed: 78.5 → Decimal('78.5')."""
    if isinstance(raw, (datetime, date, bool)):
        raise CellError("%(value)s is not a number", value=raw)
    try:
        # parse_decimal goes through repr() for floats, so no binary float arithmetic here
        return parse_score(raw)
    except ScoreError:
        pass
    try:
        value = parse_decimal(raw)
    except ScoreError:
        raise CellError("%(value)s is not a number", value=raw) from None
    if value < 0 or value > HUNDRED:
        raise CellError("%(value)s is outside 0–100", value=_number_text(raw))
    raise CellError("%(value)s has more than 2 decimals", value=_number_text(raw))


def whole_number_cell(raw: object) -> int:
    """A whole number ≥ 0 (a count, a seat number); 12 and "12" and 12.0 are all 12."""
    if isinstance(raw, (datetime, date, bool)):
        raise CellError("%(value)s is not a whole number", value=raw)
    try:
        value = parse_decimal(raw)
    except ScoreError:
        raise CellError("%(value)s is not a whole number", value=raw) from None
    if value != value.to_integral_value():
        raise CellError("%(value)s is not a whole number", value=_number_text(raw))
    if value < 0:
        raise CellError("%(value)s is negative", value=_number_text(raw))
    return int(value)


def date_cell(raw: object) -> date:
    """A date: an Excel date cell or text 'YYYY-MM-DD'."""
    if isinstance(raw, datetime):
        if raw.time() != datetime.min.time():
            raise CellError("%(value)s is not a date (it has a time of day)", value=raw.isoformat(sep=" "))
        return raw.date()
    if isinstance(raw, date):
        return raw
    text = str(raw).strip()
    # Excel serial numbers in a General cell are ambiguous; only the ISO form is accepted as text.
    if isinstance(raw, str) and _ISO_DATE.fullmatch(text):
        try:
            return date.fromisoformat(text)
        except ValueError:
            pass
    raise CellError("%(value)s is not a date (YYYY-MM-DD)", value=_number_text(raw))


def choice_cell(choices: Mapping[str, object]) -> Parser:
    """A parser accepting only the given cell texts (Chinese or English), mapped to their values."""
    exact = {text.strip(): value for text, value in choices.items()}
    folded = {_header_key(text): value for text, value in choices.items()}
    listed = ", ".join(exact)

    def parse(raw: object) -> object:
        text = _number_text(raw) if isinstance(raw, (int, float)) and not isinstance(raw, bool) else str(raw)
        text = text.strip()
        if text in exact:
            return exact[text]
        if _header_key(text) in folded:
            return folded[_header_key(text)]
        raise CellError("%(value)s is not one of: %(choices)s", value=text, choices=listed)

    return parse


def _number_text(raw: object) -> str:
    """A cell value as the user typed it: 78.5 not 78.50000000000001, 12 not 12.0."""
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    if isinstance(raw, float):
        return repr(raw)
    return str(raw).strip()


# --- templates --------------------------------------------------------------------------

def template_xlsx(title: str, columns: Sequence[Column] | Sequence[str],
                  example_rows: Sequence[Sequence[object]] = ()) -> bytes:
    """A blank upload template: the header row read_xlsx expects, plus optional example rows."""
    names = [column if isinstance(column, str) else column.name for column in columns]
    return export_xlsx([Sheet(title, names, example_rows)])
