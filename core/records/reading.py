"""Reading records: list queries with link titles in one statement, and records with lines."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from core.i18n import Translator, _
from core.metadata.field_types import FIELD_TYPES
from core.metadata.names import STANDARD_COLUMNS, line_names
from core.metadata.specs import EntitySpec, Registry
from core.records.errors import QueryError
from core.storage.tables import Schema

TITLE_SUFFIX = "__title"
TitleSource = Callable[[EntitySpec, sa.FromClause],
                       tuple[sa.ColumnElement[Any] | None, sa.ColumnElement[bool] | None]]
"""For a link's target (and an alias of its table): the column naming its records, or None
when the reader may not see them, and a condition limiting which of them may be named."""


@dataclass(frozen=True)
class ListQuery:
    """What a caller wants from a list: filters, text search, sort, page and columns."""

    filters: Any = None
    search: str | None = None
    sort: tuple[str, ...] = ()
    limit: int = 50
    offset: int = 0
    fields: tuple[str, ...] | None = None
    exact_count: bool = False
    count: bool = True  # False: no total (callers that only want the rows, like rules)


@dataclass(frozen=True)
class Page:
    """One page of records and the total (exact, or capped at the count limit)."""

    rows: list[dict[str, Any]]
    total: int
    total_exact: bool
    limit: int
    offset: int


@dataclass
class Selection:
    """The columns and joins a list needs, so link titles come in the same statement."""

    columns: list[sa.ColumnElement[Any]] = field(default_factory=list)
    source: sa.FromClause | None = None
    links: list[str] = field(default_factory=list)


def title_column(target: EntitySpec, table: sa.FromClause) -> sa.ColumnElement[Any]:
    """The column that names a record of ``target``: its title field, else its ref."""
    return table.c[target.title_field] if target.title_field else table.c.ref


def selection(entity: EntitySpec, registry: Registry, schema: Schema,
              wanted: Sequence[str] | None, titles: TitleSource | None = None) -> Selection:
    """Columns for ``wanted`` fields (all stored ones when None), with link titles joined.

    ``titles`` decides which link titles the reader may see (all of them when None).
    """
    table = schema.table(entity.name)
    standard = ["id", "parent_id", "idx"] if entity.is_child else list(STANDARD_COLUMNS)
    names = list(wanted) if wanted is not None else [f.name for f in entity.stored_fields]
    chosen = Selection(source=table)
    base = ["id"] if entity.is_child else ["id", "ref", "version"]
    for name in dict.fromkeys([*base, *(n for n in names if n in standard)]):
        chosen.columns.append(table.c[name])
    for name in names:
        spec = entity.field(name)
        if spec is None or not spec.stored:
            continue
        chosen.columns.append(table.c[name])
        if spec.type == "link":
            # A correlated subquery, not a join: the database looks titles up only for the
            # rows of the page, after sorting and limiting.
            target = registry.entity(spec.target or "")
            alias = schema.alias(target.name, f"link_{name}")
            column, limit = ((title_column(target, alias), None) if titles is None
                             else titles(target, alias))
            if column is None:
                title: sa.ColumnElement[Any] = sa.null()
            else:
                found = sa.select(column).where(alias.c.id == table.c[name])
                if limit is not None:
                    found = found.where(limit)
                title = found.scalar_subquery()
            chosen.columns.append(title.label(name + TITLE_SUFFIX))
            chosen.links.append(name)
    return chosen


def check_fields(entity: EntitySpec, names: Sequence[str], t: Translator,
                 hidden: Collection[str] = ()) -> None:
    """Raise ``QueryError`` for a requested field the entity does not have (or hides)."""
    standard = ("id", "parent_id", "idx") if entity.is_child else STANDARD_COLUMNS
    for name in names:
        spec = entity.field(name)
        if name in hidden or (name not in standard and (spec is None or not spec.stored)):
            raise QueryError(t.gettext(_("Unknown field \"{field}\" of {entity}."), field=name,
                                       entity=entity.name))


def order_by(entity: EntitySpec, table: sa.Table, sort: Sequence[str],
             t: Translator, hidden: Collection[str] = ()) -> list[sa.ColumnElement[Any]]:
    """ORDER BY terms for ``sort`` (``-name`` for descending), ending with the id.

    ``hidden`` fields cannot be sorted by; an entity's default sort on one of them falls
    back to the newest changes first.
    """
    terms = []
    default = entity.default_sort if entity.default_sort.lstrip("-") not in hidden \
        else "-modified_at"
    for item in sort or [default]:
        name = item.lstrip("-")
        spec = entity.field(name)
        sortable = name not in hidden and ((name in STANDARD_COLUMNS and not entity.is_child) or (
            spec is not None and spec.stored and FIELD_TYPES[spec.type].sortable))
        if not sortable or name not in table.c:
            raise QueryError(t.gettext(_("Cannot sort by \"{field}\"."), field=name))
        column = table.c[name]
        # Empty values sort last (first when descending) on every database.
        terms.append(column.desc().nulls_first() if item.startswith("-")
                     else column.asc().nulls_last())
    return [*terms, table.c.id.desc() if sort and sort[-1].startswith("-") else table.c.id.asc()]


def present(entity: EntitySpec, row: Any, links: Sequence[str] = ()) -> dict[str, Any]:
    """A result row as a record dict; link titles go under ``_titles``."""
    mapping = dict(row._mapping)
    record: dict[str, Any] = {}
    titles: dict[str, Any] = {}
    for key, value in mapping.items():
        if key.endswith(TITLE_SUFFIX):
            titles[key.removesuffix(TITLE_SUFFIX)] = value
            continue
        spec = entity.field(key)
        if spec is not None and spec.type == "multiselect":
            value = [v for v in (value or "").split(",") if v]
        record[key] = value
    if links:
        record["_titles"] = {name: titles.get(name) for name in links}
    return record


def count_rows(connection: Connection, table: sa.Table, condition: sa.ColumnElement[bool],
               cap: int | None) -> tuple[int, bool]:
    """Rows matching ``condition``; past ``cap`` counting stops (and the total is not exact)."""
    inner = sa.select(table.c.id).where(condition)
    if cap is not None:
        inner = inner.limit(cap + 1)
    total = int(connection.execute(sa.select(sa.func.count()).select_from(inner.subquery()))
                .scalar_one())
    if cap is not None and total > cap:
        return cap, False
    return total, True


def load_lines(connection: Connection, registry: Registry, schema: Schema,
               entity: EntitySpec, records: list[dict[str, Any]],
               titles: TitleSource | None = None, hidden: Collection[str] = ()) -> None:
    """Attach child lines (and theirs, recursively) to ``records``: one query per child table.

    ``hidden`` child tables of ``entity`` are left out, and so are hidden fields of lines
    (``table.field``); ``titles`` as for ``selection``.
    """
    if not records:
        return
    by_id = {r["id"]: r for r in records}
    for spec in entity.table_fields:
        if spec.name in hidden:
            continue
        child = registry.entity(spec.target or "")
        within = line_names(hidden, spec.name)
        chosen = selection(child, registry, schema,
                           [f.name for f in child.stored_fields if f.name not in within]
                           if within else None, titles)
        table = schema.table(child.name)
        statement = (sa.select(*chosen.columns, table.c.parent_id).select_from(chosen.source)
                     .where(table.c.parent_id.in_(list(by_id)))
                     .order_by(table.c.parent_id, table.c.idx))
        lines = [present(child, row, chosen.links) for row in connection.execute(statement)]
        for record in records:
            record[spec.name] = []
        for line in lines:
            by_id[line["parent_id"]][spec.name].append(line)
        load_lines(connection, registry, schema, child, lines, titles, within)
