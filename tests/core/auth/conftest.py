"""Auth test fixtures: a migrated database with the auth tables, and a real slapd."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from core.storage.auth_tables import add_auth_tables
from core.storage.database import Database
from tests.conftest import FIXTURE_PACKS, open_env
from tests.support.slapd import SlapdServer, start_slapd


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    """The test shop migrated on each backend, plus the auth tables."""
    env = open_env(database_url, ["testshop"], [Path(FIXTURE_PACKS)])
    metadata = sa.MetaData()
    add_auth_tables(metadata)
    metadata.create_all(env.database.engine)
    yield env.database
    env.database.dispose()


@pytest.fixture(scope="session")
def slapd() -> Iterator[SlapdServer]:
    """One OpenLDAP server for the whole run."""
    server = start_slapd()
    try:
        yield server
    finally:
        server.stop()
