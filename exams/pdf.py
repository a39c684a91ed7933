"""Admission tickets (准考证) and exam-room sign-in sheets (考场签到表) as PDF, A4.

Pure rendering: every word arrives already in the reader's language (the views take it
from the catalog), so this module needs no Flask and no database. The bundled WenQuanYi
Micro Hei font (exams/fonts) is embedded, subset, in every file, so Chinese renders the
same everywhere and extracts back as text.

Ten thousand tickets make one file in seconds, not minutes: the font is registered once
per process; everything a ticket page shares with the others (titles, the grid, labels,
the candidate instructions) is drawn once as a form XObject and placed on each page;
and the QR code (zxing-cpp, compiled) is drawn as one path of filled runs.
"""

from __future__ import annotations

import hashlib
import io
import re
from importlib.metadata import version
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from itertools import accumulate, repeat
from pathlib import Path

import reportlab
import zxingcpp
from reportlab import rl_config
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.pdfgen.pathobject import PDFPathObject

FONT_NAME = "WenQuanYiMicroHei"
FONT_PATH = Path(__file__).resolve().parent / "fonts" / "wqy-microhei.ttc"

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 18 * mm
CONTENT_WIDTH = PAGE_WIDTH - 2 * MARGIN

#: QR mask pattern used for every code. Any of the eight is valid and every reader decodes
#: it; scoring all eight to pick the "best" (as encoders do by default) is nine tenths of
#: zxing-cpp's time for a ticket's code.
QR_MASK = 2
QR_SIZE = 34 * mm
#: modules of white space around the code (the QR standard's quiet zone)
QR_QUIET = 4


#: Streams are written compressed and binary, not also ASCII85-encoded: a fifth smaller, and
#: one pure-Python pass over every page fewer. (A reportlab setting; nothing else here uses it.)
rl_config.useA85 = 0


#: What decides a ticket's bytes besides its words: this module's drawing, the libraries that
#: draw and encode, and the font. A ticket stored by another version of any of them is not
#: served (`ticket_digest`); the font is named by its size, not hashed (5 MB at every import).
_LAYOUT = hashlib.sha256(b"\x00".join((
    Path(__file__).read_bytes(), reportlab.Version.encode(), version("zxing-cpp").encode(),
    f"{FONT_PATH.name}:{FONT_PATH.stat().st_size}".encode()))).hexdigest()


@cache
def font() -> str:
    """The registered name of the bundled font (registered once per process)."""
    pdfmetrics.registerFont(TTFont(FONT_NAME, str(FONT_PATH), subfontIndex=0))
    return FONT_NAME


# ---------------------------------------------------------------- what is printed


@dataclass(frozen=True)
class TicketWords:
    """The words every ticket of one file shares, in the reader's language."""

    #: the round's title, printed above the document's name
    round_title: str
    #: "笔试准考证"
    document: str
    #: field labels, in the order `Ticket.values` gives the values
    labels: tuple[str, ...]
    #: the exam's time and papers, the same for every ticket
    exam_time: str
    papers: str
    #: "考生须知" and its numbered points
    instructions_heading: str
    instructions: tuple[str, ...]
    #: printed under the QR code
    qr_caption: str


@dataclass(frozen=True)
class Ticket:
    """One candidate's admission ticket."""

    number: str
    name: str
    position: str
    venue: str
    address: str
    room: str
    seat: str
    #: the absolute verification URL the QR code carries
    verify_url: str

    def values(self, words: TicketWords) -> tuple[str, ...]:
        """The values of the field rows, matching `TicketWords.labels`."""
        return (self.number, self.name, self.position, self.venue, self.address, self.room, self.seat,
                words.exam_time, words.papers)


@dataclass(frozen=True)
class SignInWords:
    """The words of a sign-in sheet, in the reader's language."""

    round_title: str
    #: "考场签到表"
    document: str
    #: venue, address, room, exam time: labels of the head lines
    venue: str
    address: str
    room: str
    exam_time_label: str
    exam_time: str
    #: seat, ticket number, name, position, signature: the column heads
    columns: tuple[str, str, str, str, str]
    #: the invigilators' line at the foot of each page
    footer: str
    #: "Page %(page)s of %(pages)s", already translated, with those placeholders
    page_of: str


@dataclass(frozen=True)
class SignInRow:
    seat: str
    number: str
    name: str
    position: str


@dataclass(frozen=True)
class SignInRoom:
    """One room's sheet: where it is and who sits there, by seat."""

    venue: str
    address: str
    room: str
    rows: tuple[SignInRow, ...]


# ---------------------------------------------------------------- text helpers


_TOKEN = re.compile(r"[A-Za-z0-9@#&'’\-.,;:!?%/()\[\]]+ ?| |.", re.S)


