"""Call entry as the help desk does it: picking the machine fills the customer, site and
item, the machines and contacts offered are the customer's, and the form shows what the
rules would give (warranty, contract, deadlines, the machine's open calls) before anything
is saved: a dry run that writes nothing."""

from __future__ import annotations

import lxml.html
import pytest
from flask import Flask

from core.records.errors import RecordError
from tests.packs.service.conftest import OFFICE, ServiceEnv, browser_of
from tests.ui.conftest import csrf_token


def _count(service: ServiceEnv, entity: str) -> int:
    return service.records.list(OFFICE, entity).total


def _panel(html: str) -> dict[str, list[tuple[str, str]]]:
    tree = lxml.html.fromstring(f"<div>{html}</div>")
    return {s.xpath("./h3")[0].text_content(): [
        (dt.text_content(), " ".join(dd.text_content().split()))
        for dt, dd in zip(s.xpath(".//dt"), s.xpath(".//dd"), strict=True)] or
        [(" ".join(li.text_content().split()), "") for li in s.xpath(".//li")]
        for s in tree.xpath("//section[@class='panel-section']")}


def test_the_preview_shows_warranty_contract_deadlines_and_open_calls_saving_nothing(
        service: ServiceEnv, web: Flask) -> None:
    earlier, _ = service.new_call("Perdita di gas")
    calls, interventions = _count(service, "service_call"), _count(service, "intervention")
    olga = browser_of(web, "olga")
    token = csrf_token(olga, "/app/service_call/new")
    machine = service.data["machine"]
    answer = olga.post("/app/service_call/preview", data={
        "csrf_token": token, "machine": str(machine["id"]), "priority": "urgent"}).get_json()
    assert answer["problem"] == ""
    fetched = answer["fetched"]
    assert fetched["customer"]["value"] == machine["customer"]
    assert fetched["customer"]["title"] == "Rossi Meccanica S.r.l."
    assert fetched["site"]["value"] == machine["site"] and fetched["item"]["value"] == \
        machine["item"]
    panel = _panel(answer["panel"])
    assert ("Stato garanzia", "Fuori garanzia") in panel["Garanzia"]
    deadlines = dict(panel["Scadenze per questa priorità"])
    assert deadlines["Scadenza presa in carico"].startswith("23/11/2026, 11:00")  # urgent: 2 h
    assert [text for text, _ in panel["Chiamate aperte su questa macchina"]] == [
        f"{earlier['ref']} Perdita di gas · Nuova · 23/11/2026, 09:00"]
    # nothing was saved: no call, no intervention, no notice, no timer
    assert (_count(service, "service_call"), _count(service, "intervention")) == (
        calls, interventions)
    assert [t for t in service.rows("officina_timer") if t["record_id"] != earlier["id"]] == []


def test_without_javascript_the_preview_button_fills_the_form_and_shows_the_panel(
        service: ServiceEnv, web: Flask) -> None:
    olga = browser_of(web, "olga")
    token = csrf_token(olga, "/app/service_call/new")
    page = olga.post("/app/service_call/new", data={
        "csrf_token": token, "machine": str(service.data["machine"]["id"]),
        "subject": "Non parte", "_action": "preview"})
    assert page.status_code == 200
    tree = lxml.html.fromstring(page.get_data(as_text=True))
    assert tree.xpath("//input[@name='customer']")[0].get("value") == \
        str(service.data["machine"]["customer"])
    assert tree.xpath("//input[@name='customer:title']")[0].get("value") == \
        "Rossi Meccanica S.r.l."
    assert tree.xpath("//aside[@id='context-panel']//section[@class='panel-section']")
    assert tree.xpath("//input[@name='subject']")[0].get("value") == "Non parte"
    assert _count(service, "service_call") == 0


def test_links_offered_and_accepted_are_the_customers(service: ServiceEnv, web: Flask
                                                      ) -> None:
    other = service.records.create(OFFICE, "customer", {
        "company_name": "Verdi S.p.A.", "vat_number": "IT00743110157"})
    stranger = service.records.create(OFFICE, "contact", {
        "customer": other["id"], "full_name": "Piero Verdi"})
    olga = browser_of(web, "olga")
    customer = service.data["customer"]["id"]
    found = olga.get(f"/app/contact/lookup?q=&where.customer={customer}").get_json()
    assert [c["title"] for c in found] == ["Mario Rossi"]
    everyone = olga.get("/app/contact/lookup?q=").get_json()
    assert {"Mario Rossi", "Piero Verdi"} <= {c["title"] for c in everyone}
    form = lxml.html.fromstring(olga.get("/app/service_call/new").get_data(as_text=True))
    assert form.xpath("//input[@name='contact:title']")[0].get("data-typeahead-where") == \
        '{"customer": "f-customer-value"}'
    with pytest.raises(RecordError) as refused:
        service.records.create(OFFICE, "service_call", {
            "subject": "Sbagliata", "customer": customer, "contact": stranger["id"]})
    assert refused.value.field_errors == {
        "contact": ["Non è una delle scelte possibili per Cliente."]}
    assert _count(service, "service_call") == 0


