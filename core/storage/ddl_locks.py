"""Schema changes that wait a bounded time for their locks, and try again a few times.

On PostgreSQL ``ALTER TABLE`` needs an ``ACCESS EXCLUSIVE`` lock. While it waits for one (a
long report or transaction holds the table), every new reader queues behind it, so the wait
is a stall for everybody. ``lock_timeout`` bounds each wait; the whole transaction is then
rolled back (nothing half-applied) and tried again after a pause, and when every attempt
finds the table busy the caller gets ``TableBusy`` with a message for people.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from core.i18n import Translator, _
from core.storage.lock_settings import MigrationLocks

if TYPE_CHECKING:
    from core.storage.database import Database

log = logging.getLogger(__name__)
LOCK_NOT_AVAILABLE = "55P03"  # PostgreSQL's SQLSTATE for a lock_timeout (and NOWAIT) failure
T = TypeVar("T")


class TableBusy(Exception):
    """Every attempt of a schema change timed out waiting for a table's lock."""

    def __init__(self, table: str | None, attempts: int = 1):
        self.table = table
        self.attempts = attempts
        super().__init__(self.message())

    def message(self, language: str = "en") -> str:
        """What happened and what to do, in ``language``; nothing was changed."""
        t = Translator(language)
        if self.table:
            return t.gettext(_("The table {table} is busy (a long report or transaction holds "
                               "it): the change was not applied ({attempts} attempt(s)). Try "
                               "again when it has finished."),
                             table=self.table, attempts=self.attempts)
        return t.gettext(_("A table is busy (a long report or transaction holds it): the "
                           "change was not applied ({attempts} attempt(s)). Try again when "
                           "it has finished."), attempts=self.attempts)


def is_lock_timeout(error: BaseException) -> bool:
    """Whether ``error`` is PostgreSQL giving up waiting for a lock."""
    return (isinstance(error, DBAPIError)
            and getattr(error.orig, "sqlstate", None) == LOCK_NOT_AVAILABLE)


@contextmanager
def busy_table(table: str | None) -> Iterator[None]:
    """Turn a lock timeout inside the block into ``TableBusy`` naming ``table``."""
    try:
        yield
    except DBAPIError as exc:
        if is_lock_timeout(exc):
            raise TableBusy(table) from exc
        raise


def set_lock_timeout(connection: Connection, seconds: float) -> None:
    """``SET LOCAL lock_timeout`` for the rest of the transaction (PostgreSQL only)."""
    milliseconds = max(1, round(seconds * 1000))
    connection.execute(sa.select(sa.func.set_config("lock_timeout", f"{milliseconds}ms",
                                                    True)))


def run_ddl(database: Database, work: Callable[[Connection], T],
            sleep: Callable[[float], None] = time.sleep) -> T:
    """Run ``work`` in one DDL transaction; on PostgreSQL each attempt waits at most
    ``lock_timeout`` for a lock and the whole transaction is tried again after a pause.

    Raises ``TableBusy`` (the last attempt rolled back, nothing changed) when every attempt
    timed out. Any other error is raised at once.
    """
    policy: MigrationLocks = database.locks
    attempts = 1 if database.is_sqlite else policy.lock_attempts
    for attempt in range(1, attempts + 1):
        try:
            with database.migrating() as connection:
                if not database.is_sqlite:
                    set_lock_timeout(connection, policy.lock_timeout)
                with busy_table(None):
                    return work(connection)
        except TableBusy as busy:
            if attempt == attempts:
                raise TableBusy(busy.table, attempts) from busy
            pause = policy.retry_pause * 2 ** (attempt - 1)
            log.warning("schema change: %s busy (attempt %d of %d); again in %.1f s",
                        busy.table or "a table", attempt, attempts, pause)
            sleep(pause)
    raise AssertionError("unreachable")  # the loop returns or raises
