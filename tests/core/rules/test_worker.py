"""The worker: timers after a clock advance and a restart, outbox delivery, retries, schedules."""

from __future__ import annotations

import datetime as dt
import email
import json
import logging
import threading
from email.policy import default
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from core.records.actor import SYSTEM
from core.rules.mail import MailSettings
from core.rules.worker import Worker, WorkerOptions
from tests.core.rules.conftest import AGENT, RulesEnv
from tests.core.rules.test_mail import free_port


class Inbox:
    def __init__(self) -> None:
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, inbox
    controller.stop()


@pytest.fixture
def hooks():
    received: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append({"path": self.path, "body": json.loads(body)})
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server, received
    server.shutdown()


def mail_settings(controller) -> MailSettings:
    return MailSettings(host="127.0.0.1", port=controller.port, sender="officina@example.com",
                        timeout=5)


def worker(env: RulesEnv, mail=None, name="w1", **options) -> Worker:
    return Worker(env.engine, mail, WorkerOptions(**options), name=name)


def test_a_timer_fires_only_when_due_and_runs_its_rule(helpdesk: RulesEnv, smtp) -> None:
    controller, inbox = smtp
    ticket = helpdesk.service.create(AGENT, "ticket", {"subject": "Printer jam",
                                                       "customer_email": "client@example.org"})
    runner = worker(helpdesk, mail_settings(controller))
    assert runner.run_once().timers == 0  # Friday afternoon: nothing due yet
    helpdesk.clock.now = dt.datetime(2026, 11, 23, 8, 1)  # Monday 09:01 Rome
    report = runner.run_once()
    assert report.timers == 2  # warn at 08:30, late at 09:00
    assert helpdesk.service.get(SYSTEM, "ticket", ticket["id"])["escalated"] is True
    assert {t["status"] for t in helpdesk.rows("officina_timer")} == {"done"}
    subjects = sorted(str(email.message_from_bytes(m.content, policy=default)["Subject"])
                      for m in inbox.messages)
    assert subjects == ["Il ticket TCK-00001 è in ritardo", "Ticket TCK-00001 is late"]
    recipients = sorted(r for m in inbox.messages for r in m.rcpt_tos)
    assert recipients == ["client@example.org", "cora@example.com"]
    assert runner.run_once().idle  # nothing runs twice
    late_log = [r for r in helpdesk.rows("officina_rule_log") if r["rule"] == "ticket_flow.late"]
    assert len(late_log) == 1 and late_log[0]["username"] == "worker"


def test_a_mail_shows_dates_in_each_recipients_language_and_the_instance_time_zone(
        helpdesk: RulesEnv, smtp) -> None:
    controller, inbox = smtp
    helpdesk.clock.now = dt.datetime(2026, 12, 2, 23, 30)  # 3 December, 00:30 in Rome
    helpdesk.service.create(AGENT, "ticket", {"subject": "Printer jam",
                                              "customer_email": "client@example.org"})
    helpdesk.clock.now = dt.datetime(2026, 12, 4, 8, 0)  # long past the deadline
    worker(helpdesk, mail_settings(controller)).run_once()
    bodies = {}
    for envelope in inbox.messages:
        message = email.message_from_bytes(envelope.content, policy=default)
        text = message.get_body(("plain",)).get_content()
        bodies[str(message["To"])] = " ".join(text.split())  # Babel puts a narrow space before AM
    # cora is an Italian user; the customer's address gets the language of the worker (en).
    assert "Aperto il 3 dic 2026 alle 03/12/2026, 00:30." in bodies["cora@example.com"]
    assert "Opened on 3 Dec 2026 at Dec 3, 2026, 12:30 AM." in bodies["client@example.org"]


def test_the_file_backend_stores_the_mail_in_the_instance(helpdesk: RulesEnv,
                                                          tmp_path: Path) -> None:
    helpdesk.service.create(AGENT, "ticket", {"subject": "Printer jam",
                                              "customer_email": "client@example.org"})
    helpdesk.clock.now = dt.datetime(2026, 11, 23, 8, 1)  # Monday 09:01 Rome: late
    settings = MailSettings.from_dict({"backend": "file"}, instance=tmp_path)
    report = worker(helpdesk, settings).run_once()
    assert report.delivered == 2 and report.failed == 1  # the two mails; the webhook fails
    mails = [r for r in helpdesk.rows("officina_outbox") if r["kind"] == "mail"]
    assert [(r["status"], r["last_error"]) for r in mails] == [("done", None), ("done", None)]
    files = sorted((tmp_path / "mail").glob("*.eml"))
    assert len(files) == 2
    messages = [email.message_from_bytes(f.read_bytes(), policy=default) for f in files]
    assert sorted((str(m["To"]), str(m["Subject"])) for m in messages) == [
        ("client@example.org", "Ticket TCK-00001 is late"),
        ("cora@example.com", "Il ticket TCK-00001 è in ritardo")]
    assert all("TCK-00001" in m.get_body(("plain",)).get_content() for m in messages)


def test_each_pass_logs_one_line_not_one_per_failure(helpdesk: RulesEnv, caplog) -> None:
    for number in range(3):
        helpdesk.service.create(AGENT, "ticket", {"subject": f"Printer jam {number}"})
    runner = worker(helpdesk, mail=None)
    moments = iter([dt.datetime(2026, 11, 23, 7, 31),  # 08:31 Rome: only the warnings are due
                    dt.datetime(2026, 11, 23, 8, 1),  # 09:01: late, 3 mails and 3 webhooks
                    dt.datetime(2026, 11, 23, 8, 1, 10)])  # retries wait 30 s: idle

    def next_pass() -> bool:
        moment = next(moments, None)
        if moment is not None:
            helpdesk.clock.now = moment
        return moment is None

    with caplog.at_level(logging.INFO, logger="core.rules.worker"):
        runner.run_forever(poll=0, should_stop=next_pass)
    lines = [(r.levelname, r.getMessage()) for r in caplog.records
             if r.name == "core.rules.worker"]
    assert len(lines) == 2, lines
    assert lines[0] == ("INFO", "timers fired: 3, schedules run: 0, delivered: 0, failed: 0")
    level, message = lines[1]
    assert level == "WARNING"
    assert message.startswith("timers fired: 3, schedules run: 0, delivered: 0, failed: 6; "
                              "6 error(s) of 2 kind(s): ")
    assert message.count("mail is not configured: add a [mail] table to officina.toml (3, "
                         "first: mail ") == 1
    assert "127.0.0.1:9" in message


