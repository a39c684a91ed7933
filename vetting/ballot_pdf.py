"""Voting slips (投票凭证) of an online secret ballot as a PDF: a grid of cut-out slips on A4.

Pure rendering, like exams/pdf.py whose font and QR encoder it reuses: every word arrives in the
reader's language. Each slip carries the round, the unit and the kind of vote, a QR code of the
voting page with the token in the URL fragment, the token in text, and short instructions.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from exams.pdf import draw_qr, fit, font, wrap
from vetting.ballot_rules import grouped

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 10 * mm
COLUMNS, ROWS = 2, 4
SLIP_WIDTH = (PAGE_WIDTH - 2 * MARGIN) / COLUMNS
SLIP_HEIGHT = (PAGE_HEIGHT - 2 * MARGIN) / ROWS
QR_SIZE = 30 * mm
PAD = 4 * mm


@dataclass(frozen=True)
class SlipWords:
    """What every slip of one batch says, already translated."""

    round_title: str
    #: e.g. "公开推荐 · 市交通运输局"
    heading: str
    token_label: str
    instructions: tuple[str, ...]


def render_slips(tokens: Sequence[str], vote_url: str, words: SlipWords) -> bytes:
    """Eight slips a page, with dashed cutting lines; the QR code carries ``<vote_url>#<token>``."""
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, pageCompression=1, invariant=1)
    canvas.setTitle(words.heading)
    canvas.setCreator("open-selection")
    per_page = COLUMNS * ROWS
    for start in range(0, len(tokens), per_page):
        _cutting_lines(canvas)
        for index, token in enumerate(tokens[start:start + per_page]):
            column, row = index % COLUMNS, index // COLUMNS
            x = MARGIN + column * SLIP_WIDTH
            y = PAGE_HEIGHT - MARGIN - (row + 1) * SLIP_HEIGHT
            _slip(canvas, x, y, token, f"{vote_url}#{token}", words)
        canvas.showPage()
    if not tokens:
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _cutting_lines(canvas: Canvas) -> None:
    canvas.saveState()
    canvas.setDash(3, 3)
    canvas.setLineWidth(0.4)
    for column in range(COLUMNS + 1):
        x = MARGIN + column * SLIP_WIDTH
        canvas.line(x, MARGIN, x, PAGE_HEIGHT - MARGIN)
    for row in range(ROWS + 1):
        y = MARGIN + row * SLIP_HEIGHT
        canvas.line(MARGIN, y, PAGE_WIDTH - MARGIN, y)
    canvas.restoreState()


def _slip(canvas: Canvas, x: float, y: float, token: str, url: str, words: SlipWords) -> None:
    name = font()
    width = SLIP_WIDTH - 2 * PAD
    top = y + SLIP_HEIGHT - PAD
    size, lines = fit(words.round_title, 9, width)
    canvas.setFont(name, size)
    for line in lines:
        top -= size * 1.3
        canvas.drawString(x + PAD, top, line)
    size, lines = fit(words.heading, 11, width)
    canvas.setFont(name, size)
    for line in lines:
        top -= size * 1.35
        canvas.drawString(x + PAD, top, line)
    qr_top = top - 2 * mm
    draw_qr(canvas, url, x + PAD, qr_top - QR_SIZE, QR_SIZE)
    text_x = x + PAD + QR_SIZE + 3 * mm
    text_width = SLIP_WIDTH - PAD - (text_x - x)
    canvas.setFont(name, 8)
    canvas.drawString(text_x, qr_top - 4 * mm, words.token_label)
    canvas.setFont("Courier-Bold", 10.5)
    printed = grouped(token)
    # the token in two lines of two groups: readable, and fits beside the code
    parts = printed.split("-")
    half = (len(parts) + 1) // 2
    canvas.drawString(text_x, qr_top - 9 * mm, "-".join(parts[:half]))
    canvas.drawString(text_x, qr_top - 14 * mm, "-".join(parts[half:]))
    body = 7.5
    canvas.setFont(name, body)
    line_y = qr_top - 19 * mm
    for point in words.instructions:
        for line in wrap(point, body, text_width):
            if line_y < y + PAD:
                return
            canvas.drawString(text_x, line_y, line)
            line_y -= body * 1.35
