"""Structured list filters compiled to SQLAlchemy, once ``core.metadata.filter_grammar`` has
checked them: (field, operator, value) against metadata.

A filter is a condition ``["field", "op", value]`` or a group ``{"and": [...]}``,
``{"or": [...]}``, ``{"not": ...}``; a plain list of filters means "all of them".

A condition may reach across one link: ``["technician.user", "=", "anna"]`` holds for the
records whose ``technician`` is one whose ``user`` is ``anna`` (compiled to
``technician IN (SELECT id FROM <technician table> WHERE user = 'anna')``); records whose
link is empty never match such a condition, whatever its operator.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from core.metadata.field_types import traits_of
from core.metadata.filter_grammar import (
    MANY_VALUES,
    NO_VALUE,
    Condition,
    Filter,
    Group,
)
from core.metadata.specs import FieldSpec

LinkResolver = Callable[[FieldSpec, Any], sa.ColumnElement[Any]]
LIKE_ESCAPE = "\\"


def like_pattern(text: str) -> str:
    """The LIKE pattern of a ``like`` value: plain text matched anywhere, ``*`` a wildcard.

    ``%``, ``_`` and the escape character match themselves. A value with a ``*`` is not
    wrapped, so ``HD*`` means "starts with HD"; any other value matches anywhere.
    """
    escaped = "".join(LIKE_ESCAPE + c if c in (LIKE_ESCAPE, "%", "_") else c for c in text)
    return escaped.replace("*", "%") if "*" in text else f"%{escaped}%"


Targets = Callable[[FieldSpec], tuple[sa.FromClause, sa.ColumnElement[bool] | None]]
"""For a link a condition goes through: the target's table (an alias) and a condition that
limits which of its rows may match (or None)."""


def compile_filter(node: Filter, table: sa.FromClause, link_ids: LinkResolver,
                   targets: Targets | None = None) -> sa.ColumnElement[bool]:
    """An SQLAlchemy condition for ``node``; ``link_ids`` turns a link's ref into an id query.

    ``targets`` gives the table of a link's target, for conditions across a link.
    """
    if isinstance(node, Group):
        parts = [compile_filter(item, table, link_ids, targets) for item in node.items]
        if node.kind == "not":
            return sa.not_(parts[0])
        return sa.and_(*parts) if node.kind == "and" else sa.or_(*parts)
    if node.via is not None:
        if targets is None:
            raise ValueError(f"no target table for the link {node.via.name}")
        target, limit = targets(node.via)
        inner = compile_filter(Condition(node.field, node.operator, node.value), target,
                               link_ids)
        ids = sa.select(target.c.id).where(inner)
        if limit is not None:
            ids = ids.where(limit)
        return table.c[node.via.name].in_(ids)
    column = table.c[node.field.name]
    op, value = node.operator, node.value
    if traits_of(node.field).family == "link":
        if op in MANY_VALUES:
            value = tuple(link_ids(node.field, v) for v in value)
        elif op not in NO_VALUE:
            value = link_ids(node.field, value)
    comparisons: dict[str, Callable[[], sa.ColumnElement[bool]]] = {
        "=": lambda: column == value,
        "!=": lambda: sa.or_(column != value, column.is_(None)),
        "<": lambda: column < value,
        "<=": lambda: column <= value,
        ">": lambda: column > value,
        ">=": lambda: column >= value,
        "in": lambda: column.in_(value),
        "not in": lambda: sa.or_(column.not_in(value), column.is_(None)),
        "between": lambda: column.between(value[0], value[1]),
        "is null": lambda: column.is_(None),
        "is not null": lambda: column.is_not(None),
        "like": lambda: column.ilike(like_pattern(value), escape=LIKE_ESCAPE),
        "has": lambda: sa.or_(column == value, column.like(f"{value},%"),
                              column.like(f"%,{value}"), column.like(f"%,{value},%")),
    }
    return comparisons[op]()
