"""The audit trail: one row per changed field, with who and when."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from core.metadata.field_types import field_type_of
from core.metadata.field_types.conversions import value_text
from core.metadata.specs import EntitySpec


def audit_text(value: Any, entity: EntitySpec | None = None, name: str = "") -> str | None:
    """A value as the audit trail stores it: field ``name`` of ``entity``'s type's text
    conversion (a pack's type may have its own), else the plain one (standard columns)."""
    spec = entity.field(name) if entity is not None else None
    return field_type_of(spec).to_text(value) if spec is not None else value_text(value)


def changed_fields(old: Mapping[str, Any], new: Mapping[str, Any],
                   entity: EntitySpec | None = None) -> dict[str, tuple[Any, Any]]:
    """Fields of ``new`` whose audit text differs from ``old``'s."""
    return {name: (old.get(name), value) for name, value in new.items()
            if audit_text(old.get(name), entity, name) != audit_text(value, entity, name)}


def write_audit(connection: Connection, audit: sa.Table, *, username: str, action: str,
                entity: str, record_id: int, changes: Mapping[str, tuple[Any, Any]],
                at: dt.datetime, parent: tuple[str, int] | None = None,
                spec: EntitySpec | None = None) -> None:
    """Record ``changes`` (field -> (old, new)) as the fields' types of ``spec`` (the
    entity's) write text; a record with no field changes gets one row."""
    base = {"at": at, "username": username, "action": action, "entity": entity,
            "record_id": record_id, "parent_entity": parent[0] if parent else None,
            "parent_id": parent[1] if parent else None}
    rows = [{**base, "field": name, "old_value": audit_text(old, spec, name),
             "new_value": audit_text(new, spec, name)} for name, (old, new) in changes.items()]
    connection.execute(audit.insert(), rows or [{**base, "field": None, "old_value": None,
                                                  "new_value": None}])
