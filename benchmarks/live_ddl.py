"""Live schema changes: how long readers stall while a link field is added to a big table.

A throw-away PostgreSQL server holds ``--rows`` tickets. A reader process runs short indexed
SELECTs (one ticket by id) all the time and records each one's latency; meanwhile link fields
(a column, its index and its foreign key) are added through the real migrator, and, for the
figure "before", the way ``migrate`` applied them before issue 12 (one transaction without
``lock_timeout``, the index built and the key checked inside it). Then the same with an open
"report" transaction holding ACCESS SHARE on the table. Prints a table; the JSON goes to
``benchmarks/results/live-ddl-latest.json``.

    .venv/bin/python benchmarks/live_ddl.py                  # 1,000,000 tickets, ~2 minutes
    .venv/bin/python benchmarks/live_ddl.py --rows 100000    # a quick check

See benchmarks/README.md for what is measured.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import multiprocessing as mp
import platform
import random
import statistics
import sys
import tempfile
import threading
import time
from array import array
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # core, tests.support

import sqlalchemy as sa
from alembic.migration import MigrationContext
from alembic.operations import Operations, ops

from core.metadata.registry import load_registry
from core.metadata.specs import Registry
from core.storage.database import Database
from core.storage.ddl_locks import TableBusy
from core.storage.lock_settings import MigrationLocks
from core.storage.migrate import migrate, plan_migration
from core.storage.online_ddl import BuildIndex, ValidateForeignKey
from tests.support.pg_server import start_postgres

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
PACK = "live"
TICKETS = f"{PACK}_ticket"
TARGET_P99_MS = 100.0
_started = time.monotonic()

MANIFEST = 'name: live\nversion: "1.0"\nlabel: Live DDL benchmark\n'
ACCOUNT = """\
name: account
label: Account
naming: "ACC-{#####}"
title_field: name
fields:
  name: {type: string, length: 140, required: true}
"""
TICKET = """\
name: ticket
label: Ticket
naming: "TCK-{#######}"
title_field: title
fields:
  title: {type: string, length: 140, required: true}
  status: {type: select, options: [open, closed]}
"""


def log(message: str) -> None:
    """Progress on stderr, with the time since start."""
    print(f"[{time.monotonic() - _started:7.1f}s] {message}", file=sys.stderr, flush=True)


def write_pack(folder: Path, links: list[str]) -> Registry:
    """The pack with ``ticket`` holding a link to ``account`` for each name in ``links``."""
    (folder / PACK / "entities").mkdir(parents=True, exist_ok=True)
    (folder / PACK / "pack.yaml").write_text(MANIFEST)
    (folder / PACK / "entities" / "account.yaml").write_text(ACCOUNT)
    extra = "".join(f"  {name}: {{type: link, target: account}}\n" for name in links)
    (folder / PACK / "entities" / "ticket.yaml").write_text(TICKET + extra)
    return load_registry([PACK], [folder])


def load(database: Database, rows: int) -> None:
    """1,000 accounts and ``rows`` tickets, by INSERT … SELECT over generate_series."""
    now = sa.func.now()
    standard = {"created_at": now, "created_by": sa.literal("bench"), "modified_at": now,
                "modified_by": sa.literal("bench"), "version": sa.literal(1)}

    def fill(table: str, count: int, prefix: str, digits: int, values: dict[str, Any]) -> None:
        n = sa.func.generate_series(1, count).table_valued("n").render_derived()
        ref = sa.func.concat(prefix, sa.func.lpad(sa.cast(n.c.n, sa.Text), digits, "0"))
        columns = {"ref": ref, **standard, **{k: v(n.c.n) for k, v in values.items()}}
        target = sa.table(table, *(sa.column(c) for c in columns))
        with database.write() as connection:
            connection.execute(target.insert().from_select(
                list(columns), sa.select(*columns.values())))

    fill(f"{PACK}_account", 1000, "ACC-", 5,
         {"name": lambda n: sa.func.concat("Account ", n)})
    fill(TICKETS, rows, "TCK-", 7,
         {"title": lambda n: sa.func.concat("Ticket ", n),
          "status": lambda n: sa.case((n % 5 == 0, "open"), else_="closed")})
    with database.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
        c.exec_driver_sql(f"VACUUM ANALYZE {TICKETS}")


# -- the reader --------------------------------------------------------------------------------


def reader(url: str, rows: int, rate: float, stop: Any, ready: Any, out: Any) -> None:
    """Read one ticket by id ``rate`` times a second until ``stop``; send (scheduled start,
    seconds to completion) pairs.

    Reads are scheduled at a fixed rate and timed from their scheduled start, not from when
    they could be sent: a read that waits behind a lock delays those after it, and each of
    them counts the wait (a closed loop would record one slow read and hide the others).
    """
    engine = sa.create_engine(url, pool_size=1)
    tickets = sa.table(TICKETS, sa.column("id"), sa.column("title"))
    query = sa.select(tickets.c.title).where(tickets.c.id == sa.bindparam("id"))
    rng = random.Random(7)
    samples = array("d")
    interval = 1 / rate
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(query, {"id": 1}).scalar()
        ready.set()
        due = time.monotonic()
        while not stop.is_set():
            wait = due - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            connection.execute(query, {"id": rng.randrange(1, rows + 1)}).scalar()
            samples.append(due)
            samples.append(time.monotonic() - due)
            due += interval
    engine.dispose()
    out.put(samples.tobytes())


@dataclass
class Case:
    """One schema change and the time it took, with what the reader saw around it."""

    name: str
    began: float = 0.0
    ended: float = 0.0
    baseline: tuple[float, float] = (0.0, 0.0)
    outcome: str = "done"
    notes: dict[str, Any] = field(default_factory=dict)


def latencies(samples: list[tuple[float, float]], window: tuple[float, float]) -> list[float]:
    """Latencies (ms) of the reads that were running at some time inside ``window``."""
    start, end = window
    return [d * 1000 for t, d in samples if t < end and t + d > start]


def figures(values: list[float]) -> dict[str, Any]:
    if not values:
        return {"reads": 0}
    ordered = sorted(values)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return {"reads": len(values), "p50_ms": round(statistics.median(ordered), 2),
            "p99_ms": round(p99, 2), "max_ms": round(ordered[-1], 1),
            "over_100ms": sum(v > 100 for v in values)}


# -- the two ways of adding a field ----------------------------------------------------------


def legacy_migrate(database: Database, registry: Registry) -> None:
    """What ``migrate`` did before issue 12: every step in one transaction without
    ``lock_timeout``: the column, a plain CREATE INDEX and a foreign key checked at once."""
    with database.migrating() as connection:
        plan = plan_migration(connection, registry)
        operations = Operations(MigrationContext.configure(connection))
        for step in plan.safe:
            operation = step.operation
            if isinstance(operation, ValidateForeignKey):
                continue
            if isinstance(operation, BuildIndex):
                index = operation.index
                operation = ops.CreateIndexOp(index.index_name, index.table_name,
                                              index.columns, unique=index.unique)
            elif isinstance(operation, ops.CreateForeignKeyOp):
                kw = {k: v for k, v in operation.kw.items() if k != "postgresql_not_valid"}
                operation = ops.CreateForeignKeyOp(
                    operation.constraint_name, operation.source_table,
                    operation.referent_table, operation.local_cols, operation.remote_cols, **kw)
            operations.invoke(operation)


class Report:
    """A report's transaction: it reads the tickets, then stays open for ``hold`` seconds."""

    def __init__(self, database: Database, hold: float):
        self.connection = database.engine.connect()
        self.connection.begin()
        self.connection.execute(sa.text(f"SELECT count(*) FROM {TICKETS}")).scalar()
        self.timer = threading.Timer(hold, self.connection.rollback)
        self.timer.start()

    def close(self) -> None:
        self.timer.join()
        self.connection.close()


