"""A record's history: its audit trail and the rules that ran on it, as a reader may see it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import asdict, dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from core.metadata.names import line_names
from core.metadata.specs import EntitySpec
from core.storage.tables import Schema


@dataclass(frozen=True)
class FieldChange:
    """One field's value before and after, as the audit trail stores them (text)."""

    field: str
    old: str | None
    new: str | None


@dataclass(frozen=True)
class HistoryEntry:
    """One thing that happened to a record: a write (of it or of one of its lines) or a rule.

    ``action`` is ``create``, ``update`` or ``delete`` for writes and ``rule`` for rules;
    a line's writes carry the line's entity and id and ``table``, the field holding it. Rules
    carry their name, the event that fired them (``created``, ``timer``...) and their result.
    """

    at: dt.datetime
    username: str
    action: str
    entity: str
    record_id: int | None
    changes: tuple[FieldChange, ...] = ()
    table: str | None = None
    rule: str | None = None
    event: str | None = None
    result: str | None = None
    detail: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """A JSON-friendly form (the time as ISO text)."""
        data = asdict(self)
        data["at"] = self.at.isoformat()
        data["changes"] = list(data["changes"])
        return data


def read_history(connection: Connection, schema: Schema, entity: EntitySpec, record_id: int,
                 hidden: Collection[str] = (), details: bool = False) -> list[HistoryEntry]:
    """The history of record ``record_id`` of ``entity`` and of its direct lines, newest first.

    Changes of ``hidden`` fields (``table.field`` for fields of lines) are left out, with
    updates that changed nothing else and the writes of lines in hidden child tables; the
    rules that ran on the record (with their error messages, which may quote values) only
    with ``details``: they are the administrators' view of how the record came to be.
    """
    tables = {spec.target: spec.name for spec in entity.table_fields if spec.name not in hidden}
    hidden_in = {spec.target: line_names(hidden, spec.name) for spec in entity.table_fields}
    audit = schema.system["officina_audit"]
    rows = connection.execute(
        sa.select(audit).where(sa.or_(
            sa.and_(audit.c.entity == entity.name, audit.c.record_id == record_id),
            sa.and_(audit.c.parent_entity == entity.name, audit.c.parent_id == record_id)))
        .order_by(audit.c.id))
    groups: dict[tuple[Any, ...], list[Any]] = {}
    for row in rows:
        key = (row.at, row.username, row.action, row.entity, row.record_id)
        groups.setdefault(key, []).append(row)
    entries: list[tuple[dt.datetime, int, HistoryEntry]] = []
    for (at, username, action, name, line_id), group in groups.items():
        own = name == entity.name and line_id == record_id
        if not own and name not in tables:
            continue
        changed = [r for r in group if r.field is not None]
        secret = hidden if own else hidden_in[name]
        visible = tuple(FieldChange(r.field, r.old_value, r.new_value) for r in changed
                        if r.field not in secret)
        if changed and not visible and action == "update":
            continue
        entries.append((at, max(r.id for r in group), HistoryEntry(
            at=at, username=username, action=action, entity=name, record_id=line_id,
            changes=visible, table=None if own else tables[name])))
    log = schema.system["officina_rule_log"]
    ran = connection.execute(sa.select(log).where(
        log.c.entity == entity.name, log.c.record_id == record_id)) if details else []
    for row in ran:
        entries.append((row.at, row.id, HistoryEntry(
            at=row.at, username=row.username, action="rule", entity=row.entity,
            record_id=row.record_id, rule=row.rule, event=row.event, result=row.result,
            detail=row.detail)))
    entries.sort(key=lambda item: (item[0], item[2].action == "rule", item[1]), reverse=True)
    return [entry for _at, _id, entry in entries]
