"""Counters of record writes per database connection, so readers can cache safely.

The records service bumps them after every create, update and delete; whoever keeps a copy
of a record read on that connection (the rules' action context) keeps it only while the
counter is unchanged. All record writes go through the records service, so an unchanged
counter means no record changed on that connection. ``entity_mark`` counts the writes
that may change how an entity's records read (their own, and their link titles').
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.engine import Connection

KEY = "officina_record_writes"
ENTITY_KEY = "officina_entity_writes"
EVERY = ""  # no entity has an empty name


def mark_written(connection: Connection, entities: Iterable[str] | None = None) -> None:
    """Note that a record was written on ``connection``, changing how records of
    ``entities`` read (of any entity when None)."""
    connection.info[KEY] = connection.info.get(KEY, 0) + 1
    marks = connection.info.get(ENTITY_KEY)
    if marks is None:
        return
    for name in entities if entities is not None else ():
        marks[name] = marks.get(name, 0) + 1
    if entities is None:
        epoch = marks.get(EVERY, 0) + 1  # every earlier reading is stale
        marks.clear()
        marks[EVERY] = epoch


def write_mark(connection: Connection) -> int:
    """How many record writes ``connection`` has seen (compare two readings)."""
    return int(connection.info.get(KEY, 0))


def entity_mark(connection: Connection, entity: str) -> tuple[int, int]:
    """A reading that changes whenever records of ``entity`` may read differently on
    ``connection`` (compare two readings)."""
    marks = connection.info.get(ENTITY_KEY)
    if marks is None:
        marks = connection.info[ENTITY_KEY] = {}
    return marks.get(EVERY, 0), marks.get(entity, 0)
