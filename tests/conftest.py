"""Shared fixtures: every storage and records test runs on SQLite and on a real PostgreSQL."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from itertools import count
from pathlib import Path

import pytest

from core.metadata.loader import BUILTIN_PACKS
from core.officina import Officina, instance_database
from core.records.service import RecordsService
from core.storage.database import Database
from core.storage.migrate import migrate
from core.storage.registry_store import RegistryStore
from tests.support.golden import GOLDEN, tree_digest
from tests.support.pg_server import PostgresServer, start_postgres

FIXTURE_PACKS = Path(__file__).parent / "fixtures" / "packs"
FAILURE_SHOTS = Path(__file__).parents[1] / "test-output" / "screenshots" / "failures"
BACKENDS = ["sqlite", "postgresql"]
_database_numbers = count(1)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the modules marked ``long`` first (in parallel runs, while the rest is shared)."""
    items.sort(key=lambda item: item.get_closest_marker("long") is None)


def pytest_sessionstart(session: pytest.Session) -> None:
    """Remove the failure screenshots of an earlier run (once, in the main process)."""
    if not hasattr(session.config, "workerinput"):
        shutil.rmtree(FAILURE_SHOTS, ignore_errors=True)


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
        database = instance_database(url)
        try:
            migrate(database, RegistryStore(database, packs, search, check_interval=0)
                    .current().registry)
        finally:
            database.dispose()
    return build


def copy_migrated(url: str, packs: Sequence[str], paths: Sequence[Path]) -> bool:
    """Make the fresh database at ``url`` a copy of one migrated once per test process for
    the same packs (see ``tests.support.golden``); False, changing nothing, when the
    database is already in use."""
    return GOLDEN.provide(url, ("migrated", tuple(packs), tree_digest(paths)),
                          _migrate_for(list(packs), list(paths))) is not None


def migrate_instance(officina: Officina) -> None:
    """Migrate an instance's database for its packs (a golden copy when it is fresh)."""
    settings = officina.settings
    if not copy_migrated(settings.database_url, settings.packs, settings.pack_paths):
        migrate(officina.database, officina.registry.current().registry)


def open_env(url: str, packs: list[str], search: list[Path]) -> Env:
    """Migrate ``url`` for ``packs`` and return the service over it."""
    paths = [*search, BUILTIN_PACKS]
    copied = copy_migrated(url, packs, paths)
    database = instance_database(url)
    store = RegistryStore(database, packs, paths, check_interval=0)
    if not copied:
        migrate(database, store.current().registry)
    return Env(database, store, RecordsService(database, store))


@pytest.fixture
def shop(database_url: str, packs_dir: Path) -> Iterator[Env]:
    """The test shop pack, migrated, on each backend."""
    env = open_env(database_url, ["testshop"], [packs_dir])
    yield env
    env.database.dispose()
