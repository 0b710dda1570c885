"""Saved list queries: a user names the query string of a list page to open it again later.

Each user sees and deletes only their own; a name is unique per user and entity, and saving
under a name already taken replaces that filter's query.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from core.storage.tables import system_tables

NAME_LENGTH = 100
QUERY_LENGTH = 4000


@dataclass(frozen=True)
class SavedFilter:
    """A named query string of one user's list of one entity."""

    id: int
    username: str
    entity: str
    name: str
    query: str
    created_at: dt.datetime


def _table() -> sa.Table:
    return system_tables().system["officina_saved_filter"]


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def saved_filters(connection: Connection, username: str, entity: str) -> list[SavedFilter]:
    """``username``'s saved filters of ``entity``, by name."""
    rows = connection.execute(_listing(), {"username": username, "entity": entity})
    return [SavedFilter(**row._mapping) for row in rows]


@cache
def _listing() -> sa.Select:
    """One user's saved filters of one entity: built once, read on every list page."""
    table = _table()
    return (sa.select(table).where(table.c.username == sa.bindparam("username"),
                                   table.c.entity == sa.bindparam("entity"))
            .order_by(table.c.name))


def save_filter(connection: Connection, username: str, entity: str, name: str,
                query: str) -> None:
    """Save ``query`` as ``name``, replacing the query of a filter already so named."""
    table = _table()
    name = name.strip()[:NAME_LENGTH]
    query = query.lstrip("?")[:QUERY_LENGTH]
    existing = connection.execute(sa.select(table.c.id).where(
        table.c.username == username, table.c.entity == entity,
        table.c.name == name)).scalar()
    if existing is not None:
        connection.execute(table.update().where(table.c.id == existing).values(query=query))
        return
    connection.execute(table.insert().values(username=username, entity=entity, name=name,
                                             query=query, created_at=_now()))


def delete_filter(connection: Connection, username: str, filter_id: int) -> bool:
    """Delete ``username``'s saved filter ``filter_id``; False when they have no such one."""
    table = _table()
    result = connection.execute(table.delete().where(
        table.c.id == filter_id, table.c.username == username))
    return bool(result.rowcount)
