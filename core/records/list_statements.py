"""The SELECT and count of a list, built once per registry, reader, columns and sort.

``RecordsService.list`` runs the same few shapes over and over: one entity, its columns and
sort, for one reader. Building them (link-title subqueries, the reader's row condition,
ORDER BY) and SQLAlchemy's cache key of a new statement cost more than running them on a
page of 50 rows. A ``ListShape`` holds what does not depend on the request's filter values;
a list without filter or search also reuses its page and count statements, with the limit,
the offset and the count's cap bound as parameters.

Counting stays cheap on big tables (it stops past the cap) and on small ones: a table whose
ids span less than the cap cannot hold more rows than the cap, so it is counted exactly,
with a plain ``count(*)`` that SQLite answers from the table's b-tree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Result

from core.metadata.field_types import traits_of
from core.metadata.specs import EntitySpec
from core.records.reading import TITLE_SUFFIX, Selection

LIMIT, OFFSET = "list_limit", "list_offset"  # the page's bound parameters
CAP, PAST_CAP = "count_cap", "count_past_cap"  # the count's


@dataclass(frozen=True)
class ListShape:
    """One reader's list of one entity with given columns and sort, ready to run."""

    table: sa.Table
    columns: tuple[sa.ColumnElement[Any], ...]
    source: sa.FromClause
    links: tuple[str, ...]
    order: tuple[sa.ColumnElement[Any], ...]
    visible: sa.ColumnElement[bool] | None  # the reader's row condition
    multiselects: tuple[str, ...]  # selected fields stored as comma-separated text
    plain_page: sa.Select[Any]  # the page without filter or search
    plain_count: sa.Select[Any]  # its count, capped
    plain_exact_count: sa.Select[Any]  # its count, exact

    def conditions(self, extra: Sequence[sa.ColumnElement[bool]]) -> list[sa.ColumnElement[bool]]:
        """``extra`` (filter, search) and the row condition, as WHERE terms."""
        return [*extra, *((self.visible,) if self.visible is not None else ())]

    def page(self, extra: Sequence[sa.ColumnElement[bool]],
             first: Sequence[sa.ColumnElement[Any]] = ()) -> sa.Select[Any]:
        """The page's SELECT with ``extra`` conditions (the prepared one without), sorted
        by ``first`` (a search's rank) before the shape's order."""
        if not extra:
            return self.plain_page
        return page_statement(self.columns, self.source, self.conditions(extra),
                              [*first, *self.order])

    def count(self, extra: Sequence[sa.ColumnElement[bool]], capped: bool) -> sa.Select[Any]:
        """The count's SELECT with ``extra`` conditions, capped or exact."""
        if not extra:
            return self.plain_count if capped else self.plain_exact_count
        return count_statement(self.table, self.conditions(extra), capped)

    def rows(self, result: Result[Any]) -> list[dict[str, Any]]:
        """The result's rows as record dicts (as ``reading.present`` makes them)."""
        keys = tuple(result.keys())
        records = [dict(zip(keys, row, strict=True)) for row in result.all()]
        if self.multiselects:
            for record in records:
                for name in self.multiselects:
                    record[name] = [v for v in (record[name] or "").split(",") if v]
        if self.links:
            titles = [(name, name + TITLE_SUFFIX) for name in self.links]
            for record in records:
                record["_titles"] = {name: record.pop(key, None) for name, key in titles}
        return records


def build_shape(entity: EntitySpec, table: sa.Table, chosen: Selection,
                order: Sequence[sa.ColumnElement[Any]],
                visible: sa.ColumnElement[bool] | None) -> ListShape:
    """The shape of a list from its selection, ORDER BY terms and row condition."""
    columns, conditions = tuple(chosen.columns), [visible] if visible is not None else []
    selected = {column.key for column in columns}
    assert chosen.source is not None
    return ListShape(
        table=table, columns=columns, source=chosen.source, links=tuple(chosen.links),
        order=tuple(order), visible=visible,
        multiselects=tuple(f.name for f in entity.fields
                           if traits_of(f).multiple and f.name in selected),
        plain_page=page_statement(columns, chosen.source, conditions, order),
        plain_count=count_statement(table, conditions, capped=True),
        plain_exact_count=count_statement(table, conditions, capped=False))


