"""Run reports: filter an entity's records, group them and aggregate in SQL.

The records service's permissions apply: the actor's row condition limits the records, hidden
fields cannot be grouped, aggregated or filtered on, and link groups are labelled with the
linked record's title only when the actor may read it. Empty groups come last.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import sqlalchemy as sa

from core.i18n import Translator, _
from core.metadata.field_types import traits_of
from core.metadata.filter_grammar import filter_field
from core.metadata.specs import EntitySpec, FieldSpec
from core.records.actor import Actor
from core.records.errors import NotFound, PermissionDenied, QueryError
from core.records.reading import TitleSource
from core.records.scope import Scope
from core.records.service import RecordsService
from core.reports.spec import FUNCTIONS, Aggregate, ReportSpec, load_reports
from core.storage.registry_store import Loaded

__all__ = ["LABEL_SUFFIX", "Aggregate", "ReportColumn", "ReportResult", "ReportSpec",
           "load_reports", "run_report"]

LABEL_SUFFIX = "__label"
MAX_GROUPS = 2
AVG_SCALE_OF_WHOLE_NUMBERS = 2


@dataclass(frozen=True)
class ReportColumn:
    """A column of a report's result: a group field or an aggregate."""

    name: str
    label: str
    kind: str  # "group" or "aggregate"
    type: str | None = None  # the field's type; None for a count
    function: str | None = None  # aggregates only


@dataclass(frozen=True)
class ReportResult:
    """Rows of grouped aggregates, with totals over every matching record."""

    report: ReportSpec
    columns: tuple[ReportColumn, ...]
    rows: list[dict[str, Any]]
    totals: dict[str, Any]


@dataclass(frozen=True)
class _Group:
    spec: FieldSpec
    value: sa.ColumnElement[Any]
    label: sa.ColumnElement[Any]
    order: tuple[sa.ColumnElement[Any], ...]  # what to sort by; the last is NULL when empty
    grouped_label: bool = True  # False when the label is a constant (a title not shown)


def run_report(service: RecordsService, actor: Actor, report: Mapping[str, Any] | ReportSpec,
               extra_filters: Any = None) -> ReportResult:
    """Run ``report`` as ``actor``; ``extra_filters`` (list-filter syntax) narrow it further."""
    spec = report if isinstance(report, ReportSpec) else ReportSpec.from_dict(report)
    t = Translator(actor.language)
    loaded = service.registry.current()
    entity = _entity(loaded, spec, t)
    scope = Scope(service.policy, loaded, actor, entity, "read")
    if spec.roles and not actor.is_admin and not (actor.roles & spec.roles):
        raise PermissionDenied(t.gettext(_("You may not run the report \"{report}\"."),
                                         report=spec.label or spec.name))
    table = loaded.schema.table(entity.name)
    aggregates = _check_aggregates(entity, spec, t, scope.hidden)
    conditions = _conditions(scope, spec, extra_filters)
    if len(spec.group_by) > MAX_GROUPS:
        raise QueryError(t.gettext(_("A report groups by at most two fields.")))
    dialect = service.database.engine.dialect.name
    source: sa.FromClause = table
    groups: list[_Group] = []
    for name in spec.group_by:
        group, source = _group(loaded, entity, table, source, name, dialect, t, scope)
        groups.append(group)
    measures = [_measure(table, a).label(f"a{i}") for i, a in enumerate(aggregates)]
    order = _order(spec, groups, aggregates, measures, t)
    grouped = (sa.select(*(c for i, g in enumerate(groups)
                           for c in (g.value.label(f"g{i}"), g.label.label(f"l{i}"))),
                         *measures)
               .select_from(source).where(*conditions)
               .group_by(*(c for g in groups for c in dict.fromkeys(
                   (g.value, g.label) if g.grouped_label else (g.value,))))
               .order_by(*order))
    overall = sa.select(*measures).select_from(table).where(*conditions)
    with service.database.read() as connection:
        found = list(connection.execute(grouped))
        totals_row = connection.execute(overall).one()
    rows = [_row(row, groups, aggregates, entity) for row in found]
    totals = {a.label: _value(entity, a, totals_row[i]) for i, a in enumerate(aggregates)}
    columns = tuple([ReportColumn(g.spec.name, g.spec.label, "group", g.spec.type)
                     for g in groups]
                    + [ReportColumn(a.label, a.label, "aggregate",
                                    _field(entity, a.field).type if a.field else None,
                                    a.function) for a in aggregates])
    return ReportResult(report=spec, columns=columns, rows=rows, totals=totals)