def run_case(case: Case, change: Callable[[], None], database: Database,
             report_hold: float | None, pause: float) -> None:
    time.sleep(pause)
    case.baseline = (time.monotonic() - pause / 2, time.monotonic())  # after any backlog
    report = Report(database, report_hold) if report_hold else None
    if report:
        time.sleep(0.3)  # the report has been running a while when the change comes
    case.began = time.monotonic()
    try:
        change()
    except TableBusy as busy:
        case.outcome = f"TableBusy: {busy}"
    case.ended = time.monotonic()
    if report:
        report.close()
    log(f"{case.name}: {case.outcome} in {case.ended - case.began:.2f}s")


# -- the run ---------------------------------------------------------------------------------


def run(args: argparse.Namespace, folder: Path) -> dict[str, Any]:
    server = start_postgres({"shared_buffers": args.shared_buffers})
    context = mp.get_context("spawn")
    stop, ready, out = context.Event(), context.Event(), context.Queue()
    cases: list[Case] = []
    result: dict[str, Any] = {}
    try:
        url = server.create_database("officina_live")
        locks = MigrationLocks(lock_timeout=args.lock_timeout, lock_attempts=args.lock_attempts,
                               retry_pause=args.retry_pause)
        database = Database(url, locks=locks)
        links: list[str] = []
        migrate(database, write_pack(folder, links))
        log(f"loading {args.rows:,} tickets")
        began = time.monotonic()
        load(database, args.rows)
        result["load_seconds"] = round(time.monotonic() - began, 1)
        with database.engine.connect() as connection:
            result["table_size"] = connection.execute(sa.select(sa.func.pg_size_pretty(
                sa.func.pg_total_relation_size(TICKETS)))).scalar()
            result["server_version"] = connection.exec_driver_sql(
                "SHOW server_version").scalar()
        log(f"loaded in {result['load_seconds']}s ({result['table_size']}); reader starts")
        process = context.Process(target=reader, args=(url, args.rows, args.read_rate, stop, ready,
                                                        out))
        process.start()
        ready.wait(60)

        def add(kind: str, link: str, hold: float | None, settings: MigrationLocks) -> None:
            registry = write_pack(folder, [*links, link])
            database.locks = settings
            case = Case(f"{kind}, report open {hold:.1f}s" if hold else kind)
            do = ((lambda: legacy_migrate(database, registry)) if kind == "before"
                  else (lambda: migrate(database, registry)))
            run_case(case, do, database, hold, args.pause)
            case.notes = {"field": link, "lock_timeout_s": settings.lock_timeout,
                          "lock_attempts": settings.lock_attempts}
            if case.outcome == "done":
                links.append(link)
            cases.append(case)

        for rep in range(args.reps):
            if args.legacy:
                add("before", f"before_{rep}", None, locks)
            add("after", f"after_{rep}", None, locks)
        if args.report_hold:
            if args.legacy:
                add("before", "before_report", args.report_hold, locks)
            add("after", "after_report", args.report_hold, locks)
            short = MigrationLocks(lock_timeout=args.lock_timeout, lock_attempts=3,
                                   retry_pause=args.retry_pause)
            # Open past every attempt (each also spends some time planning before it waits).
            add("after", "after_long_report", 2 * short.total_wait + 2, short)
        time.sleep(args.pause)
        stop.set()
        samples_raw = array("d")
        samples_raw.frombytes(out.get(timeout=120))
        process.join(30)
        samples = list(zip(samples_raw[0::2], samples_raw[1::2], strict=True))
        result["reads_total"] = len(samples)
        result["cases"] = [{
            "case": c.name, "outcome": c.outcome, **c.notes,
            "migration_seconds": round(c.ended - c.began, 2),
            "during": figures(latencies(samples, (c.began, c.ended))),
            "baseline": figures(latencies(samples, c.baseline))} for c in cases]
        database.dispose()
    finally:
        stop.set()
        server.stop()
    return result


