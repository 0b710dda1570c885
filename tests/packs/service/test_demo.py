"""`officina demo` loads the service pack's believable Italian company, once."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from stdnum.it import codicefiscale, iva

from core.config import load_settings
from core.officina import Officina
from core.records.actor import SYSTEM
from core.records.reading import ListQuery
from core.users import actor_for, usernames, verify_password
from tests.support.cli import officina as run_officina

pytestmark = pytest.mark.long  # the demo company is loaded once, for a minute or two

CALL_STATES = ["new", "planned", "in_progress", "resolved_by_phone", "resolved", "closed",
               "invoiced"]


def officina(*args: str, env: dict[str, str]) -> str:
    """What ``officina ARGS`` printed; it must succeed without a traceback."""
    return run_officina(*args, env=env).stdout


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[dict, str, Officina]]:
    """A fresh SQLite instance of the service pack after one `officina demo`."""
    folder = tmp_path_factory.mktemp("demo") / "instance"
    env = {"OFFICINA_INSTANCE": str(folder)}
    officina("init", "--admin-password", "s3cret-Admin", env=env)
    out = officina("demo", env={**env, "OFFICINA_DEMO_PASSWORD": "Demo-pass-1"})
    instance = Officina.open(load_settings(folder))
    yield env, out, instance
    instance.close()


def total(instance: Officina, entity: str, filters: list | None = None) -> int:
    return instance.records.list(SYSTEM, entity, ListQuery(
        filters=filters, limit=1, exact_count=True)).total


def test_the_demo_company_has_the_size_the_issue_asks_for(demo) -> None:
    _env, out, instance = demo
    assert "20-company.yaml" in out and "30-calls.yaml" in out
    counts = {e: total(instance, e) for e in ("customer", "machine", "contract", "technician",
                                              "service_call")}
    assert counts == {"customer": 50, "machine": 200, "contract": 30, "technician": 8,
                      "service_call": 300}


def test_the_demo_faq_has_articles_in_italian_and_english_on_its_items(demo) -> None:
    _env, out, instance = demo
    assert "40-faq.yaml" in out
    by_language = {lang: total(instance, "faq_article", [["language", "=", lang]])
                   for lang in ("it", "en")}
    assert by_language["it"] >= 20 and by_language["en"] >= 20
    assert sum(by_language.values()) >= 40
    gas = instance.records.list(SYSTEM, "faq_article", ListQuery(
        search="R32", filters=[["language", "=", "it"]])).rows
    assert [row["problem"] for row in gas] == ["R32 al posto di R410A: si può sostituire?"]
    chiller = instance.records.list(SYSTEM, "faq_article", ListQuery(
        search="blocco per alta pressione")).rows
    assert len(chiller) == 1
    items = instance.records.get(SYSTEM, "faq_article", chiller[0]["id"])["items"]
    codes = {instance.records.get(SYSTEM, "item", line["item"])["code"] for line in items}
    assert codes == {"RFA-035", "RFA-080"}


def test_calls_are_in_every_state_and_opened_over_the_last_six_months(demo) -> None:
    _env, _out, instance = demo
    by_state = {s: total(instance, "service_call", [["status", "=", s]]) for s in CALL_STATES}
    assert all(n > 0 for n in by_state.values()), by_state
    now = instance.records.clock()
    half_year = now - dt.timedelta(days=183)
    assert total(instance, "service_call", [["opened_at", "<", half_year]]) == 0
    assert total(instance, "service_call", [["opened_at", ">", now]]) == 0
    # ... spread over the whole six months, not bunched: every month has calls.
    for month in range(6):
        until = now - dt.timedelta(days=30 * month)
        since = until - dt.timedelta(days=30)
        assert total(instance, "service_call", [["opened_at", "between", [since, until]]]) > 10


def test_interventions_went_through_their_workflow(demo) -> None:
    _env, _out, instance = demo
    for state in ("provisional", "confirmed", "in_progress", "done", "verified"):
        assert total(instance, "intervention", [["status", "=", state]]) > 0, state
    # Verified interventions have their timesheet and charges; invoiced calls were verified.
    verified = instance.records.list(SYSTEM, "intervention", ListQuery(
        filters=[["status", "=", "verified"]], limit=5)).rows
    for row in verified:
        record = instance.records.get(SYSTEM, "intervention", row["id"])
        assert record["timesheet"] and record["technician"] and record["billing_status"] in (
            "to_bill", "no_charge")
    # Stock never went negative, and parts of done interventions are reserved.
    assert total(instance, "item", [["stock_on_hand", "<", 0]]) == 0
    assert total(instance, "item", [["reserved", ">", 0]]) > 0
    assert total(instance, "contract", [["status", "=", "active"]]) > 0
    assert total(instance, "machine", [["contract", "is not null"]]) > 0


def test_vat_numbers_and_fiscal_codes_are_valid(demo) -> None:
    _env, _out, instance = demo
    rows = instance.records.list(SYSTEM, "customer", ListQuery(
        fields=("vat_number", "fiscal_code"), limit=100)).rows
    vats = [r["vat_number"] for r in rows if r["vat_number"]]
    assert len(vats) >= 47 and all(iva.is_valid(v) for v in vats), vats
    assert all(codicefiscale.is_valid(r["fiscal_code"]) for r in rows if r["fiscal_code"])


def test_each_technician_and_office_role_can_sign_in(demo) -> None:
    _env, out, instance = demo
    with instance.database.read() as connection:
        technicians = instance.records.list(SYSTEM, "technician", ListQuery(limit=50)).rows
        for technician in technicians:
            assert verify_password(connection, technician["username"], "Demo-pass-1") is not None
        roles = {role for name in usernames(connection) if name != "admin"
                 for role in actor_for(connection, name).roles}
    assert roles == {"office", "coordinator", "manager", "technician"}
    assert "Demo users: " in out and "Demo-pass-1" not in out  # a given password is not echoed


def test_a_second_run_loads_nothing_and_says_so(demo) -> None:
    env, _out, instance = demo
    assert officina("demo", env=env).strip() == "service: demo data already loaded"
    assert total(instance, "service_call") == 300 and total(instance, "customer") == 50


def test_calls_are_found_by_their_machine_serial_and_their_customer_name(demo) -> None:
    _env, _out, instance = demo
    call = instance.records.list(SYSTEM, "service_call", ListQuery(
        filters=[["machine", "is not null"]], limit=1)).rows[0]
    machine = instance.records.get(SYSTEM, "machine", call["machine"])
    found = instance.records.list(SYSTEM, "service_call", ListQuery(
        search=machine["serial_number"], limit=1000)).rows
    assert call["id"] in {row["id"] for row in found}
    assert all(row["machine"] == machine["id"] for row in found)
    customer = instance.records.get(SYSTEM, "customer", call["customer"])
    theirs = {row["id"] for row in instance.records.list(SYSTEM, "service_call", ListQuery(
        filters=[["customer", "=", customer["id"]]], limit=1000)).rows}
    renamed = instance.records.update(SYSTEM, "customer", customer["id"], {
        "company_name": "Zzyzx Refrigerazione", "version": customer["version"]})
    try:
        assert {row["id"] for row in instance.records.list(SYSTEM, "service_call", ListQuery(
            search="zzyzx", limit=1000)).rows} == theirs
    finally:
        instance.records.update(SYSTEM, "customer", customer["id"], {
            "company_name": customer["company_name"], "version": renamed["version"]})
