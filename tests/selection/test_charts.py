"""Charts (图表): bin counting and the inline SVG the pages embed."""

from __future__ import annotations

import ast
import xml.etree.ElementTree as ET
from decimal import Decimal
from pathlib import Path

import pytest

from selection.charts import bin_counts, funnel_svg, histogram_svg

SVG = "{http://www.w3.org/2000/svg}"
TENS = [Decimal(edge) for edge in range(0, 101, 10)]


def _bars(svg: str) -> list[ET.Element]:
    return [rect for rect in ET.fromstring(svg).iter(f"{SVG}rect") if rect.get("class") == "chart-bar"]


def _texts(svg: str) -> list[str]:
    return [text.text or "" for text in ET.fromstring(svg).iter(f"{SVG}text")]


# --- bin_counts -------------------------------------------------------------------------

@pytest.mark.parametrize(("value", "bin_index"), [
    (Decimal("0"), 0), (Decimal("9.99"), 0), (Decimal("59.99"), 5), (Decimal("60"), 6),
    (Decimal("90"), 9), (Decimal("100"), 9),
])
def test_bin_counts_puts_boundaries_in_the_upper_bin_except_the_last_edge(value: Decimal, bin_index: int) -> None:
    counts = bin_counts([value], TENS)

    assert counts == [1 if index == bin_index else 0 for index in range(10)]


def test_bin_counts_ignores_values_outside_the_edges() -> None:
    assert bin_counts([Decimal("-0.01"), Decimal("100.01"), Decimal(50)], TENS) == [0, 0, 0, 0, 0, 1, 0, 0, 0, 0]


def test_bin_counts_of_nothing_is_all_zero() -> None:
    assert bin_counts([], [Decimal(0), Decimal(60), Decimal(100)]) == [0, 0]


@pytest.mark.parametrize("edges", [[], [Decimal(0)], [Decimal(0), Decimal(0)], [Decimal(10), Decimal(0)]])
def test_bin_counts_refuses_edges_that_make_no_bins(edges: list[Decimal]) -> None:
    with pytest.raises(ValueError):
        bin_counts([Decimal(1)], edges)


# --- histogram --------------------------------------------------------------------------

def test_histogram_is_an_accessible_svg() -> None:
    svg = histogram_svg([Decimal(75)], bins=TENS, title="笔试成绩分布")

    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    assert root.get("aria-label") == "笔试成绩分布"
    assert root.find(f"{SVG}title").text == "笔试成绩分布"
    assert "70–80: 1" in root.find(f"{SVG}desc").text
    assert (root.get("width"), root.get("height"), root.get("viewBox")) == ("360", "180", "0 0 360 180")


def test_histogram_draws_one_bar_per_bin_proportional_to_the_counts() -> None:
    values = [Decimal(v) for v in ["5", "55", "59.99", "60", "61", "62", "100"]]

    bars = _bars(histogram_svg(values, bins=TENS, title="t"))

    assert len(bars) == 10
    heights = [float(bar.get("height")) for bar in bars]
    counts = [1, 0, 0, 0, 0, 2, 3, 0, 0, 1]
    tallest = max(heights)
    assert heights == pytest.approx([tallest * count / 3 for count in counts], abs=0.01)
    # bars stand on one baseline
    assert len({round(float(bar.get("y")) + float(bar.get("height")), 1) for bar in bars}) == 1


def test_histogram_labels_counts_and_edges() -> None:
    texts = _texts(histogram_svg([Decimal(60), Decimal(61)], bins=TENS, title="t"))

    assert "2" in texts
    assert {"0", "50", "100"} <= set(texts)


def test_histogram_without_values_says_no_data() -> None:
    svg = histogram_svg([], bins=TENS, title="t", empty_label="暂无数据")

    assert _bars(svg) == []
    assert "暂无数据" in _texts(svg)


def test_histogram_escapes_its_title() -> None:
    title = '<script>alert("x")</script> & "quotes"'

    svg = histogram_svg([Decimal(1)], bins=TENS, title=title)

    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg
    root = ET.fromstring(svg)
    assert root.get("aria-label") == title
    assert root.find(f"{SVG}title").text == title


# --- funnel -----------------------------------------------------------------------------

STAGES = [("报名", 120), ("资格审查", 90), ("笔试", 60), ("面试", 15), ("差额考察", 0)]


