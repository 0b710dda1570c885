"""A helpdesk pack with workflows, migrated on each backend, with the rules engine attached."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa

from core.records.actor import Actor
from core.rules.engine import RulesEngine
from core.users import create_user
from tests.conftest import Env, open_env
from tests.support.users import FAST_HASHING

COORDINATOR = Actor("cora", frozenset({"coordinator"}))
AGENT = Actor("aldo", frozenset({"agent"}), language="it")


class Clock:
    """A clock the tests move by hand."""

    def __init__(self, now: dt.datetime):
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


@dataclass
class RulesEnv(Env):
    engine: RulesEngine
    clock: Clock

    def rows(self, table: str, **where: object) -> list[dict]:
        t = self.schema.system[table]
        statement = sa.select(t).order_by(t.c.id)
        for key, value in where.items():
            statement = statement.where(t.c[key] == value)
        with self.database.read() as connection:
            return [dict(r._mapping) for r in connection.execute(statement)]


def open_rules_env(url: str, packs_dir: Path, clock: Clock) -> RulesEnv:
    env = open_env(url, ["helpdesk"], [packs_dir])
    engine = RulesEngine(env.service, clock=clock)
    env.service.events = engine
    env.service.clock = clock
    return RulesEnv(env.database, env.store, env.service, engine, clock)


@pytest.fixture
def helpdesk(database_url: str, packs_dir: Path) -> Iterator[RulesEnv]:
    # Friday 2026-11-20 14:00 in Rome (13:00 UTC): inside working hours.
    env = open_rules_env(database_url, packs_dir, Clock(dt.datetime(2026, 11, 20, 13, 0)))
    with env.database.write() as connection:
        create_user(connection, "cora", "pw", roles=("coordinator",), email="cora@example.com",
                    language="it", hashing=FAST_HASHING)
        create_user(connection, "aldo", "pw", roles=("agent",), email="aldo@example.com",
                    hashing=FAST_HASHING)
    yield env
    env.database.dispose()
