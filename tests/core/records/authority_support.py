"""The authority test pack (sales whose rules fill fields), with its rules engine attached."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.records.actor import SYSTEM, Actor
from core.rules.engine import RulesEngine
from tests.conftest import Env, open_env

OFFICE = Actor("olga", frozenset({"office"}))
CLERK = Actor("carlo", frozenset({"clerk"}))
CLERK_IT = Actor("carlo", frozenset({"clerk"}), language="it")


def open_authority(url: str, packs_dir: Path) -> Env:
    """The authority pack migrated at ``url``, with rules running on every write."""
    env = open_env(url, ["authority"], [packs_dir])
    env.service.events = RulesEngine(env.service,
                                     clock=lambda: dt.datetime(2026, 11, 20, 13, 0))
    return env


@pytest.fixture
def authority(database_url: str, packs_dir: Path) -> Iterator[Env]:
    """The pack with a northern and a southern customer (clerks read only the northern one)
    and a product (clerks may not read products)."""
    env = open_authority(database_url, packs_dir)
    for name, region in (("Nord", "north"), ("Sud", "south")):
        env.service.create(SYSTEM, "customer", {"name": name, "region": region})
    env.service.create(SYSTEM, "product", {"name": "Widget"})
    yield env
    env.database.dispose()
