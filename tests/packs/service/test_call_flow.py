"""A breakdown call from entry to billing, through the records service and the rules: the
automatic intervention, contract, warranty and SLA lookup, planning, an accepted quote,
on-site work with timesheet, parts and signature, the signed report mailed as a PDF, the
back office's verification with charges from the tariff, and release to billing."""

from __future__ import annotations

import datetime as dt
import email
from decimal import Decimal
from email.policy import default
from pathlib import Path

import pytest

from core.records.errors import RecordError
from core.records.reading import ListQuery
from tests.core.rules.test_worker import mail_settings, smtp
from tests.packs.service.conftest import (
    COORDINATOR,
    OFFICE,
    SIGNATURE_PNG,
    TECHNICIAN,
    ServiceEnv,
)
from tests.ui.test_documents import pdf_text

__all__ = ["smtp"]


def open_call(env: ServiceEnv, **values) -> dict:
    d = env.data
    return env.records.create(OFFICE, "service_call", {
        "subject": "Il refrigeratore non parte", "customer": d["customer"]["id"],
        "site": d["site"]["id"], "contact": d["contact"]["id"], "machine": d["machine"]["id"],
        "problem_type": "breakdown", "priority": "normal",
        "fault_description": "Allarme alta pressione all'avvio", **values})


def first_intervention(env: ServiceEnv, call: dict) -> dict:
    page = env.records.list(OFFICE, "intervention", ListQuery(
        filters=[["service_call", "=", call["id"]]]))
    assert len(page.rows) == 1
    return env.get("intervention", page.rows[0]["id"])


def test_a_new_call_gets_its_intervention_warranty_and_sla_deadlines(service: ServiceEnv):
    call = open_call(service)
    call = service.get("service_call", call["id"])
    # The warranty ended in March 2025; no contract covers the machine.
    assert call["warranty_status"] == "out_of_warranty"
    assert call["contract"] is None
    assert call["item"] == service.data["chiller"]["id"]
    # Opened Monday 09:00 in Brescia; 4 working hours (08:00-12:30, 13:30-17:30) → 14:00,
    # warning at 75 % (3 h) → 12:00; 16 h of resolution → Tuesday 17:30 (UTC below).
    assert call["sla"] == service.data["sla"]["id"]
    assert call["sla_response_due"] == dt.datetime(2026, 11, 23, 13, 0)
    assert call["sla_warning_at"] == dt.datetime(2026, 11, 23, 11, 0)
    assert call["sla_resolution_due"] == dt.datetime(2026, 11, 24, 16, 30)
    intervention = first_intervention(service, call)
    assert intervention["status"] == "provisional"
    assert intervention["intervention_type"] == "repair"
    assert intervention["customer"] == service.data["customer"]["id"]
    assert intervention["contact"] == service.data["contact"]["id"]
    assert intervention["due_by"] == call["sla_response_due"]  # the planner's order
    service.update(OFFICE, "service_call", call["id"], {"priority": "urgent"})
    urgent = service.get("service_call", call["id"])["sla_response_due"]
    assert urgent < call["sla_response_due"]
    assert service.get("intervention", intervention["id"])["due_by"] == urgent


def test_a_call_resolved_by_phone_keeps_its_intervention_unplanned(service: ServiceEnv):
    call = open_call(service, subject="Domanda sul display")
    service.transition(OFFICE, "service_call", call["id"], "resolve_by_phone")
    assert service.get("service_call", call["id"])["status"] == "resolved_by_phone"
    intervention = first_intervention(service, call)
    assert intervention["status"] == "provisional"
    assert intervention["technician"] is None


def test_an_intervention_cannot_start_without_technician_nor_finish_without_timesheet(
        service: ServiceEnv):
    intervention = first_intervention(service, open_call(service))
    with pytest.raises(RecordError, match="Assegna un tecnico"):
        service.transition(COORDINATOR, "intervention", intervention["id"], "start")
    service.update(COORDINATOR, "intervention", intervention["id"],
                   {"technician": service.data["technician"]["id"]})
    service.transition(COORDINATOR, "intervention", intervention["id"], "start")
    with pytest.raises(RecordError, match="almeno una riga"):
        service.transition(TECHNICIAN, "intervention", intervention["id"], "finish")
    assert service.get("intervention", intervention["id"])["status"] == "in_progress"


