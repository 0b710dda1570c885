"""The service pack's main scenario in the browser: a breakdown call from the phone to billing.

Olga (office, English) takes the call on a tablet; the call shows its warranty, its SLA
deadlines and the intervention the rules created. Cora (coordinator, Italian) plans Tino,
first inside his absence (refused, nothing saved), then on the next working day, and
confirms. Tino (technician, Italian) sees only his interventions, starts the work, records
his hours and parts (a part beyond stock is refused), has the customer sign on the pad and
marks the work done. Olga verifies it, reads the charges computed from the tariff, closes the
call and releases it to billing. The worker (report PDF and mail) is tested elsewhere.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from core.records.actor import SYSTEM
from core.ui.field_facets import format_value
from tests.browser.conftest import SCREENSHOTS, TABLET, screenshot, sign_in
from tests.browser.service_server import ROME, ServiceServer, start_service_server
from tests.browser.test_records import choose
from tests.support.web_server import WebServer

pytestmark = pytest.mark.long  # the whole story, from the call to billing, in Chromium

SUBJECT = "Il refrigeratore va in blocco"


@pytest.fixture(scope="module")
def service_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceServer]:
    """The service pack served on SQLite with its master data, for this module."""
    server = start_service_server(tmp_path_factory.mktemp("service-browser") / "instance")
    try:
        yield server
    finally:
        server.web.stop()


@pytest.fixture(scope="module")
def web_server(service_server: ServiceServer) -> WebServer:
    """The conftest's pages (``new_page``) open on the service pack's server here."""
    return service_server.web


def signed_in_as(new_page: Callable[..., Page], server: ServiceServer, username: str,
                 **options: Any) -> Page:
    return sign_in(new_page(**options), username, server.password(username))


def field(page: Page, label: str) -> Locator:
    """The value of the field labelled ``label`` on a record's detail page."""
    term = page.locator("dt").filter(has_text=re.compile(f"^{re.escape(label)}$"))
    return page.locator(".detail-field").filter(has=term).locator("dd")


def button(page: Page, *names: str) -> Locator:
    """A button named by any of ``names`` (English, or Italian when translated)."""
    pattern = "|".join(re.escape(n) for n in names)
    return page.get_by_role("button", name=re.compile(f"^({pattern})$"))


def stored(server: ServiceServer, entity: str, key: int) -> dict[str, Any]:
    return server.web.officina.records.get(SYSTEM, entity, key)


def shown(value: Any, field_type: str, language: str = "en") -> str:
    """``value`` as the pages write it for a reader of ``language`` (Rome's time)."""
    locale = {"en": "en_GB", "it": "it_IT"}[language]
    return format_value(value, field_type, locale, timezone="Europe/Rome")


def local_input(day: dt.date, hour: int) -> str:
    """A datetime-local input's value: ``day`` at ``hour``:00 in Brescia."""
    return f"{day.isoformat()}T{hour:02d}:00"


# -- the steps ------------------------------------------------------------------------------


