"""Officina benchmark: the JSON API's list against a hand-written Flask route, both under gunicorn.

Loads the test shop pack with customers (PostgreSQL on a throw-away server, or SQLite), gives
a clerk a personal API token scoped to reading customers, and serves

- (a) ``GET /api/customer`` of Officina (``officina run``'s gunicorn application: bearer
  token, scopes, permissions, the records service, JSON), and
- (b) ``GET /customers`` of a hand-written Flask application under the same gunicorn
  settings, reading the same page with SQLAlchemy Core (same columns, order, limit and a
  ``count(*)``) and returning the same JSON,

each with the same number of sync workers. Client threads then request each server in turn,
in interleaved blocks, and the requests per second of each are reported with their ratio:

    .venv/bin/python benchmarks/api.py                      # PostgreSQL, 5 rounds of 4 s
    .venv/bin/python benchmarks/api.py --backend sqlite --rounds 3
    .venv/bin/python benchmarks/api.py --profile 300        # cProfile of the API in-process

Target (issue 12): (a) serves at least 0.6 times the requests of (b).
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import datetime as dt
import hashlib
import http.client
import json
import os
import pstats
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PACKS = ROOT / "tests" / "fixtures" / "packs"
TARGET = 0.6
PAGE = 50
TABLE = "testshop_customer"
COLUMNS = ("id", "ref", "version",
           "company", "vat", "city", "kind")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# -- (b) the hand-written application ------------------------------------------------------------


def handwritten_app(database_url: str) -> Any:
    """A Flask app with one route returning the page of customers as the API does.

    It authenticates as the API does: the bearer token's SHA-256 looked up with its owner in
    one query (refused when unknown, revoked, expired or of an inactive user, or when its
    scopes do not reach customers), in the same transaction as the page and its count.
    """
    import sqlalchemy as sa
    from flask import Flask, Response, request

    engine = sa.create_engine(database_url, **(
        {} if database_url.startswith("sqlite") else {"pool_pre_ping": True}))
    metadata = sa.MetaData()
    table = sa.Table(TABLE, metadata, autoload_with=engine)
    tokens = sa.Table("officina_api_token", metadata, autoload_with=engine)
    users = sa.Table("officina_user", metadata, autoload_with=engine)
    owner = (sa.select(tokens.c.scopes, tokens.c.expires_at, tokens.c.revoked_at,
                       users.c.active)
             .select_from(tokens.join(users, users.c.username == tokens.c.username))
             .where(tokens.c.token_hash == sa.bindparam("token_hash")))
    page = (sa.select(*(table.c[name] for name in COLUMNS))
            .order_by(table.c.modified_at.desc().nulls_first(), table.c.id.asc()).limit(PAGE))
    count = sa.select(sa.func.count()).select_from(table)
    app = Flask("handwritten")

    def allowed(connection: sa.Connection) -> bool:
        scheme, _space, secret = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer":
            return False
        found = connection.execute(owner, {
            "token_hash": hashlib.sha256(secret.strip().encode()).hexdigest()}).first()
        if found is None or not found.active or found.revoked_at is not None:
            return False
        if found.expires_at is not None and found.expires_at <= dt.datetime.now(dt.UTC) \
                .replace(tzinfo=None):
            return False
        scopes = json.loads(found.scopes)
        return scopes == "*" or scopes.get("customer", scopes.get("*")) in ("read", "write")

    def encode(value: Any) -> Any:
        if isinstance(value, dt.date | dt.datetime):
            return value.isoformat()
        if isinstance(value, Decimal):
            return format(value, "f")
        raise TypeError(type(value).__name__)

    @app.get("/customers")
    def customers() -> Response:
        with engine.connect() as connection:
            if not allowed(connection):
                return Response('{"error": "authentication"}', status=401,
                                mimetype="application/json")
            rows = [dict(row._mapping) for row in connection.execute(page)]
            total = connection.execute(count).scalar_one()
        body = {"total": total, "total_exact": True, "limit": PAGE, "offset": 0, "rows": rows}
        return Response(json.dumps(body, default=encode, ensure_ascii=False),
                        mimetype="application/json")

    return app


def serve_handwritten(database_url: str, port: int, workers: int) -> None:
    """gunicorn, configured as ``officina run`` configures it, serving (b)."""
    from gunicorn.app.base import BaseApplication

    class Handwritten(BaseApplication):
        def load_config(self) -> None:
            assert self.cfg is not None
            self.cfg.set("bind", [f"127.0.0.1:{port}"])
            self.cfg.set("workers", workers)
            self.cfg.set("preload_app", False)
            self.cfg.set("accesslog", "-")  # as officina run: one line per request
            if "control_socket_disable" in self.cfg.settings:
                self.cfg.set("control_socket_disable", True)

        def load(self) -> Any:
            return handwritten_app(database_url)

    Handwritten().run()


def serve_officina(instance: Path, database_url: str, port: int, workers: int) -> None:
    """``officina run`` for the benchmark's instance (core.ui.server, unchanged)."""
    from core.ui.server import ServerOptions, serve

    serve(_settings(instance, database_url), ServerOptions("127.0.0.1", port, workers))