def test_planning_in_the_technicians_absence_is_refused(service: ServiceEnv):
    intervention = first_intervention(service, open_call(service))
    with pytest.raises(RecordError, match="assente dal 07/12/2026 al 11/12/2026"):
        service.update(COORDINATOR, "intervention", intervention["id"], {
            "technician": service.data["technician"]["id"],
            "planned_start": "2026-12-06T15:00:00", "estimated_duration": 3600 * 24})
    unchanged = service.get("intervention", intervention["id"])
    assert unchanged["technician"] is None and unchanged["planned_start"] is None


def test_a_part_not_in_stock_is_refused(service: ServiceEnv):
    intervention = first_intervention(service, open_call(service))
    with pytest.raises(RecordError, match=r"CMP-7K .* disponibili 1, richiesti 2"):
        service.update(COORDINATOR, "intervention", intervention["id"], {
            "parts": [{"item": service.data["compressor"]["id"], "quantity": "2",
                       "price": "790.00"}]})
    assert service.get("intervention", intervention["id"])["parts"] == []


def _on_site_with(env: ServiceEnv, item: dict, quantity: str) -> dict:
    """An intervention of a new call, started, with a timesheet and ``quantity`` of ``item``."""
    d = env.data
    intervention = first_intervention(env, open_call(env))
    env.update(COORDINATOR, "intervention", intervention["id"],
               {"technician": d["technician"]["id"]})
    env.transition(COORDINATOR, "intervention", intervention["id"], "start")
    env.update(TECHNICIAN, "intervention", intervention["id"], {
        "timesheet": [{"work_date": "2026-11-24", "technician": d["technician"]["id"],
                       "normal_hours": "1"}],
        "parts": [{"item": item["id"], "quantity": quantity, "price": "790.00"}]})
    return intervention


def test_the_last_unit_is_reserved_by_one_intervention_only(service: ServiceEnv):
    compressor = service.data["compressor"]  # one in stock
    first, second = (_on_site_with(service, compressor, "1") for _ in range(2))
    service.transition(TECHNICIAN, "intervention", first["id"], "finish")
    with pytest.raises(RecordError, match=r"^CMP-7K \(Compressore 7 kW\) non è (più )?disponibile "
                                          r"a magazzino: disponibili 0, richiesti 1\.$"):
        service.transition(TECHNICIAN, "intervention", second["id"], "finish")
    assert service.get("intervention", second["id"])["status"] == "in_progress"
    stored = service.get("item", compressor["id"])
    assert (stored["stock_on_hand"], stored["reserved"], stored["available"]) \
        == (Decimal("1"), Decimal("1"), Decimal("0"))
    # Back to work releases the unit, which the other intervention can then reserve.
    service.transition(OFFICE, "intervention", first["id"], "back_to_work")
    service.transition(TECHNICIAN, "intervention", second["id"], "finish")
    assert service.get("item", compressor["id"])["reserved"] == Decimal("1")


def test_negative_quantities_are_refused(service: ServiceEnv):
    intervention = first_intervention(service, open_call(service))
    with pytest.raises(RecordError) as refused:
        service.update(COORDINATOR, "intervention", intervention["id"], {
            "parts": [{"item": service.data["filter"]["id"], "quantity": "-1"}]})
    assert "quantity" in str(refused.value.describe())


