"""Scheduled maintenance: active contracts generate the provisional interventions of the
next 90 days for each machine, by the recurrence of the plan's operations or by the trend of
the meter readings; running again never duplicates; the coordinator is reminded 14 days
before each visit, and the customer is mailed the confirmed date."""

from __future__ import annotations

import datetime as dt
import email
from email.policy import default

from core.records.errors import RecordValidationError
from core.records.reading import ListQuery
from tests.core.rules.test_worker import mail_settings, smtp
from tests.packs.service.conftest import COORDINATOR, MANAGER, OFFICE, ServiceEnv

__all__ = ["smtp"]


def plan(env: ServiceEnv, *operations: dict) -> dict:
    return env.records.create(COORDINATOR, "maintenance_plan", {
        "name": "Refrigeratori 50 kW", "item": env.data["chiller"]["id"],
        "operations": list(operations)})


def maintenance_contract(env: ServiceEnv, maintenance_plan: dict) -> dict:
    d = env.data
    env.records.create(OFFICE, "contact", {"customer": d["customer"]["id"],
                                           "full_name": "Anna Neri",
                                           "email": "anna.neri@rossi.example"})
    created = env.records.create(MANAGER, "contract", {
        "subject": "Manutenzione programmata", "customer": d["customer"]["id"],
        "contract_type": "scheduled_maintenance", "start_date": "2026-10-01",
        "end_date": "2027-09-30",
        "lines": [{"machine": d["machine"]["id"], "periodicity": "monthly",
                   "maintenance_plan": maintenance_plan["id"]}]})
    env.transition(MANAGER, "contract", created["id"], "activate")
    return created


def visits(env: ServiceEnv) -> list[dict]:
    return env.records.list(COORDINATOR, "intervention", ListQuery(
        filters=[["intervention_type", "=", "scheduled_maintenance"]],
        sort=("scheduled_for",), limit=100)).rows


def test_recurrences_give_the_visits_of_the_next_90_days_once(service: ServiceEnv):
    # Monday 23 November 2026: the horizon ends on 21 February 2027.
    monthly = {"sequence": 10, "description": "Pulizia filtri",
               "recurrence": "FREQ=MONTHLY;BYDAY=1TU", "estimated_time": 3600}
    quarterly = {"sequence": 20, "description": "Controllo gas",
                 "recurrence": "RRULE:FREQ=MONTHLY;INTERVAL=3;BYMONTHDAY=1",
                 "estimated_time": 1800}
    agreement = maintenance_contract(service, plan(service, monthly, quarterly))
    found = visits(service)
    # First Tuesdays from December to February, and 1 January (quarterly from 1 October).
    assert [v["scheduled_for"] for v in found] == [
        dt.date(2026, 12, 1), dt.date(2027, 1, 1), dt.date(2027, 1, 5), dt.date(2027, 2, 2)]
    line = service.get("contract", agreement["id"])["lines"][0]
    assert (line["next_visit_date"], line["last_visit_date"]) == (dt.date(2026, 12, 1), None)
    first = service.get("intervention", found[0]["id"])
    assert first["status"] == "provisional"
    assert first["contract"] == agreement["id"]
    assert first["machine"] == service.data["machine"]["id"]
    assert first["planned_start"] == dt.datetime(2026, 12, 1, 7, 0)  # 08:00 in Brescia
    assert first["estimated_duration"] == 5400
    assert first["subject"] == "Scheduled maintenance: Refrigeratori 50 kW"

    # The daily job, two days later: nothing is generated twice; the horizon moved on.
    worker = service.worker()
    worker.run_once()
    service.clock.now = dt.datetime(2026, 11, 26, 6, 0)
    worker.run_once()
    later = visits(service)
    assert [v["scheduled_for"] for v in later] == [
        dt.date(2026, 12, 1), dt.date(2027, 1, 1), dt.date(2027, 1, 5), dt.date(2027, 2, 2)]
    service.clock.now = dt.datetime(2026, 12, 15, 6, 0)
    worker.run_once()
    assert [v["scheduled_for"] for v in visits(service)][-1] == dt.date(2027, 3, 2)


