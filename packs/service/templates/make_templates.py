"""Write the service pack's Word templates (run from the repository's root):

    .venv/bin/python packs/service/templates/make_templates.py

Five documents, each in English and Italian with the same layout: the intervention report
(rapportino), the quote (with or without prices), the contract proposal, the contract's
economic sheet and the maintenance plan. Rows of child tables repeat with docxtpl's
``{%tr %}``; whole blocks come and go with ``{%p if %}``. The files carry no dates of their
own, so running the script again writes the same bytes.
"""

from __future__ import annotations

import datetime as dt
import io
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

from docx import Document
from docx.shared import Pt

HERE = Path(__file__).resolve().parent
LANGUAGES = ("en", "it")

WORDS: dict[str, dict[str, str]] = {
    "en": {
        # shared
        "customer": "Customer", "address": "Address", "vat": "VAT number", "date": "Date",
        "subject": "Subject", "item": "Item", "serial": "Serial number",
        "machine": "Machine", "quantity": "Quantity", "amount": "Amount", "total": "Total",
        "description": "Description", "technician": "Technician", "notes": "Notes",
        # intervention report
        "report": "Intervention report", "call": "Service call", "type": "Type",
        "problem": "Reported problem", "fault": "Fault description", "work": "Work done",
        "location": "Location", "site": "Site", "timesheet": "Timesheet",
        "normal": "Normal hours", "overtime": "Overtime hours", "travel": "Travel hours",
        "km": "Km", "expenses": "Expenses", "parts": "Parts used",
        "charge_mode": "Charged as", "charges": "Charges", "call_out": "Call-out fee",
        "labour": "Labour", "overtime_charge": "Overtime", "travel_charge": "Travel time",
        "km_charge": "Mileage", "per_diem": "Per diem", "parts_charge": "Parts",
        "coverage": "Covered by", "signature": "Customer signature", "signer": "Signed by",
        "signed_at": "Signed at", "started": "Started", "finished": "Finished",
        # quote
        "quote": "Quote", "quote_date": "Quote date", "valid_until": "Valid until",
        "unit_price": "Unit price", "in_warranty": "The machine is under warranty: the "
        "work and parts covered by the warranty are not charged.",
        "prepared_by": "Prepared by",
        # contract proposal
        "proposal": "Service contract proposal", "parties": "Parties",
        "billing_customer": "Billing customer", "contract_type": "Contract type",
        "term": "Term", "start": "Start date", "end": "End date",
        "duration": "Duration (days)", "renewal": "Renewal",
        "tacit_renewal": "Tacit renewal", "notice": "Notice (days)",
        "indexation": "Indexation (%)", "billing": "Billing",
        "billing_frequency": "Billing frequency", "period_amount": "Amount per billing period",
        "tariff": "Tariff", "sla": "Service level (SLA)", "prepaid_hours": "Prepaid hours",
        "prepaid_interventions": "Prepaid interventions", "covered": "Machines covered",
        "periodicity": "Periodicity", "planned_visits": "Planned visits",
        # contract economics
        "economics": "Contract economics", "visit_cost": "Cost per visit",
        "visit_price": "Price per visit", "theoretical_cost": "Theoretical cost",
        "theoretical_revenue": "Theoretical revenue", "margin": "Theoretical margin",
        "margin_percent": "Margin (%)", "totals": "Totals",
        # maintenance plan
        "plan": "Maintenance plan", "name": "Name", "operations": "Operations",
        "sequence": "Seq.", "frequency": "Frequency", "estimated_time": "Estimated time",
        "instructions": "Instructions", "total_time": "Total time",
        "running_hours": "every {{ line.meter_interval_hours }} running hours",
    },
    "it": {
        "customer": "Cliente", "address": "Indirizzo", "vat": "Partita IVA", "date": "Data",
        "subject": "Oggetto", "item": "Articolo", "serial": "Matricola",
        "machine": "Macchina", "quantity": "Quantità", "amount": "Importo", "total": "Totale",
        "description": "Descrizione", "technician": "Tecnico", "notes": "Note",
        "report": "Rapporto di intervento", "call": "Chiamata", "type": "Tipo",
        "problem": "Problema segnalato", "fault": "Descrizione del guasto",
        "work": "Lavoro svolto", "location": "Ubicazione", "site": "Sede",
        "timesheet": "Ore e trasferte", "normal": "Ore ordinarie",
        "overtime": "Ore straordinarie", "travel": "Ore di viaggio", "km": "Km",
        "expenses": "Spese", "parts": "Ricambi utilizzati", "charge_mode": "Addebito",
        "charges": "Addebiti", "call_out": "Diritto di chiamata", "labour": "Manodopera",
        "overtime_charge": "Straordinario", "travel_charge": "Viaggio",
        "km_charge": "Chilometri", "per_diem": "Trasferta", "parts_charge": "Ricambi",
        "coverage": "Copertura", "signature": "Firma del cliente", "signer": "Firmato da",
        "signed_at": "Firmato il", "started": "Inizio", "finished": "Fine",
        "quote": "Preventivo", "quote_date": "Data del preventivo",
        "valid_until": "Valido fino al", "unit_price": "Prezzo unitario",
        "in_warranty": "La macchina è in garanzia: il lavoro e i ricambi coperti dalla "
        "garanzia non sono addebitati.", "prepared_by": "Redatto da",
        "proposal": "Proposta di contratto di assistenza", "parties": "Parti",
        "billing_customer": "Intestatario fattura", "contract_type": "Tipo di contratto",
        "term": "Durata", "start": "Decorrenza", "end": "Scadenza",
        "duration": "Durata (giorni)", "renewal": "Rinnovo",
        "tacit_renewal": "Rinnovo tacito", "notice": "Preavviso (giorni)",
        "indexation": "Indicizzazione (%)", "billing": "Fatturazione",
        "billing_frequency": "Periodicità di fatturazione",
        "period_amount": "Importo per periodo", "tariff": "Tariffario",
        "sla": "Livello di servizio (SLA)", "prepaid_hours": "Monte ore",
        "prepaid_interventions": "Interventi prepagati", "covered": "Macchine coperte",
        "periodicity": "Periodicità", "planned_visits": "Visite previste",
        "economics": "Scheda economica del contratto", "visit_cost": "Costo per visita",
        "visit_price": "Prezzo per visita", "theoretical_cost": "Costo teorico",
        "theoretical_revenue": "Ricavo teorico", "margin": "Margine teorico",
        "margin_percent": "Margine (%)", "totals": "Totali",
        "plan": "Piano di manutenzione", "name": "Nome", "operations": "Operazioni",
        "sequence": "Seq.", "frequency": "Frequenza", "estimated_time": "Tempo stimato",
        "instructions": "Istruzioni", "total_time": "Tempo totale",
        "running_hours": "ogni {{ line.meter_interval_hours }} ore di funzionamento",
    },
}


