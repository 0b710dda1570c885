"""Server-side SVG charts (bar, line, pie): plain markup, no JavaScript, user text escaped."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from xml.sax.saxutils import escape

SVG_NS = "http://www.w3.org/2000/svg"
PALETTE = ("#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
           "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac")
FONT_SIZE = 12
CHAR_WIDTH = 0.6 * FONT_SIZE  # a rough average, to lay out text without measuring it
TITLE_SPACE, LABEL_SPACE, LEGEND_SPACE, PAD = 36, 24, 24, 12

Number = int | float | Decimal
Series = Mapping[str, Sequence[Number | None]]


def esc(text: Any) -> str:
    """``text`` safe inside SVG element content and double- or single-quoted attributes."""
    return escape(str(text), {'"': "&quot;", "'": "&apos;"})


def fmt(value: float) -> str:
    """A number as a short label: no trailing zeros, no float noise."""
    rounded = round(value, 10)
    return str(int(rounded)) if rounded == int(rounded) else f"{rounded:g}"


def nice_number(value: float, *, round_: bool) -> float:
    """The 1, 2 or 5 times a power of ten nearest (``round_``) or at least ``value``."""
    exponent = math.floor(math.log10(value))
    fraction = value / 10**exponent
    if round_:
        nice = 1 if fraction < 1.5 else 2 if fraction < 3 else 5 if fraction < 7 else 10
    else:
        nice = 1 if fraction <= 1 else 2 if fraction <= 2 else 5 if fraction <= 5 else 10
    return nice * 10**exponent


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """About ``count`` round tick values covering ``low`` to ``high`` (and zero, when even)."""
    low, high = min(low, high), max(low, high)
    if low == high:
        low, high = min(low, 0), max(high, 0)
        if low == high:
            high = 1
    step = nice_number(nice_number(high - low, round_=False) / max(count - 1, 1), round_=True)
    decimals = max(0, -math.floor(math.log10(step)))
    start, end = math.floor(low / step), math.ceil(high / step)
    return [round(i * step, decimals) + 0.0 for i in range(start, end + 1)]


def _svg(width: int, height: int, title: str, body: Sequence[str]) -> str:
    head = (f'<svg xmlns="{SVG_NS}" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" role="img" font-family="sans-serif" '
            f'font-size="{FONT_SIZE}">')
    heading = (f'<title>{esc(title)}</title><text class="title" x="{width / 2:.1f}" y="22" '
               f'text-anchor="middle" font-size="{FONT_SIZE + 3}" font-weight="bold">'
               f"{esc(title)}</text>")
    return "".join([head, heading, *body, "</svg>"])


def no_data(title: str, width: int = 640, height: int = 320) -> str:
    """A valid SVG that says there is nothing to show."""
    message = (f'<text class="no-data" x="{width / 2:.1f}" y="{height / 2:.1f}" '
               f'text-anchor="middle" fill="#666">No data</text>')
    return _svg(width, height, title, [message])


def _clip(text: str, room: float) -> str:
    chars = max(int(room / CHAR_WIDTH), 1)
    return text if len(text) <= chars else text[: max(chars - 1, 1)] + "…"


def _clean(labels: Sequence[Any], series: Series) -> dict[str, list[float | None]]:
    """Series as floats (``None`` for missing), checked against the labels."""
    result: dict[str, list[float | None]] = {}
    for name, values in series.items():
        if len(values) != len(labels):
            raise ValueError(f"Series {name!r} has {len(values)} values for {len(labels)} labels")
        floats = [None if v is None else float(v) for v in values]
        if any(v is not None and not math.isfinite(v) for v in floats):
            raise ValueError(f"Series {name!r} has a value that is not a finite number")
        result[str(name)] = floats
    return result


@dataclass(frozen=True)
class Plot:
    """The plot area of a chart with category bands and a value axis."""

    left: float
    top: float
    right: float
    bottom: float
    ticks: list[float]
    bands: int

    @property
    def band(self) -> float:
        return (self.right - self.left) / self.bands

    def y(self, value: float) -> float:
        low, high = self.ticks[0], self.ticks[-1]
        return self.bottom - (value - low) / (high - low) * (self.bottom - self.top)

    def centre(self, index: int) -> float:
        return self.left + (index + 0.5) * self.band


def _plot(labels: Sequence[Any], data: Mapping[str, list[float | None]], width: int,
          height: int) -> Plot:
    values = [v for vs in data.values() for v in vs if v is not None]
    ticks = nice_ticks(min([*values, 0.0]), max([*values, 0.0]))
    left = PAD + max(len(fmt(t)) for t in ticks) * CHAR_WIDTH + 6
    bottom = height - LABEL_SPACE - LEGEND_SPACE
    return Plot(left, TITLE_SPACE, width - PAD, bottom, ticks, len(labels))


def _axes(plot: Plot, labels: Sequence[Any]) -> list[str]:
    parts = []
    for tick in plot.ticks:
        y = plot.y(tick)
        parts.append(f'<line class="grid" x1="{plot.left:.1f}" y1="{y:.1f}" x2="{plot.right:.1f}" '
                     f'y2="{y:.1f}" stroke="#e0e0e0"/>')
        parts.append(f'<text class="tick" x="{plot.left - 6:.1f}" y="{y + 4:.1f}" '
                     f'text-anchor="end">{esc(fmt(tick))}</text>')
    zero = plot.y(0.0)
    parts.append(f'<line class="baseline" x1="{plot.left:.1f}" y1="{zero:.1f}" '
                 f'x2="{plot.right:.1f}" y2="{zero:.1f}" stroke="#333"/>')
    for index, label in enumerate(labels):
        text = str(label)
        parts.append(f'<text class="label" x="{plot.centre(index):.1f}" '
                     f'y="{plot.bottom + 16:.1f}" text-anchor="middle"><title>{esc(text)}</title>'
                     f"{esc(_clip(text, plot.band - 4))}</text>")
    return parts


def _legend(names: Sequence[str], x: float, y: float, *, vertical: bool = False) -> list[str]:
    parts = []
    for index, name in enumerate(names):
        colour = PALETTE[index % len(PALETTE)]
        parts.append(f'<g class="legend-item"><rect x="{x:.1f}" y="{y - 10:.1f}" width="12" '
                     f'height="12" fill="{colour}"/><text x="{x + 16:.1f}" y="{y:.1f}">'
                     f"{esc(name)}</text></g>")
        if vertical:
            y += 18
        else:
            x += 16 + len(name) * CHAR_WIDTH + PAD
    return parts


def _tooltip(label: Any, name: str, value: float) -> str:
    return f"<title>{esc(label)} — {esc(name)}: {esc(fmt(value))}</title>"


def bar_chart(labels: Sequence[Any], series: Series, title: str, width: int = 640,
              height: int = 320) -> str:
    """Grouped bars, one colour per series; negative values hang below the zero baseline."""
    data = _clean(labels, series)
    if not labels or not data or all(v is None for vs in data.values() for v in vs):
        return no_data(title, width, height)
    plot = _plot(labels, data, width, height)
    bar_width = plot.band * 0.8 / len(data)
    zero = plot.y(0.0)
    parts = _axes(plot, labels)
    for position, (name, values) in enumerate(data.items()):
        colour = PALETTE[position % len(PALETTE)]
        for index, value in enumerate(values):
            if value is None:
                continue
            x = plot.left + index * plot.band + plot.band * 0.1 + position * bar_width
            top = min(plot.y(value), zero)
            parts.append(f'<rect class="bar" x="{x:.2f}" y="{top:.2f}" width="{bar_width:.2f}" '
                         f'height="{abs(plot.y(value) - zero):.2f}" fill="{colour}">'
                         f"{_tooltip(labels[index], name, value)}</rect>")
    parts += _legend(list(data), plot.left, height - 8)
    return _svg(width, height, title, parts)


def line_chart(labels: Sequence[Any], series: Series, title: str, width: int = 640,
               height: int = 320) -> str:
    """One line per series; a missing value (``None``) breaks the line."""
    data = _clean(labels, series)
    if not labels or not data or all(v is None for vs in data.values() for v in vs):
        return no_data(title, width, height)
    plot = _plot(labels, data, width, height)
    parts = _axes(plot, labels)
    for position, (name, values) in enumerate(data.items()):
        colour = PALETTE[position % len(PALETTE)]
        runs: list[list[str]] = [[]]
        points = []
        for index, value in enumerate(values):
            if value is None:
                runs.append([])
                continue
            x, y = plot.centre(index), plot.y(value)
            runs[-1].append(f"{x:.2f},{y:.2f}")
            points.append(f'<circle class="point" cx="{x:.2f}" cy="{y:.2f}" r="3" '
                          f'fill="{colour}">{_tooltip(labels[index], name, value)}</circle>')
        parts += [f'<polyline class="line" points="{" ".join(run)}" fill="none" '
                  f'stroke="{colour}" stroke-width="2"/>' for run in runs if len(run) > 1]
        parts += points
    parts += _legend(list(data), plot.left, height - 8)
    return _svg(width, height, title, parts)


def _slice(cx: float, cy: float, r: float, start: float, end: float, colour: str) -> str:
    x0, y0 = cx + r * math.cos(start), cy + r * math.sin(start)
    x1, y1 = cx + r * math.cos(end), cy + r * math.sin(end)
    large = 1 if end - start > math.pi else 0
    return (f'<path class="slice" d="M{cx:.2f},{cy:.2f} L{x0:.2f},{y0:.2f} '
            f'A{r:.2f},{r:.2f} 0 {large},1 {x1:.2f},{y1:.2f} Z" fill="{colour}">')


def pie_chart(labels: Sequence[Any], values: Sequence[Number | None], title: str,
              width: int = 480, height: int = 320) -> str:
    """Slices clockwise from the top; zero and missing values get no slice."""
    data = _clean(labels, {"values": values})["values"]
    if any(v is not None and v < 0 for v in data):
        raise ValueError("A pie chart cannot show negative values")
    items = [(str(label), v) for label, v in zip(labels, data, strict=True) if v]
    total = sum(v for _, v in items)
    if not items or total <= 0:
        return no_data(title, width, height)
    radius = (height - TITLE_SPACE - 2 * PAD) / 2
    cx, cy = PAD + radius, TITLE_SPACE + PAD + radius
    parts, angle = [], -math.pi / 2
    for index, (label, value) in enumerate(items):
        colour = PALETTE[index % len(PALETTE)]
        tip = f"<title>{esc(label)}: {esc(fmt(value))} ({value / total:.0%})</title>"
        if len(items) == 1:
            parts.append(f'<circle class="slice" cx="{cx:.2f}" cy="{cy:.2f}" r="{radius:.2f}" '
                         f'fill="{colour}">{tip}</circle>')
            continue
        end = angle + 2 * math.pi * value / total
        parts.append(_slice(cx, cy, radius, angle, end, colour) + tip + "</path>")
        angle = end
    names = [f"{label} ({value / total:.0%})" for label, value in items]
    parts += _legend(names, cx + radius + 2 * PAD, TITLE_SPACE + PAD + 10, vertical=True)
    return _svg(width, height, title, parts)
