"""The records service: create, get, update, delete and list, for every caller.

Every call carries the acting user; permissions, validation, naming, child lines, audit and
optimistic locking happen here, so no caller (UI, API, CLI, rules, imports) can bypass them.
The service is the front: reading is ``core.records.reader``, the steps of a create or an
update ``core.records.save_steps``, what an actor reaches ``core.records.access``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Connection

from core.files import FileStore
from core.i18n import Translator, _
from core.metadata.specs import ACTIONS, EntitySpec
from core.records.access import field_access, governing, link_reach
from core.records.actor import Actor
from core.records.errors import Conflict, NotFound
from core.records.events import EventRelay, EventSink, RecordEvent
from core.records.history import HistoryEntry, read_history
from core.records.options import SAVE, SaveOptions, ServiceOptions
from core.records.pending import release
from core.records.permissions import (
    FieldAccess,
    PermissionPolicy,
    RolePolicy,
    ScopedPolicy,
    denied,
)
from core.records.pipeline import delete_row, refuse_if_linked
from core.records.reader import RecordReader, within
from core.records.reading import ListQuery, Page
from core.records.save_steps import Save, run
from core.records.scope import Scope
from core.records.statements import StatementCache
from core.records.write_context import WriteContext
from core.records.write_marks import write_mark
from core.records.written import recall, watch
from core.storage.database import Database
from core.storage.registry_store import Loaded, RegistryStore


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
        # Reads, with the statements they build once per registry version.
        self.reader = RecordReader(database, self.policy, StatementCache())
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

    def _root(self, loaded: Loaded, name: str, actor: Actor) -> EntitySpec:
        """Entity ``name``; records of child entities are reached through their parent."""
        entity = self._entity(loaded, name, actor)
        if entity.is_child:
            t = Translator(actor.language)
            parent = loaded.registry.parent_of(entity.name)
            raise NotFound(t.gettext(_("\"{entity}\" holds lines of {parent}: read and write "
                                       "them through their parent."), entity=entity.name,
                                     parent=parent[0].name if parent else "?"))
        return entity

    def _writing(self, connection: Connection | None) -> AbstractContextManager[Connection]:
        """The caller's connection, or a write transaction of our own."""
        return within(connection, self.database.write)

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
        entity = self._root(loaded, entity_name, actor)
        return self.reader.get(loaded, entity, actor, key, connection)

    def list(self, actor: Actor, entity_name: str, query: ListQuery | None = None, *,
             connection: Connection | None = None) -> Page:
        """A page of records matching ``query``, with a total that stays cheap.

        The actor's row condition applies to the rows and the total; hidden fields cannot be
        asked for, filtered, sorted or searched (``QueryError`` as for unknown fields).
        """
        loaded = self.registry.current()
        entity = self._root(loaded, entity_name, actor)
        return self.reader.list(loaded, entity, actor, query or ListQuery(), connection,
                                self.options)

    # -- permissions, for callers that adapt to them (the web UI) -------------------------

    def scope(self, actor: Actor, entity_name: str, action: str = "read") -> Scope:
        """What ``actor`` reaches of ``entity_name`` for ``action``: its row condition,
        hidden fields, filters and link titles (``PermissionDenied`` if not allowed).

        For readers of records other than this service, e.g. reports.
        """
        loaded = self.registry.current()
        entity = self._root(loaded, entity_name, actor)
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
        entity = self._root(loaded, entity_name, actor)
        return field_access(self.policy, loaded.registry, entity, actor, action)

    def history(self, actor: Actor, entity_name: str, key: int | str, *,
                connection: Connection | None = None) -> list[HistoryEntry]:
        """The audit trail of one record and its lines, and the rules that ran on it, newest
        first: for a timeline.

        Needs ``read`` on the record (``NotFound`` outside the actor's row condition);
        changes of fields hidden from the actor, and of hidden child tables, are left out
        (and so are updates that changed only those); the rules that ran on it, and why
        they failed, only administrators see.
        """
        loaded = self.registry.current()
        entity = self._root(loaded, entity_name, actor)
        scope = Scope(self.policy, loaded, actor, entity, "read")
        with self.reader.reading(connection) as conn:
            release(conn, entity.name)
            existing = self.reader.find(conn, loaded, entity, actor, key, scope)
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
        return run(self._save(actor, entity_name, data, options, connection))

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
            entity = self._root(loaded, entity_name, actor)
            scope = Scope(self.policy, loaded, actor, entity, "update")
            release(conn, entity.name)
            current = self.reader.current(conn, loaded, entity, actor, key, scope)
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
        return run(self._save(actor, entity_name, data, options, connection, key=key,
                              version=version, transition_name=_transition))

    def _save(self, actor: Actor, entity_name: str, data: Mapping[str, Any],
              options: SaveOptions, connection: Connection | None, **update: Any) -> Save:
        """A create (or, with ``update``'s key, version and transition, an update) for
        ``save_steps.run``."""
        actor = options.actor(actor)
        loaded = self.registry.current()
        entity = self._root(loaded, entity_name, actor)
        return Save(
            reader=self.reader, sink=self.events, actor=actor, loaded=loaded, entity=entity,
            data=data, options=options,
            connect=lambda: (self.reader.reading(connection) if options.validate_only
                             else self._writing(connection)),
            context=lambda conn: self._context(loaded, conn, actor), **update)

    def delete(self, actor: Actor, entity_name: str, key: int | str, *,
               version: int | None = None, connection: Connection | None = None) -> None:
        """Delete a record and its lines, unless other records still link to it.

        A record outside the actor's row condition for ``delete`` is ``NotFound``.
        """
        loaded = self.registry.current()
        entity = self._root(loaded, entity_name, actor)
        scope = Scope(self.policy, loaded, actor, entity, "delete")
        t = Translator(actor.language)
        with self._writing(connection) as conn:
            release(conn, entity.name)
            existing = self.reader.find(conn, loaded, entity, actor, key, scope, lock=True)
            if version is not None and version != existing["version"]:
                raise Conflict(t.gettext(_("{ref} was changed since you opened it: reload it "
                                           "before deleting."), ref=existing["ref"]))
            refuse_if_linked(conn, loaded, entity, existing, t)
            ctx = self._context(loaded, conn, actor)
            # The record as the rules on ``deleted`` see it, lines included: read before
            # they go (this transaction's copy of it serves, if it wrote one).
            whole = None if self.events is None else (
                recall(conn, entity.name, existing["id"])
                or self.reader.fetch(conn, loaded, entity, existing["id"], None, actor))
            delete_row(ctx, entity, existing)
            if self.events is not None and whole is not None:
                self.events.emit(conn, RecordEvent("deleted", entity.name, whole, actor,
                                                   old=existing, write_mark=write_mark(conn)))
