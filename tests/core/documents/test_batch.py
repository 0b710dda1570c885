"""``queue_batch``: one outbox ``document`` job per matching record, rendered by the worker
into each record's attachment field (the same payload as the ``render_document`` action)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from core.config import Settings
from core.documents.batch import queue_batch
from core.documents.errors import DocumentError
from core.documents.jobs import document_job_payload
from core.metadata.loader import BUILTIN_PACKS
from core.officina import Officina
from core.records.actor import SYSTEM
from core.records.errors import NotFound
from core.rules.worker import Worker, WorkerOptions
from core.users import actor_for, create_user
from tests.conftest import migrate_instance
from tests.support.users import FAST_HASHING
from tests.ui.test_documents import pdf_text

pytestmark = pytest.mark.slow


def add_report_field(packs_dir: Path) -> None:
    """docshop's job with an attachment field for its report (in the test's copy)."""
    job = packs_dir / "docshop" / "entities" / "job.yaml"
    job.write_text(job.read_text().replace(
        "  signer_name:", "  report_pdf: {type: attachment}\n  signer_name:", 1))


@pytest.fixture
def shop(database_url: str, packs_dir: Path, tmp_path: Path):
    add_report_field(packs_dir)
    officina = Officina.open(Settings(instance=tmp_path, database_url=database_url,
                                      packs=("docshop",), pack_paths=(packs_dir, BUILTIN_PACKS),
                                      registry_check_interval=0, passwords=FAST_HASHING))
    migrate_instance(officina)
    yield officina
    officina.close()


def jobs(officina: Officina) -> list[dict]:
    customer = officina.records.create(SYSTEM, "customer", {"name": "Officine Rossi",
                                                            "city": "Torino"})
    machine = officina.records.create(SYSTEM, "machine", {
        "model": "Caldaia X200", "serial_number": "SN-991", "customer": customer["id"]})
    return [officina.records.create(SYSTEM, "job", {
        "subject": subject, "machine": machine["id"], "day": "2026-11-23", "status": status,
        "signer_name": signer})
        for subject, status, signer in [("Leaking valve", "done", "Mario Bianchi"),
                                        ("Noisy pump", "done", "Anna Verdi"),
                                        ("Broken gauge", "done", "Luca Neri"),
                                        ("Still open", "open", "Nobody Here")]]


def outbox(officina: Officina) -> list[dict]:
    table = officina.registry.current().schema.system["officina_outbox"]
    with officina.database.read() as connection:
        return [dict(r._mapping) for r in connection.execute(sa.select(table)
                                                             .order_by(table.c.id))]


def test_a_batch_is_queued_and_rendered_by_the_worker(shop: Officina, tmp_path: Path) -> None:
    made = jobs(shop)
    count = queue_batch(shop, SYSTEM, "job", "job_report", filters=[["status", "=", "done"]],
                        language="en", format="pdf", attach_to="report_pdf")
    assert count == 3
    queued = outbox(shop)
    assert [(r["kind"], r["status"], r["record_id"]) for r in queued] == [
        ("document", "pending", job["id"]) for job in made[:3]]
    assert json.loads(queued[0]["payload"]) == document_job_payload(
        "job", made[0]["id"], "job_report", language="en", format="pdf",
        attach_to="report_pdf")

    worker = Worker(shop.rules, None, WorkerOptions(), documents=shop.documents)
    report = worker.run_once()
    assert report.errors == [] and report.delivered == 3
    assert {r["status"] for r in outbox(shop)} == {"done"}
    for job in made[:3]:
        record = shop.records.get(SYSTEM, "job", job["id"])
        key = record["report_pdf"]
        assert key and key.endswith(f"{job['ref']}-job_report.en.pdf")
        pdf = shop.records.files.read(key)
        assert pdf.startswith(b"%PDF")
        text = pdf_text(pdf, tmp_path)
        assert job["ref"] in text and job["subject"] in text and job["signer_name"] in text
        assert "Officine Rossi" in text
    assert shop.records.get(SYSTEM, "job", made[3]["id"])["report_pdf"] is None


def test_mistakes_queue_nothing_and_users_render_as_themselves(shop: Officina) -> None:
    jobs(shop)
    with pytest.raises(DocumentError, match="attachment field"):
        queue_batch(shop, SYSTEM, "job", "job_report", attach_to="signer_name")
    with pytest.raises(NotFound):
        queue_batch(shop, SYSTEM, "job", "nope", attach_to="report_pdf")
    with pytest.raises(DocumentError, match="docx or pdf"):
        queue_batch(shop, SYSTEM, "job", "job_report", format="odt", attach_to="report_pdf")
    assert outbox(shop) == []

    with shop.database.write() as connection:
        create_user(connection, "tina", "Tina-s3cret-pw", roles=("technician",),
                    language="it", hashing=FAST_HASHING)
    with shop.database.read() as connection:
        tina = actor_for(connection, "tina")
    assert queue_batch(shop, tina, "job", "job_report", filters=[["subject", "=", "Noisy pump"]],
                       attach_to="report_pdf") == 1
    payload = json.loads(outbox(shop)[0]["payload"])
    assert payload["render_as"] == "tina" and payload["language"] == "it"
