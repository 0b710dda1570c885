"""Full-text search in the records service: the index rows refreshed in the transaction of
each write (``index_saved``, ``index_deleted``), and a list's search as a condition on the
index, with its rank (``search_condition``).

What a user types is read as plain words: letters and digits, everything else (quotes,
operators, ``*``, ``-``, ``:``, parentheses) separates them; each word matches the words of
a record that start with it (``CH50`` finds ``CH50-0001``), and a record must have them all.
At most ``MAX_TERMS`` words count. A search without a word matches nothing.

A reader who may not see one of the searched fields (a hidden field, a link it may not
follow, a linked field hidden from it) searches with ``LIKE`` on the fields it sees, as
before the index, so a search never tells what it could not read.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from functools import reduce
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection

from core.metadata.specs import EntitySpec
from core.records.scope import Scope
from core.storage.fulltext import (
    LANGUAGES,
    dependents,
    forget,
    index_table,
    record_key,
    refresh_by,
    search_entries,
)
from core.storage.registry_store import Loaded

MAX_TERMS = 16  # words of one search that count
_WORD = re.compile(r"[^\W_]+")


@dataclass(frozen=True)
class Found:
    """A search as a WHERE term, and the ORDER BY term of its rank (best first), if any."""

    condition: sa.ColumnElement[bool]
    rank: sa.ColumnElement[Any] | None = None


def search_terms(text: str) -> list[str]:
    """The words of a search text, lowercased (at most ``MAX_TERMS``)."""
    return [w.lower() for w in _WORD.findall(text)][:MAX_TERMS]


def _own_inputs(entity: EntitySpec) -> frozenset[str]:
    """The fields of ``entity`` its index row is computed from."""
    return frozenset(e.link or e.field for e in search_entries(entity))


def index_saved(connection: Connection, loaded: Loaded, entity: EntitySpec, record_id: int,
                changed: Collection[str] | None) -> None:
    """Refresh the index after a write of record ``record_id`` (``changed`` its changed
    fields, None when it is new): its own row, and those of the records whose search reads
    a changed field through a link to it."""
    if entity.is_child:
        return
    registry, schema = loaded.registry, loaded.schema
    if changed is None or _own_inputs(entity) & set(changed):
        refresh_by(connection, registry, schema, entity, "id", record_id, new=changed is None)
    if not changed:
        return
    for other, link, fields in dependents(registry, entity.name):
        if fields & set(changed):
            refresh_by(connection, registry, schema, other, link, record_id)


def index_deleted(connection: Connection, entity: EntitySpec, record_id: int) -> None:
    """Remove a deleted record's index row."""
    if not entity.is_child:
        forget(connection, entity, record_id)


def _sees_all(scope: Scope, entity: EntitySpec) -> bool:
    """Whether the reader of ``scope`` may read every field the index of ``entity`` holds."""
    registry = scope.loaded.registry
    for entry in search_entries(entity):
        if entry.link is None:
            if entry.field in scope.hidden:
                return False
        elif entry.link in scope.hidden or not scope.gate(registry.entity(entry.target or ""),
                                                          entry.field):
            return False
    return True


def _like(entity: EntitySpec, table: sa.Table, text: str,
          hidden: Collection[str]) -> sa.ColumnElement[bool]:
    """Records whose reference or a visible own search field contains ``text``."""
    pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    columns = [table.c.ref, *(table.c[e.field] for e in search_entries(entity)
                              if e.link is None and e.field not in hidden)]
    return sa.or_(*(column.ilike(pattern, escape="\\") for column in columns))


def _regconfig(name: str) -> sa.ColumnElement[Any]:
    return sa.cast(sa.literal(name), postgresql.REGCONFIG())


def _tsquery(terms: list[str]) -> sa.ColumnElement[Any]:
    """PostgreSQL: every term, as the start of a word or as a word of either language.
    Terms are letters and digits only, so quoting them leaves no operator in the query."""
    def one(term: str) -> sa.ColumnElement[Any]:
        forms = [sa.func.to_tsquery(_regconfig("simple"), f"'{term}':*"),
                 *(sa.func.to_tsquery(_regconfig(c), f"'{term}'") for c in LANGUAGES)]
        return reduce(lambda left, right: left.op("||")(right), forms)
    return reduce(lambda left, right: left.op("&&")(right), [one(t) for t in terms])


def search_condition(scope: Scope, text: str, dialect: str) -> Found:
    """The records of the scope's entity matching the search ``text``, ranked."""
    entity, table = scope.entity, scope.table
    if not _sees_all(scope, entity):
        return Found(_like(entity, table, text, scope.hidden))
    terms = search_terms(text)
    if not terms:
        return Found(sa.false())
    index = index_table(entity, dialect)
    key = record_key(index)
    if dialect == "sqlite":
        matched = index.c.body.match(" ".join(f'"{term}"*' for term in terms))
        name = sa.literal_column(index.name)  # the engine's own name, not the user's
        score: sa.ColumnElement[Any] = sa.func.bm25(name, type_=sa.Float())  # lower: better
    else:
        query = _tsquery(terms)
        matched = index.c.document.op("@@")(query)
        score = sa.func.ts_rank(index.c.document, query, type_=sa.Float())  # higher: better
    rank = sa.select(score).where(matched, key == table.c.id).scalar_subquery()
    return Found(table.c.id.in_(sa.select(key).where(matched)),
                 rank.asc() if dialect == "sqlite" else rank.desc())