@lru_cache(maxsize=16384)
def _width(text: str, size: float) -> float:
    """The width of `text` in the bundled font. Cached: ten thousand tickets print the same venues,
    rooms, times and positions, and reportlab measures character by character in Python."""
    return pdfmetrics.stringWidth(text, font(), size)


def wrap(text: str, size: float, width: float) -> list[str]:
    """Lines of `text` no wider than `width`: Chinese breaks anywhere, Latin words stay whole."""
    if _width(text, size) <= width:
        return [text]
    lines: list[str] = []
    line = ""
    for token in _TOKEN.findall(text):
        candidate = line + token
        if line and _width(candidate.rstrip(), size) > width:
            lines.append(line.rstrip())
            line = token.lstrip()
        else:
            line = candidate
    if line.strip() or not lines:
        lines.append(line.rstrip())
    return lines


def fit(text: str, size: float, width: float, *, smallest: float = 7) -> tuple[float, list[str]]:
    """The font size (from `size` down to `smallest`) at which `text` fits in two lines of `width`.

    Text that does not fit even at `smallest` ends its second line with an ellipsis.
    """
    while True:
        lines = wrap(text, size, width)
        if len(lines) <= 2:
            return size, lines
        if size - 0.5 < smallest:
            return size, [lines[0], _ellipsized("".join(lines[1:]), size, width)]
        size -= 0.5


def _ellipsized(text: str, size: float, width: float) -> str:
    while text and _width(text + "…", size) > width:
        text = text[:-1]
    return text + "…"


# ---------------------------------------------------------------- admission tickets


_TICKET_FORM = "ticket"
_HEAD_TOP = PAGE_HEIGHT - MARGIN
_TABLE_TOP = _HEAD_TOP - QR_SIZE - 12 * mm
_ROW_HEIGHT = 12 * mm
_LABEL_WIDTH = 30 * mm
_VALUE_X = MARGIN + _LABEL_WIDTH + 3 * mm
_VALUE_WIDTH = CONTENT_WIDTH - _LABEL_WIDTH - 6 * mm
#: the value rows printed larger: ticket number, name, room, seat
_PROMINENT = frozenset({0, 1, 5, 6})


def ticket_digest(ticket: Ticket, words: TicketWords) -> str:
    """A fingerprint of `render_tickets([ticket], words)`: what it prints and the code that draws it.

    Two equal digests make the same bytes (the canvas is invariant: no date, no random id),
    so a stored ticket whose digest matches is the ticket as it would be rendered now.
    """
    return hashlib.sha256(repr((_LAYOUT, ticket, words)).encode("utf-8")).hexdigest()


def render_tickets(tickets: Iterable[Ticket], words: TicketWords) -> bytes:
    """One A4 page per ticket, in the order given."""
    buffer = io.BytesIO()
    canvas = _canvas(buffer, words.document)
    _draw_ticket_form(canvas, words)
    pages = 0
    for ticket in tickets:
        canvas.doForm(_TICKET_FORM)
        _draw_ticket_values(canvas, ticket, words)
        draw_qr(canvas, ticket.verify_url, PAGE_WIDTH - MARGIN - QR_SIZE, _HEAD_TOP - QR_SIZE, QR_SIZE)
        canvas.showPage()
        pages += 1
    if pages == 0:
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _canvas(buffer: io.BytesIO, title: str) -> Canvas:
    canvas = Canvas(buffer, pagesize=A4, pageCompression=1, invariant=1)
    canvas.setTitle(title)
    canvas.setCreator("open-selection")
    return canvas


