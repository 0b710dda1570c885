"""SLA deadlines in working hours: the coordinator is warned before the response deadline
and the call is escalated when it passes unanswered; a call taken in charge in time is not."""

from __future__ import annotations

import datetime as dt
import email
from email.policy import default

from core.reports import load_reports, run_report
from tests.core.rules.test_worker import mail_settings, smtp
from tests.packs.service.conftest import COORDINATOR, MANAGER, OFFICE, ServiceEnv

__all__ = ["smtp"]


def notices(env: ServiceEnv, username: str) -> list[str]:
    return [row["message"] for row in env.rows("officina_notification", username=username)]


def call_on_friday_afternoon(env: ServiceEnv, priority: str = "normal") -> dict:
    # Friday 27 November 2026, 16:00 in Brescia (15:00 UTC): 1.5 working hours left that day.
    env.clock.now = dt.datetime(2026, 11, 27, 15, 0)
    d = env.data
    return env.records.create(OFFICE, "service_call", {
        "subject": "Perdita di gas", "customer": d["customer"]["id"],
        "machine": d["machine"]["id"], "priority": priority})


def test_deadlines_skip_the_weekend(service: ServiceEnv):
    call = service.get("service_call", call_on_friday_afternoon(service)["id"])
    # 4 working hours: 1.5 on Friday, 2.5 on Monday from 08:00 → Monday 10:30 (09:30 UTC);
    # the warning at 75 % (3 h) → Monday 09:30 (08:30 UTC).
    assert call["sla_response_due"] == dt.datetime(2026, 11, 30, 9, 30)
    assert call["sla_warning_at"] == dt.datetime(2026, 11, 30, 8, 30)


def test_urgent_priority_shortens_the_deadline_even_when_raised_later(service: ServiceEnv):
    call = call_on_friday_afternoon(service)
    service.update(OFFICE, "service_call", call["id"], {"priority": "urgent"})
    raised = service.get("service_call", call["id"])
    # 2 working hours: 1.5 on Friday, 0.5 on Monday → Monday 08:30 (07:30 UTC).
    assert raised["sla_response_due"] == dt.datetime(2026, 11, 30, 7, 30)


def test_warning_then_escalation_when_nobody_answers(service: ServiceEnv, smtp):
    controller, inbox = smtp
    call = call_on_friday_afternoon(service)
    worker = service.worker(mail_settings(controller))
    service.clock.now = dt.datetime(2026, 11, 30, 8, 0)  # Monday 09:00: nothing due yet
    worker.run_once()
    assert notices(service, COORDINATOR.username) == []

    service.clock.now = dt.datetime(2026, 11, 30, 8, 31)  # past the warning time
    worker.run_once()
    warned = service.get("service_call", call["id"])
    assert warned["sla_warned"] is True and warned["sla_breached"] is False
    assert notices(service, COORDINATOR.username) == [
        f"{warned['ref']} (Perdita di gas) è vicina al tempo di risposta."]

    service.clock.now = dt.datetime(2026, 11, 30, 9, 31)  # past the response deadline
    worker.run_once()
    worker.run_once()  # delivers the escalation mail
    breached = service.get("service_call", call["id"])
    assert breached["sla_breached"] is True
    assert notices(service, MANAGER.username) == [  # the manager is warned too
        f"{breached['ref']} (Perdita di gas) is close to its response deadline.",
        f"{breached['ref']} (Perdita di gas) missed its response deadline."]
    mails = [email.message_from_bytes(e.content, policy=default) for e in inbox.messages]
    assert [m["Subject"] for m in mails] == [
        f"{breached['ref']} ha superato il tempo di risposta"]
    assert mails[0]["To"] == "cora@example.com"


def test_a_call_planned_in_time_is_neither_warned_nor_escalated(service: ServiceEnv):
    call = call_on_friday_afternoon(service)
    service.transition(OFFICE, "service_call", call["id"], "plan")
    service.clock.now = dt.datetime(2026, 12, 1, 12, 0)
    service.worker().run_once()
    kept = service.get("service_call", call["id"])
    assert (kept["sla_warned"], kept["sla_breached"]) == (False, False)
    assert notices(service, COORDINATOR.username) == []
    timers = {t["name"]: t["status"] for t in service.rows(
        "officina_timer", record_id=call["id"], entity="service_call")}
    assert timers == {"sla_warning": "cancelled", "sla_breach": "cancelled",
                      "sla_resolution_breach": "pending"}  # planned is not resolved


def test_resolution_is_measured_against_its_own_deadline(service: ServiceEnv):
    # 16 working hours from Friday 16:00: 1.5 + 8.5 (Monday) + 6 → Tuesday 15:00 (14:00 UTC).
    on_time, late = call_on_friday_afternoon(service), call_on_friday_afternoon(service)
    assert service.get("service_call", late["id"])["sla_resolution_due"] == \
        dt.datetime(2026, 12, 1, 14, 0)
    for call in (on_time, late):
        service.transition(OFFICE, "service_call", call["id"], "plan")
    service.clock.now = dt.datetime(2026, 12, 1, 13, 30)
    service.transition(OFFICE, "service_call", on_time["id"], "resolve")
    service.clock.now = dt.datetime(2026, 12, 1, 14, 30)  # past the deadline, still open
    service.worker().run_once()
    missed = service.get("service_call", late["id"])
    assert missed["resolution_missed"] is True and missed["sla_breached"] is False
    assert notices(service, MANAGER.username) == [
        f"{missed['ref']} (Perdita di gas) missed its resolution deadline."]
    service.clock.now = dt.datetime(2026, 12, 2, 9, 0)
    service.transition(OFFICE, "service_call", late["id"], "resolve")
    resolved = service.get("service_call", on_time["id"])
    assert (resolved["resolved_at"], resolved["resolution_missed"]) == (
        dt.datetime(2026, 12, 1, 13, 30), False)
    assert service.get("service_call", late["id"])["resolved_at"] == dt.datetime(2026, 12, 2, 9, 0)
    records = service.officina.records
    report = load_reports(records.registry.current().registry)["sla_compliance"]
    rows = run_report(records, MANAGER, report).rows
    assert {(r["sla_breached"], r["resolution_missed"]): r["Calls"] for r in rows} == {
        (False, False): 1, (False, True): 1}
