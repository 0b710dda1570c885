"""The service pack's documents: the intervention report, the quote, the contract proposal
and economic sheet and the maintenance plan, rendered in Italian and English from records
made through the records service, read back with python-docx (and pdftotext for PDFs)."""

from __future__ import annotations

import datetime as dt
import importlib.util
import io
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
from docx import Document

import packs
from core.config import Settings
from core.metadata.loader import BUILTIN_PACKS
from core.officina import Officina
from core.records.actor import Actor
from core.records.reading import ListQuery
from core.rules.actions import load_mail_template
from core.rules.mail import render_mail
from core.storage.migrate import migrate
from tests.conftest import BACKENDS
from tests.core.documents.conftest import png
from tests.support.pg_server import PostgresServer
from tests.support.users import FAST_HASHING

TEMPLATES = Path(packs.__file__).parent / "service" / "templates"
_spec = importlib.util.spec_from_file_location("service_templates",
                                               TEMPLATES / "make_templates.py")
assert _spec is not None and _spec.loader is not None
make_templates = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make_templates)

TRUSTED = Actor("test", frozenset({"admin"}), "en", trusted=True)
ADMIN = Actor("boss", frozenset({"admin"}), "en")
TECHNICIAN = Actor("tom", frozenset({"technician"}), "it")
ENTITIES = {"intervention_report": "intervention", "quote": "quote",
            "contract_proposal": "contract", "contract_economics": "contract",
            "maintenance_plan": "maintenance_plan"}
EUR = "\xa0€"


@dataclass
class Shop:
    """A service instance and the records its documents print."""

    officina: Officina
    backend: str
    intervention: dict
    bare_intervention: dict
    quote: dict
    plain_quote: dict
    contract: dict
    plan: dict
    customer: dict

    def render(self, template: str, record: dict, language: str, *, actor: Actor = ADMIN,
               format: str = "docx") -> bytes:
        return self.officina.documents.render(actor, ENTITIES[template], record["id"],
                                              template, language=language,
                                              format=format).data


def money(value: str) -> Decimal:
    return Decimal(value)


