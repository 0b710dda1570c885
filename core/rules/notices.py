"""The notices rules leave for users (``notify``): listing them and marking them read,
and each user's choice of a daily digest by mail.

Notices are rows of ``officina_notification``, written by the ``notify`` action in the
recipient's language; a user only ever reads and marks their own.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from core.storage.tables import system_tables

PAGE_SIZE = 50


@dataclass(frozen=True)
class Notice:
    """One notice as its reader sees it."""

    id: int
    message: str
    entity: str | None
    record_id: int | None
    created_at: dt.datetime
    read_at: dt.datetime | None

    @property
    def unread(self) -> bool:
        return self.read_at is None


def _table() -> sa.Table:
    return system_tables().system["officina_notification"]


def list_notices(connection: Connection, username: str, *, unread_only: bool = False,
                 limit: int = PAGE_SIZE, offset: int = 0) -> tuple[list[Notice], int]:
    """A page of ``username``'s notices, newest first, and how many there are in all."""
    notices = _table()
    where = [notices.c.username == username]
    if unread_only:
        where.append(notices.c.read_at.is_(None))
    total = connection.execute(sa.select(sa.func.count()).select_from(notices)
                               .where(*where)).scalar_one()
    rows = connection.execute(
        sa.select(notices.c.id, notices.c.message, notices.c.entity, notices.c.record_id,
                  notices.c.created_at, notices.c.read_at)
        .where(*where).order_by(notices.c.created_at.desc(), notices.c.id.desc())
        .limit(limit).offset(offset))
    return [Notice(**row._mapping) for row in rows], int(total)


def find_notice(connection: Connection, username: str, notice_id: int) -> Notice | None:
    """``username``'s notice ``notice_id``, or None when it is not theirs or not there."""
    notices = _table()
    row = connection.execute(
        sa.select(notices.c.id, notices.c.message, notices.c.entity, notices.c.record_id,
                  notices.c.created_at, notices.c.read_at)
        .where(notices.c.id == notice_id, notices.c.username == username)).one_or_none()
    return Notice(**row._mapping) if row is not None else None


def mark_read(connection: Connection, username: str, now: dt.datetime,
              ids: Iterable[int] | None = None) -> int:
    """Mark ``username``'s unread notices ``ids`` (all of them when None) read; how many."""
    notices = _table()
    where = [notices.c.username == username, notices.c.read_at.is_(None)]
    if ids is not None:
        where.append(notices.c.id.in_(list(ids)))
    return connection.execute(notices.update().where(*where).values(read_at=now)).rowcount


def wants_digest(connection: Connection, username: str) -> bool:
    """Whether ``username`` gets the daily digest of unread notices by mail."""
    preferences = system_tables().system["officina_notice_digest"]
    return bool(connection.execute(sa.select(preferences.c.daily).where(
        preferences.c.username == username)).scalar())


def set_digest(connection: Connection, username: str, daily: bool) -> None:
    """Choose whether ``username`` gets the daily digest."""
    preferences = system_tables().system["officina_notice_digest"]
    changed = connection.execute(preferences.update().where(
        preferences.c.username == username).values(daily=daily)).rowcount
    if not changed:
        connection.execute(preferences.insert().values(username=username, daily=daily))
