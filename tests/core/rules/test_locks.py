"""Two processes racing, each with its own connection: the last unit of a part is booked
once, and a visit that ``create … unless_exists`` generates exists once.

Each round the two processes meet at a barrier, then each updates a record of its own at the
same moment (confirms its booking of the round's part, approves its request for the round's
visit), and the rules engine does the rest, on a real PostgreSQL (and on SQLite, whose single
writer serialises them). Updates, not creates, start the race: two creates of one entity
already wait for each other on its naming series.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from core.records.actor import SYSTEM
from core.rules.actions import RuleRefused
from core.rules.engine import RulesEngine
from core.rules.locks import creation_key
from tests.conftest import Env, open_env
from tests.support.races import run_racers

ROUNDS = 50
RACERS = 2
DAY = dt.date(2026, 11, 23)


def _rules_env(url: str, packs_dir: str) -> Env:
    env = open_env(url, ["stockroom"], [Path(packs_dir)])
    env.service.events = RulesEngine(env.service)
    return env


def _racer(url: str, packs_dir: str, entity: str, change: dict[str, Any], keys: list[int],
           barrier: Any, results: Any, number: int) -> None:
    """Make ``change`` to record ``key`` of ``entity``, one key per round right after the
    barrier; report what each write gave."""
    env = _rules_env(url, packs_dir)
    outcomes: list[str] = []
    try:
        for key in keys:
            barrier.wait(60)
            try:
                env.service.update(SYSTEM, entity, key, change, version=1)
                outcomes.append("ok")
            except RuleRefused as refused:
                outcomes.append(refused.message)
            except Exception as error:  # reported, so that the test names it
                outcomes.append(f"crash: {error!r}")
    finally:
        results.put((number, outcomes))
        env.database.dispose()


def _race(url: str, packs_dir: Path, entity: str, change: dict[str, Any],
          keys: list[list[int]]) -> list[list[str]]:
    """Racer ``n`` changes the records ``keys[n]``; the outcomes of each racer, in order."""
    return run_racers(_racer, [(url, str(packs_dir), entity, change, mine) for mine in keys])


def _rows(env: Env, entity: str) -> list[dict[str, Any]]:
    table = env.schema.table(entity)
    with env.database.read() as connection:
        return [dict(row._mapping) for row in connection.execute(
            sa.select(table).order_by(table.c.id))]


def test_the_last_unit_of_a_part_is_booked_once(database_url: str, packs_dir: Path) -> None:
    env = _rules_env(database_url, str(packs_dir))
    parts = [env.service.create(SYSTEM, "part", {"code": f"P{n}", "stock": 1})
             for n in range(ROUNDS)]
    bookings = [[env.service.create(SYSTEM, "booking", {"part": part["id"], "quantity": 1})["id"]
                 for part in parts] for _racer in range(RACERS)]
    outcomes = _race(database_url, packs_dir, "booking", {"confirmed": True}, bookings)
    by_round = list(zip(*outcomes, strict=True))
    assert [round_.count("ok") for round_ in by_round] == [1] * ROUNDS  # one winner each
    refusals = [text for round_ in by_round for text in round_ if text != "ok"]
    assert len(refusals) == ROUNDS * (RACERS - 1)
    assert all(text.endswith(" is not in stock: 0 available, 1 wanted.")
               for text in refusals), refusals[:3]
    stored = _rows(env, "part")
    assert [(p["reserved"], p["available"]) for p in stored] \
        == [(Decimal(1), Decimal(0))] * ROUNDS
    confirmed = [b["part"] for b in _rows(env, "booking") if b["confirmed"]]
    assert sorted(confirmed) == [p["id"] for p in parts]
    env.database.dispose()


def test_create_unless_exists_never_duplicates(database_url: str, packs_dir: Path) -> None:
    env = _rules_env(database_url, str(packs_dir))
    requests = [[env.service.create(SYSTEM, "visit_request", {"line": n, "day": DAY})["id"]
                 for n in range(ROUNDS)] for _racer in range(RACERS)]
    outcomes = _race(database_url, packs_dir, "visit_request", {"approved": True}, requests)
    assert outcomes == [["ok"] * ROUNDS] * RACERS
    assert all(r["approved"] for r in _rows(env, "visit_request"))
    visits = [(v["line"], v["day"]) for v in _rows(env, "visit")]
    assert sorted(visits) == [(n, DAY) for n in range(ROUNDS)]
    env.database.dispose()


def test_a_refused_booking_changes_nothing(database_url: str, packs_dir: Path) -> None:
    env = _rules_env(database_url, str(packs_dir))
    part = env.service.create(SYSTEM, "part", {"code": "VALVE", "stock": 2})
    first, second = (env.service.create(SYSTEM, "booking", {"part": part["id"], "quantity": q})
                     for q in (2, 1))
    env.service.update(SYSTEM, "booking", first["id"], {"confirmed": True}, version=1)
    with pytest.raises(RuleRefused, match=r"^VALVE is not in stock: 0 available, "
                                          r"1 wanted\.$"):
        env.service.update(SYSTEM, "booking", second["id"], {"confirmed": True}, version=1)
    assert [(p["stock"], p["reserved"]) for p in _rows(env, "part")] \
        == [(Decimal(2), Decimal(2))]
    assert [(b["confirmed"], b["version"]) for b in _rows(env, "booking")] \
        == [(True, 2), (False, 1)]
    env.database.dispose()


def test_the_creation_key_is_the_same_for_the_same_record() -> None:
    assert creation_key("visit", {"line": 7, "day": DAY}) \
        == creation_key("visit", {"day": DAY, "line": 7})
    assert creation_key("visit", {"line": 7, "day": DAY}) \
        != creation_key("visit", {"line": 8, "day": DAY})
    assert creation_key("visit", {"line": 7}) != creation_key("booking", {"line": 7})
    assert -2**63 <= creation_key("visit", {"line": None}) < 2**63