def _document(title: str) -> Document:
    """A new document with fixed properties (no creation date of its own)."""
    document = Document()
    document.core_properties.title = title
    document.core_properties.author = "Officina"
    document.core_properties.last_modified_by = "Officina"
    document.core_properties.revision = 1
    document.core_properties.created = dt.datetime(2026, 1, 1)
    document.core_properties.modified = dt.datetime(2026, 1, 1)
    document.styles["Normal"].font.size = Pt(10)
    return document


def _fields(document: Document, rows: list[tuple[str, str]]) -> None:
    """A two-column table: a label, then its value, one row each."""
    table = document.add_table(rows=len(rows), cols=2)
    table.style = "Table Grid"
    for row, (label, value) in zip(table.rows, rows, strict=True):
        row.cells[0].text = label
        row.cells[1].text = value


def _lines(document: Document, header: list[str], loop: str, cells: list[str],
           totals: list[str] | None = None) -> None:
    """A table: a header row, the rows docxtpl repeats once per line, then the totals."""
    table = document.add_table(rows=4 + (1 if totals else 0), cols=len(header))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, header, strict=True):
        cell.text = text
    table.rows[1].cells[0].text = "{%tr for line in " + loop + " %}"
    for cell, text in zip(table.rows[2].cells, cells, strict=True):
        cell.text = text
    table.rows[3].cells[0].text = "{%tr endfor %}"
    if totals:
        for cell, text in zip(table.rows[4].cells, totals, strict=True):
            cell.text = text