def _draw_ticket_form(canvas: Canvas, words: TicketWords) -> None:
    """Everything a ticket page shares, drawn once and placed on every page."""
    name = font()
    canvas.beginForm(_TICKET_FORM)
    title_width = CONTENT_WIDTH - QR_SIZE - 6 * mm
    size, lines = fit(words.round_title, 15, title_width)
    y = _HEAD_TOP - 8 * mm
    canvas.setFont(name, size)
    for line in lines:
        canvas.drawCentredString(MARGIN + title_width / 2, y, line)
        y -= size * 1.35
    size = 24
    while size > 12 and pdfmetrics.stringWidth(words.document, name, size) > title_width:
        size -= 1
    canvas.setFont(name, size)
    canvas.drawCentredString(MARGIN + title_width / 2, y - 8 * mm, words.document)
    canvas.setFont(name, 9)
    canvas.drawCentredString(PAGE_WIDTH - MARGIN - QR_SIZE / 2, _HEAD_TOP - QR_SIZE - 4 * mm, words.qr_caption)

    rows = len(words.labels)
    bottom = _TABLE_TOP - rows * _ROW_HEIGHT
    canvas.setLineWidth(0.8)
    canvas.rect(MARGIN, bottom, CONTENT_WIDTH, rows * _ROW_HEIGHT)
    canvas.setLineWidth(0.4)
    canvas.line(MARGIN + _LABEL_WIDTH, bottom, MARGIN + _LABEL_WIDTH, _TABLE_TOP)
    for index, label in enumerate(words.labels):
        top = _TABLE_TOP - index * _ROW_HEIGHT
        if index:
            canvas.line(MARGIN, top, MARGIN + CONTENT_WIDTH, top)
        _centred_lines(canvas, label, MARGIN + _LABEL_WIDTH / 2, top - _ROW_HEIGHT / 2, _LABEL_WIDTH - 3 * mm, 11)

    y = bottom - 12 * mm
    canvas.setFont(name, 13)
    canvas.drawString(MARGIN, y, words.instructions_heading)
    y -= 8 * mm
    body = 10.5
    canvas.setFont(name, body)
    for number, point in enumerate(words.instructions, 1):
        marker = f"{number}. "
        indent = pdfmetrics.stringWidth(marker, name, body)
        canvas.drawString(MARGIN, y, marker)
        for line in wrap(point, body, CONTENT_WIDTH - indent):
            canvas.drawString(MARGIN + indent, y, line)
            y -= body * 1.6
        y -= body * 0.4
    canvas.endForm()


def _centred_lines(canvas: Canvas, text: str, x: float, middle: float, width: float, size: float) -> None:
    """`text` centred on (x, middle) in one or two lines no wider than `width`, shrunk if need be."""
    size, lines = fit(text, size, width)
    canvas.setFont(font(), size)
    if len(lines) == 1:
        canvas.drawCentredString(x, middle - size * 0.36, lines[0])
    else:
        canvas.drawCentredString(x, middle + size * 0.25, lines[0])
        canvas.drawCentredString(x, middle - size * 1.05, lines[1])


def _draw_ticket_values(canvas: Canvas, ticket: Ticket, words: TicketWords) -> None:
    name = font()
    for index, value in enumerate(ticket.values(words)):
        middle = _TABLE_TOP - index * _ROW_HEIGHT - _ROW_HEIGHT / 2
        size, lines = fit(value, 14 if index in _PROMINENT else 11, _VALUE_WIDTH)
        canvas.setFont(name, size)
        if len(lines) == 1:
            canvas.drawString(_VALUE_X, middle - size * 0.36, lines[0])
        else:
            canvas.drawString(_VALUE_X, middle + size * 0.25, lines[0])
            canvas.drawString(_VALUE_X, middle - size * 1.05, lines[1])


#: a row of `qr_rows` as its runs: dark and light alternate
_RUNS = re.compile(rb"\x00+|\xff+")


class _RunCodes(dict[tuple[int, int, int], str]):
    """(x, y, width) of a run of dark modules → its rectangle in a path, "x y width 1 re", made
    once: a code has some 360 runs, and formatting three numbers for each was a third of a page."""

    def __missing__(self, key: tuple[int, int, int]) -> str:
        x, y, width = key
        code = self[key] = f"{x} {y} {width} 1 re"
        return code


_RUN_CODES = _RunCodes()


def qr_rows(data: str) -> list[bytes]:
    """The QR code of `data` (error correction M, byte mode, mask `QR_MASK`), one row of modules a
    bytes: 0 dark, 255 light.

    Encoded by zxing-cpp (compiled), given bytes and the mask: 0.03 ms a code, where the
    pure-Python encoders took 0.8 ms (segno, with one fixed mask) to 7 ms (reportlab's own,
    all eight masks scored), most of a ticket page's time (docs/performance.md). Given a str,
    zxing-cpp spends longer choosing an encoding; a URL is ASCII, so bytes encode the same text.
    """
    image = zxingcpp.create_barcode(data.encode("utf-8"), zxingcpp.BarcodeFormat.QRCode, ec_level="M",
                                    data_mask=QR_MASK).to_image(scale=1, add_quiet_zones=False)
    width = image.shape[1]
    modules = bytes(memoryview(image))
    return [modules[start:start + width] for start in range(0, len(modules), width)]


class _ModulePath(PDFPathObject):
    """A path of QR modules in module units: whole numbers, written without float formatting."""

    def runs(self, code: list[str]) -> None:
        self._code_append(" ".join(code))