def test_funnel_is_an_accessible_svg() -> None:
    root = ET.fromstring(funnel_svg(STAGES, title="选拔进度"))

    assert root.get("role") == "img"
    assert root.get("aria-label") == "选拔进度"
    assert root.find(f"{SVG}title").text == "选拔进度"
    assert root.get("width") == "480"


def test_funnel_draws_one_bar_per_stage_widest_at_the_top() -> None:
    svg = funnel_svg(STAGES, title="t")

    bars = _bars(svg)
    assert len(bars) == 5
    widths = [float(bar.get("width")) for bar in bars]
    assert widths == pytest.approx([widths[0] * count / 120 for _, count in STAGES], abs=0.01)
    assert [float(bar.get("y")) for bar in bars] == sorted(float(bar.get("y")) for bar in bars)
    # centred: a funnel, not a bar chart
    assert len({round(float(bar.get("x")) + float(bar.get("width")) / 2, 1) for bar in bars}) == 1
    texts = _texts(svg)
    for label, count in STAGES:
        assert label in texts and str(count) in texts


def test_funnel_escapes_a_malicious_label() -> None:
    svg = funnel_svg([("<script>alert(1)</script>", 3), ('"><img onerror=x>', 1)], title="t")

    assert "<script>" not in svg and "<img" not in svg
    assert "&lt;script&gt;" in svg
    ET.fromstring(svg)


def test_funnel_drops_characters_xml_cannot_hold() -> None:
    svg = funnel_svg([("a\x00b\x1fc", 1)], title="t\x07")

    assert "abc" in _texts(svg)


def test_funnel_shortens_a_long_label_but_keeps_it_whole_in_the_description() -> None:
    label = "一个非常非常非常非常非常非常非常长的阶段名称"

    svg = funnel_svg([(label, 1)], title="t")

    assert label not in _texts(svg)
    assert any(text.endswith("…") for text in _texts(svg))
    assert label in ET.fromstring(svg).find(f"{SVG}desc").text


def test_funnel_without_stages_says_no_data() -> None:
    svg = funnel_svg([], title="t")

    assert _bars(svg) == []
    assert "No data" in _texts(svg)


def test_funnel_with_all_zero_counts_still_draws() -> None:
    bars = _bars(funnel_svg([("报名", 0), ("笔试", 0)], title="t"))

    assert [float(bar.get("width")) for bar in bars] == [0, 0]


def test_funnel_refuses_negative_counts() -> None:
    with pytest.raises(ValueError):
        funnel_svg([("报名", -1)], title="t")


# --- content security -------------------------------------------------------------------

@pytest.mark.parametrize("svg", [
    histogram_svg([Decimal(50)], bins=TENS, title="t"), histogram_svg([], bins=TENS, title="t"),
    funnel_svg(STAGES, title="t"),
], ids=["histogram", "empty", "funnel"])
def test_charts_need_no_inline_css_or_script(svg: str) -> None:
    elements = list(ET.fromstring(svg).iter())

    assert not any(element.get("style") is not None for element in elements)
    assert not any(element.tag in (f"{SVG}style", f"{SVG}script", f"{SVG}foreignObject") for element in elements)
    assert not any(name.startswith("on") for element in elements for name in element.attrib)
    assert "http://" not in svg.replace('xmlns="http://www.w3.org/2000/svg"', "")


def test_stylesheet_defines_the_chart_classes() -> None:
    css = (Path(__file__).resolve().parents[2] / "selection" / "static" / "css" / "app.css").read_text(encoding="utf-8")

    for name in (".chart ", ".chart-bar", ".chart-axis", ".chart-label", ".chart-empty"):
        assert name in css


def test_module_imports_no_flask_or_database() -> None:
    tree = ast.parse((Path(__file__).resolve().parents[2] / "selection" / "charts.py").read_text(encoding="utf-8"))
    modules = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    modules |= {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}

    assert not any(str(m).startswith(("flask", "sqlalchemy", "selection")) for m in modules)


def test_a_tiny_nonzero_count_stays_visible() -> None:
    bars = _bars(funnel_svg([("报名", 10_000), ("面试", 1), ("试用期", 0)], title="t"))

    assert [float(bar.get("width")) > 0 for bar in bars] == [True, True, False]