def _customer_rows(w: dict[str, str], customer: str) -> list[tuple[str, str]]:
    return [(w["customer"], "{{ " + customer + " }}"),
            (w["address"], "{{ " + customer + ".address }} {{ " + customer + ".postal_code }} "
             "{{ " + customer + ".city }} {{ " + customer + ".province }}"),
            (w["vat"], "{{ " + customer + ".vat_number }}")]


def intervention_report(w: dict[str, str]) -> Document:
    """The rapportino: who, which machine, what was wrong and done, hours, parts, charges
    and the customer's signature."""
    document = _document(w["report"])
    document.add_heading(w["report"] + " {{ record.ref }}", level=1)
    document.add_paragraph("{%p set customer = record.customer or record.service_call.customer %}")
    document.add_paragraph("{%p set machine = record.machine or record.service_call.machine %}")
    _fields(document, [
        *_customer_rows(w, "customer"),
        (w["site"], "{{ record.service_call.site }}"),
        (w["machine"], "{{ machine.item }} ({{ machine.item.code }})"),
        (w["serial"], "{{ machine.serial_number }}"),
        (w["location"], "{{ machine.location }}"),
        (w["call"], "{{ record.service_call.ref }} {{ record.service_call.opened_at|date }}"),
        (w["type"], "{{ record.intervention_type }}"),
        (w["technician"], "{{ record.technician }}"),
        (w["started"], "{{ record.started_at }}"),
        (w["finished"], "{{ record.finished_at }}"),
    ])
    document.add_heading(w["problem"], level=2)
    document.add_paragraph("{{ record.service_call.subject }}")
    document.add_paragraph(w["fault"] + ": {{ record.service_call.fault_description }}")
    document.add_heading(w["work"], level=2)
    document.add_paragraph("{{ record.work_done }}")
    document.add_heading(w["timesheet"], level=2)
    _lines(document,
           [w["date"], w["technician"], w["normal"], w["overtime"], w["travel"], w["km"],
            w["expenses"]],
           "record.timesheet",
           ["{{ line.work_date }}", "{{ line.technician }}", "{{ line.normal_hours }}",
            "{{ line.overtime_hours }}", "{{ line.travel_hours }}", "{{ line.km }}",
            "{{ line.expenses }}"],
           [w["total"], "",
            "{{ record.timesheet|sum(attribute='normal_hours')|number(2) }}",
            "{{ record.timesheet|sum(attribute='overtime_hours')|number(2) }}",
            "{{ record.travel_hours|number(2) }}",
            "{{ record.timesheet|sum(attribute='km') }}", "{{ record.expenses_total }}"])
    document.add_heading(w["parts"], level=2)
    _lines(document,
           [w["item"], w["serial"], w["quantity"], w["charge_mode"], w["amount"]],
           "record.parts",
           ["{{ line.item.code }} {{ line.item }}", "{{ line.serial_number }}",
            "{{ line.quantity|number(2) }}", "{{ line.charge_mode }}", "{{ line.amount }}"],
           [w["total"], "", "", "", "{{ record.parts_total }}"])
    document.add_heading(w["charges"], level=2)
    _fields(document, [
        (w["call_out"], "{{ record.charge_call_out|money }}"),
        (w["labour"], "{{ record.charge_labour|money }}"),
        (w["overtime_charge"], "{{ record.charge_overtime|money }}"),
        (w["travel_charge"], "{{ record.charge_travel|money }}"),
        (w["km_charge"], "{{ record.charge_km|money }}"),
        (w["per_diem"], "{{ record.charge_per_diem|money }}"),
        (w["expenses"], "{{ record.charge_expenses|money }}"),
        (w["parts_charge"], "{{ record.charge_parts|money }}"),
        (w["total"], "{{ record.charges_total|money }}"),
        (w["coverage"], "{{ record.coverage }}"),
    ])
    document.add_heading(w["signature"], level=2)
    document.add_paragraph("{{ image(record.customer_signature, width_mm=60) }}")
    document.add_paragraph(w["signer"] + ": {{ record.signer_name }}")
    document.add_paragraph(w["signed_at"] + ": {{ record.signed_at }}")
    return document