def draw_qr(canvas: Canvas, data: str, x: float, y: float, size: float) -> None:
    """The QR code of `data` in the square (x, y, size), quiet zone included: one path of the
    horizontal runs of dark modules, found by a regular expression over each row's bytes."""
    rows = qr_rows(data)
    count = len(rows)
    unit = size / (count + 2 * QR_QUIET)
    code: list[str] = []
    for row, cells in enumerate(rows):
        # the runs' lengths and where they start, found in C (findall, map, accumulate), not per module
        lengths = list(map(len, _RUNS.findall(cells)))
        starts = list(accumulate(lengths, initial=0))
        dark = 0 if cells[:1] == b"\x00" else 1
        code.extend(map(_RUN_CODES.__getitem__, zip(starts[dark::2], repeat(count - 1 - row), lengths[dark::2])))
    path = _ModulePath()
    path.runs(code)
    canvas.saveState()
    canvas.transform(unit, 0, 0, unit, x + QR_QUIET * unit, y + QR_QUIET * unit)
    canvas.drawPath(path, stroke=0, fill=1)
    canvas.restoreState()


# ---------------------------------------------------------------- sign-in sheets


_SHEET_ROW = 10 * mm
#: seats a page: the head (two title lines at most), 16 table lines and the invigilators' line
#: fit between the margins; a room of 30 fills two pages
_SHEET_ROWS_PER_PAGE = 15
#: column widths: seat, ticket number, name, position, signature
_SHEET_COLUMNS = (16 * mm, 34 * mm, 30 * mm, 58 * mm, CONTENT_WIDTH - 138 * mm)


def render_sign_in_sheets(rooms: Sequence[SignInRoom], words: SignInWords) -> bytes:
    """Each room's sign-in sheet (考场签到表), rooms one after another, each from a new page."""
    buffer = io.BytesIO()
    canvas = _canvas(buffer, words.document)
    for room in rooms:
        chunks = [room.rows[i:i + _SHEET_ROWS_PER_PAGE]
                  for i in range(0, len(room.rows), _SHEET_ROWS_PER_PAGE)] or [()]
        for page, rows in enumerate(chunks, 1):
            _draw_sheet_page(canvas, room, rows, words, page, len(chunks))
            canvas.showPage()
    if not rooms:
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _draw_sheet_page(canvas: Canvas, room: SignInRoom, rows: Sequence[SignInRow], words: SignInWords,
                     page: int, pages: int) -> None:
    name = font()
    y = PAGE_HEIGHT - MARGIN - 6 * mm
    size, lines = fit(words.round_title, 13, CONTENT_WIDTH)
    canvas.setFont(name, size)
    for line in lines:
        canvas.drawCentredString(PAGE_WIDTH / 2, y, line)
        y -= size * 1.35
    canvas.setFont(name, 20)
    canvas.drawCentredString(PAGE_WIDTH / 2, y - 6 * mm, words.document)
    y -= 16 * mm
    canvas.setFont(name, 10.5)
    for label, value in ((words.venue, room.venue), (words.address, room.address), (words.room, room.room),
                         (words.exam_time_label, words.exam_time)):
        canvas.drawString(MARGIN, y, f"{label}: {value}")
        y -= 6 * mm

    top = y - 2 * mm
    edges = [MARGIN]
    for width in _SHEET_COLUMNS:
        edges.append(edges[-1] + width)
    lines_count = len(rows) + 1
    bottom = top - lines_count * _SHEET_ROW
    canvas.setLineWidth(0.8)
    canvas.rect(MARGIN, bottom, CONTENT_WIDTH, top - bottom)
    canvas.setLineWidth(0.4)
    for edge in edges[1:-1]:
        canvas.line(edge, bottom, edge, top)
    for index in range(1, lines_count):
        canvas.line(MARGIN, top - index * _SHEET_ROW, MARGIN + CONTENT_WIDTH, top - index * _SHEET_ROW)
    for column, head in enumerate(words.columns):
        _centred_lines(canvas, head, (edges[column] + edges[column + 1]) / 2, top - _SHEET_ROW / 2,
                       _SHEET_COLUMNS[column] - 2 * mm, 11)
    for index, row in enumerate(rows, 1):
        middle = top - index * _SHEET_ROW - _SHEET_ROW / 2
        for column, value in enumerate((row.seat, row.number, row.name, row.position)):
            width = _SHEET_COLUMNS[column] - 3 * mm
            size, text = fit(value, 11, width, smallest=6.5)
            canvas.setFont(name, size)
            x = edges[column] + 1.5 * mm
            if len(text) == 1:
                canvas.drawString(x, middle - size * 0.36, text[0])
            else:
                canvas.drawString(x, middle + size * 0.2, text[0])
                canvas.drawString(x, middle - size * 1.0, text[1])

    canvas.setFont(name, 10.5)
    canvas.drawString(MARGIN, bottom - 10 * mm, words.footer)
    canvas.setFont(name, 9)
    canvas.drawCentredString(PAGE_WIDTH / 2, MARGIN / 2, words.page_of % {"page": page, "pages": pages})
