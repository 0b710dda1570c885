"""Contracts: the machine's contract found on call entry, prepaid hour banks used up by
verified work (warning at 80 %, extra hours charged or refused at 100 %), and renewal at the
end: tacit renewal with indexation, or a reminder to the account owner 60 days before."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from core.records.errors import RecordError
from core.records.reading import ListQuery
from tests.packs.service.conftest import COORDINATOR, MANAGER, OFFICE, ServiceEnv


def contract(env: ServiceEnv, **values) -> dict:
    d = env.data
    created = env.records.create(MANAGER, "contract", {
        "subject": "Assistenza refrigeratore", "customer": d["customer"]["id"],
        "start_date": "2026-01-01", "end_date": "2026-12-31", "amount": "1200.00",
        "account_owner": MANAGER.username,
        "lines": [{"machine": d["machine"]["id"], "periodicity": "on_call"}], **values})
    env.transition(MANAGER, "contract", created["id"], "activate")
    return env.get("contract", created["id"])


def worked(env: ServiceEnv, hours: str, day: str = "2026-11-23") -> dict:
    """A call on the contract's machine, worked for ``hours`` and verified."""
    _, intervention = env.new_call("Manutenzione straordinaria")
    env.update(COORDINATOR, "intervention", intervention["id"], {
        "technician": env.data["technician"]["id"],
        "timesheet": [{"work_date": day, "normal_hours": hours}]})
    for name in ("start", "finish"):
        env.transition(COORDINATOR, "intervention", intervention["id"], name)
    env.transition(OFFICE, "intervention", intervention["id"], "verify")
    return env.get("intervention", intervention["id"])


def notices(env: ServiceEnv, username: str) -> list[str]:
    return [row["message"] for row in env.rows("officina_notification", username=username)]


def test_a_call_finds_the_machines_active_contract(service: ServiceEnv):
    agreement = contract(service, contract_type="on_call")
    assert service.get("machine", service.data["machine"]["id"])["contract"] == agreement["id"]
    intervention = worked(service, "2")
    assert intervention["contract"] == agreement["id"]
    assert intervention["coverage"] == "contract"
    assert intervention["charges_total"] == Decimal("0")
    service.transition(MANAGER, "contract", agreement["id"], "cancel")
    assert service.get("machine", service.data["machine"]["id"])["contract"] is None


def test_a_follow_up_intervention_gets_the_calls_contract_and_its_coverage(service: ServiceEnv):
    agreement = contract(service, contract_type="intervention_pack", prepaid_interventions=5)
    call, first = service.new_call("Perdita di gas")
    assert first["contract"] == agreement["id"]
    follow_up = service.records.create(COORDINATOR, "intervention", {
        "service_call": call["id"], "subject": "Sostituzione valvola",
        "customer": call["customer"], "machine": call["machine"],
        "technician": service.data["technician"]["id"],
        "timesheet": [{"work_date": "2026-11-24", "normal_hours": "2"}]})
    assert follow_up["contract"] == agreement["id"]
    for name in ("start", "finish"):
        service.transition(COORDINATOR, "intervention", follow_up["id"], name)
    service.transition(OFFICE, "intervention", follow_up["id"], "verify")
    verified = service.get("intervention", follow_up["id"])
    assert verified["coverage"] == "contract"
    assert verified["charges_total"] == Decimal("0")


def test_hour_bank_is_used_up_then_extra_hours_are_charged(service: ServiceEnv):
    bank = contract(service, contract_type="hour_bank", prepaid_hours="10",
                    usage_warning_percent=80, when_exhausted="charge_extra")
    first = worked(service, "8.5")
    assert first["bank_hours_used"] == Decimal("8.5")
    assert first["charge_labour"] == Decimal("0")
    assert first["charge_call_out"] == Decimal("0")
    assert service.get("contract", bank["id"])["remaining_hours"] == Decimal("1.5")
    assert notices(service, MANAGER.username) == [
        f"Contract {bank['ref']} has used 8.5 of its 10 prepaid hours."]

    second = worked(service, "3.5")
    assert second["bank_hours_used"] == Decimal("1.5")
    assert second["charge_labour"] == Decimal("96.00")  # 2 extra hours at 48
    assert second["billing_status"] == "to_bill"
    used_up = service.get("contract", bank["id"])
    assert (used_up["used_hours"], used_up["remaining_hours"]) == (Decimal("10"), Decimal("0"))
    assert notices(service, MANAGER.username)[-1] == (
        f"The hour bank of contract {bank['ref']} is used up; further hours are charged "
        "as extra.")


