"""``render_document``: a signed job's report is rendered by the worker as a PDF, attached to
the job and mailed to the customer's contact through a real SMTP server."""

from __future__ import annotations

import datetime as dt
import email
import json
import textwrap
from email.policy import default
from pathlib import Path

import pytest
import sqlalchemy as sa

from core.config import Settings
from core.metadata.loader import BUILTIN_PACKS
from core.officina import Officina
from core.records.actor import SYSTEM
from core.rules.worker import Worker, WorkerOptions
from tests.conftest import migrate_instance
from tests.core.rules.test_worker import mail_settings, smtp
from tests.support.users import FAST_HASHING
from tests.ui.test_documents import pdf_text, seed

__all__ = ["smtp"]
pytestmark = pytest.mark.slow

WORKFLOW = """
name: job_flow
entity: job
state_machine:
  field: status
  states: [open, done]
  transitions:
    - {name: sign, from: [open], to: done}
rules:
  - name: report_signed
    on: transition
    transition: sign
    do:
      - render_document:
          template: job_report
          language: "= 'it' if record.contact_email.endswith('.it') else 'en'"
          attach_to: report_pdf
          mail: {template: job_signed, to: ["field:contact_email"]}
"""
MAIL = """
subject:
  en: "Job {{ record.ref }} signed"
  it: "Intervento {{ record.ref }} firmato"
body:
  en: "The signed report of {{ record.ref }} is attached."
  it: "In allegato il rapporto firmato di {{ record.ref }}."
"""


@pytest.fixture
def shop(database_url: str, packs_dir: Path, tmp_path: Path):
    """docshop with a PDF field, a contact address, the workflow and its mail template
    (added to the test's copy of the pack)."""
    pack = packs_dir / "docshop"
    job = pack / "entities" / "job.yaml"
    job.write_text(job.read_text().replace(
        "  signer_name:", "  report_pdf: {type: attachment}\n"
                          "  contact_email: {type: email}\n  signer_name:", 1))
    (pack / "workflows").mkdir(exist_ok=True)
    (pack / "workflows" / "job_flow.yaml").write_text(textwrap.dedent(WORKFLOW).lstrip())
    (pack / "templates" / "mail").mkdir(parents=True, exist_ok=True)
    (pack / "templates" / "mail" / "job_signed.yaml").write_text(textwrap.dedent(MAIL))
    officina = Officina.open(Settings(instance=tmp_path, database_url=database_url,
                                      packs=("docshop",), pack_paths=(packs_dir, BUILTIN_PACKS),
                                      registry_check_interval=0, passwords=FAST_HASHING))
    migrate_instance(officina)
    yield officina
    officina.close()


def outbox(officina: Officina) -> list[dict]:
    table = officina.registry.current().schema.system["officina_outbox"]
    with officina.database.read() as connection:
        return [dict(r._mapping) for r in connection.execute(sa.select(table)
                                                             .order_by(table.c.id))]


def test_signing_renders_attaches_and_mails_the_report(shop: Officina, smtp,
                                                       tmp_path: Path) -> None:
    controller, inbox = smtp
    job = seed(shop)
    shop.records.update(SYSTEM, "job", job["id"], {"contact_email": "mario@rossi.it"},
                        version=job["version"])
    shop.records.transition(SYSTEM, "job", job["id"], "sign")

    queued = outbox(shop)
    assert [row["kind"] for row in queued] == ["document"]  # nothing rendered in the change
    payload = json.loads(queued[0]["payload"])
    assert payload["language"] == "it" and payload["attach_to"] == "report_pdf"
    assert shop.records.get(SYSTEM, "job", job["id"])["report_pdf"] is None

    worker = Worker(shop.rules, mail_settings(controller), WorkerOptions(),
                    documents=shop.documents)
    first = worker.run_once()
    assert first.errors == [] and first.delivered == 1
    record = shop.records.get(SYSTEM, "job", job["id"])
    key = record["report_pdf"]
    assert key and key.endswith(f"{job['ref']}-job_report.it.pdf")
    pdf = shop.records.files.read(key)
    assert pdf.startswith(b"%PDF")
    text = pdf_text(pdf, tmp_path)
    assert "Officine Rossi" in text and "Rapporto di intervento" in text
    assert record["modified_by"] == "worker"

    second = worker.run_once()
    assert second.errors == [] and second.delivered == 1
    assert [(r["kind"], r["status"]) for r in outbox(shop)] == [("document", "done"),
                                                                 ("mail", "done")]
    assert len(inbox.messages) == 1
    envelope = inbox.messages[0]
    assert envelope.rcpt_tos == ["mario@rossi.it"]
    message = email.message_from_bytes(envelope.content, policy=default)
    # A plain address gets the mail in the language of whoever made the change (system: en);
    # the document is in the action's language.
    assert message["Subject"] == f"Job {job['ref']} signed"
    attachments = list(message.iter_attachments())
    assert [a.get_filename() for a in attachments] == [f"{job['ref']}-job_report.it.pdf"]
    assert attachments[0].get_content_type() == "application/pdf"
    assert attachments[0].get_payload(decode=True) == pdf


def test_a_job_for_a_missing_template_fails_at_once_with_the_reason(shop: Officina) -> None:
    job = seed(shop)
    shop.records.delete(SYSTEM, "job", job["id"], version=job["version"])
    table = shop.registry.current().schema.system["officina_outbox"]
    now = dt.datetime(2026, 1, 1)
    with shop.database.write() as connection:
        connection.execute(table.insert().values(
            kind="document", payload=json.dumps({
                "entity": "job", "record_id": job["id"], "template": "job_report",
                "language": "en", "format": "docx", "attach_to": "report_pdf", "mails": []}),
            entity="job", record_id=job["id"], status="pending", attempts=0,
            next_attempt_at=now, created_at=now))
    report = Worker(shop.rules, documents=shop.documents).run_once()
    assert report.failed == 1
    [row] = outbox(shop)
    assert row["status"] == "failed" and row["attempts"] == 1
    assert "job_report" in row["last_error"]


def test_a_worker_without_documents_retries_later(shop: Officina) -> None:
    job = seed(shop)
    shop.records.update(SYSTEM, "job", job["id"], {"contact_email": "a@b.com"},
                        version=job["version"])
    shop.records.transition(SYSTEM, "job", job["id"], "sign")
    report = Worker(shop.rules).run_once()
    assert report.failed == 1 and "cannot render documents" in report.errors[0]
    [row] = outbox(shop)
    assert row["status"] == "pending"
