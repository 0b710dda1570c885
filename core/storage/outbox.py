"""The outbox: work (mails, webhooks, documents) written in the same transaction as the
change that asks for it, and done later by the worker. Every producer goes through
``enqueue``, so the rows are the same whoever writes them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.engine import Connection

from core.json_encoding import to_json
from core.storage.tables import system_tables


def enqueue(connection: Connection, kind: str, payload: dict[str, Any], now: dt.datetime,
            *, entity: str | None = None, record_id: int | None = None,
            rule: str | None = None) -> None:
    """Queue one piece of ``kind`` work (``mail``, ``webhook``, ``document`` …), due at
    ``now``, optionally naming the record and rule it comes from."""
    outbox = system_tables().system["officina_outbox"]
    connection.execute(outbox.insert().values(
        kind=kind, payload=to_json(payload), entity=entity, record_id=record_id, rule=rule,
        status="pending", attempts=0, next_attempt_at=now, created_at=now))