def test_an_exhausted_hour_bank_that_refuses_blocks_new_work(service: ServiceEnv):
    contract(service, contract_type="hour_bank", prepaid_hours="2", when_exhausted="refuse")
    worked(service, "2")
    _, intervention = service.new_call("Nuovo guasto")
    service.update(COORDINATOR, "intervention", intervention["id"],
                   {"technician": service.data["technician"]["id"]})
    with pytest.raises(RecordError, match="monte ore del contratto è esaurito"):
        service.transition(COORDINATOR, "intervention", intervention["id"], "start")
    assert service.get("intervention", intervention["id"])["status"] == "provisional"


def test_tacit_renewal_with_indexation(service: ServiceEnv):
    service.clock.now = dt.datetime(2026, 12, 20, 8, 0)
    old = contract(service, contract_type="on_call", tacit_renewal=True,
                   indexation_percent="2.5", amount="1200.00")
    service.clock.now = dt.datetime(2027, 1, 1, 6, 0)
    service.worker().run_once()
    renewals = service.records.list(MANAGER, "contract", ListQuery(
        filters=[["renewed_from", "=", old["id"]]])).rows
    assert len(renewals) == 1
    new = service.get("contract", renewals[0]["id"])
    assert (new["status"], new["start_date"], new["end_date"]) == (
        "active", dt.date(2027, 1, 1), dt.date(2027, 12, 31))
    assert new["amount"] == Decimal("1230.00")
    assert [line["machine"] for line in new["lines"]] == [service.data["machine"]["id"]]
    assert service.get("contract", old["id"])["status"] == "expired"
    assert service.get("machine", service.data["machine"]["id"])["contract"] == new["id"]
    service.worker().run_once()  # running again renews nothing more
    assert len(service.records.list(MANAGER, "contract", ListQuery()).rows) == 2


def test_without_tacit_renewal_the_owner_is_reminded_60_days_before(service: ServiceEnv):
    agreement = contract(service, contract_type="on_call", end_date="2027-01-31")
    assert agreement["renewal_notice_on"] == dt.date(2026, 12, 2)
    service.clock.now = dt.datetime(2026, 11, 30, 8, 0)  # 62 days before
    service.worker().run_once()
    assert notices(service, MANAGER.username) == []
    service.clock.now = dt.datetime(2026, 12, 3, 8, 0)  # 59 days before
    service.worker().run_once()
    assert notices(service, MANAGER.username) == [
        f"Contract {agreement['ref']} (Assistenza refrigeratore) ends on Jan 31, 2027: "
        "propose its renewal."]
    service.clock.now = dt.datetime(2027, 2, 1, 8, 0)
    service.worker().run_once()
    assert service.get("contract", agreement["id"])["status"] == "expired"


def test_the_notice_period_sets_the_reminder(service: ServiceEnv):
    agreement = contract(service, contract_type="on_call", end_date="2027-01-31",
                         notice_days=30)
    assert agreement["renewal_notice_on"] == dt.date(2027, 1, 1)
    service.clock.now = dt.datetime(2026, 12, 31, 8, 0)
    service.worker().run_once()
    assert notices(service, MANAGER.username) == []
    service.clock.now = dt.datetime(2027, 1, 1, 8, 0)
    service.worker().run_once()
    assert len(notices(service, MANAGER.username)) == 1


def test_a_machine_resold_keeps_its_history(service: ServiceEnv):
    d = service.data
    contract(service, contract_type="on_call")
    call, _ = service.new_call("Guasto prima della vendita")
    buyer = service.records.create(OFFICE, "customer", {"company_name": "Bianchi S.p.A."})
    service.update(OFFICE, "machine", d["machine"]["id"], {"customer": buyer["id"]})
    machine = service.get("machine", d["machine"]["id"])
    assert (machine["customer"], machine["previous_customer"], machine["status"]) == (
        buyer["id"], d["customer"]["id"], "resold")
    assert machine["status_changed_on"] == dt.date(2026, 11, 23)
    assert machine["contract"] is None  # the seller's contract does not follow the machine
    assert service.get("service_call", call["id"])["machine"] == machine["id"]
