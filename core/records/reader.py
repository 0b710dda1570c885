"""The read side of the records service: one record (``get``), a page of records
(``list``), the stored row a write starts from, and a record just written as its writer
may read it; always as the acting user may see them."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from core.i18n import _
from core.i18n_metadata import MetadataTranslator
from core.metadata.specs import EntitySpec, Registry
from core.records.actor import Actor
from core.records.errors import NotFound
from core.records.fulltext import search_condition
from core.records.limits import check_offset, check_search, record_key
from core.records.list_statements import (
    ListShape,
    build_shape,
    frozen_query,
    page_parameters,
    run_count,
)
from core.records.options import ServiceOptions
from core.records.pending import release
from core.records.permissions import PermissionPolicy
from core.records.reading import (
    ListQuery,
    Page,
    check_fields,
    load_lines,
    order_by,
    present,
    selection,
)
from core.records.scope import Scope
from core.records.statements import StatementCache
from core.records.written import copied, note_existing, recall, row_of
from core.storage.database import Database
from core.storage.registry_store import Loaded


def not_found(actor: Actor, entity: EntitySpec, key: int | str,
              registry: Registry | None = None) -> NotFound:
    """The ``NotFound`` of record ``key`` of ``entity``, in the actor's language (with the
    entity's label in it translated by the packs of ``registry``)."""
    packs = registry.packs if registry is not None else ()
    return NotFound(MetadataTranslator(packs, actor.language).entity_message(
        _("No {entity} \"{key}\" exists."), entity, lower=True, key=key))


@contextmanager
def within(connection: Connection | None,
           begin: Callable[[], AbstractContextManager[Connection]]) -> Iterator[Connection]:
    """The caller's ``connection`` (its transaction), or a transaction ``begin`` opens."""
    if connection is not None:
        yield connection
        return
    with begin() as own:
        yield own


