"""Documents benchmark: a two-page report to .docx and to PDF (cold and warm), and 100 PDFs.

Not a test: it prints the figures (median milliseconds) and writes them as JSON to
``benchmarks/results/documents-latest.json``. Targets of issue 5: the .docx under 100 ms, the
PDF under 1 s each with a warm converter.

    .venv/bin/python benchmarks/documents.py                    # about a minute
    .venv/bin/python benchmarks/documents.py --batch 20         # a quicker check
    .venv/bin/python benchmarks/documents.py --source generated # docxtpl alone
    .venv/bin/python benchmarks/documents.py --instance instance --entity intervention \
        --key 1 --template intervention_report --language it  # a record of an instance

By default the report is the test pack docshop's ``job_report`` (a job with 15 hours lines,
15 parts, a photo and a signature: two pages) rendered through ``officina.documents.render``
on a temporary SQLite instance. ``--source generated`` renders a Word template generated here
(the same tables and a signature image) with docxtpl alone, in a Jinja2 sandbox.
See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import math
import platform
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import time
import zlib
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # core

import docx
from docx.shared import Mm
from docxtpl import DocxTemplate, InlineImage
from jinja2.sandbox import SandboxedEnvironment

from core.documents.pdf import PdfConverter

RESULTS = Path(__file__).resolve().parent / "results"
FIXTURE_PACKS = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "packs"
TARGET_DOCX_MS = 100.0
TARGET_PDF_MS = 1000.0
LINES_PER_TABLE = 15


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def median_ms(run: Callable[[], object], repetitions: int) -> tuple[float, float]:
    """Median and worst of ``repetitions`` timed calls, in milliseconds."""
    times = []
    for _n in range(repetitions):
        start = time.perf_counter()
        run()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), max(times)


# -- the generated report -------------------------------------------------------------------

def signature_png(width: int = 360, height: int = 120) -> bytes:
    """A greyscale PNG with a scribble, made without Pillow."""
    rows = []
    for y in range(height):
        row = bytearray([0])  # filter: none
        for x in range(width):
            curve = height / 2 + (height / 3) * math.sin(x / 23) * (x / width)
            row.append(0 if abs(y - curve) < 2.5 else 255)
        rows.append(bytes(row))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"".join(rows), 6)) + chunk(b"IEND", b""))


def line_table(document, title: str, loop: str, columns: list[tuple[str, str]]) -> None:
    """A table whose middle row repeats over ``loop`` (docxtpl's ``{%tr %}`` rows)."""
    document.add_heading(title, level=2)
    table = document.add_table(rows=4, cols=len(columns))
    table.style = "Table Grid"
    for cell, (label, _expression) in zip(table.rows[0].cells, columns, strict=True):
        cell.text = label
    table.rows[1].cells[0].text = f"{{%tr for line in {loop} %}}"
    for cell, (_label, expression) in zip(table.rows[2].cells, columns, strict=True):
        cell.text = f"{{{{ {expression} }}}}"
    table.rows[3].cells[0].text = "{%tr endfor %}"


def report_template() -> bytes:
    """A Word template of an intervention report that renders to two pages."""
    document = docx.Document()
    document.add_heading("Rapporto di intervento {{ ref }}", level=1)
    for label, expression in [("Cliente", "customer.name"), ("Indirizzo", "customer.address"),
                              ("Macchina", "machine.model"), ("Matricola", "machine.serial"),
                              ("Data", "date"), ("Tecnico", "technician")]:
        document.add_paragraph(f"{label}: {{{{ {expression} }}}}")
    document.add_heading("Problema", level=2)
    document.add_paragraph("{{ problem }}")
    document.add_heading("Lavoro svolto", level=2)
    document.add_paragraph("{{ work_done }}")
    line_table(document, "Ore di lavoro", "timesheet",
               [("Data", "line.date"), ("Tecnico", "line.technician"),
                ("Attività", "line.activity"), ("Ore", "line.hours")])
    line_table(document, "Ricambi", "parts",
               [("Codice", "line.code"), ("Descrizione", "line.description"),
                ("Quantità", "line.quantity"), ("Importo", "line.amount")])
    document.add_paragraph("Totale ore: {{ total_hours }} — Totale ricambi: {{ total_parts }}")
    document.add_paragraph("Firma del cliente ({{ signer }}):")
    document.add_paragraph("{{ signature }}")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def money(value: Decimal) -> str:
    return "€ " + f"{value:,.2f}".replace(",", "X").replace(".", ",").replace("X", ".")


def report_context(number: int) -> dict:
    day = dt.date(2026, 3, 1) + dt.timedelta(days=number % 28)
    timesheet = [{"date": (day - dt.timedelta(days=n % 5)).strftime("%d/%m/%Y"),
                  "technician": ("Mario Rossi", "Lucia Bianchi")[n % 2],
                  "activity": f"Verifica e sostituzione componente {n + 1} ({number})",
                  "hours": f"{1 + n % 3},{(n * 5) % 10}"} for n in range(LINES_PER_TABLE)]
    amounts = [Decimal(12 + n * 7) + Decimal("0.50") for n in range(LINES_PER_TABLE)]
    parts = [{"code": f"RIC-{number:04d}-{n:03d}", "description": f"Guarnizione tipo {n % 7}",
              "quantity": 1 + n % 4, "amount": money(amount)}
             for n, amount in enumerate(amounts)]
    return {
        "ref": f"INT-2026-{number:05d}",
        "customer": {"name": "Caffè Città S.r.l.", "address": "Via Libertà 12, Città di Castello"},
        "machine": {"model": "Espresso Duo 2G", "serial": f"SN-{number:06d}"},
        "date": day.strftime("%d/%m/%Y"),
        "technician": "Mario Rossi",
        "problem": "La macchina perde acqua dal gruppo e la pressione è instabile. " * 3,
        "work_done": "Sostituite guarnizioni e valvola, pulito il bruciatore, collaudo. " * 3,
        "timesheet": timesheet,
        "parts": parts,
        "total_hours": "45,0",
        "total_parts": money(sum(amounts, Decimal(0))),
        "signer": "Giulia Verdi",
    }


class TemplateRenderer:
    """docxtpl over the generated template, in a Jinja2 sandbox, with a signature image."""

    def __init__(self) -> None:
        self.template = report_template()
        self.signature = signature_png()

    def render(self, number: int) -> bytes:
        document = DocxTemplate(io.BytesIO(self.template))
        context = report_context(number)
        context["signature"] = InlineImage(document, io.BytesIO(self.signature), width=Mm(60))
        document.render(context, jinja_env=SandboxedEnvironment(autoescape=True))
        buffer = io.BytesIO()
        document.save(buffer)
        return buffer.getvalue()


class DocshopRenderer:
    """``officina.documents.render`` of the test pack's ``job_report`` on a SQLite instance."""

    def __init__(self, folder: Path, language: str) -> None:
        from core.config import Settings
        from core.metadata.loader import BUILTIN_PACKS
        from core.officina import Officina
        from core.records.actor import SYSTEM
        from core.storage.migrate import migrate

        packs = folder / "packs"  # a copy, with an attachment field for the worker batch
        shutil.copytree(FIXTURE_PACKS, packs)
        job_yaml = packs / "docshop" / "entities" / "job.yaml"
        job_yaml.write_text(job_yaml.read_text().replace(
            "  signer_name:", "  report_pdf: {type: attachment}\n  signer_name:", 1))
        settings = Settings(instance=folder / "instance",
                            database_url=f"sqlite:///{folder / 'docshop.sqlite3'}",
                            packs=("docshop",), pack_paths=(packs, BUILTIN_PACKS),
                            registry_check_interval=0)
        self.officina = Officina.open(settings)
        migrate(self.officina.database, self.officina.registry.current().registry)
        self.actor, self.language = SYSTEM, language
        records, files = self.officina.records, self.officina.records.files
        customer = records.create(SYSTEM, "customer", {"name": "Caffè Città S.r.l.",
                                                       "city": "Città di Castello"})
        machine = records.create(SYSTEM, "machine", {
            "model": "Espresso Duo 2G", "serial_number": "SN-000778",
            "customer": customer["id"], "photo": files.put(signature_png(), "photo.png")})
        context = report_context(1)
        self.machine = machine
        self.job = records.create(SYSTEM, "job", {
            "subject": "Perdita dal gruppo, pressione instabile", "machine": machine["id"],
            "day": dt.date(2026, 3, 2), "status": "done", "signer_name": "Giulia Verdi",
            "signature": files.put(signature_png(), "signature.png"),
            "hours": [{"day": dt.date(2026, 3, 2) - dt.timedelta(days=n % 5),
                       "technician": line["technician"], "hours": Decimal(1 + n % 3)}
                      for n, line in enumerate(context["timesheet"])],
            "parts": [{"item": line["description"], "quantity": Decimal(line["quantity"]),
                       "price": Decimal(12 + n * 7) + Decimal("0.50")}
                      for n, line in enumerate(context["parts"])]})

    def render(self, number: int) -> bytes:
        del number  # the same job each time
        return self.officina.documents.render(self.actor, "job", self.job["id"], "job_report",
                                              language=self.language, format="docx").data


    def worker_batch(self, count: int) -> dict:
        """``count`` jobs queued with ``queue_batch`` (each with the first job's lines), then
        ``Worker.run_once`` passes until every PDF is rendered and attached."""
        from core.documents.batch import queue_batch
        from core.records.actor import SYSTEM
        from core.rules.worker import Worker, WorkerOptions

        records = self.officina.records
        template = {k: self.job[k] for k in ("machine", "day", "signer_name", "signature")}
        lines = {table: [{k: v for k, v in line.items() if k in fields} for line in self.job[table]]
                 for table, fields in (("hours", ("day", "technician", "hours")),
                                       ("parts", ("item", "quantity", "price")))}
        for n in range(count):
            records.create(SYSTEM, "job", {**template, **lines, "status": "done",
                                           "subject": f"Batch job {n + 1}"})
        filters = [["subject", "like", "Batch job *"]]
        start = time.perf_counter()
        queued = queue_batch(self.officina, SYSTEM, "job", "job_report", filters=filters,
                             language=self.language, format="pdf", attach_to="report_pdf")
        worker = Worker(self.officina.rules, None, WorkerOptions(),
                        documents=self.officina.documents)
        passes = done = 0
        while done < queued and passes < queued + 5:
            report = worker.run_once()
            passes += 1
            done += report.delivered
            if report.errors:
                raise RuntimeError(report.errors[0])
        total = time.perf_counter() - start
        assert done == queued == count, (done, queued, count)
        return {"worker_batch": count, "worker_batch_passes": passes,
                "worker_batch_total_s": total, "worker_batch_per_pdf_ms": total * 1000 / count}


class ServiceRenderer:
    """``officina.documents.render`` of an existing record of an instance (the real path)."""

    def __init__(self, args: argparse.Namespace) -> None:
        from core.config import load_settings
        from core.officina import Officina
        from core.records.actor import SYSTEM

        self.officina = Officina.open(load_settings(args.instance))
        self.actor, self.args = SYSTEM, args

    def render(self, number: int) -> bytes:
        del number  # the same record each time
        return self.officina.documents.render(
            self.actor, self.args.entity, self.args.key, self.args.template,
            language=self.args.language, format="docx").data


# -- measuring ------------------------------------------------------------------------------

def pdf_pages(pdf: bytes) -> int | None:
    with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
        handle.write(pdf)
        handle.flush()
        try:
            info = subprocess.run(["pdfinfo", handle.name], capture_output=True, text=True,
                                  check=True).stdout
        except (OSError, subprocess.CalledProcessError):
            return None
    pages = [line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")]
    return int(pages[0]) if pages else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batch", type=int, default=100, help="PDFs in the batch (100)")
    parser.add_argument("--worker-batch", type=int, default=100,
                        help="PDFs queued with queue_batch and done by the worker (100; "
                             "docshop only; 0 skips)")
    parser.add_argument("--reps", type=int, default=30, help="repetitions of timed cases (30)")
    parser.add_argument("--cold-reps", type=int, default=3, help="cold conversions (3)")
    parser.add_argument("--source", choices=("docshop", "generated"), default="docshop",
                        help="docshop: the test pack's job_report through DocumentService "
                             "(default); generated: a template made here, docxtpl alone")
    parser.add_argument("--instance", help="render through DocumentService of this instance")
    parser.add_argument("--entity")
    parser.add_argument("--key")
    parser.add_argument("--template")
    parser.add_argument("--language", default="it")
    parser.add_argument("--output", type=Path, default=RESULTS / "documents-latest.json")
    args = parser.parse_args()
    if args.instance and not (args.entity and args.key and args.template):
        parser.error("--instance needs --entity, --key and --template")

    workspace = tempfile.TemporaryDirectory(prefix="officina-bench-documents-")
    if args.instance:
        renderer: TemplateRenderer | DocshopRenderer | ServiceRenderer = ServiceRenderer(args)
        source = f"DocumentService, {args.entity} {args.key} {args.template}"
    elif args.source == "docshop":
        renderer = DocshopRenderer(Path(workspace.name), args.language)
        source = f"DocumentService, docshop job_report ({args.language})"
    else:
        renderer = TemplateRenderer()
        source = "docxtpl alone, generated template"
    results: dict = {"source": source, "python": platform.python_version(),
                     "machine": platform.machine(), "batch": args.batch}

    log("rendering .docx ...")
    renderer.render(0)  # imports, template parsing caches
    numbers = iter(range(1, 1_000_000))
    results["docx_ms"], results["docx_worst_ms"] = median_ms(
        lambda: renderer.render(next(numbers)), args.reps)
    sample = renderer.render(1)
    results["docx_bytes"] = len(sample)

    log("converting cold (a LibreOffice start for each) ...")
    cold = PdfConverter(warm=False)
    try:
        cold.convert(sample)  # creates the profile once; later cold starts reuse it
        results["pdf_cold_ms"], results["pdf_cold_worst_ms"] = median_ms(
            lambda: cold.convert(sample), args.cold_reps)
    finally:
        cold.shutdown()

    log("converting warm ...")
    warm = PdfConverter(warm=True)
    try:
        start = time.perf_counter()
        pdf = warm.convert(sample)
        results["pdf_warm_first_ms"] = (time.perf_counter() - start) * 1000
        results["pdf_pages"] = pdf_pages(pdf)
        results["pdf_warm_ms"], results["pdf_warm_worst_ms"] = median_ms(
            lambda: warm.convert(sample), args.reps)

        log(f"a batch of {args.batch}: render each, then convert them all ...")
        start = time.perf_counter()
        documents = [renderer.render(n) for n in range(args.batch)]
        rendered = time.perf_counter()
        pdfs = warm.convert_many(documents, timeout=60)
        done = time.perf_counter()
        assert len(pdfs) == args.batch
        results["batch_render_s"] = rendered - start
        results["batch_convert_s"] = done - rendered
        results["batch_total_s"] = done - start
        results["batch_per_pdf_ms"] = (done - start) * 1000 / max(args.batch, 1)
    finally:
        warm.shutdown()

    if isinstance(renderer, DocshopRenderer) and args.worker_batch:
        log(f"a batch of {args.worker_batch} through the worker: queue_batch, then "
            "Worker.run_once until done ...")
        results.update(renderer.worker_batch(args.worker_batch))

    workspace.cleanup()
    report(results)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2) + "\n")