def make_records(officina: Officina) -> dict[str, dict]:
    """A believable customer with a machine under contract, a call, its intervention with
    two timesheet lines, two parts and a signature, a quote and a maintenance plan."""
    records = officina.records
    files = records.files
    assert files is not None

    def create(entity: str, data: dict) -> dict:
        return records.create(TRUSTED, entity, data)

    customer = create("customer", {
        "company_name": "Frigoriferi Brambilla S.r.l.", "vat_number": "IT00743110157",
        "address": "Via Roma 12", "city": "Monza", "province": "MB", "postal_code": "20900"})
    site = create("site", {"customer": customer["id"], "site_name": "Stabilimento di Lissone",
                           "city": "Lissone"})
    contact = create("contact", {"customer": customer["id"], "full_name": "Giulia Brambilla",
                                 "email": "giulia@brambilla.example"})
    chiller = create("item", {"code": "CH-200", "description": "Chiller Aria 200 kW",
                              "kind": "product"})
    compressor = create("item", {"code": "CP-45", "description": "Compressore scroll 45",
                                 "kind": "spare_part", "serial_tracked": True,
                                 "sale_price": money("1234.56"), "stock_on_hand": 5})
    filter_item = create("item", {"code": "FLT-9", "description": "Filtro deidratatore",
                                  "kind": "spare_part", "sale_price": money("18.50"),
                                  "stock_on_hand": 40})
    machine = create("machine", {
        "serial_number": "CH200-0042", "item": chiller["id"], "customer": customer["id"],
        "site": site["id"], "location": "Tetto, lato nord",
        "installed_on": dt.date(2024, 5, 10)})
    second_machine = create("machine", {
        "serial_number": "CH200-0043", "item": chiller["id"], "customer": customer["id"],
        "site": site["id"], "location": "Cortile"})
    tariff = create("tariff", {"code": "STD-26", "name": "Tariffa standard 2026",
                               "call_out_fee": money("60"), "hourly_rate": money("48"),
                               "valid_from": dt.date(2026, 1, 1)})
    sla = create("sla", {
        "name": "Gold 8/24", "standard": True,
        "targets": [{"priority": "normal", "response_hours": 8, "resolution_hours": 24},
                    {"priority": "high", "response_hours": 4, "resolution_hours": 16}]})
    technician = create("technician", {"username": "tom", "full_name": "Tommaso Ferri"})
    helper = create("technician", {"username": "ada", "full_name": "Ada Colombo"})
    plan = create("maintenance_plan", {
        "name": "Manutenzione chiller", "item": chiller["id"],
        "description": "Controlli periodici del chiller.",
        "operations": [
            {"sequence": 30, "description": "Sostituzione olio compressore",
             "meter_interval_hours": 500, "estimated_time": 5400,
             "instructions": "Olio POE 2 litri"},
            {"sequence": 10, "description": "Pulizia batterie condensanti",
             "recurrence": "FREQ=MONTHLY;INTERVAL=6", "estimated_time": 3600},
            {"sequence": 20, "description": "Controllo fughe F-gas",
             "recurrence": "FREQ=YEARLY;BYMONTH=3,9;BYMONTHDAY=1", "estimated_time": 1800},
        ]})
    contract = create("contract", {
        "subject": "Manutenzione programmata chiller", "customer": customer["id"],
        "contract_type": "scheduled_maintenance", "start_date": dt.date(2026, 1, 1),
        "end_date": dt.date(2026, 12, 31), "tacit_renewal": True,
        "indexation_percent": Decimal("2.10"), "billing_frequency": "quarterly",
        "amount": money("1500"), "tariff": tariff["id"], "sla": sla["id"],
        "lines": [
            {"machine": machine["id"], "location": "Tetto, lato nord",
             "periodicity": "semiannual", "planned_visits": 2,
             "maintenance_plan": plan["id"],
             "services": [
                 {"service_type": "preventive_maintenance", "quantity": 1,
                  "unit_cost": money("200"), "unit_price": money("350")},
                 {"service_type": "consumables", "quantity": 2,
                  "unit_cost": money("15"), "unit_price": money("25")}]},
            {"machine": second_machine["id"], "location": "Cortile",
             "periodicity": "annual", "planned_visits": 1,
             "services": [
                 {"service_type": "inspection", "resource": "external", "quantity": 1,
                  "unit_cost": money("900"), "unit_price": money("1234.56")}]},
        ]})
    call = create("service_call", {
        "subject": "Chiller in blocco alta pressione", "customer": customer["id"],
        "site": site["id"], "contact": contact["id"], "machine": machine["id"],
        "item": chiller["id"], "fault_description": "Allarme HP ripetuto dopo le 14",
        "priority": "high"})
    quote = create("quote", {
        "subject": "Sostituzione compressore", "customer": customer["id"],
        "service_call": call["id"], "quote_date": dt.date(2026, 11, 20),
        "valid_until": dt.date(2026, 12, 20), "show_prices": True,
        "lines": [
            {"line_type": "part", "item": compressor["id"], "description": "Compressore scroll",
             "quantity": 1, "unit_price": money("1234.56")},
            {"line_type": "labour", "description": "Manodopera", "quantity": Decimal("3.5"),
             "unit_price": money("48")}]})
    plain_quote = create("quote", {
        "subject": "Sostituzione compressore in garanzia", "customer": customer["id"],
        "service_call": call["id"], "quote_date": dt.date(2026, 11, 20),
        "in_warranty": True, "show_prices": False,
        "lines": [
            {"line_type": "part", "item": compressor["id"], "description": "Compressore scroll",
             "quantity": 1, "unit_price": money("1234.56")},
            {"line_type": "labour", "description": "Manodopera", "quantity": Decimal("3.5"),
             "unit_price": money("48")}]})
    signature = files.put(png((0, 0, 0), (120, 40)), "firma.png")
    # the call's first intervention is created by the pack's call intake rule
    [first] = records.list(TRUSTED, "intervention",
                           ListQuery(filters=[["service_call", "=", call["id"]]])).rows
    intervention = records.update(TRUSTED, "intervention", first["id"], {
        "subject": "Sostituzione compressore", "technician": technician["id"],
        "work_done": "Sostituito il compressore e il filtro; carica gas verificata.",
        "timesheet": [
            {"work_date": dt.date(2026, 11, 23), "technician": technician["id"],
             "normal_hours": Decimal("6.5"), "overtime_hours": Decimal("1"),
             "travel_hours": Decimal("1.25"), "km": 84, "call_out_fee": money("60")},
            {"work_date": dt.date(2026, 11, 24), "technician": helper["id"],
             "normal_hours": Decimal("2"), "travel_hours": Decimal("0.75"), "km": 84,
             "meals": money("14.50")}],
        "parts": [
            {"item": compressor["id"], "serial_number": "CP45-778", "quantity": 1,
             "charge_mode": "paid", "price": money("1234.56")},
            {"item": filter_item["id"], "quantity": 2, "charge_mode": "warranty",
             "price": money("18.50")}],
        "coverage": "none", "charge_call_out": money("60"), "charge_labour": money("408"),
        "charge_overtime": money("60"), "charge_travel": money("96"),
        "charge_km": money("67.20"), "charge_per_diem": money("0"),
        "charge_expenses": money("14.50"), "charge_parts": money("1234.56"),
        "customer_signature": signature, "signer_name": "Giulia Brambilla",
        "signed_at": dt.datetime(2026, 11, 24, 16, 30)}, version=first["version"])
    # a call whose intervention names no customer nor machine: the report reads the call's
    second_call = create("service_call", {
        "subject": "Rumore al compressore", "customer": customer["id"],
        "machine": machine["id"], "priority": "normal"})
    [second] = records.list(TRUSTED, "intervention",
                            ListQuery(filters=[["service_call", "=", second_call["id"]]])).rows
    bare = records.update(TRUSTED, "intervention", second["id"],
                          {"customer": None, "machine": None}, version=second["version"])
    return {"intervention": intervention, "bare_intervention": bare, "quote": quote,
            "plain_quote": plain_quote, "contract": contract, "plan": plan,
            "customer": customer}