class RecordReader:
    """Reads records for the records service, through its policy and statement cache."""

    def __init__(self, database: Database, policy: PermissionPolicy,
                 statements: StatementCache):
        self.database = database
        self.policy = policy
        self.statements = statements  # reads built once per registry version

    def reading(self, connection: Connection | None) -> AbstractContextManager[Connection]:
        """The caller's connection, or a read transaction of our own."""
        return within(connection, self.database.read)

    def get(self, loaded: Loaded, entity: EntitySpec, actor: Actor, key: int | str,
            connection: Connection | None) -> dict[str, Any]:
        """Record ``key`` of root ``entity`` as ``actor`` may read it (see
        ``RecordsService.get``)."""
        scope = Scope(self.policy, loaded, actor, entity, "read")
        if connection is not None:
            release(connection, entity.name)  # values the rules hold back, written first
        if connection is not None and actor.is_admin and actor.scopes is None:
            # Administrators see whole records: the copy of one this transaction wrote serves.
            held = recall(connection, entity.name, key)
            if held is not None:
                return held
        with self.reading(connection) as conn:
            record = self.fetch(conn, loaded, entity, key, scope, actor)
            if connection is not None:
                note_existing(conn, entity, record)
            return record

    def find(self, connection: Connection, loaded: Loaded, entity: EntitySpec, actor: Actor,
             key: int | str, scope: Scope, lock: bool = False) -> Mapping[str, Any]:
        """The stored row ``key`` among those ``scope`` reaches; ``NotFound`` otherwise."""
        table = loaded.schema.table(entity.name)
        found = record_key(key)
        column = table.c.id if found and found[0] == "id" else table.c.ref
        statement = sa.select(table).where(column == found[1] if found else sa.false())
        visible = scope.rows()
        if visible is not None:
            statement = statement.where(visible)
        if lock and connection.dialect.name == "postgresql":
            statement = statement.with_for_update()
        row = connection.execute(statement).first()
        if row is None:
            raise not_found(actor, entity, key, loaded.registry)
        return dict(row._mapping)

    def current(self, connection: Connection, loaded: Loaded, entity: EntitySpec,
                actor: Actor, key: int | str, scope: Scope) -> Mapping[str, Any]:
        """The stored row ``key`` that a write starts from, locked: the copy of it this
        transaction wrote last (``core.records.written``: it is locked already) when the
        actor's rows are not limited, else read with ``FOR UPDATE``."""
        if isinstance(key, int) and not isinstance(key, bool):
            held = recall(connection, entity.name, key, copy=False)
            if held is not None and scope.rows() is None:
                row = row_of(entity, loaded.schema.table(entity.name).c.keys(), held)
                if row is not None:
                    return row
        return self.find(connection, loaded, entity, actor, key, scope, lock=True)

    def fetch(self, conn: Connection, loaded: Loaded, entity: EntitySpec, key: int | str,
              scope: Scope | None, actor: Actor, rows: bool = True,
              lines_of: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Record ``key`` as ``scope`` sees it (``rows``: only inside its row condition), or
        whole when ``scope`` is None (for rules and internal use). ``lines_of``: the record's
        lines when they are known (a whole copy of the record, or no lines), to take them
        from instead of reading them.
        """
        hidden = scope.hidden if scope is not None else frozenset()
        found = record_key(key)  # None: no record can have this key
        by_id = found is not None and found[0] == "id"
        reader = None if scope is None else (actor, id(self.policy))
        statement, links = self.statements.get(
            loaded.registry, ("fetch", entity.name, by_id, rows, reader),
            lambda: self.fetch_statement(loaded, entity, scope, by_id, rows))
        row = None if found is None else conn.execute(statement, {"key": found[1]}).first()
        if row is None:
            raise not_found(actor, entity, key, loaded.registry)
        record = present(entity, row, links)
        if lines_of is not None:
            record.update({f.name: copied(lines_of[f.name]) for f in entity.table_fields})
            return record
        load_lines(conn, loaded.registry, loaded.schema, entity, [record],
                   scope.titles if scope is not None else None, hidden,
                   statements=self.statements, reader=reader)
        return record

    @staticmethod
    def fetch_statement(loaded: Loaded, entity: EntitySpec, scope: Scope | None,
                        by_id: bool, rows: bool) -> tuple[sa.Select[Any], list[str]]:
        """The SELECT of one record by the bound ``key`` (its id, or its ref when not
        ``by_id``) as ``scope`` sees it, and the links whose titles it reads."""
        table = loaded.schema.table(entity.name)
        hidden = scope.hidden if scope is not None else frozenset()
        chosen = selection(entity, loaded.registry, loaded.schema,
                           ["created_at", "created_by", "modified_at", "modified_by",
                            *(f.name for f in entity.stored_fields if f.name not in hidden)],
                           scope.titles if scope is not None else None)
        column = table.c.id if by_id else table.c.ref
        statement = (sa.select(*chosen.columns).select_from(chosen.source)
                     .where(column == sa.bindparam("key")))
        visible = scope.rows() if scope is not None and rows else None
        if visible is not None:
            statement = statement.where(visible)
        return statement, chosen.links

    def result(self, conn: Connection, loaded: Loaded, actor: Actor, entity: EntitySpec,
               record_id: int, whole: dict[str, Any] | None = None) -> dict[str, Any]:
        """A record just written, as its writer may read it (whatever the row condition)."""
        if actor.is_admin and actor.scopes is None and whole is not None:
            return whole
        if not self.policy.allows(actor, entity, "read"):
            table = loaded.schema.table(entity.name)
            row = conn.execute(sa.select(table.c.id, table.c.ref, table.c.version)
                               .where(table.c.id == record_id)).one()
            return dict(row._mapping)
        scope = Scope(self.policy, loaded, actor, entity, "read")
        return self.fetch(conn, loaded, entity, record_id, scope, actor, rows=False)

    def list(self, loaded: Loaded, entity: EntitySpec, actor: Actor, query: ListQuery,
             connection: Connection | None, options: ServiceOptions) -> Page:
        """A page of the records of root ``entity`` matching ``query`` as ``actor`` may read
        them (see ``RecordsService.list``)."""
        scope = Scope(self.policy, loaded, actor, entity, "read")
        t = scope.translator
        fields = tuple(query.fields) if query.fields is not None else None
        if fields is not None:
            check_fields(entity, fields, t, scope.hidden)
        check_offset(query.offset, t)
        sort = tuple(query.sort)
        reader = (actor, id(self.policy))
        shape = self.statements.get(
            loaded.registry, ("list", entity.name, fields, sort, reader),
            lambda: self.list_shape(loaded, entity, scope, fields, sort))

        def filtered() -> tuple[tuple[sa.ColumnElement[bool], ...], sa.Select[Any]]:
            extra: list[sa.ColumnElement[bool]] = []
            ranked: tuple[sa.ColumnElement[Any], ...] = ()
            parsed = scope.filter(query.filters, limits=options.limits)
            if parsed is not None:
                extra.append(parsed)
            if query.search:
                check_search(query.search, t)
                found = search_condition(scope, query.search, self.database.dialect)
                extra.append(found.condition)
                if found.rank is not None and not sort:  # the best matches first
                    ranked = (found.rank,)
            return tuple(extra), shape.page(extra, ranked)

        # The same filter and search, for the same reader, compile to the same statement:
        # kept, a rule's lookup repeated for every record skips parsing and compiling it.
        asked = frozen_query(query.filters, query.search)
        extra, page = filtered() if asked is None else self.statements.get(
            loaded.registry, ("filtered", entity.name, fields, sort, reader, asked), filtered)
        limit = max(0, min(query.limit, options.max_page_size))
        if connection is not None:
            release(connection, entity.name)
        with self.reading(connection) as conn:
            rows = shape.rows(conn.execute(page,
                                           page_parameters(limit, max(0, query.offset))))
            cap = None if query.exact_count else options.count_limit
            if query.offset == 0 and len(rows) < limit:
                total, exact = len(rows), True
            elif not query.count:
                total, exact = query.offset + len(rows), False
            else:
                total, exact = run_count(conn, shape.count(extra, cap is not None), cap)
        return Page(rows=rows, total=total, total_exact=exact, limit=limit, offset=query.offset)

    @staticmethod
    def list_shape(loaded: Loaded, entity: EntitySpec, scope: Scope,
                   fields: tuple[str, ...] | None, sort: tuple[str, ...]) -> ListShape:
        """What a list of ``entity`` with these columns (checked) and sort needs, for the
        reader of ``scope`` (``QueryError`` for a sort it may not use)."""
        table = scope.table
        chosen = selection(entity, loaded.registry, loaded.schema,
                           fields if fields is not None else scope.visible_fields(),
                           scope.titles)
        order = order_by(entity, table, sort, scope.translator, scope.hidden)
        return build_shape(entity, table, chosen, order, scope.rows())