def take_the_call(page: Page, server: ServiceServer) -> int:
    """Olga enters the call through the form; returns its id."""
    page.goto("/app/service_call")
    page.get_by_role("link", name=re.compile(r"^New")).click()
    expect(page.get_by_role("heading", name="New Service call")).to_be_visible()
    choose(page, page.get_by_role("combobox", name="Customer"), "rossi", "Rossi Meccanica")
    choose(page, page.get_by_role("combobox", name="Site"), "nord", "Stabilimento Nord")
    choose(page, page.get_by_role("combobox", name="Contact"), "mario", "Mario Rossi")
    choose(page, page.get_by_role("combobox", name="Machine"), "CH50", "CH50-0001")
    page.get_by_label("Subject").fill(SUBJECT)
    page.get_by_label("Priority").select_option(label="Urgent")
    page.get_by_label("Fault description").fill("Allarme alta pressione dopo dieci minuti")
    page.get_by_role("button", name="Save").click()

    expect(page).to_have_url(re.compile(r"/app/service_call/\d+$"))
    expect(page.get_by_role("heading", name=re.compile(SUBJECT))).to_be_visible()
    call_id = int(page.url.rsplit("/", 1)[1])
    call = stored(server, "service_call", call_id)
    # Found from the machine: its item; its warranty ended in 2025; the standard SLA's
    # urgent target gives the deadlines, written in Rome's time.
    expect(field(page, "Item")).to_have_text("Refrigeratore 50 kW")
    expect(field(page, "Warranty status")).to_have_text("Out of warranty")
    expect(field(page, "SLA")).to_have_text("Standard")
    assert call["opened_at"] < call["sla_warning_at"] < call["sla_response_due"] \
        < call["sla_resolution_due"]
    for label, name in [("Deadline warning at", "sla_warning_at"),
                        ("Response deadline", "sla_response_due"),
                        ("Resolution deadline", "sla_resolution_due")]:
        expect(field(page, label)).to_contain_text(shown(call[name], "datetime"))
    for label in ("Response deadline", "Resolution deadline"):  # both still to be met
        expect(field(page, label).locator(".due")).to_have_text(re.compile(r"^in \d+"))
    expect(field(page, "Status")).to_have_text("New")
    # The rules created the first intervention, listed among the related records.
    related = page.get_by_role("region", name="Related records")
    row = related.get_by_role("row").filter(has_text="Provisional")
    expect(row).to_have_count(1)
    expect(row).to_contain_text(SUBJECT)
    expect(row.get_by_role("link", name=re.compile(r"^INT-"))).to_be_visible()
    screenshot(page, "service-call-detail")
    return call_id


def the_intervention(server: ServiceServer, call_id: int) -> dict[str, Any]:
    records = server.web.officina.records
    rows = [r for r in records.list(SYSTEM, "intervention").rows
            if r["service_call"] == call_id]
    assert len(rows) == 1, rows
    return records.get(SYSTEM, "intervention", rows[0]["id"])


def plan_it(page: Page, server: ServiceServer, intervention_id: int, call_id: int) -> None:
    """Cora assigns Tino: inside his absence (refused), then the next working day."""
    dates = server.dates
    page.goto(f"/app/intervention/{intervention_id}/edit")
    choose(page, page.get_by_role("combobox", name="Tecnico"), "tino", "Tino Bassi")
    page.get_by_label("Inizio pianificato").fill(local_input(
        dates.absent_from + dt.timedelta(days=1), 9))
    page.get_by_label("Durata stimata").fill("2:00")
    page.get_by_role("button", name="Salva").click()
    # The refusal heads the form, which keeps what she typed; nothing is saved.
    expect(page.get_by_role("alert")).to_contain_text(
        f"Il tecnico è assente dal {dates.absent_from:%d/%m/%Y} al "
        f"{dates.absent_to:%d/%m/%Y}: scegli un altro orario o un altro tecnico.")
    expect(page.get_by_role("combobox", name="Tecnico")).to_have_value("Tino Bassi")
    expect(page.get_by_label("Durata stimata")).to_have_value("2:00")
    unchanged = stored(server, "intervention", intervention_id)
    assert (unchanged["technician"], unchanged["planned_start"]) == (None, None)

    day = dates.next_working_day()
    page.get_by_label("Inizio pianificato").fill(local_input(day, 9))
    page.get_by_role("button", name="Salva").click()
    expect(page).to_have_url(re.compile(rf"/app/intervention/{intervention_id}$"))
    expect(field(page, "Tecnico")).to_have_text("Tino Bassi")
    planned = dt.datetime.combine(day, dt.time(9), ROME)
    expect(field(page, "Inizio pianificato")).to_have_text(shown(planned, "datetime", "it"))

    button(page, "Confirm", "Conferma").click()
    expect(field(page, "Stato")).to_have_text("Confermato")
    page.get_by_role("main").get_by_role("link", name=SUBJECT).click()
    expect(page).to_have_url(re.compile(rf"/app/service_call/{call_id}$"))
    expect(field(page, "Stato")).to_have_text("Pianificata")


