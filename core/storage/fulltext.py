"""Full-text indexes of records: one per root entity, over its reference and its search
fields (its own, and ``link.field``: a field of the record a link points to).

SQLite: an FTS5 table ``<table>_fts`` (rowid = the record's id, one ``body`` column with the
searched text; ``unicode61`` tokens, diacritics removed). PostgreSQL: a table
``<table>_fts`` (``id``, ``document`` tsvector, GIN index); the text's letters and digits
are kept, the rest becomes spaces (so words split as on SQLite), and the document holds the
words as they are (``simple``, for prefixes) and their Italian and English stems.

Each index row is computed by the database from the record and its linked records (one
INSERT ... SELECT), so one statement refreshes one record, the records linking to a renamed
one, or a whole table when the index is built (``ensure_indexes``, run by every migration:
an index whose definition changed is built again, with the rows already stored).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from functools import reduce
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection

from core.metadata.specs import EntitySpec, Registry
from core.storage.tables import Schema

STATE_KEY = "fulltext_indexes"  # officina_state: each index built, with its definition
LANGUAGES = ("italian", "english")  # the stems PostgreSQL documents hold besides the words


@dataclass(frozen=True)
class SearchEntry:
    """One search field: ``field`` of the entity itself, or of the record ``link`` points to
    (an entity of ``target``)."""

    field: str
    link: str | None = None
    target: str | None = None

    @property
    def name(self) -> str:
        """As the entity declares it: ``field`` or ``link.field``."""
        return f"{self.link}.{self.field}" if self.link else self.field


def search_entries(entity: EntitySpec) -> tuple[SearchEntry, ...]:
    """The entity's search fields, linked ones with their target entity."""
    entries = []
    for name in entity.search_fields:
        if "." not in name:
            entries.append(SearchEntry(name))
            continue
        link, field = name.split(".", 1)
        spec = entity.field(link)
        entries.append(SearchEntry(field, link, spec.target if spec is not None else None))
    return tuple(entries)


def indexed_entities(registry: Registry) -> list[EntitySpec]:
    """The entities with a full-text index: every root entity (lists are of roots)."""
    return [e for e in registry.entities.values() if not e.is_child]


_DEPENDENTS: dict[tuple[str, str], list[tuple[EntitySpec, str, frozenset[str]]]] = {}


def dependents(registry: Registry, target: str) -> list[tuple[EntitySpec, str, frozenset[str]]]:
    """The entities whose index reads fields of ``target`` records: each with the link
    field pointing to them and the fields read (found once per registry)."""
    key = (registry.content_hash, target)
    cached = _DEPENDENTS.get(key)
    if cached is None:
        if len(_DEPENDENTS) > 4096:
            _DEPENDENTS.clear()
        cached = _DEPENDENTS[key] = _dependents(registry, target)
    return cached


def _dependents(registry: Registry, target: str) -> list[tuple[EntitySpec, str, frozenset[str]]]:
    found = []
    for entity in indexed_entities(registry):
        by_link: dict[str, set[str]] = {}
        for entry in search_entries(entity):
            if entry.link and entry.target == target:
                by_link.setdefault(entry.link, set()).add(entry.field)
        found += [(entity, link, frozenset(fields)) for link, fields in by_link.items()]
    return found


def index_name(entity: EntitySpec) -> str:
    """The index table of ``entity``: ``<table>_fts``, shortened with a hash past 63."""
    name = f"{entity.table_name}_fts"
    if len(name) <= 63:
        return name
    return f"{name[:50]}_{hashlib.sha1(name.encode()).hexdigest()[:8]}_fts"  # noqa: S324


_TABLES: dict[tuple[str, str], sa.Table] = {}


def index_table(entity: EntitySpec, dialect: str) -> sa.Table:
    """The index table of ``entity`` on ``dialect``, as SQLAlchemy describes it."""
    name = index_name(entity)
    found = _TABLES.get((name, dialect))
    if found is None:
        metadata = sa.MetaData()
        if dialect == "sqlite":  # an FTS5 table: its rowid is the record's id
            found = sa.Table(name, metadata, sa.Column("rowid", sa.BigInteger(), primary_key=True),
                             sa.Column("body", sa.Text()))
        else:
            found = sa.Table(name, metadata, sa.Column("id", sa.BigInteger(), primary_key=True),
                             sa.Column("document", postgresql.TSVECTOR(), nullable=False))
            sa.Index(f"ix_{name}_document"[:63], found.c.document, postgresql_using="gin")
        _TABLES[(name, dialect)] = found
    return found


def record_key(table: sa.Table) -> sa.Column[Any]:
    """The column of an index table holding the record's id."""
    return table.c.rowid if "rowid" in table.c else table.c.id


def body(registry: Registry, schema: Schema, entity: EntitySpec) -> sa.ColumnElement[str]:
    """The searched text of each row of ``entity``'s table: its reference and search
    fields, linked ones read from the records the links point to, separated by spaces."""
    table = schema.table(entity.name)
    parts: list[sa.ColumnElement[Any]] = [table.c.ref]
    for entry in search_entries(entity):
        if entry.link is None:
            value: sa.ColumnElement[Any] = table.c[entry.field]
        else:
            target = schema.alias(registry.entity(entry.target or "").name, f"fts_{entry.link}")
            value = (sa.select(target.c[entry.field])
                     .where(target.c.id == table.c[entry.link]).scalar_subquery())
        parts.append(sa.func.coalesce(sa.cast(value, sa.Text()), ""))
    return reduce(lambda left, right: left.op("||")(" ").op("||")(right), parts[1:],
                  sa.cast(parts[0], sa.Text()))