def report(r: dict) -> None:
    def verdict(value: float, target: float) -> str:
        return "ok" if value <= target else "OVER"

    print(f"Documents benchmark ({r['source']}; Python {r['python']}, {r['machine']})")
    print(f"  .docx render            median {r['docx_ms']:8.1f} ms  worst "
          f"{r['docx_worst_ms']:8.1f}"
          f"  target {TARGET_DOCX_MS:.0f} ms: {verdict(r['docx_ms'], TARGET_DOCX_MS)}"
          f"  ({r['docx_bytes'] // 1024} KB)")
    print(f"  PDF, cold LibreOffice   median {r['pdf_cold_ms']:8.1f} ms  worst "
          f"{r['pdf_cold_worst_ms']:8.1f}")
    print(f"  PDF, warm: first call          {r['pdf_warm_first_ms']:8.1f} ms (starts LibreOffice)")
    print(f"  PDF, warm               median {r['pdf_warm_ms']:8.1f} ms  worst "
          f"{r['pdf_warm_worst_ms']:8.1f}  target {TARGET_PDF_MS:.0f} ms: "
          f"{verdict(r['pdf_warm_ms'], TARGET_PDF_MS)}  ({r['pdf_pages']} pages)")
    print(f"  batch of {r['batch']} PDFs          {r['batch_total_s']:8.1f} s   "
          f"({r['batch_render_s']:.1f} s rendering, {r['batch_convert_s']:.1f} s converting; "
          f"{r['batch_per_pdf_ms']:.0f} ms per PDF)")
    if "worker_batch" in r:
        print(f"  worker batch of {r['worker_batch']} PDFs   {r['worker_batch_total_s']:8.1f} s   "
              f"({r['worker_batch_passes']} passes of Worker.run_once; "
              f"{r['worker_batch_per_pdf_ms']:.0f} ms per PDF, rendered, attached)")


if __name__ == "__main__":
    main()
