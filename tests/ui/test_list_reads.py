"""The list page reads in one transaction: the sign-in check's query of the session and its
user, then the rows and the saved filters; a session due for its last-seen mark is written
with no read open, and no transaction outlives the request, however the page ends."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

from core.config import Settings
from core.storage.auth_tables import WEB_SESSION, auth_tables
from tests.ui.conftest import sign_in


@dataclass
class Seen:
    """Statements run (with the connections checked out meanwhile) and transactions begun."""

    statements: list[tuple[str, int]] = field(default_factory=list)
    transactions: int = 0


@contextmanager
def watching(engine: Engine) -> Iterator[Seen]:
    seen = Seen()

    def statement(conn, cursor, text, parameters, context, executemany) -> None:
        if not text.startswith("BEGIN"):
            seen.statements.append((text, engine.pool.checkedout()))

    def begin(conn) -> None:
        seen.transactions += 1

    event.listen(engine, "before_cursor_execute", statement)
    event.listen(engine, "begin", begin)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", statement)
        event.remove(engine, "begin", begin)


def deployed(app: Flask) -> Engine:
    """The registry checked at most once a second, as ``officina run`` does (the tests'
    settings check it on every access); the engine to watch."""
    instance = app.extensions["officina"]
    instance.registry.check_interval = Settings.registry_check_interval
    return instance.database.engine


def test_the_list_page_reads_in_one_transaction(app: Flask) -> None:
    engine = deployed(app)
    carla = sign_in(app.test_client(), "carla")
    carla.get("/app/customer")
    with watching(engine) as seen:
        page = carla.get("/app/customer")
    assert page.status_code == 200 and "ACME &lt;b&gt;" in page.get_data(as_text=True)
    assert seen.transactions == 1
    signed_in = [text for text, _open in seen.statements if "officina_session" in text]
    assert len(signed_in) == 1 and "officina_user" in signed_in[0]  # one query for both
    assert any("testshop_customer" in text for text, _open in seen.statements)
    assert engine.pool.checkedout() == 0


def test_a_session_due_for_its_mark_is_written_with_no_read_open(app: Flask) -> None:
    engine = deployed(app)
    carla = sign_in(app.test_client(), "carla")
    carla.get("/app/customer")
    sessions = auth_tables()[WEB_SESSION]
    earlier = dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(minutes=5)
    with app.extensions["officina"].database.write() as connection:
        connection.execute(sessions.update().values(last_seen_at=earlier))
    with watching(engine) as seen:
        page = carla.get("/app/customer")
    assert page.status_code == 200 and "ACME &lt;b&gt;" in page.get_data(as_text=True)
    [touch] = [(text, open_) for text, open_ in seen.statements
               if text.startswith("UPDATE officina_session")]
    assert touch[1] == 1  # only the writing connection is checked out
    with app.extensions["officina"].database.read() as connection:
        [last_seen] = connection.execute(sa.select(sessions.c.last_seen_at)).scalars().all()
    assert last_seen > earlier + dt.timedelta(minutes=4)
    assert engine.pool.checkedout() == 0


def test_no_transaction_outlives_a_list_page_that_fails(app: Flask) -> None:
    engine = deployed(app)
    ivo = sign_in(app.test_client(), "ivo")  # an intern: may not read customers
    assert ivo.get("/app/customer").status_code == 403
    assert engine.pool.checkedout() == 0
    carla = sign_in(app.test_client(), "carla")
    refused = carla.get("/app/customer?sort=nothing")
    assert refused.status_code == 400
    assert engine.pool.checkedout() == 0
    assert carla.get("/app/customer").status_code == 200
