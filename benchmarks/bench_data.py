"""Bulk loading of the benchmark data (set-up, not measured).

PostgreSQL is loaded with ``COPY`` (foreign-key triggers skipped with
``session_replication_role = replica``: the generated references are valid by construction),
SQLite with executemany in batches. Every standard column is filled: ``ref`` in the entity's
naming series (whose counter is then set, so records created later continue it),
``created_at``/``modified_at`` spread over five years in id order, ``created_by``/
``modified_by`` from a few users, ``version`` 1 to 3.
"""

from __future__ import annotations

import datetime as dt
import inspect
import io
import itertools
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa
from bench_pack import NAMING, STATUSES, TABLES

from core.records.naming import format_ref, next_ref, series_key
from core.storage.database import Database
from core.storage.tables import Schema

# Share of tickets per status (open, pending, on_hold, resolved, closed).
STATUS_WEIGHTS = (0.20, 0.10, 0.05, 0.25, 0.40)
# Tickets per account follow a Zipf-like law: a few large accounts, a long tail.
ACCOUNT_SKEW = 0.7
AGENT_MISSING = 0.05  # share of tickets without an agent (the outer join matters)
USERS = ("anna", "bruno", "carla", "dario", "elena", "system")
SUBJECTS = ("Printer jam", "Cannot log in", "Invoice question", "Machine stopped",
            "Noise from the pump", "Error E42 on display", "Request for quote",
            "Leak under the unit", "Slow network", "Replace filter", "Software update",
            "Wrong delivery", "Warranty claim", "Training request", "Password reset")
EPOCH = dt.datetime(2021, 1, 1, 8, 0, 0)
SPAN = dt.timedelta(days=5 * 365)
TICKET_COLUMNS = ("id", "ref", "created_at", "created_by", "modified_at", "modified_by",
                  "version", "title", "account", "product", "agent", "status", "opened_on",
                  "amount")
NAMED_COLUMNS = ("id", "ref", "created_at", "created_by", "modified_at", "modified_by",
                 "version", "name")


@dataclass(frozen=True)
class Sizes:
    """How many records of each entity to load."""

    tickets: int
    accounts: int = 1_000
    products: int = 500
    agents: int = 50


def ref(entity: str, number: int) -> str:
    """The ref the naming series of ``entity`` gives its ``number``-th record."""
    return format_ref(series_key(NAMING[entity], EPOCH.date()), number)


def named_rows(entity: str, count: int, label: str) -> Iterator[tuple]:
    """Rows of a reference entity (account, product, agent): a name and the standard columns."""
    for i in range(1, count + 1):
        at = EPOCH - dt.timedelta(days=30) + dt.timedelta(minutes=i)
        yield (i, ref(entity, i), at, "system", at, "system", 1, f"{label} {i:05d}")


def account_weights(count: int, seed: int) -> list[float]:
    """Cumulative weights of accounts 1..count: Zipf-like, in a shuffled order."""
    weights = [1.0 / (rank ** ACCOUNT_SKEW) for rank in range(1, count + 1)]
    random.Random(seed).shuffle(weights)
    return list(itertools.accumulate(weights))


def ticket_rows(sizes: Sizes, start: int, count: int, seed: int = 42) -> Iterator[tuple]:
    """Ticket rows ``start``..``start + count - 1``, in ``TICKET_COLUMNS`` order."""
    rng = random.Random(seed * 1_000_003 + start)
    accounts = rng.choices(range(1, sizes.accounts + 1),
                           cum_weights=account_weights(sizes.accounts, seed), k=count)
    statuses = rng.choices(STATUSES, weights=STATUS_WEIGHTS, k=count)
    step = SPAN / max(sizes.tickets, 1)
    for offset in range(count):
        i = start + offset
        created = EPOCH + step * i
        modified = created + dt.timedelta(minutes=rng.randrange(0, 60 * 24 * 30))
        user = USERS[i % len(USERS)]
        agent = None if rng.random() < AGENT_MISSING else rng.randrange(1, sizes.agents + 1)
        yield (i, ref("ticket", i), created, user, modified, USERS[(i * 7) % len(USERS)],
               rng.randrange(1, 4), f"{SUBJECTS[i % len(SUBJECTS)]} #{i}", accounts[offset],
               rng.randrange(1, sizes.products + 1), agent, statuses[offset],
               (created - dt.timedelta(days=rng.randrange(0, 3))).date(),
               Decimal(rng.randrange(0, 500_000)) / 100)


def _copy_text(rows: Iterator[tuple]) -> bytes:
    """Rows in COPY's text format (no value here contains tabs, newlines or backslashes)."""
    buffer = io.StringIO()
    for row in rows:
        buffer.write("\t".join(r"\N" if v is None else str(v) for v in row))
        buffer.write("\n")
    return buffer.getvalue().encode()


