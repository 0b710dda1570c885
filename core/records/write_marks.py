"""A counter of record writes per database connection, so readers can cache safely.

The records service bumps it after every create, update and delete; whoever keeps a copy
of a record read on that connection (the rules' action context) keeps it only while the
counter is unchanged. All record writes go through the records service, so an unchanged
counter means no record changed on that connection.
"""

from __future__ import annotations

from sqlalchemy.engine import Connection

KEY = "officina_record_writes"


def mark_written(connection: Connection) -> None:
    """Note that a record was written on ``connection``."""
    connection.info[KEY] = connection.info.get(KEY, 0) + 1


def write_mark(connection: Connection) -> int:
    """How many record writes ``connection`` has seen (compare two readings)."""
    return int(connection.info.get(KEY, 0))