@pytest.mark.slow
def test_from_call_to_billing(service: ServiceEnv, smtp, tmp_path: Path):
    controller, inbox = smtp
    d = service.data
    call = open_call(service)
    intervention = first_intervention(service, call)
    worker = service.worker(mail_settings(controller))

    # Planning: the coordinator assigns the technician and confirms.
    service.update(COORDINATOR, "intervention", intervention["id"], {
        "technician": d["technician"]["id"], "planned_start": "2026-11-24T08:00:00",
        "estimated_duration": 7200})
    service.transition(COORDINATOR, "intervention", intervention["id"], "confirm")
    assert service.get("service_call", call["id"])["status"] == "planned"

    # A quote for the new compressor is accepted: the part joins the intervention.
    quote = service.records.create(OFFICE, "quote", {
        "subject": "Sostituzione compressore", "service_call": call["id"],
        "customer": d["customer"]["id"],
        "lines": [{"line_type": "part", "item": d["compressor"]["id"],
                   "description": "Compressore 7 kW", "quantity": "1", "unit_price": "790.00"},
                  {"line_type": "labour", "description": "Manodopera", "quantity": "3",
                   "unit_price": "48.00"}]})
    service.transition(OFFICE, "quote", quote["id"], "send")
    service.transition(OFFICE, "quote", quote["id"], "accept")
    planned = service.get("intervention", intervention["id"])
    assert planned["quote"] == quote["id"]
    assert [(p["item"], p["quantity"], p["price"]) for p in planned["parts"]] == [
        (d["compressor"]["id"], Decimal("1"), Decimal("790.00"))]

    # On site: start, timesheet, one more part, signature.
    service.transition(TECHNICIAN, "intervention", intervention["id"], "start")
    assert service.get("service_call", call["id"])["status"] == "in_progress"
    on_site = service.get("intervention", intervention["id"], TECHNICIAN)
    service.update(TECHNICIAN, "intervention", intervention["id"], {
        "work_done": "Sostituito il compressore, ricaricato il gas.",
        "timesheet": [{"work_date": "2026-11-24", "technician": d["technician"]["id"],
                       "normal_hours": "3", "overtime_hours": "1", "travel_hours": "1",
                       "km": 40, "per_diem": "40.00"}],
        "parts": [*({"item": p["item"], "quantity": p["quantity"], "price": p["price"],
                     "charge_mode": p["charge_mode"]} for p in on_site["parts"]),
                  {"item": d["filter"]["id"], "quantity": "2", "price": "24.00"}],
        "signer_name": "Mario Rossi",
        "customer_signature": service.records.files.put(
                SIGNATURE_PNG, "firma.png", owner=TECHNICIAN.username)})
    signed = service.get("intervention", intervention["id"])
    assert signed["signed_at"] == service.clock.now  # recorded with the signature
    service.transition(TECHNICIAN, "intervention", intervention["id"], "finish")
    # Parts are reserved; the call is resolved as its only intervention is done.
    assert service.get("item", d["compressor"]["id"])["reserved"] == Decimal("1")
    assert service.get("item", d["filter"]["id"])["available"] == Decimal("8")

    # The worker renders the signed report and mails it to the contact.
    for _ in range(3):
        worker.run_once()
    done = service.get("intervention", intervention["id"])
    assert done["report_pdf"] is not None
    messages = [email.message_from_bytes(envelope.content, policy=default)
                for envelope in inbox.messages if "mario.rossi@rossi.example" in envelope.rcpt_tos]
    reports = [m for m in messages
               if any(p.get_content_type() == "application/pdf" for p in m.iter_attachments())]
    assert len(reports) == 1
    assert reports[0]["Subject"].startswith("Rapporto")  # the customer's language: Italian
    attachment = next(reports[0].iter_attachments())
    text = pdf_text(attachment.get_content(), tmp_path)
    assert "Rossi Meccanica" in text and "CH50-0001" in text and "Mario Rossi" in text

    # Verification: charges from the accepted quote and the tariff; stock unloaded.
    service.transition(OFFICE, "intervention", intervention["id"], "verify")
    verified = service.get("intervention", intervention["id"])
    assert verified["coverage"] == "none"
    assert verified["charge_call_out"] == Decimal("0")  # the quote had no call-out line
    assert verified["charge_labour"] == Decimal("144.00")  # 3 h quoted at 48
    assert verified["charge_parts"] == Decimal("838.00")  # 790 + 2 x 24
    assert verified["charge_km"] == Decimal("0")  # quoted work: no mileage on top
    assert verified["charges_total"] == Decimal("982.00")
    assert verified["billing_status"] == "to_bill"
    compressor = service.get("item", d["compressor"]["id"])
    assert (compressor["stock_on_hand"], compressor["reserved"]) == (Decimal("0"), Decimal("0"))

    # Released to billing.
    service.transition(OFFICE, "service_call", call["id"], "close")
    service.transition(OFFICE, "service_call", call["id"], "invoice")
    assert service.get("service_call", call["id"])["status"] == "invoiced"
    assert service.get("intervention", intervention["id"])["billing_status"] == "billed"


