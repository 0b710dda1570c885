"""Officina benchmarks: list latency and create rate of the records service.

Compares ``RecordsService`` with what a developer would write by hand in SQLAlchemy Core, on
a throw-away PostgreSQL server loaded with a million tickets (and, for creates, on SQLite).
Prints a summary table and writes it as JSON to ``benchmarks/results/latest.json``.

    .venv/bin/python benchmarks/run.py                 # 1,000,000 tickets (~5-10 minutes)
    .venv/bin/python benchmarks/run.py --rows 100000   # a quick check

See benchmarks/README.md for what is measured.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import sys
import tempfile
import time
import uuid
import warnings
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the bench_* modules
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # core, tests.support

import psycopg
import sqlalchemy as sa
from bench_data import Sizes, load_postgres, load_sqlite, median_accounts, top_accounts
from bench_measure import Series, captured, explain, interleave, plan_summary, sql_clock
from bench_pack import PACK, STATUSES, TABLES, write_pack

from core.records.actor import SYSTEM
from core.records.reading import ListQuery, Page
from core.records.service import RecordsService
from core.storage.database import Database
from core.storage.migrate import migrate
from core.storage.registry_store import RegistryStore
from tests.support.pg_server import start_postgres

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
STATUS = "open"
PAGE = 50
TARGET_RATIO = 1.5
TARGET_P50_MS = 50.0
# Indexes a developer would add for these lists; created only in the "what if" phase.
WHAT_IF_INDEXES = {
    "ix_whatif_ticket_account_status_opened":
        f"{TABLES['ticket']} (account, status, opened_on DESC, id DESC)",
    "ix_whatif_ticket_status_opened": f"{TABLES['ticket']} (status, opened_on DESC, id DESC)",
}
_started = time.monotonic()


def log(message: str) -> None:
    """Progress on stderr, with the time since start."""
    print(f"[{time.monotonic() - _started:7.1f}s] {message}", file=sys.stderr, flush=True)


# -- the two ways of reading a page ---------------------------------------------------------


def service_page(service: RecordsService, account: int | None, exact: bool = False) -> Page:
    """(a) The page through the records service."""
    filters: list[list[Any]] = [["status", "=", STATUS]]
    if account is not None:
        filters.insert(0, ["account", "=", account])
    return service.list(SYSTEM, "ticket", ListQuery(filters=filters, sort=("-opened_on",),
                                                    limit=PAGE, exact_count=exact))


class Handwritten:
    """(b) The same page as a developer would write it in SQLAlchemy Core, plus count(*)."""

    def __init__(self, engine: sa.Engine):
        self.engine = engine
        metadata = sa.MetaData()
        self.ticket = sa.Table(TABLES["ticket"], metadata, autoload_with=engine)
        self.account = sa.Table(TABLES["account"], metadata, autoload_with=engine)
        self.product = sa.Table(TABLES["product"], metadata, autoload_with=engine)
        self.agent = sa.Table(TABLES["agent"], metadata, autoload_with=engine)

    def page(self, account: int | None) -> tuple[list[sa.Row], int]:
        t = self.ticket
        a, p, g = self.account.alias("a"), self.product.alias("p"), self.agent.alias("g")
        where = [t.c.status == STATUS]
        if account is not None:
            where.insert(0, t.c.account == account)
        page = (sa.select(t.c.id, t.c.ref, t.c.version, t.c.title,
                          t.c.account, a.c.name.label("account_title"),
                          t.c.product, p.c.name.label("product_title"),
                          t.c.agent, g.c.name.label("agent_title"),
                          t.c.status, t.c.opened_on, t.c.amount)
                .select_from(t.outerjoin(a, a.c.id == t.c.account)
                             .outerjoin(p, p.c.id == t.c.product)
                             .outerjoin(g, g.c.id == t.c.agent))
                .where(*where)
                .order_by(t.c.opened_on.desc(), t.c.id.desc())
                .limit(PAGE))
        count = sa.select(sa.func.count()).select_from(t).where(*where)
        with self.engine.connect() as conn:
            rows = conn.execute(page).all()
            total = conn.execute(count).scalar_one()
        return rows, total


def same_page(service: RecordsService, handwritten: Handwritten, account: int | None) -> None:
    """Both ways must return the same page (and the same total when the service's is exact)."""
    page = service_page(service, account)
    rows, total = handwritten.page(account)
    mine = [(r["id"], r["title"], r["_titles"]["account"], r["_titles"]["product"],
             r["_titles"]["agent"]) for r in page.rows]
    theirs = [(r.id, r.title, r.account_title, r.product_title, r.agent_title) for r in rows]
    if mine != theirs or (page.total_exact and page.total != total):
        raise AssertionError(f"service and hand-written pages differ for account {account}")


# -- list benchmarks -------------------------------------------------------------------------


def list_cases(service: RecordsService, handwritten: Handwritten, large: list[int],
               typical: list[int], totals: dict[str, set]) -> tuple[dict, dict]:
    """The fast cases (one account's open tickets) and the slow ones (every open ticket)."""

    def run_service(group: str, accounts: list[int] | None, exact: bool = False):
        def run(round_no: int) -> None:
            account = accounts[round_no % len(accounts)] if accounts else None
            page = service_page(service, account, exact)
            assert len(page.rows) == PAGE
            totals[group].add((page.total, page.total_exact))
        return run

    def run_core(group: str, accounts: list[int] | None):
        def run(round_no: int) -> None:
            account = accounts[round_no % len(accounts)] if accounts else None
            rows, total = handwritten.page(account)
            assert len(rows) == PAGE
            totals[group].add((total, True))
        return run

    fast = {"list_large.service": run_service("list_large.service", large),
            "list_large.core": run_core("list_large.core", large),
            "list_typical.service": run_service("list_typical.service", typical),
            "list_typical.core": run_core("list_typical.core", typical)}
    slow = {"list_status.service": run_service("list_status.service", None),
            "list_status.service_exact": run_service("list_status.service_exact", None, True),
            "list_status.core": run_core("list_status.core", None)}
    return fast, slow


def measure_lists(service: RecordsService, handwritten: Handwritten, large: list[int],
                  typical: list[int], args: argparse.Namespace) -> dict[str, Series]:
    totals: dict[str, set] = {name: set() for name in (
        "list_large.service", "list_large.core", "list_typical.service", "list_typical.core",
        "list_status.service", "list_status.service_exact", "list_status.core")}
    fast, slow = list_cases(service, handwritten, large, typical, totals)
    log(f"list: {len(fast)} cases x {args.reps} repetitions (+{args.warmup} warm-up), "
        "interleaved")
    series = interleave(fast, args.reps, args.warmup)
    log(f"list: {len(slow)} unfiltered-by-account cases x {args.slow_reps} repetitions")
    series.update(interleave(slow, args.slow_reps, max(2, args.warmup // 4)))
    for name, found in totals.items():
        values = sorted(t for t, _exact in found)
        series[name].info.update({
            "total_min": values[0], "total_max": values[-1],
            "total_exact": sorted({exact for _t, exact in found})})
    return series


def list_ratios(series: dict[str, Series]) -> dict[str, float]:
    ratio = {}
    for group in ("list_large", "list_typical", "list_status"):
        ratio[group] = series[f"{group}.service"].p50 / series[f"{group}.core"].p50
    ratio["list_status_exact"] = (series["list_status.service_exact"].p50
                                  / series["list_status.core"].p50)
    return ratio


# -- diagnostics -----------------------------------------------------------------------------


def explain_lists(database: Database, service: RecordsService, handwritten: Handwritten,
                  account: int) -> dict[str, Any]:
    """EXPLAIN ANALYZE of the statements each way sends, for one large account and unfiltered."""
    plans: dict[str, Any] = {}
    calls: dict[str, Callable[[], Any]] = {
        "list_large.service": lambda: service_page(service, account),
        "list_large.core": lambda: handwritten.page(account),
        "list_status.service": lambda: service_page(service, None),
        "list_status.service_exact": lambda: service_page(service, None, True),
        "list_status.core": lambda: handwritten.page(None)}
    for name, call in calls.items():
        with captured(database.engine) as statements:
            call()
        mine = [(s, p) for s, p in statements if TABLES["ticket"] in s]
        for index, (statement, parameters) in enumerate(mine):
            kind = "count" if "count(" in statement.lower() else "page"
            plan = explain(database.engine, statement, parameters)
            plans[f"{name}.{kind}" if len(mine) > 1 else f"{name}.{index}"] = {
                "sql": statement, "parameters": {k: str(v) for k, v in parameters.items()},
                "plan": plan, **plan_summary(plan, TABLES["ticket"])}
    return plans


def breakdown(database: Database, service: RecordsService, handwritten: Handwritten,
              accounts: list[int], reps: int) -> dict[str, Any]:
    """Median total, SQL (inside cursor.execute) and other time of one list call, each way."""
    out: dict[str, Any] = {}
    for name, call in (("service", lambda a: service_page(service, a)),
                       ("core", handwritten.page)):
        totals, sqls, counts = [], [], []
        for i in range(reps):
            with sql_clock(database.engine) as clock:
                started = time.perf_counter()
                call(accounts[i % len(accounts)])
                totals.append((time.perf_counter() - started) * 1000)
            sqls.append(clock.seconds * 1000)
            counts.append(clock.statements)
        total = Series("total", totals)
        sql = Series("sql", sqls)
        outside = Series("other", [t - s for t, s in zip(totals, sqls, strict=True)])
        out[name] = {"total_p50_ms": round(total.p50, 3), "sql_p50_ms": round(sql.p50, 3),
                     "other_p50_ms": round(outside.p50, 3),
                     "statements_per_call": sorted(set(counts))}
    return out


# -- creates ---------------------------------------------------------------------------------


def ticket_values(i: int, sizes: Sizes) -> dict[str, Any]:
    return {"title": f"Benchmark ticket {i}", "account": 1 + i % sizes.accounts,
            "product": 1 + (i * 7) % sizes.products, "agent": 1 + (i * 3) % sizes.agents,
            "status": STATUSES[i % len(STATUSES)],
            "opened_on": dt.date(2026, 1, 1) + dt.timedelta(days=i % 30),
            "amount": Decimal(i % 100_000) / 100}


def measure_creates(database: Database, service: RecordsService, sizes: Sizes, count: int,
                    block: int, warmup: int) -> dict[str, Any]:
    """Records created per second: the full service vs one Core insert per transaction."""
    ticket = sa.Table(TABLES["ticket"], sa.MetaData(), autoload_with=database.engine)
    numbers = iter(range(1, 10**9))
    token = uuid.uuid4().hex[:8]  # refs of plain inserts stay unique across calls

    def by_service() -> None:
        values = ticket_values(next(numbers), sizes)
        # As a JSON client sends them: the date and the amount as text.
        record = service.create(SYSTEM, "ticket", {**values,
                                                   "opened_on": values["opened_on"].isoformat(),
                                                   "amount": str(values["amount"])})
        assert record["id"]

    def by_core() -> None:
        i = next(numbers)
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        with database.engine.begin() as conn:
            conn.execute(ticket.insert().values(
                ref=f"CORE-{token}-{i:09d}", created_at=now, created_by="bench", modified_at=now,
                modified_by="bench", version=1, **ticket_values(i, sizes)))

    rounds = max(1, count // block)
    series = interleave({"service": lambda _r: [by_service() for _ in range(block)],
                         "core": lambda _r: [by_core() for _ in range(block)]},
                        rounds, max(1, warmup // block))
    out: dict[str, Any] = {}
    for name, s in series.items():
        seconds = sum(s.samples) / 1000
        out[name] = {"records": rounds * block, "per_second": round(rounds * block / seconds, 1),
                     "ms_per_record": round(s.mean / block, 3)}
    out["ratio"] = round(out["core"]["per_second"] / out["service"]["per_second"], 2)
    return out


def create_breakdown(database: Database, service: RecordsService, sizes: Sizes,
                     reps: int = 50) -> dict[str, Any]:
    """Statements and SQL time of one service create."""
    totals, sqls, counts = [], [], []
    for i in range(reps):
        values = ticket_values(10**8 + i, sizes)
        data = {**values, "opened_on": values["opened_on"].isoformat(),
                "amount": str(values["amount"])}
        with sql_clock(database.engine) as clock:
            started = time.perf_counter()
            service.create(SYSTEM, "ticket", data)
            totals.append((time.perf_counter() - started) * 1000)
        sqls.append(clock.seconds * 1000)
        counts.append(clock.statements)
    with captured(database.engine) as statements:
        values = ticket_values(2 * 10**8, sizes)
        service.create(SYSTEM, "ticket", {**values,
                                          "opened_on": values["opened_on"].isoformat(),
                                          "amount": str(values["amount"])})
    return {"total_p50_ms": round(Series("t", totals).p50, 3),
            "sql_p50_ms": round(Series("s", sqls).p50, 3),
            "statements_per_create": sorted(set(counts)),
            "statements": [" ".join(s.split())[:90] for s, _p in statements]}


# -- the runs --------------------------------------------------------------------------------


def open_service(url: str, packs: Path) -> tuple[Database, RegistryStore, RecordsService]:
    database = Database(url)
    store = RegistryStore(database, [PACK], [packs])
    migrate(database, store.current().registry)
    return database, store, RecordsService(database, store)


def run_postgres(packs: Path, args: argparse.Namespace) -> dict[str, Any]:
    out: dict[str, Any] = {}
    server = start_postgres({"shared_buffers": args.shared_buffers})
    try:
        url = server.create_database("officina_bench")
        database, store, service = open_service(url, packs)
        sizes = Sizes(tickets=args.rows)
        log(f"postgresql: loading {sizes.tickets:,} tickets, {sizes.accounts:,} accounts, "
            f"{sizes.products:,} products, {sizes.agents:,} agents")
        started = time.monotonic()
        load_postgres(database, store.current().schema, sizes)
        out["load_seconds"] = round(time.monotonic() - started, 1)
        with database.engine.connect() as conn:
            out["server"] = {name: conn.exec_driver_sql(f"SHOW {name}").scalar() for name in (
                "server_version", "shared_buffers", "work_mem", "jit",
                "max_parallel_workers_per_gather", "random_page_cost")}
            out["table_size"] = conn.exec_driver_sql(
                f"SELECT pg_size_pretty(pg_total_relation_size('{TABLES['ticket']}'))").scalar()
            # Only accounts with more matches than a page: the page is full, counting matters.
            large_rows = [r for r in top_accounts(conn, STATUS, args.accounts) if r[1] > PAGE]
            typical_rows = median_accounts(conn, STATUS, args.accounts, PAGE + 1)
        if not large_rows or not typical_rows:
            raise SystemExit(f"too few tickets: no account has more than {PAGE} matches")
        log(f"postgresql: loaded in {out['load_seconds']}s ({out['table_size']})")
        large = [a for a, _n in large_rows]
        typical = [a for a, _n in typical_rows]
        out["accounts"] = {
            "large": {"count": len(large), "matches_min": large_rows[-1][1],
                      "matches_max": large_rows[0][1]},
            "typical": {"count": len(typical), "matches_min": typical_rows[0][1],
                        "matches_max": typical_rows[-1][1]}}
        handwritten = Handwritten(database.engine)
        for account in (*large[:3], *typical[:2], None):
            same_page(service, handwritten, account)
        log("postgresql: service and hand-written pages agree")
        series = measure_lists(service, handwritten, large, typical, args)
        out["list"] = {name: s.as_dict() for name, s in series.items()}
        out["list_ratio"] = {k: round(v, 3) for k, v in list_ratios(series).items()}
        log("postgresql: EXPLAIN ANALYZE and time breakdown")
        out["plans"] = explain_lists(database, service, handwritten, large[0])
        out["breakdown"] = breakdown(database, service, handwritten, large, args.warmup * 2)
        log(f"postgresql: creating {args.creates:,} records each way")
        out["create"] = measure_creates(database, service, sizes, args.creates, args.block,
                                        args.warmup)
        out["create_breakdown"] = create_breakdown(database, service, sizes)
        if args.what_if:
            out["what_if"] = what_if(database, service, handwritten, large, typical, args)
        database.dispose()
    finally:
        server.stop()
    return out


def what_if(database: Database, service: RecordsService, handwritten: Handwritten,
            large: list[int], typical: list[int], args: argparse.Namespace) -> dict[str, Any]:
    """The list cases again with composite indexes (not created by the engine today)."""
    log("what if: creating composite indexes " + ", ".join(WHAT_IF_INDEXES))
    with database.engine.connect() as conn:
        conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        for name, target in WHAT_IF_INDEXES.items():
            conn.exec_driver_sql(f"CREATE INDEX {name} ON {target}")
        conn.exec_driver_sql(f"VACUUM ANALYZE {TABLES['ticket']}")
    series = measure_lists(service, handwritten, large, typical, args)
    return {"indexes": WHAT_IF_INDEXES,
            "list": {name: s.as_dict() for name, s in series.items()},
            "list_ratio": {k: round(v, 3) for k, v in list_ratios(series).items()},
            "plans": explain_lists(database, service, handwritten, large[0])}


def run_sqlite(folder: Path, packs: Path, args: argparse.Namespace) -> dict[str, Any]:
    warnings.filterwarnings("ignore", message=".*Decimal objects natively.*")
    path = folder / "bench.sqlite3"
    database, store, service = open_service(f"sqlite:///{path}", packs)
    sizes = Sizes(tickets=args.sqlite_rows)
    log(f"sqlite: loading {sizes.tickets:,} tickets into {path}")
    started = time.monotonic()
    load_sqlite(database, store.current().schema, sizes)
    out: dict[str, Any] = {"load_seconds": round(time.monotonic() - started, 1),
                           "tickets": sizes.tickets,
                           "sqlite_version": database.engine.dialect.dbapi.sqlite_version}
    log(f"sqlite: creating {args.creates:,} records each way")
    out["create"] = measure_creates(database, service, sizes, args.creates, args.block,
                                    args.warmup)
    out["create_breakdown"] = create_breakdown(database, service, sizes)
    database.dispose()
    return out


# -- the report ------------------------------------------------------------------------------


def _fmt_total(info: dict[str, Any]) -> str:
    low, high = info["total_min"], info["total_max"]
    span = f"{low:,}" if low == high else f"{low:,}..{high:,}"
    exact = info["total_exact"]
    return f"total {span} " + ("exact" if exact == [True] else
                               "capped (not exact)" if exact == [False] else "exact/capped")


LIST_LABELS = {
    "list_large": "account+status, large accounts",
    "list_typical": "account+status, typical accounts",
    "list_status": "status only (no account)",
}


def summary_lines(report: dict[str, Any]) -> list[str]:
    pg = report["postgresql"]
    config = report["config"]
    lines = [f"Officina benchmark: {config['rows']:,} tickets on PostgreSQL "
             f"{pg['server']['server_version']} (shared_buffers {pg['server']['shared_buffers']}"
             f", jit {pg['server']['jit']}), {config['reps']} repetitions "
             f"({config['slow_reps']} for status only), page of {PAGE}",
             f"{'case':<36} {'way':<14} {'n':>4} {'p50 ms':>8} {'p95 ms':>8}  notes",
             "-" * 100]

    def list_block(data: dict[str, Any], ratios: dict[str, float], suffix: str = "") -> None:
        for group, label in LIST_LABELS.items():
            ways = ["service", "core"] + (["service_exact"] if group == "list_status" else [])
            for way in ways:
                info = data[f"{group}.{way}"]
                name = {"service": "service", "core": "core+count(*)",
                        "service_exact": "service exact"}[way]
                lines.append(f"{(label + suffix) if way == 'service' else '':<36} {name:<14} "
                             f"{info['n']:>4} {info['p50_ms']:>8.2f} {info['p95_ms']:>8.2f}  "
                             f"{_fmt_total(info)}")
            note = f"ratio p50 service/core = {ratios[group]:.2f}"
            if group == "list_status":
                note += f"; service exact/core = {ratios['list_status_exact']:.2f}"
            lines.append(f"{'':<36} {note}")

    list_block(pg["list"], pg["list_ratio"])
    if "what_if" in pg:
        lines.append("-" * 100)
        lines.append("what if (composite indexes added by hand: "
                     + ", ".join(pg["what_if"]["indexes"].values()) + ")")
        list_block(pg["what_if"]["list"], pg["what_if"]["list_ratio"], " +ix")
    lines.append("-" * 100)
    lines.append(f"{'create (one transaction each)':<36} {'way':<14} {'n':>4} {'rec/s':>8} "
                 f"{'ms/rec':>8}")
    for backend, data in (("PostgreSQL", pg), ("SQLite", report["sqlite"])):
        for way in ("service", "core"):
            info = data["create"][way]
            name = "service" if way == "service" else "core insert"
            lines.append(f"{backend if way == 'service' else '':<36} {name:<14} "
                         f"{info['records']:>4} {info['per_second']:>8.1f} "
                         f"{info['ms_per_record']:>8.3f}")
        brk = data["create_breakdown"]
        lines.append(f"{'':<36} ratio core/service rate = {data['create']['ratio']:.2f}; "
                     f"{brk['statements_per_create']} statements per service create")
    lines.append("-" * 100)
    targets = report["targets"]
    lines.append(f"target (a)/(b) p50 ratio <= {TARGET_RATIO}: "
                 f"{targets['ratio']:.2f} -> {'MET' if targets['ratio_met'] else 'NOT MET'}; "
                 f"(a) p50 < {TARGET_P50_MS:.0f} ms: {targets['p50_ms']:.2f} ms -> "
                 f"{'MET' if targets['p50_met'] else 'NOT MET'}")
    brk = pg["breakdown"]
    lines.append(f"list call breakdown (large accounts, p50 ms): service total "
                 f"{brk['service']['total_p50_ms']} = SQL {brk['service']['sql_p50_ms']} + "
                 f"other {brk['service']['other_p50_ms']}; core total "
                 f"{brk['core']['total_p50_ms']} = SQL {brk['core']['sql_p50_ms']} + "
                 f"other {brk['core']['other_p50_ms']}")
    phases = [("", pg["plans"])]
    if "what_if" in pg:
        phases.append((" +ix", pg["what_if"]["plans"]))
    for suffix, plans in phases:
        for name, plan in plans.items():
            flags = ("  SEQ SCAN of tickets" if plan["seq_scan"] else "") + (
                "  JIT" if plan["jit"] else "")
            lines.append(f"plan {name + suffix:<36} exec {plan['execution_ms']:>8.2f} ms  "
                         f"indexes {', '.join(plan['indexes']) or '-'}{flags}")
    lines.append(f"total run time {report['elapsed_seconds']:.0f} s")
    return lines


def write_plans(report: dict[str, Any], path: Path) -> None:
    pg = report["postgresql"]
    chunks = []
    for phase, plans in (("default indexes", pg["plans"]),
                         ("what if", pg.get("what_if", {}).get("plans", {}))):
        for name, plan in plans.items():
            chunks.append(f"=== {phase}: {name}\n{plan['sql']}\n{plan['parameters']}\n\n"
                          f"{plan['plan']}\n")
    path.write_text("\n".join(chunks))


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="tickets to load")
    parser.add_argument("--reps", type=int, default=200, help="repetitions of each list case")
    parser.add_argument("--slow-reps", type=int, default=40,
                        help="repetitions of the status-only (unfiltered by account) cases")
    parser.add_argument("--warmup", type=int, default=20, help="warm-up repetitions")
    parser.add_argument("--accounts", type=int, default=50,
                        help="how many accounts the account-filtered lists cycle through")
    parser.add_argument("--creates", type=int, default=2_000, help="records created each way")
    parser.add_argument("--block", type=int, default=50,
                        help="creates per block (service and Core blocks alternate)")
    parser.add_argument("--sqlite-rows", type=int, default=100_000,
                        help="tickets loaded into SQLite before its create benchmark")
    parser.add_argument("--shared-buffers", default="512MB", help="PostgreSQL shared_buffers")
    parser.add_argument("--no-what-if", dest="what_if", action="store_false",
                        help="skip the phase that re-measures lists with composite indexes")
    parser.add_argument("--output", type=Path, default=RESULTS / "latest.json")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    report: dict[str, Any] = {
        "config": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        "environment": {"python": platform.python_version(), "sqlalchemy": sa.__version__,
                        "psycopg": psycopg.__version__, "machine": platform.machine(),
                        "started_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}}
    with tempfile.TemporaryDirectory(prefix="officina-bench-") as tmp:
        packs = write_pack(Path(tmp) / "packs")
        report["postgresql"] = run_postgres(packs, args)
        report["sqlite"] = run_sqlite(Path(tmp), packs, args)
    pg = report["postgresql"]
    ratio = pg["list_ratio"]["list_large"]
    p50 = pg["list"]["list_large.service"]["p50_ms"]
    report["targets"] = {"ratio": ratio, "ratio_target": TARGET_RATIO,
                         "ratio_met": ratio <= TARGET_RATIO, "p50_ms": p50,
                         "p50_target_ms": TARGET_P50_MS, "p50_met": p50 < TARGET_P50_MS}
    report["elapsed_seconds"] = round(time.monotonic() - _started, 1)
    lines = summary_lines(report)
    report["summary"] = lines
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2, default=str))
    write_plans(report, args.output.with_name(args.output.stem + "-plans.txt"))
    print("\n".join(lines))
    print(f"\nwritten: {args.output} and {args.output.stem}-plans.txt beside it")
    return 0


if __name__ == "__main__":
    sys.exit(main())
