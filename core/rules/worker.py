"""The worker: fires due timers, runs schedules and delivers the outbox, with retries.

Rows are claimed with a lease (``FOR UPDATE SKIP LOCKED`` on PostgreSQL; SQLite's write lock
does the same), so several workers never take the same row. A timer fires and is marked done
in one transaction with the rules it runs: it happens once or not at all. A mail or webhook is
delivered after its claim commits and then marked done; a worker that dies in between leaves
the lease to expire, and the row is tried again (at least once, never lost). A document job
(``render_document``) renders outside any transaction, then attaches the file, queues its
mails and marks itself done in one transaction: its effects happen once.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import socket
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from croniter import croniter
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError

from core.records.actor import WORKER_ACTOR
from core.records.events import RecordEvent
from core.rules.context import load_calendar
from core.rules.document_jobs import run_document_job
from core.rules.engine import RulesEngine
from core.rules.mail import MailError, MailSettings, RenderedMail, send_mail
from core.rules.mail_files import store_mail
from core.rules.notice_digest import digest_day, send_digests
from core.rules.webhook import call_webhook

log = logging.getLogger(__name__)
PAGE = 200
KINDS_LOGGED = 3  # distinct errors a pass's log line spells out
KIND_LENGTH = 300  # characters of each


@dataclass(frozen=True)
class WorkerOptions:
    """How the worker claims and retries."""

    batch: int = 20
    lease: dt.timedelta = dt.timedelta(minutes=5)
    max_attempts: int = 8
    backoff: dt.timedelta = dt.timedelta(seconds=30)
    max_backoff: dt.timedelta = dt.timedelta(hours=1)
    # While the database is unreachable: the first wait before trying again, doubled up to
    # the longest.
    outage_retry: dt.timedelta = dt.timedelta(seconds=1)
    max_outage_retry: dt.timedelta = dt.timedelta(minutes=1)
    base_url: str = ""  # the instance's address (``[web] base_url``), for links in digests


@dataclass
class WorkerReport:
    """What one pass did; ``errors`` reads ``what: message`` (``mail 12: ...``)."""

    timers: int = 0
    schedules: int = 0
    delivered: int = 0
    failed: int = 0
    digests: int = 0
    errors: list[str] = field(default_factory=list)
    causes: list[tuple[str, str]] = field(default_factory=list, repr=False)

    @property
    def idle(self) -> bool:
        return not (self.timers or self.schedules or self.delivered or self.failed
                    or self.digests)

    def add_error(self, what: str, error: Exception) -> None:
        """Record that ``what`` (``mail 12``, ``timer 3``...) failed with ``error``."""
        self.errors.append(f"{what}: {error}")
        self.causes.append((what, str(error)))

    def counts(self) -> str:
        """What the pass did, as ``officina worker --once`` prints it."""
        return (f"timers fired: {self.timers}, schedules run: {self.schedules}, "
                f"delivered: {self.delivered}, failed: {self.failed}"
                + (f", digests queued: {self.digests}" if self.digests else ""))

    def summary(self) -> str:
        """One line for the log: the counts, then the errors grouped by their message."""
        if not self.causes:
            return self.counts()
        kinds = Counter(message for _what, message in self.causes)
        first = {message: what for what, message in reversed(self.causes)}
        listed = "; ".join(f"{message[:KIND_LENGTH]} ({count}, first: {first[message]})"
                           for message, count in kinds.most_common(KINDS_LOGGED))
        more = len(kinds) - KINDS_LOGGED
        return (f"{self.counts()}; {len(self.causes)} error(s) of {len(kinds)} kind(s): "
                f"{listed}" + (f"; and {more} other kind(s)" if more > 0 else ""))


class Worker:
    """One worker process (or thread); any number may run against one database."""

    def __init__(self, engine: RulesEngine, mail: MailSettings | None = None,
                 options: WorkerOptions | None = None, name: str | None = None,
                 clock: Callable[[], dt.datetime] | None = None, documents: Any = None):
        self.engine = engine
        self.records = engine.records
        self.database = engine.records.database
        self.mail = mail
        self.options = options or WorkerOptions()
        self.name = name or f"{socket.gethostname()}:{os.getpid()}"
        self.clock = clock or engine.clock
        self.documents = documents  # the DocumentService, for render_document jobs
        self.deliverers: dict[str, Callable[[dict[str, Any]], None]] = {
            "mail": self._deliver_mail, "webhook": self._deliver_webhook}
        # Jobs that finish in their own write transaction: ``job(payload, finish)`` calls
        # ``finish(connection)`` to mark the row done together with its effects.
        self.jobs: dict[str, Callable[[dict[str, Any], Callable[[Connection], None]], None]] = {
            "document": lambda payload, finish: run_document_job(self, payload, finish)}

    @property
    def _tables(self) -> dict[str, sa.Table]:
        return self.records.registry.current().schema.system

    # -- claiming ---------------------------------------------------------------------------

    def _claim(self, table: sa.Table, due_column: str) -> list[int]:
        """Take up to ``batch`` due rows (or rows whose claimer's lease ran out)."""
        now = self.clock()
        due = sa.or_(sa.and_(table.c.status == "pending", table.c[due_column] <= now),
                     sa.and_(table.c.status == "running", table.c.lease_until < now))
        with self.database.write() as connection:
            query = (sa.select(table.c.id).where(due).order_by(table.c[due_column], table.c.id)
                     .limit(self.options.batch))
            if connection.dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            ids = list(connection.execute(query).scalars())
            if ids:
                connection.execute(table.update().where(table.c.id.in_(ids)).values(
                    status="running", claimed_by=self.name,
                    lease_until=now + self.options.lease))
        return ids

    def _retry_or_fail(self, connection: Connection, table: sa.Table, row: Any, due: str,
                       error: str, permanent: bool = False) -> None:
        attempts = row.attempts + 1
        give_up = permanent or attempts >= self.options.max_attempts
        delay = min(self.options.backoff * 2 ** (attempts - 1), self.options.max_backoff)
        connection.execute(table.update().where(table.c.id == row.id).values(
            status="failed" if give_up else "pending", attempts=attempts, last_error=error,
            claimed_by=None, lease_until=None,
            **({} if give_up else {due: self.clock() + delay})))

    # -- timers -----------------------------------------------------------------------------

    def fire_timers(self, report: WorkerReport) -> None:
        timers = self._tables["officina_timer"]
        for timer_id in self._claim(timers, "due_at"):
            try:
                with self.database.write() as connection:
                    row = connection.execute(sa.select(timers).where(
                        timers.c.id == timer_id, timers.c.claimed_by == self.name)).first()
                    if row is None:
                        continue  # cancelled or taken over meanwhile
                    self._fire(connection, row)
                    connection.execute(timers.update().where(timers.c.id == timer_id).values(
                        status="done", done_at=self.clock(), attempts=row.attempts + 1))
                report.timers += 1
            except Exception as exc:
                report.add_error(f"timer {timer_id}", exc)
                with self.database.write() as connection:
                    row = connection.execute(sa.select(timers).where(
                        timers.c.id == timer_id)).first()
                    if row is not None:
                        self._retry_or_fail(connection, timers, row, "due_at", str(exc))

    def _fire(self, connection: Connection, row: Any) -> None:
        loaded = self.records.registry.current()
        if row.entity not in loaded.registry.entities:
            return
        table = loaded.schema.table(row.entity)
        record = connection.execute(sa.select(table).where(table.c.id == row.record_id)).first()
        if record is None:
            return  # the record is gone: nothing to remind about
        self.engine.emit(connection, RecordEvent("timer", row.entity, dict(record._mapping),
                                                 WORKER_ACTOR, timer=row.name))

    # -- schedules --------------------------------------------------------------------------

    def run_schedules(self, report: WorkerReport) -> None:
        loaded = self.records.registry.current()
        schedule = loaded.schema.system["officina_schedule"]
        now = self.clock()
        for workflow in loaded.registry.workflows.values():
            zone = ZoneInfo(load_calendar(loaded.registry, workflow.calendar).timezone)
            for rule in workflow.rules:
                if rule.trigger != "schedule" or not rule.enabled or rule.cron is None:
                    continue
                if self._take_schedule(schedule, rule.qualified_name, rule.cron, zone, now):
                    self._run_schedule(workflow.entity, rule.qualified_name, report)
                    report.schedules += 1

    def _take_schedule(self, schedule: sa.Table, rule: str, cron: str, zone: ZoneInfo,
                       now: dt.datetime) -> bool:
        """Whether this worker runs ``rule`` now (the compare-and-set makes one winner)."""
        with self.database.write() as connection:
            last = connection.execute(sa.select(schedule.c.last_run_at).where(
                schedule.c.rule == rule)).scalar()
            if last is None:
                try:  # another worker may start counting at the same moment: one row wins
                    with connection.begin_nested():
                        connection.execute(schedule.insert().values(rule=rule, last_run_at=now))
                except IntegrityError:
                    pass
                return False  # starts counting now: no run for times before it existed
            local = last.replace(tzinfo=dt.UTC).astimezone(zone)
            following = croniter(cron, local).get_next(dt.datetime)
            if following.astimezone(dt.UTC).replace(tzinfo=None) > now:
                return False
            taken = connection.execute(schedule.update().where(
                schedule.c.rule == rule, schedule.c.last_run_at == last).values(last_run_at=now))
            return taken.rowcount == 1

    def _run_schedule(self, entity: str, rule: str, report: WorkerReport) -> None:
        """Offer every record to the schedule rule; one record's failure spares the others."""
        schema = self.records.registry.current().schema
        table, log = schema.table(entity), schema.system["officina_rule_log"]
        last_id = 0
        while True:
            with self.database.write() as connection:
                rows = list(connection.execute(sa.select(table).where(table.c.id > last_id)
                                               .order_by(table.c.id).limit(PAGE)))
                for row in rows:
                    try:
                        with connection.begin_nested():
                            self.engine.emit(connection, RecordEvent(
                                "schedule", entity, dict(row._mapping), WORKER_ACTOR,
                                rule=rule))
                    except Exception as exc:
                        report.add_error(f"{rule} on {entity} {row.id}", exc)
                        connection.execute(log.insert().values(
                            at=self.clock(), rule=rule, event="schedule", entity=entity,
                            record_id=row.id, username=WORKER_ACTOR.username, result="failed",
                            detail=str(exc)[:2000], duration_ms=0.0))
            if len(rows) < PAGE:
                return
            last_id = rows[-1].id

    # -- outbox -----------------------------------------------------------------------------

    def deliver_outbox(self, report: WorkerReport) -> None:
        outbox = self._tables["officina_outbox"]
        for row_id in self._claim(outbox, "next_attempt_at"):
            with self.database.read() as connection:
                row = connection.execute(sa.select(outbox).where(
                    outbox.c.id == row_id, outbox.c.claimed_by == self.name)).first()
            if row is None:
                continue
            try:
                if row.kind in self.jobs:
                    self.jobs[row.kind](json.loads(row.payload),
                                        lambda connection, row=row: self._done(connection,
                                                                               outbox, row))
                    report.delivered += 1
                    continue
                self.deliverers[row.kind](json.loads(row.payload))
            except Exception as exc:
                report.failed += 1
                report.add_error(f"{row.kind} {row_id}", exc)
                permanent = bool(getattr(exc, "permanent", False))
                with self.database.write() as connection:
                    self._retry_or_fail(connection, outbox, row, "next_attempt_at", str(exc),
                                        permanent)
                continue
            with self.database.write() as connection:
                self._done(connection, outbox, row)
            report.delivered += 1

    def _done(self, connection: Connection, outbox: sa.Table, row: Any) -> None:
        connection.execute(outbox.update().where(outbox.c.id == row.id).values(
            status="done", done_at=self.clock(), attempts=row.attempts + 1, last_error=None))

    def _deliver_mail(self, payload: dict[str, Any]) -> None:
        if self.mail is None:
            raise MailError("mail is not configured: add a [mail] table to officina.toml")
        attachments = []
        for item in payload.get("attachments") or ():  # stored files, by key
            files = self.records.files
            if files is None or not files.exists(item["key"]):
                raise MailError(f"attachment {item.get('name') or item['key']} is not stored",
                                permanent=True)
            attachments.append((item["name"], files.read(item["key"]),
                                item.get("content_type") or "application/octet-stream"))
        rendered = RenderedMail(payload["subject"], payload["text"], payload.get("html"))
        if self.mail.backend == "file":
            store_mail(self.mail, payload["to"], rendered, attachments)
        else:
            send_mail(self.mail, payload["to"], rendered, attachments)

    @staticmethod
    def _deliver_webhook(payload: dict[str, Any]) -> None:
        call_webhook(payload["url"], payload["payload"], secret=payload.get("secret"))

    # -- loop -------------------------------------------------------------------------------

    def run_once(self) -> WorkerReport:
        """Do everything that is due now, then return."""
        report = WorkerReport()
        self.fire_timers(report)
        self.run_schedules(report)
        now, zone = self.clock(), self.records.options.timezone
        today = digest_day(now, zone)
        if today is not None:  # before the digest hour, no transaction at all
            with self.database.write() as connection:
                report.digests = send_digests(connection, now, today, zone,
                                              self.options.base_url)
        self.deliver_outbox(report)
        return report

    def run_forever(self, poll: float = 5.0, should_stop: Callable[[], bool] = lambda: False
                    ) -> None:
        """Work until ``should_stop`` says so, sleeping ``poll`` seconds when idle.

        Each pass that did or tried something logs one line (a warning when anything failed),
        so a backlog of failing mail costs a line per batch, not one per message. When the
        database cannot be reached the worker says so once, drops its dead connections and
        tries again after ``outage_retry``, doubling the wait up to ``max_outage_retry``;
        once it answers again the worker says so and carries on where it was.
        """
        outage: _Outage | None = None
        while not should_stop():
            try:
                report = self.run_once()
            except (OperationalError, InterfaceError) as exc:  # the database went away
                outage = outage or _Outage(self.options, time.monotonic())
                outage.failed(exc)
                self.database.dispose()  # its pooled connections are dead: open new ones
                _sleep(outage.next_wait(), should_stop)
                continue
            if outage is not None:
                log.warning("database reachable again after %.0f s; working", outage.lasted())
                outage = None
            if report.errors:
                log.warning("%s", report.summary())
            elif not report.idle:
                log.info("%s", report.summary())
            if report.idle:
                _sleep(poll, should_stop)


@dataclass
class _Outage:
    """The database unreachable since ``since``: one warning, then waits that double."""

    options: WorkerOptions
    since: float
    wait: float = 0.0

    def failed(self, exc: Exception) -> None:
        if not self.wait:
            log.warning("database unreachable (%s); trying again every %g s at most",
                        _first_line(exc), self.options.max_outage_retry.total_seconds())

    def next_wait(self) -> float:
        first = self.options.outage_retry.total_seconds()
        self.wait = min(self.wait * 2 if self.wait else first,
                        self.options.max_outage_retry.total_seconds())
        return self.wait

    def lasted(self) -> float:
        return time.monotonic() - self.since


def _first_line(exc: Exception) -> str:
    original = getattr(exc, "orig", None) or exc
    return (str(original).strip().splitlines() or [type(original).__name__])[0]


def _sleep(seconds: float, should_stop: Callable[[], bool]) -> None:
    """Sleep ``seconds``, waking every tenth of a second to see whether to stop."""
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0 and not should_stop():
        time.sleep(min(left, 0.1))