def summary_lines(result: dict[str, Any]) -> list[str]:
    lines = [f"Reader stalls while a link field (column, index, foreign key) is added to "
             f"{result['rows']:,} tickets ({result['table_size']}), PostgreSQL "
             f"{result['server_version']}; reads by id at a fixed rate, latency in ms from each "
             "read's scheduled start:",
             f"{'case':<32}{'migration s':>12}{'reads':>8}{'p50':>8}{'p99':>9}{'max':>9}"
             f"{'>100ms':>8}   {'baseline p50/p99/max':<22} outcome"]
    for c in result["cases"]:
        d, b = c["during"], c["baseline"]
        lines.append(
            f"{c['case']:<32}{c['migration_seconds']:>12.2f}{d.get('reads', 0):>8}"
            f"{d.get('p50_ms', 0):>8.2f}{d.get('p99_ms', 0):>9.2f}{d.get('max_ms', 0):>9.1f}"
            f"{d.get('over_100ms', 0):>8}   "
            f"{b.get('p50_ms', 0):.2f}/{b.get('p99_ms', 0):.2f}/{b.get('max_ms', 0):<10.1f}"
            f" {c['outcome'][:70]}")
    after = [c["during"].get("p99_ms", 0) for c in result["cases"] if c["case"] == "after"]
    if after:
        worst = max(after)
        lines.append(f"Target: reader p99 during the change (no report) under "
                     f"{TARGET_P99_MS:.0f} ms: worst {worst:.2f} ms, "
                     f"{'met' if worst < TARGET_P99_MS else 'NOT met'}.")
    return lines


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="tickets to load")
    parser.add_argument("--reps", type=int, default=3, help="fields added each way")
    parser.add_argument("--lock-timeout", type=float, default=MigrationLocks().lock_timeout,
                        help="seconds per lock wait ([migrations] lock_timeout)")
    parser.add_argument("--lock-attempts", type=int, default=MigrationLocks().lock_attempts)
    parser.add_argument("--retry-pause", type=float, default=MigrationLocks().retry_pause)
    parser.add_argument("--report-hold", type=float, default=2.5,
                        help="seconds the report transaction stays open (0: no report cases)")
    parser.add_argument("--read-rate", type=float, default=200,
                        help="reads a second, scheduled at a fixed rate")
    parser.add_argument("--pause", type=float, default=2.0,
                        help="seconds of quiet reading before each case (its baseline)")
    parser.add_argument("--no-legacy", dest="legacy", action="store_false",
                        help="skip the cases applied the way migrate did before issue 12")
    parser.add_argument("--shared-buffers", default="256MB", help="PostgreSQL shared_buffers")
    parser.add_argument("--output", type=Path, default=RESULTS / "live-ddl-latest.json")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="officina-live-ddl-") as tmp:
        result = run(args, Path(tmp))
    result["rows"] = args.rows
    report = {"config": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
              "environment": {"python": platform.python_version(),
                              "sqlalchemy": sa.__version__, "machine": platform.machine(),
                              "started_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")},
              **result, "elapsed_seconds": round(time.monotonic() - _started, 1)}
    lines = summary_lines(result)
    report["summary"] = lines
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2, default=str))
    print("\n".join(lines))
    print(f"\nwritten: {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
