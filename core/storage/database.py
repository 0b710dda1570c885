"""One database connection pool, with the transaction kinds the engine needs."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

from core.storage.lock_settings import DEFAULT_LOCKS, MigrationLocks
from core.storage.migration_guards import MigrationGuard

SQLITE_BEGIN = {"DEFERRED": "BEGIN DEFERRED", "IMMEDIATE": "BEGIN IMMEDIATE"}


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Take transactions into our own hands (see ``_sqlite_begin``) and enforce foreign keys.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    mode = connection.get_execution_options().get("officina_begin", "DEFERRED")
    connection.exec_driver_sql(SQLITE_BEGIN[mode])


def normalise_url(url: str) -> str:
    """Use psycopg 3 for ``postgresql://`` URLs."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


class Database:
    """The engine plus read, write and migration transactions.

    On SQLite a write transaction starts with ``BEGIN IMMEDIATE``, so two processes never
    deadlock upgrading a read lock, and migrations run with foreign keys off (batch mode
    recreates tables, which must not cascade into child lines). ``locks`` bounds how long a
    migration on PostgreSQL waits for a table (see ``core.storage.ddl_locks``); ``guards``
    run around every migration (see ``core.storage.migration_guards``).
    """

    def __init__(self, url: str, *, locks: MigrationLocks | None = None,
                 guards: Sequence[MigrationGuard] = (), **engine_options: Any):
        self.url = normalise_url(url)
        self.locks = locks or DEFAULT_LOCKS
        self.migration_guards = tuple(guards)
        options: dict[str, Any] = {"future": True}
        if self.url.startswith("sqlite"):
            options["connect_args"] = {"timeout": 30, "check_same_thread": False}
        else:
            options["pool_pre_ping"] = True
        options.update(engine_options)
        self.engine: Engine = sa.create_engine(self.url, **options)
        if self.is_sqlite:
            event.listen(self.engine, "connect", _sqlite_pragmas)
            event.listen(self.engine, "begin", _sqlite_begin)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A transaction for reading."""
        with self.engine.connect() as connection, connection.begin():
            yield connection

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A transaction for writing: committed on success, rolled back on any error."""
        with self.engine.connect() as connection:
            connection = connection.execution_options(officina_begin="IMMEDIATE")
            with connection.begin():
                yield connection

    @contextmanager
    def migrating(self) -> Iterator[Connection]:
        """A transaction for DDL; on SQLite, foreign keys are checked at the end instead."""
        with self.engine.connect() as connection:
            if not self.is_sqlite:
                with connection.begin():
                    yield connection
                return
            raw = connection.connection.driver_connection
            raw.execute("PRAGMA foreign_keys=OFF")  # outside any transaction, or it is ignored
            try:
                connection = connection.execution_options(officina_begin="IMMEDIATE")
                with connection.begin():
                    yield connection
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise RuntimeError(f"migration would break {len(broken)} references")
            finally:
                raw.execute("PRAGMA foreign_keys=ON")

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()