def page_statement(columns: Sequence[sa.ColumnElement[Any]], source: sa.FromClause,
                   conditions: Sequence[sa.ColumnElement[bool]],
                   order: Sequence[sa.ColumnElement[Any]]) -> sa.Select[Any]:
    """SELECT ``columns`` FROM ``source`` WHERE ``conditions`` ORDER BY ``order``, with the
    limit and offset bound (``page_parameters``)."""
    statement = sa.select(*columns).select_from(source)
    if conditions:
        statement = statement.where(*conditions)
    return (statement.order_by(*order)
            .limit(sa.bindparam(LIMIT, type_=sa.BigInteger()))
            .offset(sa.bindparam(OFFSET, type_=sa.BigInteger())))


def page_parameters(limit: int, offset: int) -> dict[str, int]:
    """The bound values of a page statement."""
    return {LIMIT: limit, OFFSET: offset}


def count_statement(table: sa.Table, conditions: Sequence[sa.ColumnElement[bool]],
                    capped: bool) -> sa.Select[Any]:
    """The rows of ``table`` matching ``conditions``: exactly, or (``capped``) up to the
    bound cap plus one, unless the table's ids span less than the cap."""
    exact = sa.select(sa.func.count()).select_from(table)
    if conditions:  # no WHERE at all when there is none: SQLite then counts from its b-tree
        exact = exact.where(*conditions)
    if not capped:
        return exact
    ids = sa.select(table.c.id)
    if conditions:
        ids = ids.where(*conditions)
    past_cap = sa.select(sa.func.count()).select_from(
        ids.limit(sa.bindparam(PAST_CAP, type_=sa.BigInteger())).subquery())
    span = (sa.select(sa.func.max(table.c.id)).scalar_subquery()
            - sa.select(sa.func.min(table.c.id)).scalar_subquery())
    return sa.select(sa.case((span < sa.bindparam(CAP, type_=sa.BigInteger()),
                              exact.scalar_subquery()),
                             else_=past_cap.scalar_subquery()))


def run_count(connection: Connection, statement: sa.Select[Any],
              cap: int | None) -> tuple[int, bool]:
    """The total of a count statement (``cap`` None: an exact one) and whether it is exact
    (past ``cap`` counting stops, and the total shown is the cap)."""
    if cap is None:
        return int(connection.execute(statement).scalar_one()), True
    total = int(connection.execute(statement, {CAP: cap, PAST_CAP: cap + 1}).scalar_one())
    if total > cap:
        return cap, False
    return total, True


_SCALARS = (str, int, float, bool, type(None))
MAX_FROZEN = 64  # values of one filter worth keying a statement by; past it, built anew


def frozen_query(filters: Any, search: str | None) -> tuple[Any, ...] | None:
    """A list's filters and search as a key for the statement built from them, or None when
    they are too many or not plain JSON-like values (the statement is then built each time).

    A filter compiles to the same condition for the same reader and registry whatever the
    moment (its values are bound as they were given), so the statement can be kept; each
    value keeps its type in the key, since ``1`` and ``True`` filter differently."""
    budget = [MAX_FROZEN]

    def freeze(value: Any) -> Any:
        budget[0] -= 1
        if budget[0] < 0:
            raise _Unkeyable
        if isinstance(value, _SCALARS):
            return type(value), value
        if isinstance(value, list | tuple):
            return ("[", *(freeze(v) for v in value))
        if isinstance(value, dict) and all(isinstance(k, str) for k in value):
            return ("{", *sorted((k, freeze(v)) for k, v in value.items()))
        raise _Unkeyable

    try:
        return freeze(filters), search
    except _Unkeyable:
        return None


class _Unkeyable(Exception):
    """A filter value that cannot be part of a key."""