def quote(w: dict[str, str]) -> Document:
    """The quote: its lines, with prices and totals only when the quote shows them."""
    document = _document(w["quote"])
    document.add_heading(w["quote"] + " {{ record.ref }}", level=1)
    _fields(document, [
        *_customer_rows(w, "record.customer"),
        (w["subject"], "{{ record.subject }}"),
        (w["call"], "{{ record.service_call.ref }}"),
        (w["quote_date"], "{{ record.quote_date }}"),
        (w["valid_until"], "{{ record.valid_until }}"),
        (w["prepared_by"], "{{ record.prepared_by }}"),
    ])
    document.add_paragraph("")
    document.add_paragraph("{%p if record.show_prices %}")
    _lines(document, [w["description"], w["item"], w["quantity"], w["unit_price"], w["amount"]],
           "record.lines",
           ["{{ line.description }}", "{{ line.item.code }}", "{{ line.quantity|number(2) }}",
            "{{ line.unit_price }}", "{{ line.amount }}"],
           [w["total"], "", "", "", "{{ record.total }}"])
    document.add_paragraph("{%p else %}")
    _lines(document, [w["description"], w["item"], w["quantity"]], "record.lines",
           ["{{ line.description }}", "{{ line.item.code }}", "{{ line.quantity|number(2) }}"])
    document.add_paragraph("{%p endif %}")
    document.add_paragraph("{%p if record.in_warranty %}")
    document.add_paragraph(w["in_warranty"])
    document.add_paragraph("{%p endif %}")
    document.add_paragraph(w["notes"] + ": {{ record.notes }}")
    return document


def contract_proposal(w: dict[str, str]) -> Document:
    """The contract as offered: parties, term, renewal, billing, service level, machines."""
    document = _document(w["proposal"])
    document.add_heading(w["proposal"] + " {{ record.ref }}", level=1)
    document.add_paragraph("{{ record.subject }}")
    document.add_heading(w["parties"], level=2)
    _fields(document, [
        *_customer_rows(w, "record.customer"),
        (w["billing_customer"], "{{ record.billing_customer or record.customer }}"),
        (w["contract_type"], "{{ record.contract_type }}"),
    ])
    document.add_heading(w["term"], level=2)
    _fields(document, [
        (w["start"], "{{ record.start_date }}"),
        (w["end"], "{{ record.end_date }}"),
        (w["duration"], "{{ record.duration_days }}"),
        (w["tacit_renewal"], "{{ record.tacit_renewal }}"),
        (w["notice"], "{{ record.notice_days }}"),
        (w["indexation"], "{{ record.indexation_percent }}"),
    ])
    document.add_heading(w["billing"], level=2)
    _fields(document, [
        (w["billing_frequency"], "{{ record.billing_frequency }}"),
        (w["period_amount"], "{{ record.amount|money }}"),
        (w["tariff"], "{{ record.tariff }}"),
        (w["sla"], "{{ record.sla }}"),
        (w["prepaid_hours"], "{{ record.prepaid_hours }}"),
        (w["prepaid_interventions"], "{{ record.prepaid_interventions }}"),
    ])
    document.add_heading(w["covered"], level=2)
    _lines(document, [w["machine"], w["serial"], w["location"], w["periodicity"],
                      w["planned_visits"]],
           "record.lines",
           ["{{ line.machine.item }}", "{{ line.machine.serial_number }}",
            "{{ line.location }}", "{{ line.periodicity }}", "{{ line.planned_visits }}"])
    document.add_paragraph("")
    document.add_paragraph(w["notes"] + ": {{ record.notes }}")
    return document