def test_charges_from_the_tariff_without_a_quote(service: ServiceEnv):
    d = service.data
    intervention = first_intervention(service, open_call(service))
    service.update(COORDINATOR, "intervention", intervention["id"], {
        "technician": d["technician"]["id"],
        "timesheet": [{"work_date": "2026-11-23", "normal_hours": "2.5", "overtime_hours": "0.5",
                       "travel_hours": "1", "km": 60, "per_diem": "40.00", "meals": "15.00"},
                      {"work_date": "2026-11-24", "normal_hours": "1", "km": 60}],
        "parts": [{"item": d["filter"]["id"], "quantity": "1", "price": "24.00"}]})
    for name in ("start", "finish"):
        service.transition(COORDINATOR, "intervention", intervention["id"], name)
    service.transition(OFFICE, "intervention", intervention["id"], "verify")
    charged = service.get("intervention", intervention["id"])
    assert charged["tariff"] == d["tariff"]["id"]
    assert charged["charge_call_out"] == Decimal("50.00")
    assert charged["charge_labour"] == Decimal("168.00")  # 3.5 h x 48
    assert charged["charge_overtime"] == Decimal("31.00")  # 0.5 h x 62
    assert charged["charge_travel"] == Decimal("30.00")  # 1 h x 30
    assert charged["charge_km"] == Decimal("60.00")  # 120 km x 0.50
    assert charged["charge_per_diem"] == Decimal("40.00")  # one day with a per diem
    assert charged["charge_expenses"] == Decimal("15.00")
    assert charged["charge_parts"] == Decimal("24.00")
    assert charged["charges_total"] == Decimal("418.00")


def test_warranty_covers_labour_travel_and_parts(service: ServiceEnv):
    d = service.data
    service.update(OFFICE, "machine", d["machine"]["id"], {
        "parts_warranty_until": "2027-03-01", "labour_warranty_until": "2027-03-01"})
    call = open_call(service)
    assert service.get("service_call", call["id"])["warranty_status"] == "in_warranty"
    intervention = first_intervention(service, call)
    service.update(COORDINATOR, "intervention", intervention["id"], {
        "technician": d["technician"]["id"],
        "timesheet": [{"work_date": "2026-11-23", "normal_hours": "2", "km": 30}],
        "parts": [{"item": d["filter"]["id"], "quantity": "1", "price": "24.00"}]})
    for name in ("start", "finish"):
        service.transition(COORDINATOR, "intervention", intervention["id"], name)
    service.transition(OFFICE, "intervention", intervention["id"], "verify")
    charged = service.get("intervention", intervention["id"])
    assert charged["coverage"] == "warranty"
    assert charged["charges_total"] == Decimal("0")
    assert charged["billing_status"] == "no_charge"


def test_a_part_without_a_price_is_charged_at_the_items_sale_price(service: ServiceEnv):
    d = service.data
    intervention = first_intervention(service, open_call(service))
    service.update(COORDINATOR, "intervention", intervention["id"], {
        "parts": [{"item": d["filter"]["id"], "quantity": "2"},
                  {"item": d["filter"]["id"], "quantity": "1", "price": "20.00"}]})
    parts = service.get("intervention", intervention["id"])["parts"]
    assert [(p["price"], p["internal_cost"], p["amount"]) for p in parts] == [
        (Decimal("24.00"), Decimal("12.40"), Decimal("48.00")),
        (Decimal("20.00"), Decimal("12.40"), Decimal("20.00"))]  # a typed price is kept


def test_a_call_entered_by_its_machine_takes_the_customer_site_and_item(service: ServiceEnv):
    d = service.data
    call = service.records.create(OFFICE, "service_call", {
        "subject": "Rumore al compressore", "machine": d["machine"]["ref"]})
    assert (call["customer"], call["site"], call["item"]) == (
        d["machine"]["customer"], d["machine"]["site"], d["machine"]["item"])
    intervention = first_intervention(service, call)
    assert (intervention["customer"], intervention["machine"]) == (call["customer"],
                                                                   call["machine"])
    with pytest.raises(RecordError) as refused:
        service.records.create(OFFICE, "service_call", {"subject": "Senza macchina"})
    assert "customer" in refused.value.field_errors
