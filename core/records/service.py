"""The records service: create, get, update, delete and list, for every caller.

Every call carries the acting user; permissions, validation, naming, child lines, audit and
optimistic locking happen here, so no caller (UI, API, CLI, rules, imports) can bypass them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from core.files import FileStore
from core.i18n import Translator, _
from core.metadata.specs import ACTIONS, EntitySpec
from core.records.access import check_reach, field_access, governing, link_reach
from core.records.actor import Actor
from core.records.audit import changed_fields, write_audit
from core.records.errors import Conflict, NotFound, RecordValidationError
from core.records.events import EventRelay, EventSink, RecordEvent
from core.records.history import HistoryEntry, read_history
from core.records.limits import (
    DEFAULT_LIMITS,
    Limits,
    check_offset,
    check_search,
    check_version,
    record_key,
)
from core.records.line_changes import lines_change
from core.records.lines import delete_children, keep_lines, save_lines
from core.records.list_statements import (
    ListShape,
    build_shape,
    frozen_query,
    page_parameters,
    run_count,
)
from core.records.naming import next_ref
from core.records.options import SAVE, SaveOptions
from core.records.pending import release
from core.records.permissions import (
    FieldAccess,
    PermissionPolicy,
    RolePolicy,
    ScopedPolicy,
    denied,
)
from core.records.pipeline import (
    refuse_if_linked,
    stale,
    validated,
    would_be,
    write_changes,
    write_new,
)
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
from core.records.write_context import WriteContext
from core.records.write_marks import write_mark
from core.records.written import (
    copied,
    note_created,
    note_existing,
    recall,
    recall_lines,
    remember,
    row_of,
    watch,
    written,
)
from core.storage.database import Database
from core.storage.registry_store import Loaded, RegistryStore


@dataclass(frozen=True)
class ServiceOptions:
    """Tunables of the records service."""

    count_limit: int = 10_000
    max_page_size: int = 1_000
    timezone: str = "Europe/Rome"  # whose "today" defaults and naming series use
    limits: Limits = DEFAULT_LIMITS  # lines per record, filter sizes, image pixels


def utcnow() -> dt.datetime:
    """Now, as naive UTC (how datetimes are stored)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class RecordsService:
    """The one way in and out of the data."""

    def __init__(self, database: Database, registry: RegistryStore,
                 policy: PermissionPolicy | None = None,
                 options: ServiceOptions | None = None, files: FileStore | None = None,
                 events: EventSink | None = None):
        """``events``: where changes are reported inside their transaction (the rules
        engine); an ``EventRelay`` when the sink is built after the service, as the rules
        engine is (it needs the service)."""
        self.database = database
        self.registry = registry
        self.policy: PermissionPolicy = ScopedPolicy(policy or RolePolicy())
        self.options = options or ServiceOptions()
        self.files = files
        self.clock: Callable[[], dt.datetime] = utcnow  # replaceable, e.g. by tests
        self._events = events
        self._statements = StatementCache()  # reads built once per registry version
        watch(database.engine)  # copies of written records go when a savepoint rolls back

    @property
    def events(self) -> EventSink | None:
        """The sink the service reports its events to now (None: none, no rules run)."""
        events = self._events
        return events.sink if isinstance(events, EventRelay) else events

    @events.setter
    def events(self, sink: EventSink | None) -> None:
        """Attach or detach the sink directly (tests and benchmarks that swap the rules)."""
        self._events = sink

    # -- helpers ---------------------------------------------------------------------------

    def _entity(self, loaded: Loaded, name: str, actor: Actor) -> EntitySpec:
        entity = loaded.registry.entities.get(name)
        if entity is None:
            raise NotFound(Translator(actor.language).gettext(_("Unknown entity \"{entity}\"."),
                                                              entity=name))
        return entity

    def _root(self, loaded: Loaded, entity: EntitySpec, actor: Actor) -> EntitySpec:
        """Records of child entities are reached through their parent."""
        if entity.is_child:
            t = Translator(actor.language)
            parent = loaded.registry.parent_of(entity.name)
            raise NotFound(t.gettext(_("\"{entity}\" holds lines of {parent}: read and write "
                                       "them through their parent."), entity=entity.name,
                                     parent=parent[0].name if parent else "?"))
        return entity

    @contextmanager
    def _writing(self, connection: Connection | None) -> Iterator[Connection]:
        if connection is not None:
            yield connection
            return
        with self.database.write() as own:
            yield own

    @contextmanager
    def _reading(self, connection: Connection | None) -> Iterator[Connection]:
        if connection is not None:
            yield connection
            return
        with self.database.read() as own:
            yield own

    def _find(self, connection: Connection, loaded: Loaded, entity: EntitySpec, actor: Actor,
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
            t = Translator(actor.language)
            raise NotFound(t.gettext(_("No {entity} \"{key}\" exists."),
                                     entity=entity.label.lower(), key=key))
        return dict(row._mapping)

    def _current(self, connection: Connection, loaded: Loaded, entity: EntitySpec,
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
        return self._find(connection, loaded, entity, actor, key, scope, lock=True)

    def _context(self, loaded: Loaded, connection: Connection, actor: Actor) -> WriteContext:
        now = self.clock()
        today = now.replace(tzinfo=dt.UTC).astimezone(ZoneInfo(self.options.timezone)).date()
        return WriteContext(registry=loaded.registry, schema=loaded.schema,
                            connection=connection, username=actor.username,
                            translator=Translator(actor.language), now=now, today=today,
                            files=self.files, trusted=actor.trusted,
                            limits=self.options.limits, actor_admin=actor.is_admin,
                            link_reach=None if actor.trusted else link_reach(self.policy,
                                                                              loaded, actor))

    # -- reading ---------------------------------------------------------------------------

    def get(self, actor: Actor, entity_name: str, key: int | str, *,
            connection: Connection | None = None) -> dict[str, Any]:
        """One record by id or ref, with link titles and its child lines.

        Only records inside the actor's row condition are found (others are ``NotFound``, as
        if missing); hidden fields are left out; ``_titles`` of links to entities the actor
        may not read are None.
        """
        loaded = self.registry.current()
        entity = self._root(loaded, self._entity(loaded, entity_name, actor), actor)
        scope = Scope(self.policy, loaded, actor, entity, "read")
        if connection is not None:
            release(connection, entity.name)  # values the rules hold back, written first
        if connection is not None and actor.is_admin and actor.scopes is None:
            # Administrators see whole records: the copy of one this transaction wrote serves.
            held = recall(connection, entity.name, key)
            if held is not None:
                return held
        with self._reading(connection) as conn:
            record = self._fetch(conn, loaded, entity, key, scope, actor)
            if connection is not None:
                note_existing(conn, entity, record)
            return record

    def _fetch(self, conn: Connection, loaded: Loaded, entity: EntitySpec, key: int | str,
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
        statement, links = self._statements.get(
            loaded.registry, ("fetch", entity.name, by_id, rows, reader),
            lambda: self._fetch_statement(loaded, entity, scope, by_id, rows))
        row = None if found is None else conn.execute(statement, {"key": found[1]}).first()
        if row is None:
            raise NotFound(Translator(actor.language).gettext(
                _("No {entity} \"{key}\" exists."), entity=entity.label.lower(), key=key))
        record = present(entity, row, links)
        if lines_of is not None:
            record.update({f.name: copied(lines_of[f.name]) for f in entity.table_fields})
            return record
        load_lines(conn, loaded.registry, loaded.schema, entity, [record],
                   scope.titles if scope is not None else None, hidden,
                   statements=self._statements, reader=reader)
        return record

    @staticmethod
    def _fetch_statement(loaded: Loaded, entity: EntitySpec, scope: Scope | None,
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

    def _result(self, conn: Connection, loaded: Loaded, actor: Actor, entity: EntitySpec,
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
        return self._fetch(conn, loaded, entity, record_id, scope, actor, rows=False)

    def list(self, actor: Actor, entity_name: str, query: ListQuery | None = None, *,
             connection: Connection | None = None) -> Page:
        """A page of records matching ``query``, with a total that stays cheap.

        The actor's row condition applies to the rows and the total; hidden fields cannot be
        asked for, filtered, sorted or searched (``QueryError`` as for unknown fields).
        """
        query = query or ListQuery()
        loaded = self.registry.current()
        entity = self._root(loaded, self._entity(loaded, entity_name, actor), actor)
        scope = Scope(self.policy, loaded, actor, entity, "read")
        t = scope.translator
        fields = tuple(query.fields) if query.fields is not None else None
        if fields is not None:
            check_fields(entity, fields, t, scope.hidden)
        check_offset(query.offset, t)
        sort = tuple(query.sort)
        reader = (actor, id(self.policy))
        shape = self._statements.get(
            loaded.registry, ("list", entity.name, fields, sort, reader),
            lambda: self._list_shape(loaded, entity, scope, fields, sort))

        def conditions() -> tuple[tuple[sa.ColumnElement[bool], ...], sa.Select[Any]]:
            extra: list[sa.ColumnElement[bool]] = []
            parsed = scope.filter(query.filters, limits=self.options.limits)
            if parsed is not None:
                extra.append(parsed)
            if query.search:
                check_search(query.search, t)
                extra.append(self._search(entity, scope.table, query.search, scope.hidden))
            return tuple(extra), shape.page(extra)

        asked = frozen_query(query.filters, query.search)
        extra, page = conditions() if asked is None else self._statements.get(
            loaded.registry, ("filtered", entity.name, fields, sort, reader, asked), conditions)
        limit = max(0, min(query.limit, self.options.max_page_size))
        if connection is not None:
            release(connection, entity.name)
        with self._reading(connection) as conn:
            rows = shape.rows(conn.execute(page,
                                           page_parameters(limit, max(0, query.offset))))
            cap = None if query.exact_count else self.options.count_limit
            if query.offset == 0 and len(rows) < limit:
                total, exact = len(rows), True
            elif not query.count:
                total, exact = query.offset + len(rows), False
            else:
                total, exact = run_count(conn, shape.count(extra, cap is not None), cap)
        return Page(rows=rows, total=total, total_exact=exact, limit=limit, offset=query.offset)

    @staticmethod
    def _list_shape(loaded: Loaded, entity: EntitySpec, scope: Scope,
                    fields: tuple[str, ...] | None, sort: tuple[str, ...]) -> ListShape:
        """What a list of ``entity`` with these columns (checked) and sort needs, for the
        reader of ``scope`` (``QueryError`` for a sort it may not use)."""
        table = scope.table
        chosen = selection(entity, loaded.registry, loaded.schema,
                           fields if fields is not None else scope.visible_fields(),
                           scope.titles)
        order = order_by(entity, table, sort, scope.translator, scope.hidden)
        return build_shape(entity, table, chosen, order, scope.rows())

    @staticmethod
    def _search(entity: EntitySpec, table: sa.Table, text: str,
                hidden: frozenset[str] = frozenset()) -> sa.ColumnElement[bool]:
        pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        columns = [table.c.ref, *(table.c[name] for name in entity.search_fields
                                  if name not in hidden)]
        return sa.or_(*(column.ilike(pattern, escape="\\") for column in columns))

    # -- permissions, for callers that adapt to them (the web UI) -------------------------

    def scope(self, actor: Actor, entity_name: str, action: str = "read") -> Scope:
        """What ``actor`` reaches of ``entity_name`` for ``action``: its row condition,
        hidden fields, filters and link titles (``PermissionDenied`` if not allowed).

        For readers of records other than this service, e.g. reports.
        """
        loaded = self.registry.current()
        entity = self._root(loaded, self._entity(loaded, entity_name, actor), actor)
        return Scope(self.policy, loaded, actor, entity, action)

    def _governing(self, loaded: Loaded, name: str, actor: Actor) -> EntitySpec:
        """The entity whose permissions apply to ``name``: itself, or for lines the root."""
        return governing(loaded.registry, self._entity(loaded, name, actor))

    def can(self, actor: Actor, entity_name: str, action: str) -> bool:
        """Whether ``actor`` may ``action`` (read, create, update, delete, export) records of
        ``entity_name`` at all; a row condition may still limit which records.

        ``export`` (downloading lists as CSV or XLSX) needs ``read`` too; lines follow
        their parent entity. ``NotFound`` for an unknown entity, ``ValueError`` for an
        unknown action.
        """
        if action not in ACTIONS:
            raise ValueError(f"unknown action {action!r}: use one of {', '.join(ACTIONS)}")
        loaded = self.registry.current()
        entity = self._governing(loaded, entity_name, actor)
        allowed = self.policy.allows(actor, entity, action)
        return allowed and (action != "export" or self.policy.allows(actor, entity, "read"))

    def require(self, actor: Actor, entity_name: str, action: str) -> None:
        """Raise ``PermissionDenied`` (localised) unless ``can(actor, entity_name, action)``."""
        if not self.can(actor, entity_name, action):
            loaded = self.registry.current()
            raise denied(actor, self._governing(loaded, entity_name, actor), action)

    def field_access(self, actor: Actor, entity_name: str,
                     action: str = "update") -> FieldAccess:
        """The fields of ``entity_name`` that ``actor`` may read, and may write when they
        ``action`` (``create`` or ``update``) a record: for forms to hide fields and inputs.

        ``writable`` leaves out the fields the system fills (computed, read-only, filled by
        rules, the workflow's state) for untrusted actors; child tables are fields like the
        others (their lines are read and written whole), and each field of their lines is
        named ``table.field``. Both are empty without the permission.
        """
        loaded = self.registry.current()
        entity = self._root(loaded, self._entity(loaded, entity_name, actor), actor)
        return field_access(self.policy, loaded.registry, entity, actor, action)

    def history(self, actor: Actor, entity_name: str, key: int | str, *,
                connection: Connection | None = None) -> list[HistoryEntry]:
        """The audit trail of one record and its lines, and the rules that ran on it, newest
        first: for a timeline.

        Needs ``read`` on the record (``NotFound`` outside the actor's row condition);
        changes of fields hidden from the actor, and of hidden child tables, are left out
        (and so are updates that changed only those); the details of rule failures only
        administrators see.
        """
        loaded = self.registry.current()
        entity = self._root(loaded, self._entity(loaded, entity_name, actor), actor)
        scope = Scope(self.policy, loaded, actor, entity, "read")
        with self._reading(connection) as conn:
            release(conn, entity.name)
            existing = self._find(conn, loaded, entity, actor, key, scope)
            return read_history(conn, loaded.schema, entity, existing["id"], scope.hidden,
                                details=actor.is_admin)

    # -- writing ---------------------------------------------------------------------------

    def create(self, actor: Actor, entity_name: str, data: Mapping[str, Any], *,
               options: SaveOptions = SAVE,
               connection: Connection | None = None) -> dict[str, Any]:
        """Validate and insert a record with its child lines; return it as ``get`` would.

        Fields the actor may not write (hidden or read-only for them) are refused with a
        field error; the new record must fall inside their row condition for ``create``.
        With ``options.validate_only``, return the record as it would be, writing nothing.
        """
        actor = options.actor(actor)
        loaded = self.registry.current()
        entity = self._root(loaded, self._entity(loaded, entity_name, actor), actor)
        scope = Scope(self.policy, loaded, actor, entity, "create")
        with self._reading(connection) if options.validate_only \
                else self._writing(connection) as conn:
            ctx = self._context(loaded, conn, actor)
            prepared = validated(ctx, entity, data, None, scope.access.locked,
                                 scope.access.hidden)
            if self.events is not None:
                self.events.transition_for(conn, actor, entity.name, None, prepared.values)
            if options.validate_only:
                return would_be(prepared, None)
            table = loaded.schema.table(entity.name)
            series = loaded.schema.system["officina_naming_series"]
            ref = next_ref(conn, series, entity.naming or "", ctx.today, entity.name)
            standard = {"ref": ref, "created_at": ctx.now, "created_by": actor.username,
                        "modified_at": ctx.now, "modified_by": actor.username, "version": 1}
            record_id = write_new(conn, table, {**prepared.values, **standard}, ctx, entity)
            write_audit(conn, loaded.schema.system["officina_audit"], username=actor.username,
                        action="create", entity=entity.name, record_id=record_id,
                        changes={k: (None, v) for k, v in prepared.values.items()
                                 if v is not None}, at=ctx.now)
            save_lines(ctx, entity, record_id, prepared, new=True)
            written(conn, loaded.registry, entity.name, record_id, titles=False)
            note_created(conn, entity.name, record_id)
            # A new record has the lines just written: none to read when none were given.
            no_lines = {f.name: [] for f in entity.table_fields} \
                if not any(prepared.lines.values()) else None
            whole = self._fetch(conn, loaded, entity, record_id, None, actor,
                                lines_of=no_lines)
            remember(conn, entity.name, whole)
            note_existing(conn, entity, whole)
            if no_lines is not None:
                keep_lines(ctx, entity, record_id, known_empty=True)
            if self.events is not None:
                fetched = write_mark(conn)
                self.events.emit(conn, RecordEvent("created", entity.name, whole, actor,
                                                   changed=frozenset(prepared.values),
                                                   write_mark=fetched))
                if write_mark(conn) != fetched:  # the rules wrote: as they left it, if known
                    whole = recall(conn, entity.name, record_id)
            check_reach(conn, scope, record_id, "create")
            return self._result(conn, loaded, actor, entity, record_id, whole)

    def transition(self, actor: Actor, entity_name: str, key: int | str, name: str, *,
                   version: int | None = None,
                   connection: Connection | None = None) -> dict[str, Any]:
        """Take the workflow transition ``name`` (roles and guard checked, actions run)."""
        loaded = self.registry.current()
        machine = loaded.registry.state_machine(entity_name)
        spec = machine.transition(name) if machine else None
        if spec is None:
            raise NotFound(Translator(actor.language).gettext(
                _("\"{entity}\" has no transition \"{name}\"."), entity=entity_name,
                name=name))
        with self._writing(connection) as conn:
            entity = self._root(loaded, self._entity(loaded, entity_name, actor), actor)
            scope = Scope(self.policy, loaded, actor, entity, "update")
            release(conn, entity.name)
            current = self._current(conn, loaded, entity, actor, key, scope)
            return self.update(actor, entity_name, current["id"], {machine.field: spec.target},
                               version=current["version"] if version is None else version,
                               connection=conn, _transition=name)

    def update(self, actor: Actor, entity_name: str, key: int | str,
               data: Mapping[str, Any], *, version: int | None = None,
               options: SaveOptions = SAVE, connection: Connection | None = None,
               _transition: str | None = None) -> dict[str, Any]:
        """Change a record; ``version`` (or ``data["version"]``) must be the one last read.

        A record outside the actor's row condition for ``update`` is ``NotFound``, and must
        stay inside it; fields the actor may not write are refused with a field error.
        With ``options.validate_only``, return the record as it would be, writing nothing
        (a ``version`` other than the stored one is the ``Conflict`` a save would meet).
        """
        actor = options.actor(actor)
        loaded = self.registry.current()
        entity = self._root(loaded, self._entity(loaded, entity_name, actor), actor)
        scope = Scope(self.policy, loaded, actor, entity, "update")
        t = Translator(actor.language)
        expected = version if version is not None else data.get("version")
        if isinstance(expected, bool) or not isinstance(expected, int):
            raise RecordValidationError(t.gettext(_("An update must carry the version of the "
                                                    "record it changes.")),
                                        {"version": [t.gettext(_("A value is required."))]})
        check_version(expected, t)
        with self._reading(connection) if options.validate_only \
                else self._writing(connection) as conn:
            release(conn, entity.name)
            existing = (self._find(conn, loaded, entity, actor, key, scope)
                        if options.validate_only
                        else self._current(conn, loaded, entity, actor, key, scope))
            before = recall(conn, entity.name, existing["id"], copy=False)
            ctx = self._context(loaded, conn, actor)
            for child, rows in (recall_lines(conn, entity.name, existing["id"]) or {}).items():
                ctx.stored_cache[(child, existing["id"])] = rows
            prepared = validated(ctx, entity, data, existing, scope.access.locked,
                                 scope.access.hidden)
            changes = changed_fields(existing, prepared.values)
            transition = None
            if self.events is not None:
                transition = self.events.transition_for(conn, actor, entity.name, existing,
                                                        prepared.values, _transition)
            if options.validate_only:
                if expected != existing["version"]:
                    raise stale(t, existing, expected)
                return would_be(prepared, existing)
            table = loaded.schema.table(entity.name)
            if not changes and transition is None and not (
                    prepared.lines and lines_change(ctx, entity, existing["id"], prepared)):
                if expected != existing["version"]:
                    raise stale(t, existing, expected)
                # Nothing changes: no new version, no audit, no event.
                return self._result(conn, loaded, actor, entity, existing["id"],
                                    recall(conn, entity.name, existing["id"]))
            result = write_changes(self._statements, ctx, entity, table, existing, expected,
                                   changes)
            if result.rowcount == 0:
                raise stale(t, existing, expected)
            write_audit(conn, loaded.schema.system["officina_audit"], username=actor.username,
                        action="update", entity=entity.name, record_id=existing["id"],
                        changes=changes, at=ctx.now)
            save_lines(ctx, entity, existing["id"], prepared)
            written(conn, loaded.registry, entity.name, existing["id"],
                    titles=entity.title_field in changes)
            if not prepared.lines:  # the lines read for this write are still the stored ones
                keep_lines(ctx, entity, existing["id"])
            # Lines not written are as the copy before the write holds them, if there is one.
            same_lines = before if before is not None and not prepared.lines and all(
                f.name in before for f in entity.table_fields) else None
            whole: dict[str, Any] | None = self._fetch(conn, loaded, entity, existing["id"],
                                                       None, actor, lines_of=same_lines)
            remember(conn, entity.name, whole)
            note_existing(conn, entity, whole)
            if self.events is not None:
                fetched = write_mark(conn)
                self.events.emit(conn, RecordEvent("updated", entity.name, whole, actor,
                                                   old=existing, changed=frozenset(changes),
                                                   write_mark=fetched))
                if transition is not None:
                    self.events.emit(conn, RecordEvent(
                        "transition", entity.name, whole, actor, old=existing,
                        changed=frozenset(changes), transition=transition,
                        write_mark=fetched))
                if write_mark(conn) != fetched:  # the rules wrote: as they left it, if known
                    whole = recall(conn, entity.name, existing["id"])
            check_reach(conn, scope, existing["id"], "update")
            return self._result(conn, loaded, actor, entity, existing["id"], whole)

    def delete(self, actor: Actor, entity_name: str, key: int | str, *,
               version: int | None = None, connection: Connection | None = None) -> None:
        """Delete a record and its lines, unless other records still link to it.

        A record outside the actor's row condition for ``delete`` is ``NotFound``.
        """
        loaded = self.registry.current()
        entity = self._root(loaded, self._entity(loaded, entity_name, actor), actor)
        scope = Scope(self.policy, loaded, actor, entity, "delete")
        t = Translator(actor.language)
        with self._writing(connection) as conn:
            release(conn, entity.name)
            existing = self._find(conn, loaded, entity, actor, key, scope, lock=True)
            if version is not None and version != existing["version"]:
                raise Conflict(t.gettext(_("{ref} was changed since you opened it: reload it "
                                           "before deleting."), ref=existing["ref"]))
            refuse_if_linked(conn, loaded, entity, existing, t)
            ctx = self._context(loaded, conn, actor)
            # The record as the rules on ``deleted`` see it, lines included: read before
            # they go (this transaction's copy of it serves, if it wrote one).
            whole = None if self.events is None else (
                recall(conn, entity.name, existing["id"])
                or self._fetch(conn, loaded, entity, existing["id"], None, actor))
            delete_children(ctx, entity, [existing["id"]])
            table = loaded.schema.table(entity.name)
            conn.execute(table.delete().where(table.c.id == existing["id"]))
            written(conn, loaded.registry, entity.name, existing["id"])
            # Its timers have nothing left to remind about (and a reused id inherits none).
            timers = loaded.schema.system["officina_timer"]
            conn.execute(timers.update().where(
                timers.c.entity == entity.name, timers.c.record_id == existing["id"],
                timers.c.status == "pending").values(status="cancelled", done_at=ctx.now))
            write_audit(conn, loaded.schema.system["officina_audit"], username=actor.username,
                        action="delete", entity=entity.name, record_id=existing["id"],
                        changes={f.name: (existing[f.name], None) for f in entity.stored_fields
                                 if existing[f.name] is not None} | {"ref": (existing["ref"],
                                                                              None)},
                        at=ctx.now)
            if self.events is not None and whole is not None:
                self.events.emit(conn, RecordEvent("deleted", entity.name, whole, actor,
                                                   old=existing, write_mark=write_mark(conn)))
