"""Report pages: which reports a user may run, the page's parameters, the table and the chart.

A report (``reports/*.yaml``, ``core.reports``) runs through the records service as the
signed-in user. The page lets the user change, through the URL's query string:

- the values of the report's own filters (``rf0``, ``rf1``... by position; empty drops it);
- extra filters on the entity's list filters and the report's group fields, written as on
  list pages: ``f.<field>`` for options, links, yes/no and text (contains); ``f.<field>.from``
  and ``f.<field>.to`` for dates and numbers (inclusive);
- the grouping (``group``, once or twice) among the report's ``group_choices``;
- the chart (``chart``: bar, line, pie or none) and the measure it shows (``measure``).

A value that does not read raises ``QueryError`` (a 400 page with the reason).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from babel import dates
from flask import current_app
from werkzeug.datastructures import MultiDict

from core.formatting import format_date, format_number, parse_decimal_input
from core.i18n import _
from core.metadata.field_types import traits_of
from core.metadata.filter_grammar import filter_field
from core.metadata.specs import EntitySpec, FieldSpec
from core.records.errors import NotFound, QueryError, RecordError
from core.records.reading import ListQuery
from core.reports import ReportResult, ReportSpec, load_reports, run_report
from core.ui.context import actor, field_access, gettext, labels, locale, officina, registry
from core.ui.detail import may
from core.ui.field_facets import facet_of, format_value
from core.ui.list_query import flag_value

CHARTS = ("bar", "line", "pie", "none")
FILTER_PREFIX = "f."  # as on list pages (core.ui.list_query)
EDITABLE_OPERATORS = ("=", "!=", "<", "<=", ">", ">=", "like", "in", "not in")
LINK_CHOICES = 100  # a link filter offers a list of at most this many targets


# -- which reports ---------------------------------------------------------------------------

def all_reports() -> dict[str, ReportSpec]:
    """Every report of the live registry's packs (read once per registry version)."""
    current = registry()
    key = (current.content_hash, current.version)
    cache = current_app.extensions.setdefault("officina_reports", {})
    if cache.get("key") != key:
        cache["key"], cache["reports"] = key, load_reports(current)
    return cache["reports"]


def runnable(spec: ReportSpec) -> bool:
    """Whether the signed-in user may run ``spec``: its roles and ``read`` on its entity."""
    user = actor()
    entity = registry().entities.get(spec.entity)
    if entity is None or entity.is_child:
        return False
    if spec.roles and not user.is_admin and not (user.roles & spec.roles):
        return False
    return may(spec.entity, "read")


def available() -> list[ReportSpec]:
    """The reports the signed-in user may run, by translated title."""
    found = [spec for spec in all_reports().values() if runnable(spec)]
    return sorted(found, key=lambda s: (labels().gettext(s.label).lower(), s.name))


def report_spec(name: str) -> ReportSpec:
    """The report called ``name`` if the user may run it; ``NotFound`` otherwise."""
    spec = all_reports().get(name)
    if spec is None or not runnable(spec):
        raise NotFound(gettext(_("No such report.")))
    return spec


def title(spec: ReportSpec) -> str:
    """The report's title in the user's language."""
    return labels().gettext(spec.label or spec.name)


# -- parameters ------------------------------------------------------------------------------

@dataclass
class Input:
    """One filter input of the page."""

    name: str
    label: str
    kind: str  # select, text, date, number, range-date, range-number
    value: str = ""
    upper: str = ""  # the "to" value of a range
    options: list[tuple[str, str]] = field(default_factory=list)
    operator: str = ""  # the report filter's operator, shown next to its field


@dataclass
class Parameters:
    """What the page's query string asked for, checked: the spec to run and its inputs."""

    spec: ReportSpec
    extra: list[list[Any]]
    inputs: list[Input]
    group_choices: list[tuple[str, str]]
    chart: str
    measure: str | None
    query: dict[str, Any]


def _bad(message: str, **values: Any) -> QueryError:
    return QueryError(gettext(message, **values))


def _readable(entity: EntitySpec) -> frozenset[str]:
    return field_access(entity.name, "read").readable


def _date(text: str, spec: FieldSpec) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        pass
    try:
        return dates.parse_date(text, locale=locale())
    except (ValueError, IndexError) as exc:
        raise _bad(_("\"{value}\" is not a date for {field}: write it like {example}."),
                   value=text, field=labels().field_label(spec),
                   example=format_date(dt.date(2026, 11, 23), locale())) from exc