def _entity(loaded: Loaded, spec: ReportSpec, t: Translator) -> EntitySpec:
    entity = loaded.registry.entities.get(spec.entity)
    if entity is None:
        raise NotFound(t.gettext(_("Unknown entity \"{entity}\"."), entity=spec.entity))
    if entity.is_child:
        raise QueryError(t.gettext(_("A report cannot read \"{entity}\": its records are "
                                     "lines of another entity."), entity=entity.name))
    return entity


def _field(entity: EntitySpec, name: str | None) -> FieldSpec:
    spec = filter_field(entity, name or "")
    assert spec is not None  # checked before
    return spec


def _check_aggregates(entity: EntitySpec, spec: ReportSpec, t: Translator,
                      hidden: frozenset[str] = frozenset()) -> tuple[Aggregate, ...]:
    """The report's aggregates (a count when it has none), each checked against the entity."""
    aggregates = spec.aggregates or (Aggregate("count", None, "count"),)
    seen: set[str] = set(spec.group_by) | {g + LABEL_SUFFIX for g in spec.group_by}
    for aggregate in aggregates:
        if aggregate.function not in FUNCTIONS:
            raise QueryError(t.gettext(_("Unknown aggregate function \"{function}\"; use one "
                                         "of: {functions}."), function=aggregate.function,
                                       functions=", ".join(FUNCTIONS)))
        if aggregate.label in seen:
            raise QueryError(t.gettext(_("Two columns of the report are called \"{label}\"."),
                                       label=aggregate.label))
        seen.add(aggregate.label)
        if aggregate.field is None:
            if aggregate.function != "count":
                raise QueryError(t.gettext(_("\"{function}\" needs a field."),
                                           function=aggregate.function))
            continue
        field = filter_field(entity, aggregate.field)
        if field is None or aggregate.field in hidden:
            raise QueryError(t.gettext(_("Unknown field \"{field}\" of {entity}."),
                                       field=aggregate.field, entity=entity.name))
        if aggregate.function in ("sum", "avg") and not traits_of(field).numeric:
            raise QueryError(t.gettext(_("Cannot compute \"{function}\" of \"{field}\": it is "
                                         "not a number."), function=aggregate.function,
                                       field=aggregate.field))
        if aggregate.function in ("min", "max") and not traits_of(field).orderable:
            raise QueryError(t.gettext(_("Cannot compute \"{function}\" of \"{field}\"."),
                                       function=aggregate.function, field=aggregate.field))
    return aggregates


def _conditions(scope: Scope, spec: ReportSpec, extra: Any) -> list[sa.ColumnElement[bool]]:
    """The report's filters (from the pack: any field), the caller's extra filters (only
    fields the actor may read) and the actor's row condition."""
    found = [scope.filter(spec.raw_filters(), trusted=True), scope.filter(extra),
             scope.rows()]
    return [condition for condition in found if condition is not None]


def _group(loaded: Loaded, entity: EntitySpec, table: sa.Table, source: sa.FromClause,
           name: str, dialect: str, t: Translator,
           scope: Scope) -> tuple[_Group, sa.FromClause]:
    """How to group by ``name``: the value, its label and its order (empty values last)."""
    spec = filter_field(entity, name)
    if spec is None or name in scope.hidden or not traits_of(spec).groupable:
        raise QueryError(t.gettext(_("Cannot group by field \"{field}\" of {entity}."),
                                   field=name, entity=entity.name))
    column = table.c[name]
    kind = traits_of(spec)
    if kind.family == "link":
        return _link_group(loaded, spec, column, source, scope.titles)
    if kind.moment:  # grouped by the day
        # SQLite has no DATE type to cast to: its date() gives the ISO day.
        day = sa.func.date(column) if dialect == "sqlite" else sa.cast(column, sa.Date)
        return _Group(spec, day, day, (day,)), source
    if kind.family == "choice" and spec.options:
        rank = sa.case({option: i for i, option in enumerate(spec.options)}, value=column,
                       else_=len(spec.options))
        return _Group(spec, column, column, (rank, column)), source
    return _Group(spec, column, column, (column,)), source