def test_meter_plans_follow_the_readings_trend(service: ServiceEnv):
    machine = service.data["machine"]["id"]
    for day, hours in (("2026-09-23", 1000), ("2026-10-23", 1300), ("2026-11-22", 1600)):
        service.records.create(COORDINATOR, "meter_reading", {
            "machine": machine, "reading_date": day, "hours": hours})
    maintenance_contract(service, plan(service, {
        "sequence": 10, "description": "Tagliando 500 ore", "meter_interval_hours": 500}))
    # 10 hours a day: 2000 hours are reached 40 days after 22 November.
    found = visits(service)
    assert [(v["scheduled_for"], v["subject"]) for v in found] == [
        (dt.date(2027, 1, 1), "Scheduled maintenance at 2000 h: Refrigeratori 50 kW")]


def test_reminder_to_confirm_then_confirmed_date_mailed(service: ServiceEnv, smtp):
    controller, inbox = smtp
    maintenance_contract(service, plan(service, {
        "sequence": 10, "description": "Pulizia filtri",
        "recurrence": "FREQ=MONTHLY;BYDAY=1TU"}))
    first, january = visits(service)[:2]
    worker = service.worker(mail_settings(controller))
    worker.run_once()  # 23 November: the 1 December visit is less than 14 days away
    assert [r["message"] for r in service.rows("officina_notification",
                                               username=COORDINATOR.username)] == [
        f"Conferma con il cliente la manutenzione {first['ref']} prevista per il 01/12/2026."]
    service.clock.now = dt.datetime(2026, 12, 22, 6, 59)
    worker.run_once()
    assert len(service.rows("officina_notification", username=COORDINATOR.username)) == 1
    service.clock.now = dt.datetime(2026, 12, 22, 7, 1)  # 14 days before 5 January 08:00
    worker.run_once()
    assert service.rows("officina_notification", username=COORDINATOR.username)[-1][
        "message"] == (f"Conferma con il cliente la manutenzione {january['ref']} prevista "
                       "per il 05/01/2027.")

    service.update(COORDINATOR, "intervention", first["id"],
                   {"technician": service.data["technician"]["id"]})
    service.transition(COORDINATOR, "intervention", first["id"], "confirm")
    worker.run_once()
    mails = [email.message_from_bytes(e.content, policy=default) for e in inbox.messages]
    confirmed = [m for m in mails if m["To"] == "mario.rossi@rossi.example"]
    assert [m["Subject"] for m in confirmed] == ["Visita del nostro tecnico: 01/12/2026"]


def test_the_meter_read_at_a_visit_is_recorded_on_the_machine(service: ServiceEnv):
    d = service.data
    _, intervention = service.new_call("Rumore")
    service.update(COORDINATOR, "intervention", intervention["id"], {
        "technician": d["technician"]["id"], "meter_hours": 1725,
        "timesheet": [{"work_date": "2026-11-23", "normal_hours": "1"}]})
    for name in ("start", "finish"):
        service.transition(COORDINATOR, "intervention", intervention["id"], name)
    readings = service.records.list(COORDINATOR, "meter_reading", ListQuery()).rows
    assert [(r["machine"], r["hours"], r["source"], r["intervention"], r["reading_date"])
            for r in readings] == [(d["machine"]["id"], 1725, "intervention",
                                    intervention["id"], dt.date(2026, 11, 23))]
    assert service.get("machine", d["machine"]["id"])["running_hours"] == 1725


def test_moving_a_visit_moves_its_reminder(service: ServiceEnv):
    maintenance_contract(service, plan(service, {
        "sequence": 10, "description": "Pulizia filtri",
        "recurrence": "FREQ=MONTHLY;BYDAY=1TU"}))
    january = visits(service)[1]
    service.update(COORDINATOR, "intervention", january["id"],
                   {"planned_start": "2027-01-12T07:00:00"})
    pending = [t for t in service.rows("officina_timer", entity="intervention",
                                       record_id=january["id"]) if t["status"] == "pending"]
    assert [(t["name"], t["due_at"]) for t in pending] == [
        ("confirmation_reminder", dt.datetime(2026, 12, 29, 7, 0))]


