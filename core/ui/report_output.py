"""Report pages' output: the table of a result, its export and its chart."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from markupsafe import Markup

from core.formatting import format_date, format_number
from core.i18n import _
from core.metadata.field_types import traits_of
from core.metadata.filter_grammar import filter_field
from core.metadata.specs import EntitySpec, FieldSpec
from core.reports import ReportResult
from core.reports.engine import LABEL_SUFFIX
from core.ui import charts
from core.ui.context import gettext, labels, locale, registry
from core.ui.jinja_helpers import display
from core.ui.reporting import title

# -- table -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Column:
    """A column of the report table: its key, header and whether it holds numbers."""

    key: str
    header: str
    number: bool
    group: bool


def _aggregate_field(entity: EntitySpec, name: str | None) -> FieldSpec | None:
    return filter_field(entity, name) if name else None


def columns(result: ReportResult) -> list[Column]:
    """The table's columns: the group fields, then the aggregates (translated)."""
    entity = registry().entity(result.report.entity)
    found = []
    for column in result.columns:
        if column.kind == "group":
            field_spec = filter_field(entity, column.name)
            header = labels().field_label(field_spec) if field_spec else column.label
            found.append(Column(column.name, header, False, True))
        else:
            found.append(Column(column.name, labels().gettext(column.label), True, False))
    return found


def group_text(row: Mapping[str, Any], name: str, entity: EntitySpec) -> str:
    """A group's value as text: a link's title, an option's label, a date for the locale."""
    value, label = row.get(name), row.get(name + LABEL_SUFFIX)
    field_spec = filter_field(entity, name)
    if value is None:
        return gettext(_("(empty)"))
    if field_spec is None:
        return str(label if label is not None else value)
    kind = traits_of(field_spec)
    if kind.family == "link":
        return str(label) if label is not None else gettext(_("Record {id}"), id=value)
    if kind.moment:  # grouped by the day
        return format_date(value, locale())
    return display(value, field_spec)


def aggregate_text(value: Any, function: str | None, name: str | None,
                   entity: EntitySpec) -> str:
    """An aggregate's value for the locale: counts and averages as numbers, sums of money as
    money, minimum and maximum as their field shows them."""
    if value is None:
        return ""
    field_spec = _aggregate_field(entity, name)
    if function == "count" or field_spec is None:
        return format_number(value, locale())
    if function == "avg" and not traits_of(field_spec).currency:
        return format_number(value, locale())
    return display(value, field_spec)


def table(result: ReportResult) -> tuple[list[Column], list[list[str]], list[str]]:
    """Headers, formatted rows and the formatted totals row of a result."""
    entity = registry().entity(result.report.entity)
    cols = columns(result)
    rows = []
    for row in result.rows:
        cells = []
        for spec, column in zip(result.columns, cols, strict=True):
            if column.group:
                cells.append(group_text(row, column.key, entity))
            else:
                cells.append(aggregate_text(row.get(column.key), spec.function,
                                            _aggregate_name(result, column.key), entity))
        rows.append(cells)
    totals = []
    for spec, column in zip(result.columns, cols, strict=True):
        if column.group:
            totals.append("")
        else:
            totals.append(aggregate_text(result.totals.get(column.key), spec.function,
                                         _aggregate_name(result, column.key), entity))
    if totals and cols and cols[0].group:
        totals[0] = gettext(_("Total"))
    return cols, rows, totals


def _aggregate_name(result: ReportResult, label: str) -> str | None:
    return next((a.field for a in result.report.aggregates if a.label == label), None)


def export_table(result: ReportResult) -> tuple[list[tuple[str, str]], list[dict[str, Any]]]:
    """Columns and rows for CSV and XLSX: group labels as text, numbers and dates typed, and
    a last row of totals."""
    entity = registry().entity(result.report.entity)
    cols = columns(result)
    rows: list[dict[str, Any]] = []
    for row in result.rows:
        out: dict[str, Any] = {}
        for column in cols:
            if column.group:
                field_spec = filter_field(entity, column.key)
                value = row.get(column.key)
                typed = field_spec is not None and _typed_in_exports(field_spec)
                out[column.key] = value if typed else group_text(row, column.key, entity)
            else:
                out[column.key] = row.get(column.key)
        rows.append(out)
    totals: dict[str, Any] = {c.key: result.totals.get(c.key) for c in cols if not c.group}
    if cols and cols[0].group:
        totals[cols[0].key] = gettext(_("Total"))
    rows.append(totals)
    return [(c.key, c.header) for c in cols], rows


# -- chart -----------------------------------------------------------------------------------

def _typed_in_exports(spec: FieldSpec) -> bool:
    """Whether an export writes a group's value as it is (dates and numbers, a sheet's typed
    cells) rather than as the page shows it (durations as h:mm, labels, titles)."""
    kind = traits_of(spec)
    return kind.rangeable and not kind.elapsed


def _number_of(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float | Decimal) else None


def chart(result: ReportResult, kind: str, measure: str | None, width: int = 640,
          height: int = 320, heading: str | None = None) -> Markup | None:
    """The result as an inline SVG chart (``kind`` bar, line or pie), or None for ``none``."""
    if kind == "none":
        return None
    entity = registry().entity(result.report.entity)
    aggregates = [c for c in result.columns if c.kind == "aggregate"]
    if not aggregates:
        return None
    chosen = next((c for c in aggregates if c.name == measure), aggregates[0])
    groups = [c.name for c in result.columns if c.kind == "group"]
    name = heading or f"{title(result.report)} · {labels().gettext(chosen.label)}"
    if not groups:
        labels_ = [labels().gettext(chosen.label)]
        series = {labels().gettext(chosen.label): [_number_of(result.totals.get(chosen.name))]}
    elif len(groups) == 1 or kind == "pie":
        first = groups[0]
        order: dict[str, float | None] = {}
        for row in result.rows:
            key = group_text(row, first, entity)
            value = _number_of(row.get(chosen.name))
            if len(groups) > 1 and key in order and value is not None:
                value = (order[key] or 0) + value
            order[key] = value if value is not None else order.get(key)
        labels_ = list(order)
        series = {labels().gettext(chosen.label): list(order.values())}
    else:
        first, second = groups
        labels_ = list(dict.fromkeys(group_text(r, first, entity) for r in result.rows))
        names = list(dict.fromkeys(group_text(r, second, entity) for r in result.rows))
        grid: dict[str, list[float | None]] = {n: [None] * len(labels_) for n in names}
        for row in result.rows:
            grid[group_text(row, second, entity)][
                labels_.index(group_text(row, first, entity))] = _number_of(row.get(chosen.name))
        series = grid
    if kind == "pie":
        values = next(iter(series.values()))
        if any(v is not None and v < 0 for v in values):
            kind = "bar"
        else:
            # charts.py escapes every text it writes into the SVG
            return Markup(charts.pie_chart(labels_, values, name, width, height))  # noqa: S704
    draw = charts.line_chart if kind == "line" else charts.bar_chart
    return Markup(draw(labels_, series, name, width, height))  # noqa: S704
