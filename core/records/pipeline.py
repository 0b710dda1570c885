"""What the steps of a records write (``core.records.save_steps``) build on: the write
itself (``write_new``, ``write_changes``; ``delete_row`` for a delete), the record a write
that only validates would store (``would_be``), and the refusals the steps end with (field
errors, a stale version, a record still linked)."""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import AbstractContextManager, nullcontext
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from core.i18n import Translator, _
from core.metadata.field_types import traits_of
from core.metadata.specs import EntitySpec
from core.records.audit import write_audit
from core.records.errors import Conflict, RecordValidationError
from core.records.fulltext import index_deleted
from core.records.lines import delete_children
from core.records.statements import StatementCache
from core.records.write_context import Prepared, WriteContext
from core.records.writing import check_unique
from core.records.written import written
from core.storage.registry_store import Loaded


def raise_errors(ctx: WriteContext, entity: EntitySpec) -> None:
    """Refuse the write with the field errors the steps so far found, if any."""
    if ctx.errors:
        raise RecordValidationError(ctx.labels.entity_message(
            _("The {entity} was not saved: please correct the fields below."), entity,
            lower=True), ctx.errors)


def stale(t: Translator, existing: Mapping[str, Any], expected: int) -> Conflict:
    """The conflict of a write that started from ``expected``, an older version."""
    return Conflict(t.gettext(
        _("{ref} was changed by {user} since you opened it (version {expected}, now "
          "{current}): reload it and apply your change again."),
        ref=existing["ref"], user=existing["modified_by"], expected=expected,
        current=existing["version"]))


def guarded(conn: Connection, entity: EntitySpec) -> AbstractContextManager[Any]:
    """A savepoint around a write that may clash on a unique field (so the clash can be
    reported as a field error); none for entities without unique fields."""
    if entity.unique or any(f.unique for f in entity.stored_fields):
        return conn.begin_nested()
    return nullcontext()


def write_new(conn: Connection, table: sa.Table, values: dict[str, Any],
              ctx: WriteContext, entity: EntitySpec) -> int:
    """Insert a new record's row; its id. A unique value a concurrent writer took meanwhile
    is a field error, as the check before writing would have said."""
    try:
        with guarded(conn, entity):
            return int(conn.execute(table.insert().values(**values)
                                    .returning(table.c.id)).scalar_one())
    except IntegrityError:
        # A concurrent writer took a unique value between our check and our insert.
        check_unique(ctx, entity, values, None)
        if not ctx.errors:
            raise
        raise_errors(ctx, entity)
        raise


def write_changes(statements: StatementCache, ctx: WriteContext, entity: EntitySpec,
                  table: sa.Table, existing: Mapping[str, Any], expected: int,
                  changes: Mapping[str, tuple[Any, Any]]) -> sa.CursorResult[Any]:
    """Write ``changes``; a unique value a concurrent writer took meanwhile is a field
    error, as the check before writing would have said."""
    names = tuple(sorted(changes))
    statement = statements.get(ctx.registry, ("update", entity.name, names),
                               lambda: update_statement(table, names))
    parameters = {f"new_{k}": v for k, (_old, v) in changes.items()}
    parameters.update(key_id=existing["id"], key_version=expected,
                      new_version=expected + 1, new_modified_at=ctx.now,
                      new_modified_by=ctx.username)
    try:
        with guarded(ctx.connection, entity):
            return ctx.connection.execute(statement, parameters)
    except IntegrityError:
        check_unique(ctx, entity, {**existing, **{k: v for k, (_o, v) in changes.items()}},
                     existing["id"])
        if ctx.errors:
            raise_errors(ctx, entity)
        raise


def update_statement(table: sa.Table, names: tuple[str, ...]) -> sa.Update:
    """The UPDATE of fields ``names`` (and the version and modification stamp) of the
    record at the bound ``key_id`` and ``key_version``, values bound as ``new_<name>``."""
    columns = (*names, "version", "modified_at", "modified_by")
    return (table.update()
            .where(table.c.id == sa.bindparam("key_id"),
                   table.c.version == sa.bindparam("key_version"))
            .values({name: sa.bindparam(f"new_{name}") for name in columns}))


def delete_row(ctx: WriteContext, entity: EntitySpec, existing: Mapping[str, Any]) -> None:
    """Delete record ``existing`` and its lines, cancel its pending timers and audit it."""
    conn, schema, record_id = ctx.connection, ctx.schema, existing["id"]
    delete_children(ctx, entity, [record_id])
    table = schema.table(entity.name)
    conn.execute(table.delete().where(table.c.id == record_id))
    index_deleted(conn, entity, record_id)
    written(conn, ctx.registry, entity.name, record_id)
    # Its timers have nothing left to remind about (and a reused id inherits none).
    timers = schema.system["officina_timer"]
    conn.execute(timers.update().where(
        timers.c.entity == entity.name, timers.c.record_id == record_id,
        timers.c.status == "pending").values(status="cancelled", done_at=ctx.now))
    write_audit(conn, schema.system["officina_audit"], username=ctx.username,
                action="delete", entity=entity.name, record_id=record_id,
                changes={f.name: (existing[f.name], None) for f in entity.stored_fields
                         if existing[f.name] is not None} | {"ref": (existing["ref"], None)},
                at=ctx.now, spec=entity)


def refuse_if_linked(conn: Connection, loaded: Loaded, entity: EntitySpec,
                     existing: Mapping[str, Any], t: Translator) -> None:
    """Refuse to delete a record other records still link to."""
    users = []
    for other in loaded.registry.entities.values():
        for spec in other.stored_fields:
            if traits_of(spec).family == "link" and spec.target == entity.name:
                table = loaded.schema.table(other.name)
                count = conn.execute(sa.select(sa.func.count()).select_from(table)
                                     .where(table.c[spec.name] == existing["id"])).scalar()
                if count:
                    users.append(f"{count} {other.plural.lower()} ({spec.label.lower()})")
    if users:
        raise Conflict(t.gettext(_("{ref} cannot be deleted: it is still used by {users}."),
                                 ref=existing["ref"], users=", ".join(users)))


def would_be(prepared: Prepared, existing: Mapping[str, Any] | None) -> dict[str, Any]:
    """The record a validated write would store: ``existing`` (None when new) with the
    prepared values, and the prepared lines (with theirs)."""
    record = {**(existing or {}), **prepared.values}
    for name, lines in prepared.lines.items():
        record[name] = [{**would_be(line, line.current),
                         **({"id": line.line_id} if line.line_id else {})} for line in lines]
    return record
