"""Charts (图表): small inline SVG drawn on the server, so pages need no script and no CDN.

Pure functions returning markup: no Flask, no database, no clock. Every label is escaped, and
nothing uses `style` (the CSP has no 'unsafe-inline'): colours are presentation attributes,
which the `.chart-*` classes in app.css may override.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from decimal import Decimal
from xml.sax.saxutils import escape, quoteattr

# Readable on white: bar #0b5cad is 6.3:1, text #1f2328 is 15:1, axis #59636e is 6.1:1
# (WCAG asks 3:1 for graphics, 4.5:1 for text); they match app.css's link, --ink and --muted.
BAR_FILL = "#0b5cad"
INK = "#1f2328"
MUTED = "#59636e"
FONT_SIZE = 12
SMALL_FONT_SIZE = 11
# XML 1.0 forbids these; a label carrying one would make the whole page unparsable as SVG.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def bin_counts(values: Iterable[Decimal], edges: Sequence[Decimal]) -> list[int]:
    """How many values fall in each bin [edges[i], edges[i+1]); the last bin includes its top edge.

    So with edges 0, 10, …, 100 a 60 counts in 60–70 and a 100 in 90–100. Values outside the
    edges are not counted.
    """
    _check_edges(edges)
    counts = [0] * (len(edges) - 1)
    for value in values:
        if value < edges[0] or value > edges[-1]:
            continue
        index = min(bisect_right(edges, value) - 1, len(counts) - 1)
        counts[index] += 1
    return counts


def histogram_svg(values: Sequence[Decimal], *, bins: Sequence[Decimal], title: str,
                  width: int = 360, height: int = 180, empty_label: str = "No data") -> str:
    """A histogram of `values` over the bin edges `bins`: one bar per bin, counts above the bars."""
    counts = bin_counts(values, bins)
    left, right, top, bottom = 28, 12, 32, 22
    plot_width, plot_height = width - left - right, height - top - bottom
    base = top + plot_height
    desc = "; ".join(f"{_number(low)}–{_number(high)}: {count}"
                     for low, high, count in zip(bins, bins[1:], counts))
    parts = [_title_text(title, width)]
    parts.append(_line(left, base, left + plot_width, base))
    if not any(counts):
        parts.append(_empty(empty_label, left + plot_width / 2, top + plot_height / 2))
        return _svg(width, height, title, desc, parts)

    peak = max(counts)
    slot = plot_width / len(counts)
    gap = 1 if slot >= 4 else 0
    for index, count in enumerate(counts):
        # a bin of one among thousands still shows as a sliver, not as nothing
        bar_height = max(plot_height * count / peak, 1.0) if count else 0.0
        x = left + index * slot
        parts.append(f'<rect class="chart-bar" fill="{BAR_FILL}" x="{_px(x + gap / 2)}" '
                     f'y="{_px(base - bar_height)}" width="{_px(slot - gap)}" height="{_px(bar_height)}"/>')
        if count and slot >= 14:
            parts.append(_text(str(count), x + slot / 2, base - bar_height - 3, anchor="middle",
                               size=SMALL_FONT_SIZE))
    # edge labels, thinned out so they never overlap (about 30px each)
    step = max(1, -(-30 // max(int(slot), 1)))
    for index in range(0, len(bins), step):
        parts.append(_text(_number(bins[index]), left + index * slot, base + 14, anchor="middle",
                           size=SMALL_FONT_SIZE, muted=True))
    parts.append(_text("0", left - 4, base, anchor="end", size=SMALL_FONT_SIZE, muted=True))
    parts.append(_text(str(peak), left - 4, top + 4, anchor="end", size=SMALL_FONT_SIZE, muted=True))
    parts.append(_line(left, top, left, base))
    return _svg(width, height, title, desc, parts)


def funnel_svg(stages: Sequence[tuple[str, int]], *, title: str, width: int = 480,
               empty_label: str = "No data") -> str:
    """A funnel: one horizontal bar per stage, in the given order, labelled with its name and count."""
    if any(count < 0 for _, count in stages):
        raise ValueError("stage counts cannot be negative")
    row_height, top = 28, 28
    height = top + max(len(stages), 1) * row_height + 8
    desc = "; ".join(f"{label}: {count}" for label, count in stages)
    parts = [_title_text(title, width)]
    if not stages:
        parts.append(_empty(empty_label, width / 2, top + row_height / 2))
        return _svg(width, height, title, desc, parts)

    label_width = min(width * 0.35, max(_text_width(label) for label, _ in stages) + 8)
    count_width = max(_text_width(str(count)) for _, count in stages) + 8
    plot_left, plot_width = label_width + 8, width - label_width - 8 - count_width
    centre = plot_left + plot_width / 2
    peak = max(count for _, count in stages) or 1
    for index, (label, count) in enumerate(stages):
        y = top + index * row_height
        bar_width = max(plot_width * count / peak, 2.0) if count else 0.0
        middle = y + row_height / 2
        parts.append(f'<rect class="chart-bar" fill="{BAR_FILL}" x="{_px(centre - bar_width / 2)}" '
                     f'y="{_px(y + 3)}" width="{_px(bar_width)}" height="{_px(row_height - 6)}"/>')
        parts.append(_text(_truncate(label, label_width), label_width, middle + 4, anchor="end"))
        parts.append(_text(str(count), centre + bar_width / 2 + 4, middle + 4, anchor="start"))
    return _svg(width, height, title, desc, parts)


# --- drawing helpers --------------------------------------------------------------------

def _check_edges(edges: Sequence[Decimal]) -> None:
    if len(edges) < 2 or any(low >= high for low, high in zip(edges, edges[1:])):
        raise ValueError("bin edges must be at least two strictly increasing numbers")


def _clean(text: str) -> str:
    return _XML_ILLEGAL.sub("", text)


def _svg(width: int, height: int, title: str, desc: str, parts: Sequence[str]) -> str:
    label = _clean(title)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
            f'aria-label={quoteattr(label)} width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}">'
            f"<title>{escape(label)}</title><desc>{escape(_clean(desc))}</desc>"
            + "".join(parts) + "</svg>")


def _title_text(title: str, width: int) -> str:
    return (f'<text class="chart-title" fill="{INK}" x="0" y="16" font-size="{FONT_SIZE + 1}" '
            f'font-weight="600">{escape(_truncate(_clean(title), width))}</text>')


def _text(content: str, x: float, y: float, *, anchor: str, size: int = FONT_SIZE,
          muted: bool = False) -> str:
    css = "chart-label chart-muted" if muted else "chart-label"
    return (f'<text class="{css}" fill="{MUTED if muted else INK}" x="{_px(x)}" y="{_px(y)}" '
            f'font-size="{size}" text-anchor="{anchor}">{escape(_clean(content))}</text>')


def _empty(label: str, x: float, y: float) -> str:
    return (f'<text class="chart-empty" fill="{MUTED}" x="{_px(x)}" y="{_px(y)}" '
            f'font-size="{FONT_SIZE}" text-anchor="middle">{escape(_clean(label))}</text>')


def _line(x1: float, y1: float, x2: float, y2: float) -> str:
    return (f'<line class="chart-axis" stroke="{MUTED}" x1="{_px(x1)}" y1="{_px(y1)}" '
            f'x2="{_px(x2)}" y2="{_px(y2)}"/>')


def _px(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".") or "0"


def _number(value: Decimal) -> str:
    return format(value.normalize(), "f")


def _text_width(text: str) -> float:
    """Rough width in px at FONT_SIZE; the server cannot measure fonts, CJK glyphs are about square."""
    return sum(FONT_SIZE if unicodedata.east_asian_width(ch) in ("W", "F") else FONT_SIZE * 0.6
               for ch in text)


def _truncate(text: str, limit: float) -> str:
    if _text_width(text) <= limit:
        return text
    while text and _text_width(text + "…") > limit:
        text = text[:-1]
    return text + "…"
