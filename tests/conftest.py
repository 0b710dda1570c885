"""Shared fixtures: every storage and records test runs on SQLite and on a real PostgreSQL."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import count
from pathlib import Path

import pytest

from core.metadata.loader import BUILTIN_PACKS
from core.records.service import RecordsService
from core.storage.database import Database
from core.storage.migrate import migrate
from core.storage.registry_store import RegistryStore
from tests.support.golden import GOLDEN, tree_digest
from tests.support.pg_server import PostgresServer, start_postgres

FIXTURE_PACKS = Path(__file__).parent / "fixtures" / "packs"
BACKENDS = ["sqlite", "postgresql"]
_database_numbers = count(1)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One PostgreSQL server for the whole run, in its own folder and on its own port."""
    server = start_postgres()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database: a SQLite file, or a new database on the test PostgreSQL server."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'test.sqlite3'}"
    server: PostgresServer = request.getfixturevalue("postgres_server")
    return server.create_database(f"test_{next(_database_numbers)}")


@pytest.fixture
def packs_dir(tmp_path: Path) -> Path:
    """A writable copy of the test packs, for tests that change metadata."""
    target = tmp_path / "packs"
    shutil.copytree(FIXTURE_PACKS, target)
    return target


@dataclass
class Env:
    """A migrated database with the records service over the given packs."""

    database: Database
    store: RegistryStore
    service: RecordsService

    @property
    def schema(self):
        return self.store.current().schema


def _migrate_for(packs: list[str], search: list[Path]) -> Callable[[str], None]:
    def build(url: str) -> None:
        database = Database(url)
        try:
            migrate(database, RegistryStore(database, packs, search, check_interval=0)
                    .current().registry)
        finally:
            database.dispose()
    return build


def open_env(url: str, packs: list[str], search: list[Path]) -> Env:
    """Migrate ``url`` for ``packs`` and return the service over it.

    A fresh database becomes a copy of one migrated once per test process for the same packs
    (see ``tests.support.golden``); a database already in use is migrated in place.
    """
    paths = [*search, BUILTIN_PACKS]
    copied = GOLDEN.provide(url, ("migrated", tuple(packs), tree_digest(paths)),
                            _migrate_for(packs, paths))
    database = Database(url)
    store = RegistryStore(database, packs, paths, check_interval=0)
    if copied is None:
        migrate(database, store.current().registry)
    return Env(database, store, RecordsService(database, store))


@pytest.fixture
def shop(database_url: str, packs_dir: Path) -> Iterator[Env]:
    """The test shop pack, migrated, on each backend."""
    env = open_env(database_url, ["testshop"], [packs_dir])
    yield env
    env.database.dispose()
