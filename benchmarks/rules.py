"""Officina rules benchmark: matching throughput and the cost of rules on updates.

1. Matching: 50 rules (``rules_pack.MATCH_RULES``) compiled with ``compile_entity`` and
   matched by ``RulesHost.match`` over synthetic facts (built by ``build_fact``, with a fake
   connection for the link lookups), against a hand-written Python function taking the same
   decisions (``rules_plain.plain_match``) and the same compiled expressions as Python
   closures (``rules_plain.ExpressionMatcher``). Every fact must fire the same rules all ways.
2. Updates: ``RecordsService.update`` (one transaction each) with the rules engine attached
   and 20 rules (``rules_pack.UPDATE_RULES``), against the same updates with no engine, on
   SQLite and on a throw-away PostgreSQL server.

    .venv/bin/python benchmarks/rules.py            # about 2-3 minutes on 2 cores
    .venv/bin/python benchmarks/rules.py --quick    # a fast check (well under a minute)

Prints a table (progress on stderr) and writes JSON to benchmarks/results/rules-latest.json.
See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import platform
import random
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the rules_* modules
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # core, tests.support

import durable.engine
import sqlalchemy as sa
from rules_pack import (
    COUNTRIES,
    MATCH_PACK,
    PRIORITIES,
    REGIONS,
    STATUSES,
    TIERS,
    UPDATE_PACK,
    write_packs,
)
from rules_plain import ExpressionMatcher, plain_match

import core.rules.engine as rules_engine_module
import core.rules.facts as facts_module
from core.metadata.loader import BUILTIN_PACKS
from core.metadata.registry import load_registry
from core.records.actor import SYSTEM, Actor
from core.records.events import RecordEvent
from core.records.service import RecordsService
from core.rules.compiler import compile_entity
from core.rules.engine import RulesEngine
from core.rules.facts import build_fact
from core.rules.host import RulesHost
from core.storage.database import Database
from core.storage.migrate import migrate
from core.storage.registry_store import RegistryStore
from core.storage.tables import build_schema
from core.users import create_user
from tests.support.pg_server import start_postgres

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
NOW = dt.datetime(2026, 6, 10, 12, 0)
ACTORS = (Actor("alice", frozenset({"agent"})), Actor("bob", frozenset({"manager"})),
          Actor("carol", frozenset({"agent", "manager"})), SYSTEM)
SUBJECT_PREFIXES = ("", "", "[EU] ", "[US] ", "[APAC] ")
SUBJECTS = ("Printer jam", "Refund request", "Total outage in the data centre",
            "Login outage", "Billing question", "Password reset", "Slow dashboard")
NOTES = ("please refund", "VIP customer", "urgent", "ASAP please", "call back tomorrow",
         "lawsuit threatened", "see attachment", "waiting for logs")
AMOUNT_EDGES = (0, 100, 500, 1000, 2000, 3000, 4000, 5000, 8000, 9000)
SCORE_EDGES = (0, 10, 20, 50, 80, 90, 95)
_started = time.monotonic()


def log(message: str) -> None:
    """Progress on stderr, with the time since start."""
    print(f"[{time.monotonic() - _started:7.1f}s] {message}", file=sys.stderr, flush=True)


# -- synthetic records and events -----------------------------------------------------------


def _maybe(rng: random.Random, chance: float, value: Any) -> Any:
    return None if rng.random() < chance else value


def random_amount(rng: random.Random) -> Decimal | None:
    if rng.random() < 0.1:
        return None
    if rng.random() < 0.3:
        return Decimal(rng.choice(AMOUNT_EDGES))
    return Decimal(rng.randrange(0, 1_000_000)) / 100


def random_score(rng: random.Random) -> int | None:
    if rng.random() < 0.03:
        return None
    return rng.choice(SCORE_EDGES) if rng.random() < 0.3 else rng.randrange(0, 101)


def random_value(rng: random.Random, name: str, customers: int) -> Any:
    """A value of one ticket field, with edge values and empties mixed in."""
    if name == "subject":
        return rng.choice(SUBJECT_PREFIXES) + rng.choice(SUBJECTS)
    if name == "priority":
        return rng.choices(PRIORITIES, weights=(25, 45, 20, 10))[0]
    if name == "status":
        return rng.choice(STATUSES)
    if name == "amount":
        return random_amount(rng)
    if name == "region":
        return _maybe(rng, 0.05, rng.choice(REGIONS))
    if name == "score":
        return random_score(rng)
    if name == "due_at":
        return _maybe(rng, 0.2, NOW + dt.timedelta(seconds=rng.randrange(-5 * 86400,
                                                                         5 * 86400)))
    if name == "customer":
        return _maybe(rng, 0.05, rng.randrange(1, customers + 1))
    if name == "notes":
        return _maybe(rng, 0.4, " and ".join(rng.sample(NOTES, rng.randrange(1, 3))))
    if name == "assignee":
        return _maybe(rng, 0.3, rng.choice(("alice", "bob", "carol", "senior")))
    if name == "escalated":
        return rng.choices((True, False, None), weights=(10, 85, 5))[0]
    raise ValueError(name)


TICKET_FIELDS = ("subject", "priority", "status", "amount", "region", "score", "due_at",
                 "customer", "notes", "assignee", "escalated")


def random_events(rng: random.Random, count: int, customers: int) -> list[RecordEvent]:
    """Creations (30%) and updates changing one to three fields (70%) of random tickets."""
    events = []
    for number in range(count):
        record = {"id": number + 1, **{n: random_value(rng, n, customers)
                                       for n in TICKET_FIELDS}}
        actor = rng.choice(ACTORS)
        if rng.random() < 0.3:
            events.append(RecordEvent("created", "ticket", record, actor, changed=frozenset(
                n for n, v in record.items() if v is not None)))
            continue
        new = dict(record)
        for name in rng.sample(TICKET_FIELDS, rng.randrange(1, 4)):
            new[name] = random_value(rng, name, customers)
        changed = frozenset(n for n in TICKET_FIELDS if new[n] != record[n])
        events.append(RecordEvent("updated", "ticket", new, actor, old=record, changed=changed))
    return events


class FakeConnection:
    """Answers the link lookups of ``build_fact`` from dicts (no database)."""

    class _Result:
        def __init__(self, row: tuple | None):
            self.row = row

        def first(self) -> tuple | None:
            return self.row

    def __init__(self, tables: dict[str, dict[int, dict[str, Any]]]):
        self.tables = tables
        self.queries = 0

    def execute(self, statement: Any) -> _Result:
        self.queries += 1
        columns = statement._raw_columns  # the selected table columns, cheaply
        row = self.tables[columns[0].table.name].get(statement.whereclause.right.value)
        names = [column.name for column in columns]
        return self._Result(None if row is None else tuple(row[n] for n in names))


# -- timing helpers -------------------------------------------------------------------------


class TimedModule:
    """A stand-in for a module whose functions add their run time to ``seconds``."""

    def __init__(self, module: Any):
        self._module = module
        self.seconds = 0.0
        self.calls = Counter()

    def __getattr__(self, name: str) -> Any:
        target = getattr(self._module, name)
        if not callable(target):
            return target

        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return target(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - started
                self.calls[name] += 1

        return timed


@contextmanager
def patched(owner: Any, name: str, replacement: Any) -> Iterator[None]:
    """Replace ``owner.name`` while the block runs (benchmark instrumentation only)."""
    original = getattr(owner, name)
    setattr(owner, name, replacement)
    try:
        yield
    finally:
        setattr(owner, name, original)


class Stopwatch:
    """Total time of calls to wrapped functions, counting only the outermost of nested ones."""

    def __init__(self) -> None:
        self.seconds: Counter[str] = Counter()
        self.calls: Counter[str] = Counter()
        self._depth: Counter[str] = Counter()

    def wrap(self, name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            self._depth[name] += 1
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self._depth[name] -= 1
                if self._depth[name] == 0:
                    self.seconds[name] += time.perf_counter() - started
                self.calls[name] += 1

        return timed


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


# -- 1. matching ----------------------------------------------------------------------------


def bench_matching(root: Path, facts_count: int, reps: int, chunk: int) -> dict[str, Any]:
    registry = load_registry([MATCH_PACK], [root])
    schema = build_schema(registry)
    compiled = compile_entity(registry.entity("ticket"), registry)
    host = RulesHost()
    host.register(compiled.rulesets)
    names = list(compiled.rulesets)
    closures = ExpressionMatcher(compiled.rulesets)
    rng = random.Random(20261120)
    customers = 200
    customer_rows = {number: {"tier": rng.choice(TIERS),
                              "country": _maybe(rng, 0.05, rng.choice(COUNTRIES))}
                     for number in range(1, customers + 1)}
    connection = FakeConnection({schema.table("customer").name: customer_rows})
    events = random_events(rng, facts_count, customers)
    log(f"matching: {len(compiled.rules)} rules in {len(names)} ruleset(s), "
        f"{len(events):,} events")

    started = time.perf_counter()
    facts = [build_fact(connection, registry, schema, compiled.plan, event, NOW)  # type: ignore[arg-type]
             for event in events]
    build_seconds = time.perf_counter() - started

    # The same decisions every way, for every fact (before timing anything).
    # A rule whose condition is true through several branches of an "or" (any, a "fields"
    # list, a negated "all") comes back once per branch from durable-rules: counted apart.
    fired: Counter[str] = Counter()
    repeated: Counter[str] = Counter()
    mismatches = []
    for index, fact in enumerate(facts):
        by_host = host.match(names, fact)
        by_hand = plain_match(fact)
        by_closures = closures.match(fact)
        if set(by_host) != by_hand or by_closures != by_hand:
            mismatches.append({"index": index, "fact": fact, "durable": sorted(by_host),
                               "plain": sorted(by_hand), "closures": sorted(by_closures)})
        fired.update(by_hand)
        repeated.update(name for name, times in Counter(by_host).items() if times > 1)
    if mismatches:
        for item in mismatches[:5]:
            print(json.dumps(item, default=str, indent=1), file=sys.stderr)
        raise SystemExit(f"matching: {len(mismatches)} of {len(facts)} facts fire different "
                         "rules in durable-rules and in plain Python (first ones above)")
    never = sorted(set(compiled.rules) - set(fired))
    log(f"matching: all ways agree; {sum(fired.values()) / len(facts):.1f} rules fire per "
        f"event on average; never fired: {never or 'none'}")
    if repeated:
        log(f"matching: WARNING durable-rules returned the same rule more than once for "
            f"{sum(repeated.values())} facts ({', '.join(sorted(repeated))}): "
            "RulesEngine.emit would run their actions once per copy")

    ways: dict[str, Callable[[dict[str, Any]], Any]] = {
        "durable": lambda fact: host.match(names, fact),
        "plain": plain_match,
        "closures": closures.match,
    }
    rates: dict[str, list[float]] = {name: [] for name in ways}
    for way in ways.values():  # warm-up
        for fact in facts[:chunk]:
            way(fact)
    for rep in range(reps):
        spent = Counter()
        gc.collect()
        for number, start in enumerate(range(0, len(facts), chunk)):
            block = facts[start:start + chunk]
            order = list(ways)
            shift = (number + rep) % len(order)
            for name in order[shift:] + order[:shift]:
                way = ways[name]
                began = time.perf_counter()
                for fact in block:
                    way(fact)
                spent[name] += time.perf_counter() - began
        for name in ways:
            rates[name].append(len(facts) / spent[name])
        log(f"matching rep {rep + 1}: " + ", ".join(f"{n} {r[-1]:,.0f}/s"
                                                     for n, r in rates.items()))

    # Where the time of RulesHost.match goes: the engine's C calls, JSON, and the rest.
    sample = facts[:min(len(facts), 5_000)]
    c_calls, json_calls = TimedModule(durable.engine.durable_rules_engine), \
        TimedModule(durable.engine.json)
    with patched(durable.engine, "durable_rules_engine", c_calls), \
            patched(durable.engine, "json", json_calls):
        began = time.perf_counter()
        for fact in sample:
            host.match(names, fact)
        total = time.perf_counter() - began
    split = {"c_engine_us": c_calls.seconds / len(sample) * 1e6,
             "json_us": json_calls.seconds / len(sample) * 1e6,
             "python_us": (total - c_calls.seconds - json_calls.seconds) / len(sample) * 1e6,
             "total_us_instrumented": total / len(sample) * 1e6,
             "c_calls_per_event": {k: round(v / len(sample), 2)
                                   for k, v in sorted(c_calls.calls.items())},
             "json_calls_per_event": {k: round(v / len(sample), 2)
                                      for k, v in sorted(json_calls.calls.items())}}
    # The cost of one event against the number of rules it fires (durable-rules runs an
    # action per match: a least-squares line through per-event times).
    xs, ys = [], []
    for fact in sample:
        began = time.perf_counter()
        count = len(host.match(names, fact))
        ys.append((time.perf_counter() - began) * 1e6)
        xs.append(count)
    slope = statistics.linear_regression(xs, ys)
    split["per_event_us_fixed"] = slope.intercept
    split["per_fired_rule_us"] = slope.slope
    medians = {name: median(values) for name, values in rates.items()}
    return {
        "rules": len(compiled.rules), "rulesets": len(names), "facts": len(facts),
        "reps": reps, "chunk": chunk,
        "events_per_s": {name: round(v) for name, v in medians.items()},
        "us_per_event": {name: round(1e6 / v, 2) for name, v in medians.items()},
        "samples_events_per_s": {name: [round(v) for v in values]
                                 for name, values in rates.items()},
        "ratio_plain_over_durable": round(medians["plain"] / medians["durable"], 1),
        "ratio_closures_over_durable": round(medians["closures"] / medians["durable"], 1),
        "build_fact_us_no_db": round(build_seconds / len(facts) * 1e6, 2),
        "link_lookups_per_event": round(connection.queries / len(facts), 2),
        "mean_rules_fired_per_event": round(sum(fired.values()) / len(facts), 2),
        "fired_per_rule": dict(sorted(fired.items())),
        "never_fired": never,
        "facts_with_duplicate_names_from_durable": sum(repeated.values()),
        "duplicate_names_by_rule": dict(sorted(repeated.items())),
        "durable_split": {k: (round(v, 2) if isinstance(v, float) else v)
                          for k, v in split.items()},
    }


# -- 2. updates through the records service -------------------------------------------------

UPDATED_FIELDS = ("notes", "priority", "amount", "score", "status", "region")


def update_value(rng: random.Random, name: str, current: Any) -> Any:
    """A new value for ``name``, different from ``current``."""
    while True:
        if name == "notes":
            value = rng.choice(("please refund the order", "waiting for logs",
                                "call back tomorrow", "see attachment", "customer replied"))
            value += f" #{rng.randrange(1000)}"
        elif name == "priority":
            value = rng.choice(PRIORITIES)
        elif name == "amount":
            value = Decimal(rng.randrange(0, 1_000_000)) / 100
        elif name == "score":
            value = rng.randrange(0, 101)
        elif name == "status":
            value = rng.choice(STATUSES)
        else:
            value = rng.choice(REGIONS)
        if value != current:
            return value


def initial_ticket(rng: random.Random, customers: list[int]) -> dict[str, Any]:
    return {"subject": rng.choice(SUBJECTS), "priority": rng.choice(PRIORITIES),
            "status": rng.choice(STATUSES), "amount": Decimal(rng.randrange(0, 500_000)) / 100,
            "region": rng.choice(REGIONS), "score": rng.randrange(0, 90),
            "due_at": NOW + dt.timedelta(hours=rng.randrange(-48, 96)),
            "customer": rng.choice(customers), "notes": "opened", "escalated": False}


def statement_kind(statement: str) -> str:
    """``SELECT rulesbench20_ticket``, ``INSERT officina_audit``...: the verb and the table
    after the top-level FROM, INTO or UPDATE (not one of a subquery)."""
    words, depth = [], 0
    for word in statement.replace("\n", " ").replace('"', "").split():
        if depth == 0:
            words.append(word)
        depth += word.count("(") - word.count(")")
    upper = [w.upper() for w in words]
    verb = upper[0] if upper else "?"
    marker = {"SELECT": "FROM", "INSERT": "INTO", "UPDATE": "UPDATE", "DELETE": "FROM"}.get(verb)
    if marker in upper[:-1]:
        return f"{verb} {words[upper.index(marker) + 1]}"
    return f"{verb} ?"


@contextmanager
def statement_clock(engine: sa.engine.Engine) -> Iterator[Counter]:
    """Time (seconds) and count of statements by kind while the block runs."""
    totals: Counter = Counter()
    started: list[float] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        started.append(time.perf_counter())

    def after(conn, cursor, statement, parameters, context, executemany):
        kind = statement_kind(statement)
        totals[("s", kind)] += time.perf_counter() - started.pop()
        totals[("n", kind)] += 1

    sa.event.listen(engine, "before_cursor_execute", before)
    sa.event.listen(engine, "after_cursor_execute", after)
    try:
        yield totals
    finally:
        sa.event.remove(engine, "before_cursor_execute", before)
        sa.event.remove(engine, "after_cursor_execute", after)


class UpdateBench:
    """Two identical halves of the tickets: one updated with the rules engine, one without."""

    def __init__(self, url: str, root: Path, records: int, seed: int = 7):
        self.database = Database(url)
        self.store = RegistryStore(self.database, [UPDATE_PACK], [root, BUILTIN_PACKS])
        migrate(self.database, self.store.current().registry)
        self.service = RecordsService(self.database, self.store)
        self.engine = RulesEngine(self.service, clock=lambda: NOW)
        self.service.clock = lambda: NOW
        with self.database.write() as connection:
            create_user(connection, "alice", None, roles=("agent",), email="alice@example.com")
            create_user(connection, "bob", None, roles=("manager",), email="bob@example.com")
        rng = random.Random(seed)
        customers = [self.service.create(SYSTEM, "customer", {
            "name": f"Customer {n}", "tier": rng.choice(TIERS),
            "country": rng.choice(COUNTRIES)})["id"] for n in range(50)]
        self.half = max(1, records // 2)
        self.ids: dict[str, list[int]] = {"rules": [], "none": []}
        self.versions: dict[str, list[int]] = {"rules": [], "none": []}
        self.current: list[dict[str, Any]] = []
        for _ in range(self.half):
            values = initial_ticket(rng, customers)
            self.current.append(dict(values))
            for side in ("rules", "none"):
                record = self.service.create(SYSTEM, "ticket", values)
                self.ids[side].append(record["id"])
                self.versions[side].append(record["version"])
        self.rng = rng

    def specs(self, count: int) -> list[tuple[int, str, Any]]:
        """The next ``count`` updates: (ticket index, field, new value), applied to both
        halves, so both go through the same states of the updated fields."""
        result = []
        for _ in range(count):
            index = self.rng.randrange(self.half)
            name = self.rng.choice(UPDATED_FIELDS)
            value = update_value(self.rng, name, self.current[index][name])
            self.current[index][name] = value
            result.append((index, name, value))
        return result

    def run(self, side: str, specs: list[tuple[int, str, Any]]) -> float:
        """Apply ``specs`` to one half (engine attached or not); seconds taken."""
        self.service.events = self.engine if side == "rules" else None
        ids, versions, update = self.ids[side], self.versions[side], self.service.update
        began = time.perf_counter()
        for index, name, value in specs:
            record = update(SYSTEM, "ticket", ids[index], {name: value},
                            version=versions[index])
            versions[index] = record["version"]
        elapsed = time.perf_counter() - began
        self.service.events = None
        return elapsed

    def counts(self) -> dict[str, int]:
        system = self.store.current().schema.system
        with self.database.read() as connection:
            return {name: connection.execute(sa.select(sa.func.count()).select_from(
                system[name])).scalar_one()
                for name in ("officina_rule_log", "officina_notification")}


def bench_updates(backend: str, url: str, root: Path, records: int, updates: int, reps: int,
                  block: int, profile: int) -> dict[str, Any]:
    log(f"{backend}: creating {records} tickets")
    bench = UpdateBench(url, root, records)
    try:
        bench.run("rules", bench.specs(min(100, updates)))  # warm-up, compiles the rules
        bench.run("none", bench.specs(min(100, updates)))
        rates: dict[str, list[float]] = {"rules": [], "none": []}
        fired_before = bench.counts()
        for rep in range(reps):
            specs = bench.specs(updates)
            spent = Counter()
            gc.collect()
            for number, start in enumerate(range(0, len(specs), block)):
                order = ["rules", "none"] if (number + rep) % 2 == 0 else ["none", "rules"]
                for side in order:
                    spent[side] += bench.run(side, specs[start:start + block])
            for side in rates:
                rates[side].append(len(specs) / spent[side])
            log(f"{backend} rep {rep + 1}: rules {rates['rules'][-1]:,.0f}/s, "
                f"none {rates['none'][-1]:,.0f}/s")
        fired_after = bench.counts()
        medians = {side: median(values) for side, values in rates.items()}
        result: dict[str, Any] = {
            "records": bench.half * 2, "updates_per_rep": updates, "reps": reps,
            "block": block,
            "updates_per_s": {side: round(v, 1) for side, v in medians.items()},
            "samples_updates_per_s": {side: [round(v, 1) for v in values]
                                      for side, values in rates.items()},
            "ratio_rules_over_none": round(medians["rules"] / medians["none"], 3),
            "ms_per_update": {side: round(1000 / v, 3) for side, v in medians.items()},
            "rule_firings_per_update": round(
                (fired_after["officina_rule_log"] - fired_before["officina_rule_log"])
                / (updates * reps), 3),
            "notifications_per_update": round(
                (fired_after["officina_notification"] - fired_before["officina_notification"])
                / (updates * reps), 3),
        }
        result["breakdown"] = breakdown(bench, profile)
        return result
    finally:
        bench.database.dispose()


def breakdown(bench: UpdateBench, count: int) -> dict[str, Any]:
    """One more instrumented pass each way: where the time of an update with rules goes."""
    specs = bench.specs(count)
    watch = Stopwatch()
    engine = bench.engine
    per_side: dict[str, Any] = {}
    for side in ("none", "rules"):
        with statement_clock(bench.database.engine) as sql, \
                patched(rules_engine_module, "build_fact",
                        watch.wrap("build_fact", rules_engine_module.build_fact)), \
                patched(facts_module, "_linked", watch.wrap("link_lookup",
                                                            facts_module._linked)), \
                patched(engine.host, "match", watch.wrap("host_match", engine.host.match)), \
                patched(engine, "emit", watch.wrap("emit", engine.emit)), \
                patched(engine, "_run", watch.wrap("actions", engine._run)), \
                patched(engine, "transition_for", watch.wrap("transition_for",
                                                             engine.transition_for)), \
                patched(bench.service, "get", watch.wrap("records_get", bench.service.get)):
            watch.seconds.clear()
            watch.calls.clear()
            total = bench.run(side, specs)
        ms = {name: round(seconds / count * 1000, 4) for name, seconds in watch.seconds.items()}
        kinds = sorted({kind for _, kind in sql})
        statements = {kind: {"per_update": round(sql[("n", kind)] / count, 3),
                             "ms_per_update": round(sql[("s", kind)] / count * 1000, 4)}
                      for kind in kinds}
        sql_seconds = sum(v for (what, _), v in sql.items() if what == "s")
        per_side[side] = {
            "ms_per_update": round(total / count * 1000, 4),
            "sql_ms_per_update": round(sql_seconds / count * 1000, 4),
            "statements_per_update": round(sum(v for (what, _), v in sql.items()
                                               if what == "n") / count, 3),
            "statements": statements,
            "rules_ms_per_update": ms,
            "calls_per_update": {name: round(n / count, 3) for name, n in watch.calls.items()},
        }
    return {"updates": count, **per_side}


# -- report ---------------------------------------------------------------------------------


def table(results: dict[str, Any]) -> str:
    lines = []
    m = results.get("matching")
    if m:
        lines += [f"Matching: {m['rules']} rules, {m['facts']:,} facts, median of {m['reps']} "
                  "(events/s, higher is better)",
                  f"  {'way':34} {'events/s':>12} {'us/event':>9}"]
        labels = {"durable": "durable-rules (RulesHost.match)",
                  "plain": "hand-written Python (plain_match)",
                  "closures": "compiled expressions as closures"}
        for way, label in labels.items():
            lines.append(f"  {label:34} {m['events_per_s'][way]:>12,} "
                         f"{m['us_per_event'][way]:>9.2f}")
        split = m["durable_split"]
        lines += [f"  plain / durable: {m['ratio_plain_over_durable']}x   closures / durable: "
                  f"{m['ratio_closures_over_durable']}x   rules fired per event: "
                  f"{m['mean_rules_fired_per_event']}",
                  f"  RulesHost.match split (us/event, instrumented): C engine "
                  f"{split['c_engine_us']}, json {split['json_us']}, Python "
                  f"{split['python_us']}; about {split['per_event_us_fixed']:.0f} + "
                  f"{split['per_fired_rule_us']:.0f} per rule fired",
                  f"  build_fact without database: {m['build_fact_us_no_db']} us/event "
                  f"({m['link_lookups_per_event']} link lookups/event)"]
        if m["facts_with_duplicate_names_from_durable"]:
            lines.append(f"  same decisions on every fact; but durable-rules named a rule "
                         f"twice for {m['facts_with_duplicate_names_from_durable']:,} facts "
                         f"({', '.join(m['duplicate_names_by_rule'])})")
    updates = results.get("updates") or {}
    if updates:
        first = next(iter(updates.values()))
        lines += ["", f"Updates: {first['records']} tickets, {first['updates_per_rep']:,} "
                  f"updates each way, median of {first['reps']} (updates/s)",
                  f"  {'backend':11} {'no rules':>9} {'20 rules':>9} {'ratio':>6} "
                  f"{'ms/upd none':>11} {'ms/upd rules':>12} {'firings/upd':>11}"]
        for backend, u in updates.items():
            lines.append(f"  {backend:11} {u['updates_per_s']['none']:>9,.0f} "
                         f"{u['updates_per_s']['rules']:>9,.0f} "
                         f"{u['ratio_rules_over_none']:>6.2f} "
                         f"{u['ms_per_update']['none']:>11.3f} "
                         f"{u['ms_per_update']['rules']:>12.3f} "
                         f"{u['rule_firings_per_update']:>11.3f}")
        lines += ["", "Where an update's time goes (instrumented pass, ms per update)",
                  f"  {'backend':11} {'side':6} {'total':>7} {'SQL':>7} {'stmts':>6} "
                  f"{'get':>7} {'emit':>7} {'fact':>7} {'link q':>7} {'match':>7} "
                  f"{'actions':>7}"]
        for backend, u in updates.items():
            for side in ("none", "rules"):
                b = u["breakdown"][side]
                r = b["rules_ms_per_update"]
                lines.append(
                    f"  {backend:11} {side:6} {b['ms_per_update']:>7.3f} "
                    f"{b['sql_ms_per_update']:>7.3f} {b['statements_per_update']:>6.2f} "
                    + " ".join(f"{r.get(k, 0.0):>7.3f}" for k in
                               ("records_get", "emit", "build_fact", "link_lookup",
                                "host_match", "actions")))
        lines.append("  statements per update (no rules -> rules):")
        for backend, u in updates.items():
            none, rules = u["breakdown"]["none"]["statements"], \
                u["breakdown"]["rules"]["statements"]
            changes = [f"{kind} {none.get(kind, {}).get('per_update', 0):g}->"
                       f"{rules.get(kind, {}).get('per_update', 0):g}"
                       for kind in sorted(set(none) | set(rules)) if kind != "BEGIN ?"]
            lines.append(f"    {backend}: " + ", ".join(changes))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, for a fast check")
    parser.add_argument("--facts", type=int, help="facts matched (default 20,000)")
    parser.add_argument("--records", type=int, help="tickets created per backend (300)")
    parser.add_argument("--updates", type=int, help="updates each way per repetition (1,000)")
    parser.add_argument("--reps", type=int, default=3, help="repetitions (median reported)")
    parser.add_argument("--block", type=int, default=50,
                        help="updates per block; blocks alternate with/without rules")
    parser.add_argument("--profile", type=int, help="updates of the instrumented pass (300)")
    parser.add_argument("--backends", default="sqlite,postgresql",
                        help="comma-separated: sqlite, postgresql (or empty)")
    parser.add_argument("--no-matching", action="store_true")
    parser.add_argument("--output", type=Path, default=RESULTS / "rules-latest.json")
    args = parser.parse_args(argv)
    facts = args.facts or (3_000 if args.quick else 20_000)
    records = args.records or (60 if args.quick else 300)
    updates = args.updates or (150 if args.quick else 1_000)
    profile = args.profile or (60 if args.quick else 300)
    backends = [b for b in args.backends.split(",") if b]

    results: dict[str, Any] = {
        "started": dt.datetime.now().isoformat(timespec="seconds"),
        "python": platform.python_version(), "machine": platform.machine(),
        "quick": args.quick,
    }
    with tempfile.TemporaryDirectory(prefix="officina-rules-bench-") as tmp:
        root = write_packs(Path(tmp) / "packs")
        if not args.no_matching:
            results["matching"] = bench_matching(root, facts, args.reps, chunk=1_000)
        results["updates"] = {}
        for backend in backends:
            if backend == "sqlite":
                url = f"sqlite:///{Path(tmp) / 'rules.sqlite3'}"
                results["updates"][backend] = bench_updates(
                    backend, url, root, records, updates, args.reps, args.block, profile)
            elif backend == "postgresql":
                log("postgresql: starting a server")
                server = start_postgres()
                try:
                    url = server.create_database("rulesbench")
                    results["updates"][backend] = bench_updates(
                        backend, url, root, records, updates, args.reps, args.block, profile)
                finally:
                    server.stop()
            else:
                parser.error(f"unknown backend {backend!r}")
    results["seconds"] = round(time.monotonic() - _started, 1)
    report = table(results)
    print(report)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2, default=str) + "\n")
    log(f"wrote {args.output} ({results['seconds']}s in all)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
