"""Officina benchmark: the four speed figures of issue 12 as ratios, in one run.

1. **List page** - ``GET /app/sale`` (50 rows of the test shop pack) through the Flask test
   client, against a hand-written Flask route rendering the same rows (its own session check
   with one query for the user, one Core query with the link titles, a count, a Jinja
   template with Babel formatting). Figure: requests per second of the page / of the route
   (target >= 0.6), with statements and transactions per request.
2. **Service call** - ``RecordsService.create`` of a service call with the service pack's
   rules, against the same create with the rules engine detached (the bare insert). Figure:
   time with rules / without (target <= 3), statements of each and ``RecordReader.fetch`` calls.
3. **Daily maintenance** - one scheduled-maintenance contract with N machines (two
   operations each, 90 days ahead), the daily schedule run again on unchanged data, for each
   N of ``--machines`` (5, 10, 20, 40, 160), each on its own database. Figure: milliseconds
   and statements per machine (linear: about the same at every N).
4. **Demo** - ``officina init`` then ``officina demo`` as separate processes on a fresh
   SQLite instance; the figure is the demo's whole-process wall time (target < 20 s).

    .venv/bin/python benchmarks/speed.py                       # all four, a few minutes
    .venv/bin/python benchmarks/speed.py --only list,call      # some of them
    .venv/bin/python benchmarks/speed.py --machines 5,10,20,40 --no-demo

The table goes to stdout (progress to stderr) and the JSON to
``benchmarks/results/speed-latest.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402
from babel.dates import format_date  # noqa: E402
from babel.numbers import format_decimal  # noqa: E402
from flask import Flask, session  # noqa: E402
from sqlalchemy import event  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402

from benchmarks.bench_measure import interleave  # noqa: E402
from core.config import Settings  # noqa: E402
from core.metadata.loader import BUILTIN_PACKS  # noqa: E402
from core.officina import Officina  # noqa: E402
from core.records.actor import SYSTEM  # noqa: E402
from core.records.reader import RecordReader  # noqa: E402
from core.storage.migrate import migrate  # noqa: E402
from core.ui.app import create_app  # noqa: E402
from core.users import create_user  # noqa: E402
from tests.support.users import FAST_HASHING  # noqa: E402

PACKS = ROOT / "tests" / "fixtures" / "packs"
RESULTS = ROOT / "benchmarks" / "results"


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


@dataclass
class Counts:
    """Statements (``BEGIN`` left out) and transactions an engine ran while counting."""

    statements: int = 0
    transactions: int = 0


@contextmanager
def counting(engine: Engine) -> Iterator[Counts]:
    counts = Counts()

    def statement(conn, cursor, text, parameters, context, executemany):
        if not text.startswith("BEGIN"):
            counts.statements += 1

    def begin(conn):
        counts.transactions += 1

    event.listen(engine, "before_cursor_execute", statement)
    event.listen(engine, "begin", begin)
    try:
        yield counts
    finally:
        event.remove(engine, "before_cursor_execute", statement)
        event.remove(engine, "begin", begin)


@contextmanager
def counting_calls(owner: type, name: str) -> Iterator[list[int]]:
    """How often ``owner.name`` was called while the block ran."""
    original = getattr(owner, name)
    calls = [0]

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        calls[0] += 1
        return original(*args, **kwargs)

    setattr(owner, name, wrapper)
    try:
        yield calls
    finally:
        setattr(owner, name, original)


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples)


# -- 1. the list page ----------------------------------------------------------------------

HAND_TEMPLATE = """<!doctype html><html lang="{{ language }}"><head><title>Sales</title></head>
<body><h1>Sales</h1><p>{{ first }}–{{ last }} of {{ total }}</p>
<table><thead><tr><th>Reference</th><th>Subject</th><th>Customer</th><th>Status</th>
<th>Total</th></tr></thead><tbody>
{% for row in rows %}<tr><td><a href="/hand/sale/{{ row.id }}">{{ row.ref }}</a></td>
<td><a href="/hand/sale/{{ row.id }}">{{ row.subject }}</a></td>
<td><a href="/hand/customer/{{ row.customer }}">{{ row.customer_title }}</a></td>
<td>{{ row.status }}</td><td>{{ row.total }}</td></tr>
{% endfor %}</tbody></table></body></html>"""  # noqa: RUF001 (an en dash, as the page)


def hand_written_app(instance: Officina, secret: str) -> Flask:
    """What a developer would write by hand for the sale list: session, one user query,
    one page query, one count, a template."""
    app = Flask("hand_written")
    app.config["SECRET_KEY"] = secret
    schema = instance.registry.current().schema
    sale, customer = schema.table("sale"), schema.table("customer")
    users = schema.system["officina_user"]
    engine = instance.database.engine
    template = app.jinja_env.from_string(HAND_TEMPLATE)

    @app.get("/hand/sign-in/<username>")
    def sign_in(username: str) -> str:
        session["username"] = username
        return "ok"

    @app.get("/hand/sale")
    def sales() -> tuple[str, int]:
        username = session.get("username")
        with engine.connect() as connection:
            user = connection.execute(sa.select(users.c.username, users.c.language)
                                      .where(users.c.username == username,
                                             users.c.active.is_(True))).first()
            if user is None:
                return "sign in", 401
            rows = connection.execute(
                sa.select(sale.c.id, sale.c.ref, sale.c.subject, sale.c.customer,
                          customer.c.company.label("customer_title"), sale.c.status,
                          sale.c.total, sale.c.day)
                .select_from(sale.outerjoin(customer, customer.c.id == sale.c.customer))
                .order_by(sale.c.day.desc(), sale.c.id).limit(50)).all()
            total = connection.execute(sa.select(sa.func.count()).select_from(sale)).scalar()
        language = user.language or "en"
        shown = [{"id": r.id, "ref": r.ref, "subject": r.subject, "customer": r.customer,
                  "customer_title": r.customer_title, "status": r.status.capitalize(),
                  "total": format_decimal(r.total or 0, "#,##0.00", locale=language),
                  "day": format_date(r.day, locale=language) if r.day else ""}
                 for r in rows]
        return template.render(
            rows=shown, language=language, first=1, last=len(shown),
            total=format_decimal(total, locale=language)), 200

    return app


def _load_sales(instance: Officina, sales: int) -> None:
    records = instance.records
    customers = [records.create(SYSTEM, "customer", {"company": f"Customer {n}",
                                                     "city": "Brescia"})["id"]
                 for n in range(50)]
    product = records.create(SYSTEM, "product", {"title": "Bolt", "price": "1.50"})["id"]
    with instance.database.write() as connection:
        for n in range(sales):
            records.create(SYSTEM, "sale", {
                "subject": f"Order {n}", "customer": customers[n % len(customers)],
                "lines": [{"product": product, "quantity": 2, "unit_price": "1.50"}]},
                connection=connection)


def bench_list(options: argparse.Namespace) -> dict[str, Any]:
    say(f"list page: loading {options.sales} sales on SQLite")
    folder = Path(tempfile.mkdtemp(prefix="officina-speed-list-"))
    settings = Settings(instance=folder, database_url=f"sqlite:///{folder / 'list.sqlite3'}",
                        packs=("testshop",), pack_paths=(PACKS, BUILTIN_PACKS),
                        passwords=FAST_HASHING)
    instance = Officina.open(settings)
    migrate(instance.database, instance.registry.current().registry)
    with instance.database.write() as connection:
        create_user(connection, "carla", "Carla-pw-1", roles=("clerk",), language="en",
                    hashing=FAST_HASHING)
    _load_sales(instance, options.sales)
    app = create_app(settings, instance=instance)  # as deployed: no test settings
    client = app.test_client()
    form = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)  # type: ignore[union-attr]
    client.post("/login", data={"username": "carla", "password": "Carla-pw-1",
                                "csrf_token": token})
    hand = hand_written_app(instance, "bench-secret").test_client()
    hand.get("/hand/sign-in/carla")

    def fetch(client: Any, path: str) -> Callable[[int], None]:
        def run(_round: int) -> None:
            response = client.get(path)
            assert response.status_code == 200, (path, response.status_code)
            response.get_data()
        return run

    cases = {"page": fetch(client, "/app/sale"), "hand": fetch(hand, "/hand/sale")}
    page_html = client.get("/app/sale").get_data(as_text=True)
    hand_html = hand.get("/hand/sale").get_data(as_text=True)
    refs = re.findall(r"SO-\d{4}-\d{5}", hand_html)
    assert refs and all(ref in page_html for ref in refs), "the two ways show other rows"
    engine = instance.database.engine
    figures: dict[str, Any] = {}
    for name, case in cases.items():
        with counting(engine) as counts:
            for n in range(10):
                case(n)
        figures[f"{name}_statements"] = counts.statements / 10
        figures[f"{name}_transactions"] = counts.transactions / 10
    series = interleave(cases, options.rounds, warmup=5)
    page_ms, hand_ms = series["page"].p50, series["hand"].p50
    instance.close()
    return {"page_ms": round(page_ms, 2), "hand_ms": round(hand_ms, 2),
            "ratio": round(hand_ms / page_ms, 3), **figures}


# -- 2. a service call entered with the pack's rules ---------------------------------------

def bench_call(options: argparse.Namespace) -> dict[str, Any]:
    from benchmarks.service import call_values
    from tests.packs.service.conftest import OFFICE, master_data, open_service

    say("service call: the service pack on SQLite")
    folder = Path(tempfile.mkdtemp(prefix="officina-speed-call-"))
    env = open_service(folder, f"sqlite:///{folder}/call.sqlite3",
                       dt.datetime(2026, 11, 23, 8, 0))
    env.data = master_data(env)
    env.officina.registry.check_interval = Settings.registry_check_interval  # as deployed
    engine_rules = env.records.events
    database = env.officina.database.engine

    def with_rules(n: int) -> None:
        env.records.events = engine_rules
        env.records.create(OFFICE, "service_call", call_values(env, n))

    def bare(n: int) -> None:
        env.records.events = None
        try:
            env.records.create(OFFICE, "service_call", call_values(env, n))
        finally:
            env.records.events = engine_rules

    figures: dict[str, Any] = {}
    for name, case in (("rules", with_rules), ("bare", bare)):
        case(0)
        with counting(database) as counts, counting_calls(RecordReader, "fetch") as calls:
            case(1)
        figures[f"{name}_statements"] = counts.statements
        figures[f"{name}_fetches"] = calls[0]
    series = interleave({"rules": with_rules, "bare": bare}, options.calls, warmup=3)
    rules_ms, bare_ms = series["rules"].p50, series["bare"].p50
    env.officina.close()
    return {"rules_ms": round(rules_ms, 2), "bare_ms": round(bare_ms, 2),
            "ratio": round(rules_ms / bare_ms, 2), **figures}


# -- 3. daily maintenance ------------------------------------------------------------------

def bench_maintenance_one(machines: int, reruns: int) -> dict[str, Any]:
    from benchmarks.service import maintenance_contract
    from core.records.reading import ListQuery
    from core.rules.worker import WorkerReport
    from tests.packs.service.conftest import OFFICE, master_data, open_service

    folder = Path(tempfile.mkdtemp(prefix=f"officina-speed-maint{machines}-"))
    env = open_service(folder, f"sqlite:///{folder}/maintenance.sqlite3",
                       dt.datetime(2026, 11, 23, 8, 0))
    env.data = master_data(env)
    env.officina.registry.check_interval = Settings.registry_check_interval  # as deployed
    started = time.perf_counter()
    contract = maintenance_contract(env, machines)
    activation = (time.perf_counter() - started) * 1000
    generated = env.records.list(OFFICE, "intervention", ListQuery(
        filters=[["contract", "=", contract["id"]]], limit=1, exact_count=True)).total
    worker = env.worker()
    database = env.officina.database.engine

    def rerun() -> None:
        report = WorkerReport()
        worker._run_schedule("contract", "maintenance_schedule.generate_maintenance", report)
        assert not report.errors, report.errors

    with counting(database) as counts:
        rerun()
    times = []
    for _ in range(reruns):
        started = time.perf_counter()
        rerun()
        times.append((time.perf_counter() - started) * 1000)
    after = env.records.list(OFFICE, "intervention", ListQuery(
        filters=[["contract", "=", contract["id"]]], limit=1, exact_count=True)).total
    assert after == generated, "the rerun generated interventions again"
    version = env.records.get(OFFICE, "contract", contract["id"])["version"]
    env.officina.close()
    rerun_ms = median_ms(times)
    return {"machines": machines, "interventions": generated,
            "activation_ms": round(activation, 1), "rerun_ms": round(rerun_ms, 1),
            "rerun_ms_per_machine": round(rerun_ms / machines, 2),
            "rerun_statements": counts.statements,
            "statements_per_machine": round(counts.statements / machines, 1),
            "contract_version_after": version}


def bench_maintenance(options: argparse.Namespace) -> list[dict[str, Any]]:
    results = []
    for machines in options.machines:
        say(f"daily maintenance: {machines} machines")
        results.append(bench_maintenance_one(machines, options.reruns))
    return results


# -- 4. officina demo ----------------------------------------------------------------------

def bench_demo(_options: argparse.Namespace) -> dict[str, Any]:
    say("officina demo: init and demo in their own processes")
    folder = Path(tempfile.mkdtemp(prefix="officina-speed-demo-")) / "instance"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OFFICINA_INSTANCE": str(folder),
           "OFFICINA_DEMO_PASSWORD": "Demo-pass-1"}
    program = [sys.executable, "-c", "import sys; sys.argv[0] = 'officina'; "
               "from core.cli.main import main; main()"]
    subprocess.run([*program, "init", "--admin-password", "s3cret-Admin"], env=env,
                   check=True, capture_output=True)
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run([*program, "demo"], env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"officina demo failed:\n{done.stderr}")
    cpu = (after.ru_utime - used.ru_utime) + (after.ru_stime - used.ru_stime)
    return {"seconds": round(seconds, 1), "cpu_seconds": round(cpu, 1)}


# -- the run -------------------------------------------------------------------------------

PARTS: dict[str, Callable[[argparse.Namespace], Any]] = {
    "list": bench_list, "call": bench_call, "maintenance": bench_maintenance,
    "demo": bench_demo,
}


def report(results: dict[str, Any]) -> None:
    if "list" in results:
        r = results["list"]
        print(f"list page            page {r['page_ms']:7.2f} ms  hand-written "
              f"{r['hand_ms']:6.2f} ms  ratio {r['ratio']:.2f}x (target >= 0.6)")
        print(f"                     statements {r['page_statements']:.1f} vs "
              f"{r['hand_statements']:.1f}, transactions {r['page_transactions']:.1f} vs "
              f"{r['hand_transactions']:.1f} per request")
    if "call" in results:
        r = results["call"]
        print(f"service call         rules {r['rules_ms']:7.2f} ms  bare {r['bare_ms']:6.2f} ms"
              f"  ratio {r['ratio']:.2f}x (target <= 3)")
        print(f"                     statements {r['rules_statements']} vs "
              f"{r['bare_statements']}, fetch {r['rules_fetches']} vs {r['bare_fetches']}")
    if "maintenance" in results:
        print("daily maintenance    machines  rerun ms  ms/machine  statements  per machine")
        for r in results["maintenance"]:
            print(f"                     {r['machines']:8d}  {r['rerun_ms']:8.1f}  "
                  f"{r['rerun_ms_per_machine']:10.2f}  {r['rerun_statements']:10d}  "
                  f"{r['statements_per_machine']:11.1f}")
        first, last = results["maintenance"][0], results["maintenance"][-1]
        print(f"                     ms per machine at {last['machines']} / at "
              f"{first['machines']}: "
              f"{last['rerun_ms_per_machine'] / first['rerun_ms_per_machine']:.2f} "
              "(linear: about 1)")
    if "demo" in results:
        print(f"officina demo        {results['demo']['seconds']:.1f} s (target < 20 s), "
              f"{results['demo']['cpu_seconds']:.1f} s of CPU")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", default=",".join(PARTS),
                        help="comma-separated parts: list, call, maintenance, demo")
    parser.add_argument("--no-demo", action="store_true", help="leave out the demo")
    parser.add_argument("--sales", type=int, default=2000, help="sales behind the list")
    parser.add_argument("--rounds", type=int, default=200, help="list requests each way")
    parser.add_argument("--calls", type=int, default=30, help="service calls each way")
    parser.add_argument("--machines", default="5,10,20,40,160",
                        help="machines per contract, comma-separated")
    parser.add_argument("--reruns", type=int, default=3, help="daily runs timed per size")
    parser.add_argument("--output", default=str(RESULTS / "speed-latest.json"))
    options = parser.parse_args()
    options.machines = [int(n) for n in options.machines.split(",") if n]
    parts = [p for p in options.only.split(",") if p]
    if options.no_demo and "demo" in parts:
        parts.remove("demo")
    unknown = set(parts) - set(PARTS)
    if unknown:
        parser.error(f"unknown parts: {', '.join(sorted(unknown))}")
    results = {name: PARTS[name](options) for name in parts}
    report(results)
    output = Path(options.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(results, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