def _number(text: str, spec: FieldSpec) -> str:
    try:
        value = parse_decimal_input(text, locale())
    except ValueError as exc:
        raise _bad(_("\"{value}\" is not a number for {field}: write it like {example}."),
                   value=text, field=labels().field_label(spec),
                   example=format_number(Decimal("1234.56"), locale())) from exc
    return str(value)


def _moment(day: dt.date) -> str:
    """Local midnight of ``day`` as the naive UTC text datetimes are stored in."""
    zone = ZoneInfo(officina().settings.timezone)
    local = dt.datetime.combine(day, dt.time(), tzinfo=zone)
    return local.astimezone(dt.UTC).replace(tzinfo=None).isoformat()


def _bound(text: str, spec: FieldSpec, upper: bool) -> tuple[str, Any]:
    """The condition of one end of a range input."""
    kind = traits_of(spec)
    if kind.family == "time" and kind.moment:
        day = _date(text, spec)
        return ("<", _moment(day + dt.timedelta(days=1))) if upper else (">=", _moment(day))
    if kind.family == "time":
        return ("<=" if upper else ">="), _date(text, spec).isoformat()
    return ("<=" if upper else ">="), _number(text, spec)


def _distinct_choices(rows: list[dict[str, Any]], title_field: str | None
                      ) -> list[tuple[str, str]]:
    """Each linked record as a choice by its title, sorted; titles that several records
    share carry the reference too (``Assistenza refrigeratore (CTR-2026-00002)``)."""
    titles = [str((row.get(title_field) if title_field else None) or row.get("ref")
                  or row["id"]) for row in rows]
    seen = Counter(titles)
    found = [(str(row["id"]), f"{title} ({row['ref']})" if seen[title] > 1 and row.get("ref")
              else title) for row, title in zip(rows, titles, strict=True)]
    return sorted(found, key=lambda item: item[1].lower())


def _options(spec: FieldSpec) -> list[tuple[str, str]]:
    kind = traits_of(spec)
    if kind.family == "choice" and not kind.multiple:
        return list(labels().option_choices(spec))
    if kind.family == "flag":
        return [("1", format_value(True, spec.type, locale())),
                ("0", format_value(False, spec.type, locale()))]
    if kind.family == "link" and spec.target and may(spec.target, "read"):
        target = registry().entity(spec.target)
        fields = ("ref",) + ((target.title_field,) if target.title_field else ())
        try:
            page = officina().records.list(actor(), target.name,
                                           ListQuery(limit=LINK_CHOICES, fields=fields))
        except RecordError:
            return []
        if page.total > LINK_CHOICES:
            return []
        return _distinct_choices(page.rows, target.title_field)
    return []


def _filter_fields(spec: ReportSpec, entity: EntitySpec) -> list[FieldSpec]:
    readable = _readable(entity)
    names = dict.fromkeys([*entity.list_filters, *spec.group_by, *spec.group_choices])
    found = []
    for name in names:
        field_spec = filter_field(entity, name)
        if field_spec is None or (readable is not None and entity.field(name) is not None
                                  and name not in readable):
            continue
        if _filterable(field_spec):
            found.append(field_spec)
    return found


def _filterable(spec: FieldSpec) -> bool:
    """Whether the page offers a filter input for ``spec``: the list pages' filters, but for
    options of which a record holds several and for long text."""
    kind = traits_of(spec)
    return facet_of(spec).filter is not None and not kind.multiple and not kind.multiline


def _extra_input(field_spec: FieldSpec, args: MultiDict, extra: list[list[Any]]) -> Input:
    name, label = field_spec.name, labels().field_label(field_spec)
    param = FILTER_PREFIX + name
    kind = traits_of(field_spec)
    if kind.rangeable:
        low, high = (args.get(f"{param}.from", "").strip(), args.get(f"{param}.to", "").strip())
        for text, upper in ((low, False), (high, True)):
            if text:
                extra.append([name, *_bound(text, field_spec, upper)])
        shape = "range-date" if kind.family == "time" else "range-number"
        return Input(param, label, shape, low, high)
    value = args.get(param, "").strip()
    options = _options(field_spec)
    if value:
        if kind.family == "link":
            extra.append([name, "=", int(value) if value.isdigit() else value])
        elif kind.family == "flag":
            flag = flag_value(value)
            if flag is None:
                raise _bad(_("Choose yes or no for {field}."), field=label)
            extra.append([name, "=", flag])
        elif kind.textual:
            extra.append([name, "like", value])
        else:
            extra.append([name, "=", value])
    return Input(param, label, "select" if options else "text", value, options=options)