def work_on_site(page: Page, server: ServiceServer, intervention_id: int) -> None:
    """Tino, on his tablet: his list, start, timesheet and parts, signature, work done."""
    page.goto("/app/intervention")
    rows = page.get_by_role("main").locator("tbody tr")
    expect(rows).to_have_count(1)  # Ugo's intervention is not his
    expect(rows.first).to_contain_text(SUBJECT)
    expect(page.get_by_role("main")).not_to_contain_text("Perdita d'acqua")
    rows.first.get_by_role("link").first.click()
    expect(page).to_have_url(re.compile(rf"/app/intervention/{intervention_id}$"))
    button(page, "Start work", "Inizia il lavoro").click()
    expect(field(page, "Stato")).to_have_text("In corso")

    page.get_by_role("link", name="Modifica").click()
    page.get_by_role("tab", name="Lavoro").click()
    page.get_by_label("Lavoro eseguito").fill("Pulito il condensatore, sostituiti i filtri.")
    # A compressor too many: there is one in stock.
    page.get_by_role("tab", name="Ricambi").click()
    parts = page.locator("[data-lines='parts']")
    parts.get_by_role("button", name="Aggiungi riga").click()
    part = parts.locator("tbody tr").last
    choose(page, part.get_by_role("combobox", name="Articolo"), "CMP", "Compressore 7 kW")
    part.get_by_role("textbox", name="Quantità").fill("2")
    part.get_by_role("textbox", name="Prezzo").fill("790,00")
    page.get_by_role("button", name="Salva").click()
    expect(page.get_by_role("alert")).to_contain_text(
        "CMP-7K (Compressore 7 kW) non è disponibile a magazzino: disponibili 1, "
        "richiesti 2.")
    assert stored(server, "intervention", intervention_id)["parts"] == []
    # The form is back with his work kept: he removes the compressor and goes on.
    page.get_by_role("tab", name="Lavoro").click()
    expect(page.get_by_label("Lavoro eseguito")).to_have_value(
        "Pulito il condensatore, sostituiti i filtri.")
    page.get_by_role("tab", name="Ricambi").click()
    parts = page.locator("[data-lines='parts']").locator("tbody tr")
    expect(parts).to_have_count(2)  # the compressor and an empty line to type in
    expect(parts.first.get_by_role("combobox", name="Articolo")).to_have_value(
        "Compressore 7 kW")
    expect(parts.first.get_by_role("textbox", name="Quantità")).to_have_value("2")
    parts.first.get_by_role("button", name="Rimuovi la riga 1").click()
    expect(parts).to_have_count(1)

    page.get_by_role("tab", name="Foglio ore").click()
    timesheet = page.locator("[data-lines='timesheet']")
    timesheet.get_by_role("button", name="Aggiungi riga").click()
    line = timesheet.locator("tbody tr").last
    # The new line does not offer today's date (its default is $today): Tino types it.
    line.get_by_label("Data").fill(server.dates.today.isoformat())
    line.get_by_role("textbox", name="Ore ordinarie").fill("2,5")
    line.get_by_role("textbox", name="Ore di viaggio").fill("1")
    line.get_by_role("textbox", name="Km").fill("40")
    page.get_by_role("tab", name="Ricambi").click()
    part = parts.last
    choose(page, part.get_by_role("combobox", name="Articolo"), "FLT", "Filtro aria 200 mm")
    part.get_by_role("textbox", name="Quantità").fill("2")
    part.get_by_role("textbox", name="Prezzo").fill("24,00")
    page.get_by_role("tab", name="Firma").click()
    sign(page)
    page.get_by_label("Nome firmatario").fill("Mario Rossi")
    screenshot(page, "service-intervention-form-tablet")
    page.get_by_role("button", name="Salva").click()

    expect(page).to_have_url(re.compile(rf"/app/intervention/{intervention_id}$"))
    expect(field(page, "Nome firmatario")).to_have_text("Mario Rossi")
    signature = field(page, "Firma cliente").get_by_role("img")
    expect(signature).to_be_visible()
    png = page.request.get(signature.get_attribute("src") or "")
    assert png.ok and png.body().startswith(b"\x89PNG\r\n\x1a\n")
    saved = stored(server, "intervention", intervention_id)
    assert saved["customer_signature"] is not None
    assert [(p["quantity"], p["price"]) for p in saved["parts"]] == [
        (Decimal("2"), Decimal("24.00"))]
    assert [(t["normal_hours"], t["km"]) for t in saved["timesheet"]] == [(Decimal("2.5"), 40)]
    button(page, "Work done", "Lavoro eseguito").click()
    expect(field(page, "Stato")).to_have_text("Eseguito")