def test_similar_resolved_calls_and_faq_follow_the_words_of_the_problem(
        service: ServiceEnv, web: Flask) -> None:
    solved, _ = service.new_call("Compressore rumoroso all'avvio",
                                 fault_description="Rumore metallico dal compressore")
    service.transition(OFFICE, "service_call", solved["id"], "resolve_by_phone")
    unrelated, _ = service.new_call("Display spento")
    service.transition(OFFICE, "service_call", unrelated["id"], "resolve_by_phone")
    still_open, _ = service.new_call("Compressore rumoroso")  # not resolved: not offered
    faq = service.records.create(OFFICE, "faq_article", {
        "problem": "Il compressore fa rumore", "problem_type": "breakdown",
        "solution": "Controllare i supporti antivibranti del compressore."})
    service.records.create(OFFICE, "faq_article", {
        "problem": "Display che non si accende", "solution": "Sostituire l'alimentatore."})
    olga = browser_of(web, "olga")
    token = csrf_token(olga, "/app/service_call/new")
    answer = olga.post("/app/service_call/preview", data={
        "csrf_token": token, "customer": str(service.data["customer"]["id"]),
        "subject": "Rumore forte dal compressore", "problem_type": "breakdown"}).get_json()
    panel = _panel(answer["panel"])
    calls = [text.split()[0] for text, _ in panel["Chiamate risolte simili"]]
    assert calls == [solved["ref"]]  # neither the display nor the open call
    assert [text.split()[0] for text, _ in panel["Articoli FAQ"]] == [faq["ref"]]
    # the call's own page shows them too, without itself
    detail = lxml.html.fromstring(olga.get(f"/app/service_call/{still_open['id']}")
                                  .get_data(as_text=True))
    similar = detail.xpath("//aside[@id='context-panel']//section[h3='Chiamate risolte simili']"
                           "//li/a/text()")
    assert similar == [solved["ref"]]


def test_a_call_started_from_the_machines_page_comes_filled_in(service: ServiceEnv,
                                                               web: Flask) -> None:
    machine = service.data["machine"]
    olga = browser_of(web, "olga")
    page = lxml.html.fromstring(olga.get(f"/app/machine/{machine['id']}").get_data(as_text=True))
    [start] = [a.get("href") for a in page.xpath("//div[contains(@class,'related-block')]"
                                                 "//a[@class='button']")
               if "/app/service_call/new" in a.get("href")]
    assert start == f"/app/service_call/new?machine={machine['id']}"
    form = lxml.html.fromstring(olga.get(start).get_data(as_text=True))
    assert form.xpath("//input[@name='machine:title']")[0].get("value") == "CH50-0001"
    assert form.xpath("//input[@name='customer:title']")[0].get("value") == \
        "Rossi Meccanica S.r.l."
    assert form.xpath("//aside[@id='context-panel']//section[h3='Garanzia']")
    assert _count(service, "service_call") == 0


def test_depends_on_rules_show_require_and_lock_fields(service: ServiceEnv, web: Flask) -> None:
    d = service.data
    with pytest.raises(RecordError) as refused:  # an hour bank needs its hours
        service.records.create(OFFICE, "contract", {
            "subject": "Monte ore", "customer": d["customer"]["id"],
            "contract_type": "hour_bank", "start_date": "2026-01-01",
            "end_date": "2026-12-31"})
    assert refused.value.field_errors == {"prepaid_hours": ["Valore obbligatorio."]}
    call, _ = service.new_call("Perdita di gas")
    service.transition(OFFICE, "service_call", call["id"], "resolve_by_phone")
    service.transition(OFFICE, "service_call", call["id"], "close")
    with pytest.raises(RecordError) as locked:  # a closed call keeps its priority
        service.update(OFFICE, "service_call", call["id"], {"priority": "urgent"})
    assert locked.value.field_errors == {
        "priority": ["Questo campo non può essere modificato ora."]}
    olga = browser_of(web, "olga")
    closed = lxml.html.fromstring(olga.get(f"/app/service_call/{call['id']}/edit")
                                  .get_data(as_text=True))
    assert not closed.xpath("//select[@name='priority']")  # shown, not offered
    assert closed.xpath("//div[contains(@class,'read-only')][.//*[.='Priorità']]")
    open_call, _ = service.new_call("Rumore")
    editable = lxml.html.fromstring(olga.get(f"/app/service_call/{open_call['id']}/edit")
                                    .get_data(as_text=True))
    assert editable.xpath("//select[@name='priority']")
    form = lxml.html.fromstring(olga.get("/app/contract/new").get_data(as_text=True))
    [hours] = form.xpath("//div[contains(@class,'field')][.//input[@name='prepaid_hours']]")
    assert hours.get("data-visible-when") == '["contract_type", "hour_bank"]'
    assert hours.get("data-required-when") == '["contract_type", "hour_bank"]'