def _own_filters(spec: ReportSpec, entity: EntitySpec,
                 args: MultiDict) -> tuple[ReportSpec, list[Input]]:
    """The report's filters with the values the page changed; inputs for those it may."""
    inputs: list[Input] = []
    kept: list[Any] = []
    for index, raw in enumerate(spec.raw_filters()):
        editable = (isinstance(raw, list) and len(raw) == 3 and isinstance(raw[0], str)
                    and str(raw[1]).lower() in EDITABLE_OPERATORS)
        field_spec = filter_field(entity, raw[0]) if editable else None
        if field_spec is None:
            kept.append(raw)
            continue
        param = f"rf{index}"
        many = str(raw[1]).lower() in ("in", "not in")
        default = ", ".join(map(str, raw[2])) if many and isinstance(raw[2], list) else str(
            raw[2])
        value = args.get(param, default).strip() if param in args else default
        if value:
            parsed: Any = [v.strip() for v in value.split(",") if v.strip()] if many else value
            kind = traits_of(field_spec)
            if kind.rangeable and not kind.elapsed and not many:  # durations read as h:mm
                parsed = (_date(value, field_spec).isoformat() if kind.family == "time"
                          else _number(value, field_spec))
            kept.append([raw[0], raw[1], parsed])
        options = [] if many else _options(field_spec)
        inputs.append(Input(param, labels().field_label(field_spec),
                            "select" if options else "text", value, options=options,
                            operator=str(raw[1])))
    return replace(spec, filters=tuple(tuple(f) if isinstance(f, list) else f
                                       for f in kept)), inputs


def _grouping(spec: ReportSpec, entity: EntitySpec,
              args: MultiDict) -> tuple[ReportSpec, list[tuple[str, str]]]:
    choices = list(dict.fromkeys([*spec.group_by, *spec.group_choices]))
    readable = _readable(entity)
    choices = [c for c in choices if readable is None or entity.field(c) is None
               or c in readable]
    labelled = []
    for name in choices:
        field_spec = filter_field(entity, name)
        if field_spec is not None:
            labelled.append((name, labels().field_label(field_spec)))
    asked = [g for g in args.getlist("group") if g]
    if not asked or not spec.group_choices:
        return spec, labelled if spec.group_choices else []
    if len(asked) > 2 or len(set(asked)) != len(asked):
        raise _bad(_("Group by one or two different fields."))
    for name in asked:
        if name not in choices:
            raise _bad(_("This report cannot be grouped by \"{field}\"."), field=name)
    # A sort by a group field is kept only if that field still comes first.
    aggregates = {a.label for a in spec.aggregates}
    sort = spec.sort
    if sort and sort.lstrip("-") != asked[0] and sort.lstrip("-") not in aggregates:
        sort = None
    return replace(spec, group_by=tuple(asked), sort=sort), labelled


def parameters(spec: ReportSpec, args: MultiDict) -> Parameters:
    """The report to run as the query string ``args`` asks; ``QueryError`` for bad values."""
    entity = registry().entity(spec.entity)
    changed, inputs = _own_filters(spec, entity, args)
    changed, group_choices = _grouping(changed, entity, args)
    extra: list[list[Any]] = []
    inputs += [_extra_input(field_spec, args, extra) for field_spec in _filter_fields(spec, entity)]
    chart = args.get("chart") or spec.chart
    if chart not in CHARTS:
        raise _bad(_("Unknown chart \"{chart}\": use bar, line, pie or none."), chart=chart)
    labels_of = [a.label for a in spec.aggregates]
    measure = args.get("measure") or None
    if measure is not None and measure not in labels_of:
        raise _bad(_("Unknown measure \"{measure}\"."), measure=measure)
    query = {key: values if len(values) > 1 else values[0]
             for key, values in args.lists() if any(values)}
    return Parameters(changed, extra, inputs, group_choices, chart, measure, query)


def run(params: Parameters) -> ReportResult:
    """Run the report as the signed-in user, with the page's parameters."""
    return run_report(officina().records, actor(), params.spec, params.extra or None)