def _link_group(loaded: Loaded, spec: FieldSpec, column: sa.ColumnElement[Any],
                source: sa.FromClause, titles: TitleSource) -> tuple[_Group, sa.FromClause]:
    """Groups of a link, labelled with the titles the actor may see (None for the others)."""
    target = loaded.registry.entity(spec.target or "")
    alias = loaded.schema.table(target.name).alias(f"group_{spec.name}")
    title, limit = titles(target, alias)
    if title is None:
        return _Group(spec, column, sa.null(), (column,), grouped_label=False), source
    label = sa.func.coalesce(title, alias.c.ref) if target.title_field else title
    joined = alias.c.id == column if limit is None else sa.and_(alias.c.id == column, limit)
    return _Group(spec, column, label, (label, column)), source.outerjoin(alias, joined)


def _ordered(terms: tuple[sa.ColumnElement[Any], ...], descending: bool = False) -> list[Any]:
    """ORDER BY terms with empty values last, either way (links by title, options in order)."""
    nulls = [sa.case((terms[-1].is_(None), 1), else_=0)]
    return nulls + [term.desc() if descending else term.asc() for term in terms]


def _measure(table: sa.Table, aggregate: Aggregate) -> sa.ColumnElement[Any]:
    """The SQL aggregate; averages as NUMERIC so no backend truncates them to integers."""
    if aggregate.function == "count":
        return sa.func.count(table.c[aggregate.field]) if aggregate.field else sa.func.count()
    column = table.c[aggregate.field or ""]
    if aggregate.function == "avg":
        return sa.func.avg(column, type_=sa.Numeric(38, 10))
    return getattr(sa.func, aggregate.function)(column)


def _order(spec: ReportSpec, groups: list[_Group], aggregates: tuple[Aggregate, ...],
           measures: list[sa.ColumnElement[Any]], t: Translator) -> list[Any]:
    """ORDER BY the report's ``sort`` (a group field or an aggregate label), then the groups."""
    terms: list[Any] = []
    if spec.sort:
        name, descending = spec.sort.lstrip("-"), spec.sort.startswith("-")
        group = next((g for g in groups if g.spec.name == name), None)
        index = next((i for i, a in enumerate(aggregates)
                      if name in (a.label, a.label.lower())), None)
        if group is not None:
            terms += _ordered(group.order, descending)
        elif index is not None:
            measure = measures[index]
            terms.append(measure.desc().nulls_last() if descending
                         else measure.asc().nulls_last())
        else:
            raise QueryError(t.gettext(_("Cannot sort the report by \"{sort}\": use a grouped "
                                         "field or an aggregate label."), sort=spec.sort))
    for group in groups:
        terms += _ordered(group.order)
    return terms


def _row(row: Any, groups: list[_Group], aggregates: tuple[Aggregate, ...],
         entity: EntitySpec) -> dict[str, Any]:
    values = list(row)
    result: dict[str, Any] = {}
    for i, group in enumerate(groups):
        value, label = values[2 * i], values[2 * i + 1]
        if traits_of(group.spec).moment:
            value = label = _as_date(value)
        result[group.spec.name] = value
        result[group.spec.name + LABEL_SUFFIX] = label
    offset = 2 * len(groups)
    for i, aggregate in enumerate(aggregates):
        result[aggregate.label] = _value(entity, aggregate, values[offset + i])
    return result


def _as_date(value: Any) -> Any:
    if isinstance(value, str):
        return dt.date.fromisoformat(value[:10])
    if isinstance(value, dt.datetime):
        return value.date()
    return value


def _value(entity: EntitySpec, aggregate: Aggregate, value: Any) -> Any:
    """An aggregate's value: counts as int, sums of decimals as Decimal, averages rounded."""
    if aggregate.function == "count":
        return int(value or 0)
    if value is None or aggregate.field is None:
        return value
    field = _field(entity, aggregate.field)
    if aggregate.function == "avg":
        scale = _scale(field)
        return Decimal(str(value)).quantize(Decimal(1).scaleb(-scale), ROUND_HALF_UP)
    kind = traits_of(field)
    if kind.numeric and not kind.whole and not isinstance(value, Decimal):
        return Decimal(str(value)).quantize(Decimal(1).scaleb(-_scale(field)), ROUND_HALF_UP)
    if kind.numeric and kind.whole and aggregate.function == "sum":
        return int(value)
    return value


def _scale(field: FieldSpec) -> int:
    """Decimal places an average keeps: the field's scale (2 for whole numbers)."""
    kind = traits_of(field)
    if kind.currency:
        return field.scale if field.scale is not None else 2
    if kind.numeric and not kind.whole:
        return field.scale or 0
    return AVG_SCALE_OF_WHOLE_NUMBERS