def _copy(cursor, table: str, columns: Sequence[str], rows: Iterator[tuple],
          chunk: int = 50_000) -> None:
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        while True:
            batch = list(itertools.islice(rows, chunk))
            if not batch:
                break
            copy.write(_copy_text(iter(batch)))


def set_counters(database: Database, schema: Schema, sizes: Sizes) -> None:
    """Make each entity's naming series continue after the loaded records.

    The counter is created by the engine's own ``next_ref`` (so its key is whatever the
    engine uses), then set to the number of records loaded.
    """
    series = schema.system["officina_naming_series"]
    scoped = "scope" in inspect.signature(next_ref).parameters  # one counter per entity
    counts = {"account": sizes.accounts, "product": sizes.products, "agent": sizes.agents,
              "ticket": sizes.tickets}
    with database.write() as conn:
        for entity, count in counts.items():
            args = (conn, series, NAMING[entity], EPOCH.date()) + ((entity,) if scoped else ())
            first = next_ref(*args)
            if first != ref(entity, 1):
                raise RuntimeError(f"naming series of {entity} gave {first}, not {ref(entity, 1)}")
            conn.execute(series.update().where(series.c.current == 1).values(current=count))


def load_postgres(database: Database, schema: Schema, sizes: Sizes, seed: int = 42) -> None:
    """Fill the PostgreSQL database with ``sizes`` records, then VACUUM ANALYZE it."""
    raw = database.engine.raw_connection()
    try:
        connection = raw.driver_connection
        with connection.cursor() as cursor:
            cursor.execute("SET session_replication_role = replica")
            for entity, label, count in (("account", "Account", sizes.accounts),
                                         ("product", "Product", sizes.products),
                                         ("agent", "Agent", sizes.agents)):
                _copy(cursor, TABLES[entity], NAMED_COLUMNS, named_rows(entity, count, label))
            _copy(cursor, TABLES["ticket"], TICKET_COLUMNS,
                  ticket_rows(sizes, 1, sizes.tickets, seed))
            cursor.execute("SET session_replication_role = DEFAULT")
            for table in TABLES.values():
                cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                               f"(SELECT max(id) FROM {table}))")
        connection.commit()
    finally:
        raw.close()
    set_counters(database, schema, sizes)
    with database.engine.connect() as conn:
        conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        conn.exec_driver_sql("VACUUM ANALYZE")


def load_sqlite(database: Database, schema: Schema, sizes: Sizes, seed: int = 42,
                batch: int = 20_000) -> None:
    """Fill the SQLite database with ``sizes`` records through executemany, then ANALYZE."""
    with database.write() as conn:
        for entity, label, count in (("account", "Account", sizes.accounts),
                                     ("product", "Product", sizes.products),
                                     ("agent", "Agent", sizes.agents)):
            conn.execute(schema.table(entity).insert(),
                         [dict(zip(NAMED_COLUMNS, row, strict=True))
                          for row in named_rows(entity, count, label)])
        rows = ticket_rows(sizes, 1, sizes.tickets, seed)
        while True:
            chunk = [dict(zip(TICKET_COLUMNS, row, strict=True))
                     for row in itertools.islice(rows, batch)]
            if not chunk:
                break
            conn.execute(schema.table("ticket").insert(), chunk)
    set_counters(database, schema, sizes)
    with database.engine.connect() as conn:
        conn.exec_driver_sql("ANALYZE")
        conn.commit()


def top_accounts(conn: sa.Connection, status: str, count: int) -> list[tuple[int, int]]:
    """The ``count`` accounts with the most tickets in ``status``: (account id, matches)."""
    rows = conn.exec_driver_sql(
        f"SELECT account, count(*) FROM {TABLES['ticket']} WHERE status = %(s)s "
        "GROUP BY account ORDER BY count(*) DESC, account LIMIT %(n)s",
        {"s": status, "n": count}).all()
    return [(int(a), int(n)) for a, n in rows]


def median_accounts(conn: sa.Connection, status: str, count: int,
                    minimum: int) -> list[tuple[int, int]]:
    """``count`` accounts around the median number of matches, with at least ``minimum``."""
    rows = conn.exec_driver_sql(
        f"SELECT account, count(*) FROM {TABLES['ticket']} WHERE status = %(s)s "
        "GROUP BY account ORDER BY count(*), account", {"s": status}).all()
    rows = [(int(a), int(n)) for a, n in rows if n >= minimum]
    middle = len(rows) // 2
    return rows[max(0, middle - count // 2): middle - count // 2 + count]