def open_shop(backend: str, request: pytest.FixtureRequest,
              tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shop]:
    """A service instance with the records above on ``backend``."""
    folder = tmp_path_factory.mktemp("service-documents")
    if backend == "sqlite":
        url = f"sqlite:///{folder / 'test.sqlite3'}"
    else:
        server: PostgresServer = request.getfixturevalue("postgres_server")
        url = server.create_database(f"service_documents_{folder.name.replace('-', '_')}")
    settings = Settings(instance=folder / "instance", database_url=url, packs=("service",),
                        pack_paths=(BUILTIN_PACKS,), registry_check_interval=0,
                        passwords=FAST_HASHING)
    officina = Officina.open(settings)
    try:
        migrate(officina.database, officina.registry.current().registry)
        yield Shop(officina, backend, **make_records(officina))
    finally:
        officina.close()


@pytest.fixture(scope="module", params=BACKENDS)
def shop(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
         ) -> Iterator[Shop]:
    """A service instance with the records above, on each backend, shared by this module's
    tests (which only read it: a test that needs other values makes its own records)."""
    yield from open_shop(request.param, request, tmp_path_factory)


@pytest.fixture(scope="module")
def pdf_shop(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
             ) -> Iterator[Shop]:
    """The same records on SQLite only: a PDF takes LibreOffice a second or two and does not
    depend on the database."""
    yield from open_shop("sqlite", request, tmp_path_factory)


def read(data: bytes) -> Document:
    return Document(io.BytesIO(data))


def text_of(document: Document) -> str:
    return "\n".join(p.text for p in document.paragraphs)


def rows(document: Document, index: int) -> list[list[str]]:
    return [[cell.text.strip() for cell in row.cells] for row in document.tables[index].rows]


def fields(document: Document, index: int) -> dict[str, str]:
    return {label: value for label, value in rows(document, index)}


def pdf_text(data: bytes, tmp_path: Path) -> str:
    """The PDF's text, with its spacing collapsed."""
    path = tmp_path / "document.pdf"
    path.write_bytes(data)
    done = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                          text=True, check=True, timeout=60)
    return " ".join(done.stdout.split())


# -- the intervention report -------------------------------------------------------------


