"""The worker outlives a database outage: it waits, says so once, and resumes on its own."""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from core.rules.mail import MailSettings
from core.rules.worker import Worker, WorkerOptions
from tests.core.rules.conftest import AGENT, Clock, RulesEnv, open_rules_env
from tests.support.pg_server import PostgresServer, start_postgres


@pytest.fixture
def own_server() -> Iterator[PostgresServer]:
    """A PostgreSQL server of this test's own, which it stops and starts again."""
    server = start_postgres()
    try:
        yield server
    finally:
        server.stop()


def wait_until(condition: Callable[[], bool], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_the_worker_survives_the_database_stopping_and_resumes(
        own_server: PostgresServer, packs_dir: Path, tmp_path: Path, caplog) -> None:
    env: RulesEnv = open_rules_env(own_server.create_database("outage"), packs_dir,
                                   Clock(dt.datetime(2026, 11, 20, 13, 0)))
    mail = MailSettings.from_dict({"backend": "file"}, instance=tmp_path)
    runner = Worker(env.engine, mail, WorkerOptions(
        outage_retry=dt.timedelta(seconds=0.05), max_outage_retry=dt.timedelta(seconds=0.2)),
        name="w1")
    stop = threading.Event()
    thread = threading.Thread(target=runner.run_forever, args=(0.05, stop.is_set), daemon=True)
    worker_log = [("core.rules.worker", "WARNING")]

    def said(text: str) -> list[str]:
        return [r.getMessage() for r in caplog.records
                if (r.name, r.levelname) in worker_log and text in r.getMessage()]

    with caplog.at_level(logging.INFO, logger="core.rules.worker"):
        thread.start()
        try:
            own_server.halt()
            wait_until(lambda: said("database unreachable"))
            time.sleep(1.0)  # several passes fail meanwhile
            assert thread.is_alive()
            own_server.resume()
            wait_until(lambda: said("database reachable again"))
            # Work queued after the outage is done without anyone restarting the worker.
            env.service.create(AGENT, "ticket", {"subject": "Printer jam",
                                                 "customer_email": "client@example.org"})
            env.clock.now = dt.datetime(2026, 11, 23, 8, 1)  # Monday 09:01 in Rome: late
            wait_until(lambda: list((tmp_path / "mail").glob("*.eml")))
        finally:
            stop.set()
            thread.join(timeout=10)
            env.database.dispose()
    assert not thread.is_alive()
    assert len(said("database unreachable")) == 1  # once for the outage, not once per try
    assert len(said("database reachable again")) == 1
    mails = [r for r in env.rows("officina_outbox") if r["kind"] == "mail"]
    assert [(r["status"], r["payload"].count("client@example.org")) for r in mails] == [
        ("done", 1)]