def _regconfig(name: str) -> sa.ColumnElement[Any]:
    return sa.cast(sa.literal(name), postgresql.REGCONFIG())


def document(text: sa.ColumnElement[str]) -> sa.ColumnElement[Any]:
    """PostgreSQL: the tsvector of ``text``: its words (``simple``) and their stems."""
    words = sa.func.regexp_replace(text, "[^[:alnum:]]+", " ", "g")
    vectors = [sa.func.to_tsvector(_regconfig(c), words) for c in ("simple", *LANGUAGES)]
    return reduce(lambda left, right: left.op("||")(right), vectors)


def refresh_statements(registry: Registry, schema: Schema, entity: EntitySpec, dialect: str,
                       where: sa.ColumnElement[bool]) -> tuple[sa.Delete, sa.Insert]:
    """The DELETE and INSERT ... SELECT that compute again the index rows of the records of
    ``entity`` matching ``where``."""
    index = index_table(entity, dialect)
    table = schema.table(entity.name)
    key = record_key(index)
    text = body(registry, schema, entity)
    value, column = (text, "body") if dialect == "sqlite" else (document(text), "document")
    return (index.delete().where(key.in_(sa.select(table.c.id).where(where))),
            index.insert().from_select([key.name, column],
                                       sa.select(table.c.id, value).where(where)))


KEY = "fts_key"  # the bound value of ``refresh_by``
_BY: dict[tuple[str, str, str, str], tuple[sa.Delete, sa.Insert]] = {}


def refresh_by(connection: Connection, registry: Registry, schema: Schema,
               entity: EntitySpec, column: str, value: int, new: bool = False) -> None:
    """Compute again the index rows of the records of ``entity`` whose ``column`` (``id``,
    or a link) is ``value``; the statements are built once per registry. A ``new`` record
    has no row to delete yet."""
    dialect = connection.dialect.name
    cache_key = (registry.content_hash, entity.name, column, dialect)
    statements = _BY.get(cache_key)
    if statements is None:
        if len(_BY) > 4096:
            _BY.clear()
        where = schema.table(entity.name).c[column] == sa.bindparam(KEY, type_=sa.BigInteger())
        statements = _BY[cache_key] = refresh_statements(registry, schema, entity, dialect,
                                                         where)
    for statement in statements[1:] if new else statements:
        connection.execute(statement, {KEY: value})


def refresh(connection: Connection, registry: Registry, schema: Schema, entity: EntitySpec,
            where: sa.ColumnElement[bool]) -> None:
    """Compute again the index rows of the records of ``entity`` matching ``where``."""
    for statement in refresh_statements(registry, schema, entity, connection.dialect.name,
                                        where):
        connection.execute(statement)


def forget(connection: Connection, entity: EntitySpec, record_id: int) -> None:
    """Remove a deleted record's index row."""
    index = index_table(entity, connection.dialect.name)
    connection.execute(index.delete().where(record_key(index) == record_id))


def definition(entity: EntitySpec) -> str:
    """What an index is built from: when it changes, the index is built again."""
    return json.dumps([entity.table_name, [e.name for e in search_entries(entity)],
                       list(LANGUAGES)])


def _create(connection: Connection, index: sa.Table) -> None:
    if connection.dialect.name != "sqlite":
        index.create(connection)
        return
    # SQLAlchemy has no construct for a virtual table; the name is the engine's own.
    name = connection.dialect.identifier_preparer.quote(index.name)
    connection.execute(sa.text(
        f"CREATE VIRTUAL TABLE {name} USING fts5(body, "
        "tokenize = 'unicode61 remove_diacritics 2')"))


def _drop(connection: Connection, names: Iterable[str], existing: set[str]) -> None:
    for name in names:
        if name in existing:
            sa.Table(name, sa.MetaData()).drop(connection)


def ensure_indexes(connection: Connection, registry: Registry, schema: Schema) -> list[str]:
    """Create the index of every indexed entity that lacks one, or whose definition
    changed, filled from the rows stored; drop those of entities gone. Returns the names of
    the indexes built."""
    state = schema.system["officina_state"]
    stored = connection.execute(sa.select(state.c.value).where(
        state.c.key == STATE_KEY)).scalar()
    built: dict[str, str] = json.loads(stored) if stored else {}
    existing = set(sa.inspect(connection).get_table_names())
    wanted = {index_name(e): e for e in indexed_entities(registry)
              if e.table_name in existing}
    _drop(connection, sorted(set(built) - set(wanted)), existing)
    made = []
    for name, entity in wanted.items():
        if built.get(name) == definition(entity) and name in existing:
            continue
        _drop(connection, [name], existing)
        _create(connection, index_table(entity, connection.dialect.name))
        refresh(connection, registry, schema, entity, sa.true())
        made.append(name)
    value = json.dumps({name: definition(e) for name, e in wanted.items()}, sort_keys=True)
    if stored is None:
        connection.execute(state.insert().values(key=STATE_KEY, value=value))
    elif stored != value:
        connection.execute(state.update().where(state.c.key == STATE_KEY).values(value=value))
    return made
