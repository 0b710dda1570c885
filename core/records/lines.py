"""The child lines of records as the records service writes them: saved to equal the given
lists, kept for the rest of the transaction, deleted with their record."""

from __future__ import annotations

import sqlalchemy as sa

from core.metadata.specs import EntitySpec
from core.records.audit import changed_fields, write_audit
from core.records.write_context import Prepared, WriteContext
from core.records.writing import stored_lines
from core.records.written import remember_lines


def keep_lines(ctx: WriteContext, entity: EntitySpec, record_id: int,
               known_empty: bool = False) -> None:
    """Keep for the rest of the transaction the stored lines this write read of record
    ``record_id`` (or, ``known_empty``, that it has none), while it holds the record:
    they are what the next write of the record starts from (``core.records.written``).
    """
    lines = {}
    for spec in entity.table_fields:
        child = spec.target or ""
        rows = {} if known_empty else ctx.stored_cache.get((child, record_id))
        if rows is not None:
            lines[child] = rows
    if lines:
        remember_lines(ctx.connection, entity.name, record_id, lines)


def save_lines(ctx: WriteContext, entity: EntitySpec, parent_id: int,
               prepared: Prepared, new: bool = False) -> None:
    """Make the stored lines of each given child table equal the given list, in order
    (``new``: the parent was just inserted, so it has none yet)."""
    audit = ctx.schema.system["officina_audit"]
    for name, lines in prepared.lines.items():
        spec = entity.field(name)
        assert spec is not None
        child = ctx.registry.entity(spec.target or "")
        table = ctx.schema.table(child.name)
        stored = {} if new else stored_lines(ctx, child, parent_id)
        kept = {line.line_id for line in lines if line.line_id}
        delete_lines(ctx, child, [i for i in stored if i not in kept],
                           parent=(entity.name, parent_id))
        for index, line in enumerate(lines):
            if line.line_id:
                changes = changed_fields(line.current, line.values, child)
                if changes or line.current.get("idx") != index:
                    ctx.connection.execute(
                        table.update().where(table.c.id == line.line_id)
                        .values(**{k: v for k, (_o, v) in changes.items()}, idx=index))
                action, line_id = "update", line.line_id
            else:
                changes = {k: (None, v) for k, v in line.values.items() if v is not None}
                line_id = int(ctx.connection.execute(
                    table.insert().values(**line.values, parent_id=parent_id, idx=index)
                    .returning(table.c.id)).scalar_one())
                action = "create"
            if changes or action == "create":
                write_audit(ctx.connection, audit, username=ctx.username, action=action,
                            entity=child.name, record_id=line_id, changes=changes,
                            at=ctx.now, parent=(entity.name, parent_id), spec=child)
            save_lines(ctx, child, line_id, line, new=action == "create")


def delete_children(ctx: WriteContext, entity: EntitySpec,
                    parent_ids: list[int]) -> None:
    """Delete every line that records ``parent_ids`` of ``entity`` own, depth first."""
    for spec in entity.table_fields:
        child = ctx.registry.entity(spec.target or "")
        table = ctx.schema.table(child.name)
        ids = list(ctx.connection.execute(
            sa.select(table.c.id).where(table.c.parent_id.in_(parent_ids))).scalars())
        delete_lines(ctx, child, ids)


def delete_lines(ctx: WriteContext, child: EntitySpec, line_ids: list[int],
                 parent: tuple[str, int] | None = None) -> None:
    """Delete lines ``line_ids`` and theirs; audit them when ``parent`` is given."""
    if not line_ids:
        return
    delete_children(ctx, child, line_ids)
    if parent is not None:
        audit = ctx.schema.system["officina_audit"]
        for line_id in line_ids:
            write_audit(ctx.connection, audit, username=ctx.username, action="delete",
                        entity=child.name, record_id=line_id, changes={}, at=ctx.now,
                        parent=parent)
    table = ctx.schema.table(child.name)
    ctx.connection.execute(table.delete().where(table.c.id.in_(line_ids)))
