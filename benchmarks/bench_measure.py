"""Timing helpers: interleaved repetitions, percentiles, statement capture and EXPLAIN."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine


def percentile(samples: list[float], p: float) -> float:
    """The ``p``-th percentile (0-100) by linear interpolation."""
    if not samples:
        return float("nan")
    ordered = sorted(samples)
    rank = (len(ordered) - 1) * p / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@dataclass
class Series:
    """Durations (ms) of one measured case."""

    name: str
    samples: list[float] = field(default_factory=list)
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def p50(self) -> float:
        return percentile(self.samples, 50)

    @property
    def p95(self) -> float:
        return percentile(self.samples, 95)

    @property
    def mean(self) -> float:
        return sum(self.samples) / len(self.samples) if self.samples else float("nan")

    def as_dict(self) -> dict[str, Any]:
        return {"n": len(self.samples), "p50_ms": round(self.p50, 3),
                "p95_ms": round(self.p95, 3), "mean_ms": round(self.mean, 3), **self.info}


def interleave(cases: dict[str, Callable[[int], Any]], reps: int,
               warmup: int) -> dict[str, Series]:
    """Run every case once per round, rotating which goes first; time each after warm-up.

    Each case receives the round number (so cases of one round use the same parameters).
    """
    names = list(cases)
    series = {name: Series(name) for name in names}
    gc.collect()
    for round_no in range(warmup + reps):
        shift = round_no % len(names)
        for name in names[shift:] + names[:shift]:
            started = time.perf_counter()
            cases[name](round_no)
            elapsed = (time.perf_counter() - started) * 1000
            if round_no >= warmup:
                series[name].samples.append(elapsed)
    return series


@contextmanager
def captured(engine: Engine) -> Iterator[list[tuple[str, Any]]]:
    """Collect the (statement, parameters) the engine sends while the block runs."""
    statements: list[tuple[str, Any]] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        statements.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", before)


@dataclass
class SqlClock:
    """Time spent inside cursor.execute (round trip plus server work) and statement count."""

    seconds: float = 0.0
    statements: int = 0


@contextmanager
def sql_clock(engine: Engine) -> Iterator[SqlClock]:
    """Measure the time the engine spends executing statements while the block runs."""
    clock = SqlClock()
    started: list[float] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        started.append(time.perf_counter())

    def after(conn, cursor, statement, parameters, context, executemany):
        clock.seconds += time.perf_counter() - started.pop()
        clock.statements += 1

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    try:
        yield clock
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)


def explain(engine: Engine, statement: str, parameters: Any, runs: int = 2) -> str:
    """EXPLAIN (ANALYZE, BUFFERS) of a captured statement, after ``runs - 1`` warm runs."""
    text = ""
    with engine.connect() as conn:
        for _ in range(runs):
            rows = conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + statement,
                                        parameters).all()
            text = "\n".join(r[0] for r in rows)
        conn.rollback()
    return text


def plan_summary(plan: str, table: str) -> dict[str, Any]:
    """The indexes a plan uses, whether it reads ``table`` sequentially, and its timings."""
    indexes = sorted({line.split(" on ")[0].split("using ")[-1].strip()
                      for line in plan.splitlines()
                      if "Index" in line and " using " in line}
                     | {line.split(" on ")[-1].split()[0]
                        for line in plan.splitlines() if "Bitmap Index Scan on" in line})
    execution = planning = None
    for line in plan.splitlines():
        stripped = line.strip()
        if stripped.startswith("Execution Time:"):
            execution = float(stripped.split()[2])
        elif stripped.startswith("Planning Time:"):
            planning = float(stripped.split()[2])
    seq_scan = any("Seq Scan on " + table in line for line in plan.splitlines())
    return {"indexes": indexes, "seq_scan": seq_scan,
            "jit": "JIT:" in plan, "planning_ms": planning, "execution_ms": execution}