def sign(page: Page) -> None:
    """Draw a signature on the pad with the mouse: a few strokes across the canvas."""
    canvas = page.locator("canvas.signature-canvas")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    assert box is not None
    x, y, width, height = box["x"], box["y"], box["width"], box["height"]
    page.mouse.move(x + width * 0.1, y + height * 0.6)
    page.mouse.down()
    for step in range(1, 21):
        page.mouse.move(x + width * (0.1 + 0.04 * step),
                        y + height * (0.6 - 0.3 * ((step % 4) in (1, 2))), steps=3)
    page.mouse.up()
    drawn = page.locator("input[data-signature-value]")
    expect(drawn).to_have_value(re.compile(r"^data:image/png;base64,"))


def verify_and_bill(page: Page, server: ServiceServer, intervention_id: int,
                    call_id: int) -> None:
    """Olga verifies the work, reads the charges, closes the call and releases it to billing."""
    page.goto(f"/app/intervention/{intervention_id}")
    button(page, "Verify").click()
    expect(field(page, "Status")).to_have_text("Verified")
    # The standard tariff: call-out 50, 2.5 h at 48, 1 h of travel at 30, 40 km at 0.50,
    # two filters at 24.
    for label, amount in [("Call-out fee", "€50.00"), ("Labour", "€120.00"),
                          ("Overtime", "€0.00"), ("Travel time", "€30.00"),
                          ("Mileage", "€20.00"), ("Parts", "€48.00"),
                          ("Total charges", "€268.00")]:
        expect(field(page, label)).to_have_text(amount)
    expect(field(page, "Covered by")).to_have_text("None")
    expect(field(page, "Billing")).to_have_text("To bill")
    screenshot(page, "service-intervention-verified")
    charges = page.locator("section.detail-tab").filter(
        has=page.get_by_role("heading", name="Charges", exact=True))
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    charges.screenshot(path=SCREENSHOTS / "service-intervention-charges.png")

    page.get_by_role("main").get_by_role("link", name=SUBJECT).click()
    expect(field(page, "Status")).to_have_text("Resolved")
    button(page, "Close").click()
    expect(field(page, "Status")).to_have_text("Closed")
    button(page, "Release to billing").click()
    expect(field(page, "Status")).to_have_text("Invoiced")
    assert stored(server, "service_call", call_id)["status"] == "invoiced"


# -- the scenario ---------------------------------------------------------------------------


def test_a_call_from_the_phone_to_billing(new_page: Callable[..., Page],
                                          service_server: ServiceServer) -> None:
    office = signed_in_as(new_page, service_server, "olga", viewport=TABLET)
    call_id = take_the_call(office, service_server)
    intervention_id = the_intervention(service_server, call_id)["id"]

    coordinator = signed_in_as(new_page, service_server, "cora")
    plan_it(coordinator, service_server, intervention_id, call_id)

    technician = signed_in_as(new_page, service_server, "tino", viewport=TABLET,
                              locale="it-IT")
    expect(technician.locator("html")).to_have_attribute("lang", "it")
    work_on_site(technician, service_server, intervention_id)
    assert stored(service_server, "service_call", call_id)["status"] == "resolved"

    verify_and_bill(office, service_server, intervention_id, call_id)

    # Tino reads the verified charges in Italian: 268,00 €.
    technician.goto(f"/app/intervention/{intervention_id}")
    expect(field(technician, "Stato")).to_have_text("Verificato")
    expect(field(technician, "Diritto di chiamata")).to_have_text("50,00\u00a0€")
    expect(technician.get_by_role("main")).to_contain_text("268,00\u00a0€")

    # Mara, the manager, reads the same charges but may not change them.
    manager = signed_in_as(new_page, service_server, "mara")
    manager.goto(f"/app/intervention/{intervention_id}")
    expect(field(manager, "Total charges")).to_have_text("€268.00")
    expect(manager.get_by_role("link", name="Edit")).to_have_count(0)
    expect(manager.locator("form.transitions")).to_have_count(0)