def contract_economics(w: dict[str, str]) -> Document:
    """Theoretical costs and revenues per machine, their totals and the margin."""
    document = _document(w["economics"])
    document.add_heading(w["economics"] + " {{ record.ref }}", level=1)
    _fields(document, [
        (w["customer"], "{{ record.customer }}"),
        (w["subject"], "{{ record.subject }}"),
        (w["contract_type"], "{{ record.contract_type }}"),
        (w["start"], "{{ record.start_date }}"),
        (w["end"], "{{ record.end_date }}"),
    ])
    document.add_paragraph("")
    _lines(document, [w["machine"], w["serial"], w["visit_cost"], w["visit_price"],
                      w["planned_visits"], w["theoretical_cost"], w["theoretical_revenue"]],
           "record.lines",
           ["{{ line.machine.item }}", "{{ line.machine.serial_number }}",
            "{{ line.visit_cost }}", "{{ line.visit_price }}", "{{ line.planned_visits }}",
            "{{ line.theoretical_cost }}", "{{ line.theoretical_revenue }}"],
           [w["totals"], "", "", "", "{{ record.lines|sum(attribute='planned_visits') }}",
            "{{ record.theoretical_cost }}", "{{ record.theoretical_revenue }}"])
    document.add_paragraph("")
    _fields(document, [
        (w["theoretical_revenue"], "{{ record.theoretical_revenue|money }}"),
        (w["theoretical_cost"], "{{ record.theoretical_cost|money }}"),
        (w["margin"], "{{ record.theoretical_margin|money }}"),
        (w["margin_percent"], "{{ record.margin_percent }}"),
    ])
    return document


def maintenance_plan(w: dict[str, str]) -> Document:
    """The plan's operations in order, each with its frequency in words."""
    document = _document(w["plan"])
    document.add_heading(w["plan"] + " {{ record.ref }}", level=1)
    _fields(document, [
        (w["name"], "{{ record.name }}"),
        (w["item"], "{{ record.item.code }} {{ record.item }}"),
        (w["total_time"], "{{ record.total_time|duration }}"),
    ])
    document.add_paragraph("{{ record.description }}")
    document.add_heading(w["operations"], level=2)
    _lines(document, [w["sequence"], w["description"], w["frequency"], w["estimated_time"],
                      w["instructions"]],
           "record.operations|sort(attribute='sequence')",
           ["{{ line.sequence }}", "{{ line.description }}",
            "{% if line.recurrence %}{{ line.recurrence|recurrence }}"
            "{% elif line.meter_interval_hours %}" + w["running_hours"] + "{% endif %}",
            "{{ line.estimated_time }}", "{{ line.instructions }}"])
    return document


TEMPLATES: dict[str, Callable[[dict[str, str]], Document]] = {
    "intervention_report": intervention_report, "quote": quote,
    "contract_proposal": contract_proposal, "contract_economics": contract_economics,
    "maintenance_plan": maintenance_plan,
}


def _stable_zip(data: bytes) -> bytes:
    """The same .docx with every entry dated 1 January 1980, so runs give equal bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for entry in source.infolist():
            stable = zipfile.ZipInfo(entry.filename, date_time=(1980, 1, 1, 0, 0, 0))
            stable.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(stable, source.read(entry.filename))
    return out.getvalue()


def build(name: str, language: str) -> bytes:
    """Template ``name`` in ``language``, as .docx bytes (the same bytes on every run)."""
    out = io.BytesIO()
    TEMPLATES[name](WORDS[language]).save(out)
    return _stable_zip(out.getvalue())


def main() -> int:
    for name in TEMPLATES:
        for language in LANGUAGES:
            path = HERE / f"{name}.{language}.docx"
            path.write_bytes(build(name, language))
            print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