def test_italian_intervention_report(shop: Shop) -> None:
    report = shop.intervention
    document = read(shop.render("intervention_report", report, "it"))
    text = text_of(document)
    assert f"Rapporto di intervento {report['ref']}" in text
    head = fields(document, 0)
    assert head["Cliente"] == "Frigoriferi Brambilla S.r.l."
    assert head["Indirizzo"] == "Via Roma 12 20900 Monza MB"
    assert head["Partita IVA"] == "IT00743110157"
    assert head["Sede"] == "Stabilimento di Lissone"
    assert head["Macchina"] == "Chiller Aria 200 kW (CH-200)"
    assert head["Matricola"] == "CH200-0042"
    assert head["Ubicazione"] == "Tetto, lato nord"
    assert head["Tipo"] == "Riparazione"
    assert head["Tecnico"] == "Tommaso Ferri"
    assert "Chiller in blocco alta pressione" in text
    assert "Descrizione del guasto: Allarme HP ripetuto dopo le 14" in text
    assert "Sostituito il compressore e il filtro; carica gas verificata." in text
    assert rows(document, 1) == [
        ["Data", "Tecnico", "Ore ordinarie", "Ore straordinarie", "Ore di viaggio", "Km",
         "Spese"],
        ["23/11/2026", "Tommaso Ferri", "6,50", "1,00", "1,25", "84", "60,00" + EUR],
        ["24/11/2026", "Ada Colombo", "2,00", "0,00", "0,75", "84", "14,50" + EUR],
        ["Totale", "", "8,50", "1,00", "2,00", "168", "74,50" + EUR]]
    assert rows(document, 2) == [
        ["Articolo", "Matricola", "Quantità", "Addebito", "Importo"],
        ["CP-45 Compressore scroll 45", "CP45-778", "1,00", "A pagamento", "1.234,56" + EUR],
        ["FLT-9 Filtro deidratatore", "", "2,00", "Garanzia", "0,00" + EUR],
        ["Totale", "", "", "", "1.234,56" + EUR]]
    charges = fields(document, 3)
    assert charges["Diritto di chiamata"] == "60,00" + EUR
    assert charges["Manodopera"] == "408,00" + EUR
    assert charges["Chilometri"] == "67,20" + EUR
    assert charges["Ricambi"] == "1.234,56" + EUR
    assert charges["Totale"] == "1.940,26" + EUR
    assert "Firmato da: Giulia Brambilla" in text
    assert "Firmato il: 24/11/2026, 17:30" in text  # stored in UTC, printed in Rome time
    assert len(document.inline_shapes) == 1  # the signature


def test_english_intervention_report(shop: Shop) -> None:
    document = read(shop.render("intervention_report", shop.intervention, "en"))
    head = fields(document, 0)
    assert head["Customer"] == "Frigoriferi Brambilla S.r.l."
    assert head["Serial number"] == "CH200-0042"
    assert head["Type"] == "Repair"
    assert rows(document, 1)[1] == ["Nov 23, 2026", "Tommaso Ferri", "6.50", "1.00", "1.25",
                                    "84", "€60.00"]
    assert rows(document, 2)[1] == ["CP-45 Compressore scroll 45", "CP45-778", "1.00", "Paid",
                                    "€1,234.56"]
    charges = fields(document, 3)
    assert charges["Total"] == "€1,940.26"
    assert charges["Covered by"] == "None"
    assert "Signed by: Giulia Brambilla" in text_of(document)
    assert len(document.inline_shapes) == 1


def test_report_reaches_the_call_when_the_intervention_names_no_customer(shop: Shop) -> None:
    bare = shop.bare_intervention
    assert (bare["customer"], bare["machine"]) == (None, None)
    head = fields(read(shop.render("intervention_report", bare, "en")), 0)
    assert head["Customer"] == "Frigoriferi Brambilla S.r.l."
    assert head["Serial number"] == "CH200-0042"


def test_the_technician_prints_the_report_of_his_intervention(shop: Shop) -> None:
    document = read(shop.render("intervention_report", shop.intervention, "it",
                                actor=TECHNICIAN))
    assert fields(document, 0)["Matricola"] == "CH200-0042"


