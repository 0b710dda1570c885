"""Bulk actions kept between requests: what to do to which records, how far it got, and the
result of each record (``officina_bulk_batch``). A batch is its user's alone."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from core.storage.tables import system_tables


@dataclass(frozen=True)
class Batch:
    """A bulk action: on ``ids`` of ``entity``, done up to ``position``."""

    id: int
    username: str
    entity: str
    action: dict[str, Any]  # {"transition": name} or {"field": name, "value": value}
    ids: list[int]
    position: int
    results: list[dict[str, Any]]  # {"id", "ref", "ok", "message"} per record done

    @property
    def finished(self) -> bool:
        return self.position >= len(self.ids)


def _table() -> sa.Table:
    return system_tables().system["officina_bulk_batch"]


def start_batch(connection: Connection, username: str, entity: str, action: dict[str, Any],
                ids: list[int], now: dt.datetime) -> int:
    """Keep a new batch; its id."""
    result = connection.execute(_table().insert().values(
        username=username, entity=entity, action=json.dumps(action), ids=json.dumps(ids),
        position=0, results="[]", created_at=now))
    return int(result.inserted_primary_key[0])


def find_batch(connection: Connection, username: str, batch_id: int) -> Batch | None:
    """``username``'s batch ``batch_id``, or None when it is not theirs or not there."""
    table = _table()
    row = connection.execute(sa.select(table).where(
        table.c.id == batch_id, table.c.username == username)).one_or_none()
    if row is None:
        return None
    return Batch(row.id, row.username, row.entity, json.loads(row.action), json.loads(row.ids),
                 row.position, json.loads(row.results))


def advance_batch(connection: Connection, batch: Batch, done: list[dict[str, Any]]) -> bool:
    """Record ``done`` (the next records' results) if nobody advanced the batch meanwhile."""
    table = _table()
    return bool(connection.execute(table.update().where(
        table.c.id == batch.id, table.c.position == batch.position).values(
        position=batch.position + len(done),
        results=json.dumps(batch.results + done))).rowcount)
