"""The audit trail: one row per changed field, with who and when."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from core.metadata.field_types.conversions import value_text


def audit_text(value: Any) -> str | None:
    """A value as the audit trail stores it: the field types' text conversion."""
    return value_text(value)


def changed_fields(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, tuple[Any, Any]]:
    """Fields of ``new`` whose audit text differs from ``old``'s."""
    return {name: (old.get(name), value) for name, value in new.items()
            if audit_text(old.get(name)) != audit_text(value)}


def write_audit(connection: Connection, audit: sa.Table, *, username: str, action: str,
                entity: str, record_id: int, changes: Mapping[str, tuple[Any, Any]],
                at: dt.datetime, parent: tuple[str, int] | None = None) -> None:
    """Record ``changes`` (field -> (old, new)); a record with no field changes gets one row."""
    base = {"at": at, "username": username, "action": action, "entity": entity,
            "record_id": record_id, "parent_entity": parent[0] if parent else None,
            "parent_id": parent[1] if parent else None}
    rows = [{**base, "field": name, "old_value": audit_text(old), "new_value": audit_text(new)}
            for name, (old, new) in changes.items()]
    connection.execute(audit.insert(), rows or [{**base, "field": None, "old_value": None,
                                                  "new_value": None}])
