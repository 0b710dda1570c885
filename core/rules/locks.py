"""Locks that keep rule actions right when two processes race on the same records.

A rule reads before it writes (is the part in stock? is the visit there already?). On
PostgreSQL two transactions can both read before either writes, and both act on what they
read: the last unit booked twice, the same visit created twice. These locks make the second
transaction wait until the first has committed, then read what it wrote.

On SQLite every write transaction starts with ``BEGIN IMMEDIATE`` (``core.storage.database``),
so the database's single writer already runs them one after the other: the reads of a rule
happen inside that write transaction, and the locks here are no-ops.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection


def lock_row(connection: Connection, table: sa.Table, key: int | str) -> None:
    """Lock row ``key`` (id or reference) of ``table`` until the transaction ends
    (``SELECT … FOR UPDATE``); a writer holding it is waited for. Nothing on SQLite."""
    if connection.dialect.name != "postgresql":
        return
    by_id = isinstance(key, int) or str(key).isdigit()
    column = table.c.id if by_id else table.c.ref
    connection.execute(sa.select(table.c.id).where(column == (int(key) if by_id else key))
                       .with_for_update())


def creation_key(entity: str, values: Mapping[str, Any]) -> int:
    """A stable signed 64-bit number for "a record of ``entity`` with these ``values``"
    (the same in every process; a collision only makes two creations wait for each other)."""
    normal = [entity, sorted((name, None if value is None else str(value))
                             for name, value in values.items())]
    digest = hashlib.blake2b(json.dumps(normal).encode(), digest_size=8,
                             person=b"officina-create").digest()
    return int.from_bytes(digest, "big", signed=True)


def serialise_creation(connection: Connection, entity: str, values: Mapping[str, Any]) -> None:
    """Wait until no other transaction may be creating the same record of ``entity``
    (``pg_advisory_xact_lock`` keyed by ``creation_key``, released at commit or rollback).
    Taken before the existence check, so the check sees what a racing creator committed."""
    if connection.dialect.name != "postgresql":
        return
    connection.execute(sa.select(sa.func.pg_advisory_xact_lock(creation_key(entity, values))))