# -- setting up ------------------------------------------------------------------------------------


def _settings(instance: Path, database_url: str) -> Any:
    from core.config import Settings
    from core.metadata.loader import BUILTIN_PACKS
    from tests.support.users import FAST_HASHING

    return Settings(instance=instance, database_url=database_url, packs=("testshop",),
                    pack_paths=(PACKS, BUILTIN_PACKS), passwords=FAST_HASHING)


def load(instance: Path, database_url: str, customers: int) -> str:
    """Migrate, add the clerk, her token and ``customers`` customers; return the token."""
    from core.auth.api_tokens import create_token
    from core.officina import Officina
    from core.records.actor import SYSTEM
    from core.records.token_scopes import TokenScopes
    from core.storage.migrate import migrate
    from core.users import create_user
    from tests.support.users import FAST_HASHING

    officina = Officina.open(_settings(instance, database_url))
    migrate(officina.database, officina.registry.current().registry)
    with officina.database.write() as connection:
        create_user(connection, "carla", "Carla-pw-1", roles=("clerk",), hashing=FAST_HASHING)
        secret, _info = create_token(connection, "carla", "benchmark",
                                     TokenScopes.parse({"customer": "read"}),
                                     created_by="benchmark", entities=["customer"])
        for n in range(customers):
            officina.records.create(SYSTEM, "customer", {
                "company": f"Customer {n}", "vat": f"IT{n:011d}", "city": "Brescia",
                "kind": "retail" if n % 3 else "wholesale"}, connection=connection)
    officina.close()
    return secret


@contextlib.contextmanager
def database(backend: str, folder: Path) -> Iterator[str]:
    """A database URL: a SQLite file, or a throw-away PostgreSQL server."""
    if backend == "sqlite":
        yield f"sqlite:///{folder / 'bench.sqlite3'}"
        return
    from tests.support.pg_server import start_postgres

    server = start_postgres()
    try:
        yield server.create_database("api_bench")
    finally:
        server.stop()