def test_failed_deliveries_are_retried_with_backoff_then_marked_failed(helpdesk: RulesEnv,
                                                                       hooks) -> None:
    helpdesk.service.create(AGENT, "ticket", {"subject": "Printer jam"})
    helpdesk.clock.now = dt.datetime(2026, 11, 23, 8, 1)
    runner = worker(helpdesk, mail=None, max_attempts=2)
    report = runner.run_once()
    assert report.failed == 2  # the webhook to a closed port, and mail not configured
    rows = {r["kind"]: r for r in helpdesk.rows("officina_outbox")}
    assert rows["webhook"]["status"] == "pending" and rows["webhook"]["attempts"] == 1
    assert "127.0.0.1:9" in rows["webhook"]["last_error"]
    assert rows["mail"]["last_error"].startswith("mail is not configured")
    assert rows["webhook"]["next_attempt_at"] == helpdesk.clock.now + dt.timedelta(seconds=30)
    assert runner.run_once().idle  # not yet due again
    helpdesk.clock.advance(seconds=31)
    runner.run_once()
    rows = {r["kind"]: r for r in helpdesk.rows("officina_outbox")}
    assert rows["webhook"]["status"] == "failed" and rows["webhook"]["attempts"] == 2


def test_webhooks_are_delivered(helpdesk: RulesEnv, hooks, monkeypatch) -> None:
    server, received = hooks
    ticket = helpdesk.service.create(AGENT, "ticket", {"subject": "Gone soon"})
    helpdesk.service.delete(SYSTEM, "ticket", ticket["id"])
    [row] = helpdesk.rows("officina_outbox")
    port = server.server_address[1]
    payload = json.loads(row["payload"])
    payload["url"] = f"http://127.0.0.1:{port}/deleted"
    outbox = helpdesk.schema.system["officina_outbox"]
    with helpdesk.database.write() as connection:
        connection.execute(outbox.update().values(payload=json.dumps(payload)))
    assert worker(helpdesk).run_once().delivered == 1
    assert received[0]["path"] == "/deleted"
    assert received[0]["body"]["record"]["subject"] == "Gone soon"
    assert helpdesk.rows("officina_outbox")[0]["status"] == "done"


def test_a_worker_that_died_after_claiming_loses_nothing(helpdesk: RulesEnv) -> None:
    ticket = helpdesk.service.create(AGENT, "ticket", {"subject": "Printer jam"})
    helpdesk.clock.now = dt.datetime(2026, 11, 23, 8, 1)
    crashed = worker(helpdesk, name="crashed")
    timers = helpdesk.schema.system["officina_timer"]
    claimed = crashed._claim(timers, "due_at")  # claims, then the process dies
    assert len(claimed) == 2
    survivor = worker(helpdesk, name="survivor")
    assert survivor.run_once().timers == 0  # the lease still holds
    helpdesk.clock.advance(minutes=6)  # the lease ran out
    assert survivor.run_once().timers == 2
    assert helpdesk.service.get(SYSTEM, "ticket", ticket["id"])["escalated"] is True
    assert {t["claimed_by"] for t in helpdesk.rows("officina_timer")} == {"survivor"}


def test_two_workers_never_fire_the_same_timer_twice(helpdesk: RulesEnv) -> None:
    for i in range(12):
        helpdesk.service.create(AGENT, "ticket", {"subject": f"Ticket {i}"})
    helpdesk.clock.now = dt.datetime(2026, 11, 23, 8, 1)
    workers = [worker(helpdesk, name=f"w{i}", batch=3) for i in range(2)]
    errors: list[BaseException] = []

    def drain(runner: Worker) -> None:
        try:
            for _ in range(10):
                runner.run_once()
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=drain, args=(w,)) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not errors
    fired = [r for r in helpdesk.rows("officina_rule_log") if r["rule"] == "ticket_flow.late"]
    assert len(fired) == 12
    assert len({r["record_id"] for r in fired}) == 12
    assert len([r for r in helpdesk.rows("officina_outbox") if r["kind"] == "webhook"]) == 12


def test_schedule_runs_once_per_cron_time_for_matching_records(helpdesk: RulesEnv) -> None:
    soon = helpdesk.service.create(AGENT, "ticket", {"subject": "Soon", "assignee": "aldo"})
    helpdesk.service.create(AGENT, "ticket", {"subject": "Later", "assignee": "cora",
                                              "opened_at": "2026-12-20T10:00:00"})
    runner = worker(helpdesk)
    assert runner.run_once().schedules == 0  # the schedule starts counting now
    helpdesk.clock.now = dt.datetime(2026, 11, 23, 5, 1)  # Monday 06:01 Rome: past the cron
    assert runner.run_once().schedules == 1
    assert worker(helpdesk, name="other").run_once().schedules == 0  # already run
    notices = [n for n in helpdesk.rows("officina_notification")
               if n["rule"] == "ticket_flow.nightly_reminder"]
    assert [(n["username"], n["record_id"]) for n in notices] == [("aldo", soon["id"])]
