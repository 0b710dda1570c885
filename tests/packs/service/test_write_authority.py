"""Who may write what in the service pack: a technician cannot set the warranty status the
call-intake rules work out, neither through the edit form nor by tampering with its post."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient

from core.records.errors import RecordValidationError
from tests.packs.service.conftest import OFFICE, TECHNICIAN, ServiceEnv, web_client


def _technician_client(service: ServiceEnv) -> FlaskClient:
    return web_client(service, TECHNICIAN, "Tino-pw-1")


def _form_fields(page: str) -> dict[str, str]:
    start = page.index("data-record-form")
    form = re.sub(r"<template.*?</template>", "", page[start:page.index("</form>", start)],
                  flags=re.S)
    data: dict[str, str] = {}
    for tag in re.findall(r"<(?:input|select|textarea)\b[^>]*>", form):
        name = re.search(r'name="([^"]+)"', tag)
        if name and 'type="submit"' not in tag and 'type="file"' not in tag:
            value = re.search(r'value="([^"]*)"', tag)
            data[name.group(1)] = value.group(1) if value else ""
    return data


def test_a_technician_cannot_set_the_warranty_status(service: ServiceEnv) -> None:
    call, _intervention = service.new_call("Leak")
    assert call["warranty_status"] == "out_of_warranty"  # the rules worked it out
    client = _technician_client(service)
    path = f"/app/service_call/{call['id']}/edit"
    page = client.get(path).get_data(as_text=True)
    fields = _form_fields(page)
    assert "warranty_status" not in fields and "status" not in fields  # shown, not inputs
    assert "subject" in fields and "site" in fields  # site: user_editable
    assert "Out of warranty" in page or "Fuori garanzia" in page
    response = client.post(path, data={**fields, "warranty_status": "in_warranty",
                                       "subject": "Leak, under warranty"})
    assert response.status_code == 422
    assert "compilato dalle regole" in response.get_data(as_text=True)
    after = service.get("service_call", call["id"])
    assert (after["warranty_status"], after["subject"], after["version"]) == (
        "out_of_warranty", "Leak", call["version"])
    saved = client.post(path, data={**fields, "subject": "Leak, checked"})
    assert saved.status_code == 302
    assert service.get("service_call", call["id"])["subject"] == "Leak, checked"


def test_office_users_cannot_set_it_through_the_records_service(service: ServiceEnv) -> None:
    call, _intervention = service.new_call("Noise")
    with pytest.raises(RecordValidationError) as refused:
        service.update(OFFICE, "service_call", call["id"], {"warranty_status": "in_warranty"})
    assert refused.value.field_errors == {"warranty_status": [
        "Questo campo è compilato dalle regole: non si può inserire."]}
    assert service.get("service_call", call["id"])["warranty_status"] == "out_of_warranty"


def test_office_users_cannot_set_the_visit_dates_the_rules_fill(service: ServiceEnv) -> None:
    machine = service.data["machine"]["id"]
    contract = {"subject": "Manutenzione", "customer": service.data["customer"]["id"],
                "start_date": "2026-01-01", "end_date": "2026-12-31", "amount": "100.00"}
    with pytest.raises(RecordValidationError) as refused:
        service.records.create(OFFICE, "contract", {**contract, "lines": [
            {"machine": machine, "periodicity": "annual", "next_visit_date": "2026-05-01"}]})
    assert refused.value.field_errors == {"lines.0.next_visit_date": [
        "Questo campo è compilato dalle regole: non si può inserire."]}
    created = service.records.create(OFFICE, "contract", {**contract, "lines": [
        {"machine": machine, "periodicity": "annual", "planned_visits": 2}]})
    line = created["lines"][0]
    assert (line["machine"], line["planned_visits"], line["next_visit_date"]) == (
        machine, 2, None)
    with pytest.raises(RecordValidationError) as refused:
        service.update(OFFICE, "contract", created["id"], {"lines": [
            {"id": line["id"], "last_visit_date": "2026-02-01"}]})
    assert list(refused.value.field_errors) == ["lines.0.last_visit_date"]
    saved = service.update(OFFICE, "contract", created["id"], {"lines": [
        {**{k: line[k] for k in ("id", "machine", "periodicity", "planned_visits",
                                 "last_visit_date", "next_visit_date")},
         "location": "Reparto B"}]})  # the dates sent back as they are: no write
    assert (saved["lines"][0]["location"], saved["lines"][0]["next_visit_date"]) == (
        "Reparto B", None)