def test_a_recurrence_that_cannot_happen_is_refused_and_nothing_saved(service: ServiceEnv):
    try:
        plan(service, {"sequence": 10, "description": "Controllo",
                       "recurrence": "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30"})
    except RecordValidationError as refused:
        assert refused.field_errors == {"operations.0.recurrence": [
            "Non è una regola di ricorrenza che possa verificarsi (RFC 5545, "
            "es. FREQ=MONTHLY;BYDAY=1TU)."]}
    else:
        raise AssertionError("the impossible rule was saved")
    assert service.records.list(COORDINATOR, "maintenance_plan", ListQuery()).rows == []


def test_a_verified_visit_is_the_lines_last_and_the_next_one_follows(service: ServiceEnv):
    agreement = maintenance_contract(service, plan(service, {
        "sequence": 10, "description": "Pulizia filtri",
        "recurrence": "FREQ=MONTHLY;BYDAY=1TU"}))
    december, january = visits(service)[:2]
    line_id = service.get("contract", agreement["id"])["lines"][0]["id"]
    service.clock.now = dt.datetime(2026, 12, 1, 8, 0)
    service.update(COORDINATOR, "intervention", december["id"], {
        "technician": service.data["technician"]["id"],
        "timesheet": [{"work_date": "2026-12-01", "normal_hours": "2"}]})
    for name in ("start", "finish"):
        service.transition(COORDINATOR, "intervention", december["id"], name)
    service.clock.now = dt.datetime(2026, 12, 2, 9, 0)
    service.transition(OFFICE, "intervention", december["id"], "verify")
    contract = service.get("contract", agreement["id"])
    [line] = contract["lines"]
    assert (line["last_visit_date"], line["next_visit_date"]) == (
        dt.date(2026, 12, 1), january["scheduled_for"])
    assert line["id"] == line_id  # the same line, changed in place
    assert line["maintenance_plan"] is not None and line["machine"] == service.data["machine"]["id"]


def test_each_line_shows_the_next_visit_of_its_own_machine(service: ServiceEnv):
    d = service.data
    second = service.records.create(OFFICE, "machine", {
        "serial_number": "CH50-0002", "item": d["chiller"]["id"],
        "customer": d["customer"]["id"], "site": d["site"]["id"],
        "installed_on": "2024-05-01"})
    spare = service.records.create(OFFICE, "machine", {
        "serial_number": "CH50-0003", "item": d["chiller"]["id"],
        "customer": d["customer"]["id"], "site": d["site"]["id"],
        "installed_on": "2024-05-01"})
    monthly = plan(service, {"sequence": 10, "description": "Pulizia filtri",
                             "recurrence": "FREQ=MONTHLY;BYDAY=1TU", "estimated_time": 3600})
    quarterly = plan(service, {"sequence": 10, "description": "Controllo gas",
                               "recurrence": "RRULE:FREQ=MONTHLY;INTERVAL=3;BYMONTHDAY=1",
                               "estimated_time": 1800})
    created = service.records.create(MANAGER, "contract", {
        "subject": "Manutenzione programmata", "customer": d["customer"]["id"],
        "contract_type": "scheduled_maintenance", "start_date": "2026-10-01",
        "end_date": "2027-09-30",
        "lines": [{"machine": d["machine"]["id"], "periodicity": "monthly",
                   "maintenance_plan": monthly["id"]},
                  {"machine": second["id"], "periodicity": "quarterly",
                   "maintenance_plan": quarterly["id"]},
                  {"machine": spare["id"], "periodicity": "annual"}]})
    service.transition(MANAGER, "contract", created["id"], "activate")
    lines = {line["machine"]: line["next_visit_date"]
             for line in service.get("contract", created["id"])["lines"]}
    # First Tuesday of December for the first; 1 January (quarterly from 1 October) for the
    # second; none for the machine without a plan.
    assert lines == {d["machine"]["id"]: dt.date(2026, 12, 1),
                     second["id"]: dt.date(2027, 1, 1), spare["id"]: None}
