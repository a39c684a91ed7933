"""Public notices (公告公示) as PDF, A4: publicity and inspection notices, free notices, lists.

Pure rendering, like `exams.pdf` whose embedded WenQuanYi Micro Hei font and line
breaking it reuses: every word arrives in the reader's language, so this module needs no
Flask and no database. A document is a title, paragraphs, tables and a signature; it flows
over as many pages as it needs, a table's head repeated on each page, pages numbered.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field

from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from exams.pdf import CONTENT_WIDTH, MARGIN, PAGE_HEIGHT, PAGE_WIDTH, font, wrap

TITLE_SIZE = 18
HEADING_SIZE = 13
BODY_SIZE = 11
CELL_SIZE = 10
LEADING = 1.6
CELL_PADDING = 1.8 * mm
#: nothing is drawn below this line but the page number
BOTTOM = MARGIN + 8 * mm


@dataclass(frozen=True)
class Table:
    """A table: its column heads and rows of text; `widths` are shares of the line (default equal)."""

    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    widths: tuple[float, ...] | None = None

    def column_widths(self) -> list[float]:
        shares = self.widths or tuple(1.0 for _ in self.columns)
        total = sum(shares)
        return [CONTENT_WIDTH * share / total for share in shares]


@dataclass(frozen=True)
class Section:
    """A heading (optional), then paragraphs, then a table (optional)."""

    heading: str | None = None
    paragraphs: tuple[str, ...] = ()
    table: Table | None = None


@dataclass(frozen=True)
class NoticeDocument:
    """One notice, every word in the reader's language."""

    title: str
    #: a line above the title: the round's title
    kicker: str = ""
    sections: tuple[Section, ...] = ()
    #: right-aligned closing lines: who publishes it, and the date
    signature: tuple[str, ...] = ()
    #: "Page %(page)s of %(pages)s", translated, with those placeholders
    page_of: str = "%(page)s / %(pages)s"
    #: the PDF's own title (document properties)
    meta_title: str = field(default="")


_Op = Callable[[Canvas], None]


class _Layout:
    """Drawing operations placed on pages; a new page starts when the next block would not fit."""

    def __init__(self) -> None:
        self.pages: list[list[_Op]] = [[]]
        self.y = PAGE_HEIGHT - MARGIN

    def need(self, height: float) -> None:
        if self.y - height < BOTTOM and self.pages[-1]:
            self.pages.append([])
            self.y = PAGE_HEIGHT - MARGIN

    def text(self, line: str, size: float, *, x: float = MARGIN, align: str = "left") -> None:
        self.need(size * LEADING)
        self.y -= size * LEADING
        y = self.y

        def draw(canvas: Canvas) -> None:
            canvas.setFont(font(), size)
            if align == "centre":
                canvas.drawCentredString(PAGE_WIDTH / 2, y, line)
            elif align == "right":
                canvas.drawRightString(PAGE_WIDTH - MARGIN, y, line)
            else:
                canvas.drawString(x, y, line)

        self.pages[-1].append(draw)

    def gap(self, height: float) -> None:
        self.y -= height

    def paragraph(self, text: str, size: float, *, indent: bool = True) -> None:
        # a Chinese paragraph opens with two full-width spaces' indent (首行缩进两字)
        first = "\u3000\u3000" if indent else ""
        for number, part in enumerate(text.splitlines() or [""]):
            lines = wrap((first if part.strip() else "") + part.strip(), size, CONTENT_WIDTH)
            for line in lines:
                self.text(line, size)
            if number < len(text.splitlines()) - 1:
                self.gap(size * 0.3)

    def table(self, table: Table) -> None:
        widths = table.column_widths()
        head = [wrap(column, CELL_SIZE, width - 2 * CELL_PADDING) for column, width in zip(table.columns, widths)]
        self.need(self._height(head) * 2)
        self._row(head, widths, bold=True)
        for row in table.rows:
            cells = [wrap(value, CELL_SIZE, width - 2 * CELL_PADDING) for value, width in zip(row, widths)]
            if self.y - self._height(cells) < BOTTOM:
                self.need(PAGE_HEIGHT)
                self._row(head, widths, bold=True)
            self._row(cells, widths)

    @staticmethod
    def _height(cells: list[list[str]]) -> float:
        return max(len(lines) for lines in cells) * CELL_SIZE * 1.35 + 2 * CELL_PADDING

    def _row(self, cells: list[list[str]], widths: list[float], *, bold: bool = False) -> None:
        height = self._height(cells)
        top = self.y
        self.y -= height

        def draw(canvas: Canvas) -> None:
            canvas.setLineWidth(0.8 if bold else 0.4)
            if bold:
                canvas.setFillGray(0.92)
                canvas.rect(MARGIN, top - height, CONTENT_WIDTH, height, stroke=0, fill=1)
                canvas.setFillGray(0)
            x = MARGIN
            canvas.setFont(font(), CELL_SIZE)
            for lines, width in zip(cells, widths):
                canvas.rect(x, top - height, width, height)
                y = top - CELL_PADDING - CELL_SIZE
                for line in lines:
                    canvas.drawString(x + CELL_PADDING, y, line)
                    y -= CELL_SIZE * 1.35
                x += width

        self.pages[-1].append(draw)


def render_notice(document: NoticeDocument) -> bytes:
    """The notice as an A4 PDF with the bundled font embedded (subset)."""
    layout = _Layout()
    if document.kicker:
        for line in wrap(document.kicker, BODY_SIZE, CONTENT_WIDTH):
            layout.text(line, BODY_SIZE, align="centre")
    for line in wrap(document.title, TITLE_SIZE, CONTENT_WIDTH):
        layout.text(line, TITLE_SIZE, align="centre")
    layout.gap(6 * mm)
    for section in document.sections:
        if section.heading:
            layout.gap(2 * mm)
            for line in wrap(section.heading, HEADING_SIZE, CONTENT_WIDTH):
                layout.text(line, HEADING_SIZE)
        for text in section.paragraphs:
            layout.paragraph(text, BODY_SIZE)
            layout.gap(BODY_SIZE * 0.4)
        if section.table is not None:
            layout.gap(2 * mm)
            layout.table(section.table)
            layout.gap(3 * mm)
    if document.signature:
        layout.gap(10 * mm)
        for line in document.signature:
            layout.text(line, BODY_SIZE, align="right")

    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=(PAGE_WIDTH, PAGE_HEIGHT), pageCompression=1, invariant=1)
    canvas.setTitle(document.meta_title or document.title)
    canvas.setCreator("open-selection")
    pages = len(layout.pages)
    for number, operations in enumerate(layout.pages, 1):
        for draw in operations:
            draw(canvas)
        canvas.setFont(font(), 9)
        canvas.drawCentredString(PAGE_WIDTH / 2, MARGIN / 2, document.page_of % {"page": number, "pages": pages})
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()
