"""Reading records: list queries with link titles in one statement, and records with lines."""

from __future__ import annotations

from collections.abc import Callable, Collection, Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from core.i18n import Translator, _
from core.metadata.field_types import FIELD_TYPES, traits_of
from core.metadata.names import STANDARD_COLUMNS, line_names
from core.metadata.specs import EntitySpec, Registry
from core.records.errors import QueryError
from core.records.statements import StatementCache
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
        if traits_of(spec).family == "link":
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
    """A result row as a record dict; link titles (the columns ``selection`` added for
    ``links``) go under ``_titles``."""
    record: dict[str, Any] = dict(row._mapping)
    for name in _multiselects(entity):
        if name in record:
            record[name] = [v for v in (record[name] or "").split(",") if v]
    if links:
        record["_titles"] = {name: record.pop(name + TITLE_SUFFIX, None) for name in links}
    return record


_MULTISELECTS: dict[int, tuple[EntitySpec, tuple[str, ...]]] = {}


def _multiselects(entity: EntitySpec) -> tuple[str, ...]:
    """The multiselect fields of ``entity`` (stored as comma-separated text), found once per
    spec (specs are immutable, and every row read asks)."""
    found = _MULTISELECTS.get(id(entity))
    if found is None or found[0] is not entity:
        if len(_MULTISELECTS) > 4096:
            _MULTISELECTS.clear()
        found = _MULTISELECTS[id(entity)] = (
            entity, tuple(f.name for f in entity.fields if traits_of(f).multiple))
    return found[1]


def _lines_statement(registry: Registry, schema: Schema, child: EntitySpec,
                     titles: TitleSource | None, hidden: frozenset[str] = frozenset()
                     ) -> tuple[sa.Select[Any], list[str]]:
    """The SELECT of ``child``'s lines of the parents bound as ``parents`` (without the
    ``hidden`` fields), and its links."""
    chosen = selection(child, registry, schema,
                       [f.name for f in child.stored_fields if f.name not in hidden]
                       if hidden else None, titles)
    table = schema.table(child.name)
    statement = (sa.select(*chosen.columns, table.c.parent_id).select_from(chosen.source)
                 .where(table.c.parent_id.in_(sa.bindparam("parents", expanding=True)))
                 .order_by(table.c.parent_id, table.c.idx))
    return statement, chosen.links


def load_lines(connection: Connection, registry: Registry, schema: Schema,
               entity: EntitySpec, records: list[dict[str, Any]],
               titles: TitleSource | None = None, hidden: Collection[str] = (),
               statements: StatementCache | None = None,
               reader: Hashable = None) -> None:
    """Attach child lines (and theirs, recursively) to ``records``: one query per child table.

    ``hidden`` child tables of ``entity`` are left out, and so are hidden fields of lines
    (``table.field``); ``titles`` as for ``selection``. With ``statements``, each table's
    SELECT is built once per registry, ``reader`` (who ``titles`` stands for; None for all
    titles) and hidden line fields.
    """
    if not records:
        return
    by_id = {r["id"]: r for r in records}
    for spec in entity.table_fields:
        if spec.name in hidden:
            continue
        child = registry.entity(spec.target or "")
        within = line_names(hidden, spec.name)
        if statements is None:
            statement, links = _lines_statement(registry, schema, child, titles, within)
        else:
            statement, links = statements.get(
                registry, ("lines", child.name, reader, within),
                lambda child=child, within=within: _lines_statement(
                    registry, schema, child, titles, within))
        lines = [present(child, row, links)
                 for row in connection.execute(statement, {"parents": list(by_id)})]
        for record in records:
            record[spec.name] = []
        for line in lines:
            by_id[line["parent_id"]][spec.name].append(line)
        load_lines(connection, registry, schema, child, lines, titles, within,
                   statements=statements, reader=reader)
