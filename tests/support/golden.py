"""Golden databases: migrated (and filled) once per test process, copied for each test.

Building a database (Alembic's comparison and DDL for every table, master data through the
records service and its rules) costs far more than copying one. The first test that asks for
a given state builds it into a golden database; every later test gets a copy of it: a SQLite
file copied with SQLite's backup API, a PostgreSQL database made with
``CREATE DATABASE ... TEMPLATE``. A copy is only made into a database that is still empty and
unused, so a test that reopens its own database keeps its data.
"""

from __future__ import annotations

import atexit
import copy
import hashlib
import shutil
import sqlite3
import tempfile
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from itertools import count
from pathlib import Path
from typing import Any, Generic, TypeVar

import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url

T = TypeVar("T")


def tree_digest(folders: Iterable[Path]) -> str:
    """A digest of every file under ``folders`` (names and contents), to key golden copies."""
    digest = hashlib.sha256()
    for folder in folders:
        for path in sorted(p for p in Path(folder).rglob("*")
                           if p.is_file() and "__pycache__" not in p.parts):
            digest.update(str(path.relative_to(folder)).encode() + b"\0")
            digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def _admin_connection(url: str) -> psycopg.Connection:
    parsed = make_url(url)
    return psycopg.connect(host=parsed.host, port=parsed.port, user=parsed.username,
                           dbname="postgres", autocommit=True)


def _sqlite_path(url: str) -> Path:
    return Path(make_url(url).database or "")


def _server_of(url: str) -> tuple[str, str | None, int | None]:
    parsed = make_url(url)
    return parsed.get_backend_name(), parsed.host, parsed.port


@dataclass(frozen=True)
class Copied(Generic[T]):
    """A database copied from a golden one, with what its build returned."""

    extra: T


class GoldenDatabases:
    """The golden databases of one test process, by key."""

    def __init__(self) -> None:
        self._folder: Path | None = None
        self._built: dict[Hashable, tuple[str, Any]] = {}
        self._numbers = count(1)

    def _new_golden_url(self, url: str) -> str:
        number = next(self._numbers)
        if make_url(url).get_backend_name() == "sqlite":
            if self._folder is None:
                self._folder = Path(tempfile.mkdtemp(prefix="officina-golden-"))
                atexit.register(shutil.rmtree, self._folder, ignore_errors=True)
            return f"sqlite:///{self._folder / f'golden_{number}.sqlite3'}"
        name = f"golden_{number}"
        with _admin_connection(url) as admin:
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return make_url(url).set(database=name).render_as_string(hide_password=False)

    @staticmethod
    def _is_fresh(url: str) -> bool:
        """Whether the database at ``url`` has no tables and nobody connected to it."""
        if make_url(url).get_backend_name() == "sqlite":
            path = _sqlite_path(url)
            return not path.exists() or path.stat().st_size == 0
        name = make_url(url).database
        with _admin_connection(url) as admin:
            sessions = admin.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s",
                                     (name,)).fetchone()
            if sessions and sessions[0]:
                return False
        with psycopg.connect(host=make_url(url).host, port=make_url(url).port,
                             user=make_url(url).username, dbname=name) as target:
            tables = target.execute("SELECT count(*) FROM pg_tables WHERE schemaname "
                                    "NOT IN ('pg_catalog', 'information_schema')").fetchone()
        return not (tables and tables[0])

    @staticmethod
    def _copy(golden: str, url: str) -> None:
        if make_url(url).get_backend_name() == "sqlite":
            path = _sqlite_path(url)
            path.parent.mkdir(parents=True, exist_ok=True)
            source, target = sqlite3.connect(_sqlite_path(golden)), sqlite3.connect(path)
            try:
                source.backup(target)
            finally:
                source.close()
                target.close()
            return
        name, template = make_url(url).database, make_url(golden).database
        with _admin_connection(url) as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
            # A file copy is the quickest for small databases (PostgreSQL 15 logs each block
            # otherwise); older servers copy files anyway and know no STRATEGY.
            strategy = sql.SQL(" STRATEGY FILE_COPY" if admin.info.server_version >= 150000
                               else "")
            admin.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {}{}").format(
                sql.Identifier(name), sql.Identifier(template), strategy))

    def provide(self, url: str, key: Hashable, build: Callable[[str], T]) -> Copied[T] | None:
        """Make the empty database at ``url`` a copy of the golden state ``key``.

        The first time, ``build(golden_url)`` makes that state (and must close every
        connection it opened); what it returns is kept, and each copy comes with a deep copy
        of it. Returns None, copying nothing, when the database at ``url`` is not fresh: then
        the caller builds the state itself.
        """
        if not self._is_fresh(url):
            return None
        full_key = (_server_of(url), key)
        if full_key not in self._built:
            golden = self._new_golden_url(url)
            self._built[full_key] = (golden, build(golden))
        golden, extra = self._built[full_key]
        self._copy(golden, url)
        return Copied(copy.deepcopy(extra))


GOLDEN = GoldenDatabases()  # one per test process (each xdist worker has its own)