def test_signed_report_as_pdf(pdf_shop: Shop, tmp_path: Path) -> None:
    shop = pdf_shop
    rendered = shop.officina.documents.render(ADMIN, "intervention", shop.intervention["id"],
                                              "intervention_report", language="it",
                                              format="pdf")
    assert rendered.filename == f"{shop.intervention['ref']}-intervention_report.it.pdf"
    assert rendered.data.startswith(b"%PDF")
    text = pdf_text(rendered.data, tmp_path)
    assert f"Rapporto di intervento {shop.intervention['ref']}" in text
    assert "CH200-0042" in text
    assert "1.940,26 €" in text
    assert "Firmato da: Giulia Brambilla" in text


# -- the quote ---------------------------------------------------------------------------


def test_quote_with_prices(shop: Shop) -> None:
    document = read(shop.render("quote", shop.quote, "it"))
    head = fields(document, 0)
    assert head["Cliente"] == "Frigoriferi Brambilla S.r.l."
    assert head["Oggetto"] == "Sostituzione compressore"
    assert head["Data del preventivo"] == "20/11/2026"
    assert head["Valido fino al"] == "20/12/2026"
    assert len(document.tables) == 2
    assert rows(document, 1) == [
        ["Descrizione", "Articolo", "Quantità", "Prezzo unitario", "Importo"],
        ["Compressore scroll", "CP-45", "1,00", "1.234,56" + EUR, "1.234,56" + EUR],
        ["Manodopera", "", "3,50", "48,00" + EUR, "168,00" + EUR],
        ["Totale", "", "", "", "1.402,56" + EUR]]
    assert "in garanzia" not in text_of(document)


def test_quote_without_prices_in_warranty(shop: Shop) -> None:
    quote = shop.plain_quote
    for language in ("it", "en"):
        document = read(shop.render("quote", quote, language))
        assert len(document.tables) == 2
        assert rows(document, 1)[1:] == [["Compressore scroll", "CP-45", "1,00"
                                          if language == "it" else "1.00"],
                                         ["Manodopera", "", "3,50" if language == "it"
                                          else "3.50"]]
        everything = text_of(document) + " ".join(
            cell.text for table in document.tables for row in table.rows for cell in row.cells)
        assert "€" not in everything and "1.234" not in everything and "1,234" not in everything
    assert "La macchina è in garanzia" in text_of(read(shop.render("quote", quote, "it")))
    assert "The machine is under warranty" in text_of(read(shop.render("quote", quote, "en")))


def test_quote_as_pdf(pdf_shop: Shop, tmp_path: Path) -> None:
    shop = pdf_shop
    data = shop.render("quote", shop.quote, "it", format="pdf")
    text = pdf_text(data, tmp_path)
    assert f"Preventivo {shop.quote['ref']}" in text
    assert "1.402,56 €" in text


# -- the contract ------------------------------------------------------------------------


def test_contract_proposal(shop: Shop) -> None:
    document = read(shop.render("contract_proposal", shop.contract, "it"))
    parties, term, billing = fields(document, 0), fields(document, 1), fields(document, 2)
    assert parties["Cliente"] == "Frigoriferi Brambilla S.r.l."
    assert parties["Intestatario fattura"] == "Frigoriferi Brambilla S.r.l."
    assert parties["Tipo di contratto"] == "Manutenzione programmata"
    assert term == {"Decorrenza": "01/01/2026", "Scadenza": "31/12/2026",
                    "Durata (giorni)": "365", "Rinnovo tacito": "Sì",
                    "Preavviso (giorni)": "60", "Indicizzazione (%)": "2,10"}
    assert billing["Periodicità di fatturazione"] == "Trimestrale"
    assert billing["Importo per periodo"] == "1.500,00" + EUR
    assert billing["Tariffario"] == "Tariffa standard 2026"
    assert billing["Livello di servizio (SLA)"] == "Gold 8/24"
    assert rows(document, 3) == [
        ["Macchina", "Matricola", "Ubicazione", "Periodicità", "Visite previste"],
        ["Chiller Aria 200 kW", "CH200-0042", "Tetto, lato nord", "Semestrale", "2"],
        ["Chiller Aria 200 kW", "CH200-0043", "Cortile", "Annuale", "1"]]
    english = read(shop.render("contract_proposal", shop.contract, "en"))
    assert fields(english, 1)["Tacit renewal"] == "Yes"
    assert fields(english, 2)["Amount per billing period"] == "€1,500.00"


