"""SVG charts: valid XML, geometry proportional to data, user text escaped."""

import itertools
import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest

from core.ui.charts import bar_chart, line_chart, nice_ticks, pie_chart

NS = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == f"{NS}svg"
    return root


def by_class(root: ET.Element, tag: str, cls: str) -> list[ET.Element]:
    return [e for e in root.iter(f"{NS}{tag}") if e.get("class") == cls]


def texts(root: ET.Element) -> str:
    return " ".join("".join(e.itertext()) for e in root.iter(f"{NS}text"))


@pytest.mark.parametrize(("low", "high", "expected"), [
    (0, 10, [0, 2, 4, 6, 8, 10]),
    (0, 7, [0, 2, 4, 6, 8]),
    (-3, 8, [-5, 0, 5, 10]),
    (0, 0.37, [0, 0.1, 0.2, 0.3, 0.4]),
    (0, 1234, [0, 500, 1000, 1500]),
    (5, 5, [0, 1, 2, 3, 4, 5]),
    (0, 0, [0, 0.2, 0.4, 0.6, 0.8, 1]),
])
def test_nice_ticks(low, high, expected):
    assert nice_ticks(low, high) == pytest.approx(expected)


def test_nice_ticks_cover_the_range_with_even_steps():
    for low, high in [(-17.3, 93.1), (0.002, 0.009), (120, 980), (-1e6, -2e5)]:
        ticks = nice_ticks(low, high)
        assert ticks[0] <= low and ticks[-1] >= high
        steps = {round(b - a, 9) for a, b in itertools.pairwise(ticks)}
        assert len(steps) == 1
        assert 3 <= len(ticks) <= 11


def test_bar_chart_bars_are_proportional():
    root = parse(bar_chart(["Gen", "Feb", "Mar"], {"Vendite": [10, 20, 5]}, "Vendite"))
    bars = by_class(root, "rect", "bar")
    assert len(bars) == 3
    heights = [float(b.get("height")) for b in bars]
    assert heights[1] == pytest.approx(2 * heights[0], rel=1e-3)
    assert heights[2] == pytest.approx(heights[0] / 2, rel=1e-3)
    bottoms = {round(float(b.get("y")) + float(b.get("height")), 1) for b in bars}
    assert len(bottoms) == 1  # all standing on the baseline
    assert "Vendite" in texts(root)


def test_bar_chart_groups_series_and_has_a_legend():
    series = {"2025": [1, 2], "2026": [3, Decimal("4.5")]}
    root = parse(bar_chart(["A", "B"], series, "Confronto"))
    assert len(by_class(root, "rect", "bar")) == 4
    legend = by_class(root, "g", "legend-item")
    assert ["".join(g.itertext()) for g in legend] == ["2025", "2026"]


def test_bar_chart_negative_values_hang_from_the_baseline():
    root = parse(bar_chart(["Up", "Down"], {"Margine": [30, -10]}, "Margine"))
    up, down = by_class(root, "rect", "bar")
    baseline = float(by_class(root, "line", "baseline")[0].get("y1"))
    assert float(up.get("y")) + float(up.get("height")) == pytest.approx(baseline, abs=0.02)
    assert float(down.get("y")) == pytest.approx(baseline, abs=0.02)
    assert float(up.get("height")) == pytest.approx(3 * float(down.get("height")), rel=1e-3)
    assert "-10" in texts(root)  # a negative tick


def test_bar_chart_skips_missing_values():
    root = parse(bar_chart(["A", "B"], {"S": [1, None]}, "T"))
    assert len(by_class(root, "rect", "bar")) == 1


def test_line_chart_points_and_lines():
    root = parse(line_chart(["L", "M", "M", "G"], {"Ticket": [4, 8, 2, 6]}, "Ticket"))
    points = by_class(root, "circle", "point")
    assert len(points) == 4
    baseline = float(by_class(root, "line", "baseline")[0].get("y1"))
    rises = [baseline - float(p.get("cy")) for p in points]
    assert rises[1] == pytest.approx(2 * rises[0], rel=1e-3)
    assert rises[3] == pytest.approx(3 * rises[2], rel=1e-3)
    xs = [float(p.get("cx")) for p in points]
    assert xs == sorted(xs)
    (line,) = by_class(root, "polyline", "line")
    assert len(line.get("points").split()) == 4


def test_line_chart_breaks_at_missing_values():
    root = parse(line_chart(list("abcde"), {"S": [1, 2, None, 3, 4], "T": [1, 1, 1, 1, 1]}, "T"))
    assert len(by_class(root, "circle", "point")) == 9
    assert len(by_class(root, "polyline", "line")) == 3


def test_pie_chart_slices():
    root = parse(pie_chart(["Aperti", "Chiusi", "Vuoti", "Sospesi"], [30, 10, 0, None], "Stato"))
    slices = by_class(root, "path", "slice")
    assert len(slices) == 2
    legend = ["".join(g.itertext()) for g in by_class(root, "g", "legend-item")]
    assert legend == ["Aperti (75%)", "Chiusi (25%)"]
    assert " 1,1 " in slices[0].get("d")  # three quarters: the large arc


def test_pie_chart_single_slice_is_a_circle():
    root = parse(pie_chart(["Tutto"], [5], "Uno"))
    assert len(by_class(root, "circle", "slice")) == 1


def test_pie_chart_rejects_negative_values():
    with pytest.raises(ValueError, match="negative"):
        pie_chart(["A", "B"], [1, -1], "T")


@pytest.mark.parametrize("svg", [
    bar_chart([], {}, "Vuoto"),
    bar_chart(["A"], {"S": [None]}, "Vuoto"),
    line_chart([], {"S": []}, "Vuoto"),
    pie_chart(["A"], [0], "Vuoto"),
    pie_chart([], [], "Vuoto"),
])
def test_empty_data_says_no_data(svg):
    root = parse(svg)
    assert "No data" in texts(root)
    assert not by_class(root, "rect", "bar") and not by_class(root, "path", "slice")


def test_user_text_is_escaped():
    evil = '<script>alert("x")</script>'
    for svg in [bar_chart([evil], {evil: [1]}, evil), line_chart([evil], {evil: [1]}, evil),
                pie_chart([evil, "b"], [1, 2], evil), bar_chart([], {}, evil)]:
        assert "<script" not in svg
        root = parse(svg)
        assert not list(root.iter(f"{NS}script")) and not list(root.iter("script"))
        assert evil in texts(root) or evil in "".join(root.itertext())


def test_quotes_in_labels_keep_the_xml_valid():
    root = parse(bar_chart(['a "quoted" & \'odd\' label'], {"S&P": [1]}, "T & C"))
    assert "T & C" in texts(root)


def test_mismatched_series_is_an_error():
    with pytest.raises(ValueError, match="2 values for 3 labels"):
        bar_chart(["a", "b", "c"], {"S": [1, 2]}, "T")


def test_non_finite_values_are_an_error():
    with pytest.raises(ValueError, match="finite"):
        line_chart(["a"], {"S": [float("nan")]}, "T")


def test_size_is_respected():
    root = parse(bar_chart(["a"], {"S": [1]}, "T", width=800, height=400))
    assert root.get("width") == "800" and root.get("viewBox") == "0 0 800 400"