@contextlib.contextmanager
def started(args: list[str], port: int) -> Iterator[None]:
    """A server process (this script with ``--serve``), until it answers on ``port``."""
    process = subprocess.Popen([sys.executable, __file__, *args, "--port", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"server {args[:2]} did not start: "
                                       f"{process.stderr.read().decode()[-2000:]}") from None
                time.sleep(0.2)
        yield
    finally:
        process.terminate()
        process.wait(timeout=30)


# -- measuring ---------------------------------------------------------------------------------


def fetch(port: int, path: str, headers: dict[str, str]) -> tuple[int, bytes]:
    """One GET on a new connection (gunicorn's sync workers close each one)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def rate(port: int, path: str, headers: dict[str, str], seconds: float, clients: int) -> float:
    """Requests per second that ``clients`` threads get answered (200) in ``seconds``."""
    done = [0] * clients
    failures: list[str] = []
    stop = time.perf_counter() + seconds

    def client(index: int) -> None:
        while time.perf_counter() < stop:
            status, body = fetch(port, path, headers)
            if status != 200:
                failures.append(f"{status}: {body[:200]!r}")
                return
            done[index] += 1

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise RuntimeError(f"{path}: {failures[0]}")
    return sum(done) / (time.perf_counter() - began)


def profile(instance: Path, database_url: str, secret: str, requests: int) -> None:
    """cProfile of ``requests`` API lists served in this process (Flask's test client)."""
    from core.ui.app import create_app

    app = create_app(_settings(instance, database_url))
    client = app.test_client()
    headers = {"Authorization": f"Bearer {secret}"}
    for _ in range(20):
        client.get("/api/customer", headers=headers)
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(requests):
        assert client.get("/api/customer", headers=headers).status_code == 200
    profiler.disable()
    stats = pstats.Stats(profiler, stream=sys.stderr)
    stats.sort_stats("cumulative").print_stats(45)
    app.extensions["officina"].close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backend", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--customers", type=int, default=2_000)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers of each")
    parser.add_argument("--clients", type=int, default=4, help="client threads")
    parser.add_argument("--seconds", type=float, default=4.0, help="length of one block")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--profile", type=int, default=0,
                        help="profile this many API requests in-process instead")
    parser.add_argument("--serve", choices=("officina", "handwritten"), help=argparse.SUPPRESS)
    parser.add_argument("--instance", help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.serve == "officina":
        serve_officina(Path(options.instance), options.db, options.port, options.workers)
        return
    if options.serve == "handwritten":
        serve_handwritten(options.db, options.port, options.workers)
        return

    folder = Path(tempfile.mkdtemp(prefix="officina-api-bench-"))
    with database(options.backend, folder) as url:
        secret = load(folder, url, options.customers)
        print(f"{options.backend}: {options.customers} customers, token scoped to customer: "
              "read", file=sys.stderr)
        if options.profile:
            profile(folder, url, secret, options.profile)
            return
        api_port, hand_port = _free_port(), _free_port()
        common = ["--db", url, "--workers", str(options.workers)]
        bearer = {"Authorization": f"Bearer {secret}"}
        with started(["--serve", "officina", "--instance", str(folder), *common], api_port), \
                started(["--serve", "handwritten", *common], hand_port):
            api_status, api_body = fetch(api_port, "/api/customer", bearer)
            hand_status, hand_body = fetch(hand_port, "/customers", bearer)
            refused, _body = fetch(hand_port, "/customers", {})
            assert refused == 401, "the hand-written route must refuse a request without token"
            assert api_status == hand_status == 200, (api_status, api_body[:300])
            if json.loads(api_body) != json.loads(hand_body):
                raise RuntimeError(f"the two answers differ:\n{api_body[:600]!r}\n"
                                   f"{hand_body[:600]!r}")
            cases = {"api": (api_port, "/api/customer", bearer),
                     "handwritten": (hand_port, "/customers", bearer)}
            for port, path, headers in cases.values():  # warm both up
                rate(port, path, headers, 1.0, options.clients)
            rates: dict[str, list[float]] = {name: [] for name in cases}
            for index in range(options.rounds):
                order = list(cases) if index % 2 == 0 else list(reversed(cases))
                for name in order:
                    rates[name].append(rate(*cases[name], options.seconds, options.clients))
                print(f"round {index + 1}: api {rates['api'][-1]:.0f}/s, handwritten "
                      f"{rates['handwritten'][-1]:.0f}/s", file=sys.stderr)
    api, hand = statistics.median(rates["api"]), statistics.median(rates["handwritten"])
    ratios = [a / h for a, h in zip(rates["api"], rates["handwritten"], strict=True)]
    print(f"JSON API list of {PAGE} customers, {options.backend}, {options.workers} gunicorn "
          f"workers each, {options.clients} clients")
    print(f"  API (bearer token)        {api:8.0f} requests/s (median of {options.rounds})")
    print(f"  hand-written Flask route  {hand:8.0f} requests/s")
    print(f"  ratio                     {api / hand:8.2f}  (per round: "
          f"{', '.join(f'{r:.2f}' for r in ratios)}; target >= {TARGET})")
    print(f"  median ratio of a round   {statistics.median(ratios):8.2f}  (each round's two "
          "blocks ran back to back: steadier on a busy machine)")


if __name__ == "__main__":
    main()