def test_contract_economics(shop: Shop, tmp_path: Path) -> None:
    document = read(shop.render("contract_economics", shop.contract, "it"))
    assert rows(document, 1) == [
        ["Macchina", "Matricola", "Costo per visita", "Prezzo per visita", "Visite previste",
         "Costo teorico", "Ricavo teorico"],
        ["Chiller Aria 200 kW", "CH200-0042", "230,00" + EUR, "400,00" + EUR, "2",
         "460,00" + EUR, "800,00" + EUR],
        ["Chiller Aria 200 kW", "CH200-0043", "900,00" + EUR, "1.234,56" + EUR, "1",
         "900,00" + EUR, "1.234,56" + EUR],
        ["Totali", "", "", "", "3", "1.360,00" + EUR, "2.034,56" + EUR]]
    assert fields(document, 2) == {"Ricavo teorico": "2.034,56" + EUR,
                                   "Costo teorico": "1.360,00" + EUR,
                                   "Margine teorico": "674,56" + EUR,
                                   "Margine (%)": "33,16"}
    english = read(shop.render("contract_economics", shop.contract, "en"))
    assert fields(english, 2)["Theoretical margin"] == "€674.56"
    if shop.backend != "sqlite":
        return  # the PDF is the same on every backend: converted once
    text = pdf_text(shop.render("contract_economics", shop.contract, "en", format="pdf"),
                    tmp_path)
    assert "Contract economics" in text and "€674.56" in text


# -- the maintenance plan ----------------------------------------------------------------


def test_maintenance_plan(shop: Shop) -> None:
    document = read(shop.render("maintenance_plan", shop.plan, "it"))
    assert fields(document, 0) == {"Nome": "Manutenzione chiller",
                                   "Articolo": "CH-200 Chiller Aria 200 kW",
                                   "Tempo totale": "3:00 h"}
    assert rows(document, 1) == [
        ["Seq.", "Descrizione", "Frequenza", "Tempo stimato", "Istruzioni"],
        ["10", "Pulizia batterie condensanti", "ogni 6 mesi", "1:00 h", ""],
        ["20", "Controllo fughe F-gas", "ogni anno, a marzo e settembre, il giorno 1",
         "0:30 h", ""],
        ["30", "Sostituzione olio compressore", "ogni 500 ore di funzionamento", "1:30 h",
         "Olio POE 2 litri"]]
    english = rows(read(shop.render("maintenance_plan", shop.plan, "en")), 1)
    assert [row[2] for row in english[1:]] == [
        "every 6 months", "every year, in March and September, on day 1",
        "every 500 running hours"]


# -- the templates themselves and the mail -----------------------------------------------


def test_the_templates_validate_and_match_their_script(shop: Shop) -> None:
    names = sorted(ENTITIES)
    for name in names:
        assert [info.languages for info in shop.officina.documents.templates_for(
            ADMIN, ENTITIES[name]) if info.name == name] == [("en", "it")]
        for language in ("en", "it"):
            committed = (TEMPLATES / f"{name}.{language}.docx").read_bytes()
            assert shop.officina.documents.validate(ENTITIES[name], committed) == [], name
            # the committed file is exactly what the script writes (run it after a change)
            assert make_templates.build(name, language) == committed, f"{name}.{language}"


def test_signed_report_mail(shop: Shop) -> None:
    template = load_mail_template(shop.officina.registry.current().registry,
                                  "intervention_report_signed")
    assert template.languages == ("en", "it")
    record = dict(shop.intervention)
    context = {"record": record, "old": record, "entity": "Intervento", "user": "tom",
               "now": dt.datetime(2026, 11, 24, 16, 0)}
    italian = render_mail(template, context, "it")
    assert italian.subject == f"Rapporto di intervento {record['ref']}: Sostituzione compressore"
    assert "firmato da Giulia Brambilla il 24/11/2026, 17:30" in italian.text
    english = render_mail(template, {**context, "record": {**record, "signed_at": None}}, "en")
    assert english.subject == f"Intervention report {record['ref']}: Sostituzione compressore"
    assert f"the report of intervention {record['ref']} (Sostituzione compressore), signed " \
        "by Giulia Brambilla." in english.text
