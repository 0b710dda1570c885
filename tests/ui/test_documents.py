"""The Print menu of detail pages and the download of a record printed as Word or PDF."""

from __future__ import annotations

import io
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import docx
import pytest
from flask import Flask
from flask.testing import FlaskClient

from core.config import Settings
from core.metadata.loader import BUILTIN_PACKS
from core.officina import Officina
from core.records.actor import SYSTEM
from core.ui.app import create_app
from core.users import create_user
from tests.conftest import migrate_instance
from tests.support.users import FAST_HASHING
from tests.ui.conftest import sign_in

PASSWORDS = {"tina": "Tina-pw-1", "gus": "Gus-pw-1", "anna": "Anna-pw-1"}


def seed(officina: Officina) -> dict[str, Any]:
    """A customer, their machine and a job with an hour line and a part line."""
    customer = officina.records.create(SYSTEM, "customer", {"name": "Officine Rossi",
                                                            "city": "Torino"})
    machine = officina.records.create(SYSTEM, "machine", {
        "model": "Caldaia X200", "serial_number": "SN-991", "customer": customer["id"]})
    return officina.records.create(SYSTEM, "job", {
        "subject": "Leaking valve", "machine": machine["id"], "day": "2026-11-23",
        "signer_name": "Mario Bianchi", "internal_cost": "99.00",
        "hours": [{"day": "2026-11-23", "technician": "Luca", "hours": "2.5"}],
        "parts": [{"item": "Valve", "quantity": "2", "price": "12.50"}]})


def docshop_settings(instance: Path, database_url: str, packs_dir: Path) -> Settings:
    return Settings(instance=instance, database_url=database_url, packs=("docshop",),
                    pack_paths=(packs_dir, BUILTIN_PACKS), registry_check_interval=0,
                    passwords=FAST_HASHING)


def open_docshop(instance: Path, database_url: str, packs_dir: Path) -> Officina:
    """The docshop instance, migrated, with users tina (technician, Italian), gus (no role
    on the pack's entities) and anna (administrator)."""
    officina = Officina.open(docshop_settings(instance, database_url, packs_dir))
    migrate_instance(officina)
    with officina.database.write() as connection:
        create_user(connection, "tina", PASSWORDS["tina"], roles=("technician",),
                    language="it", hashing=FAST_HASHING)
        create_user(connection, "gus", PASSWORDS["gus"], roles=("guest",), hashing=FAST_HASHING)
        create_user(connection, "anna", PASSWORDS["anna"], roles=("admin",), hashing=FAST_HASHING)
    return officina


def word_docx(text: str) -> bytes:
    """A .docx with one paragraph (docxtpl placeholders welcome)."""
    document = docx.Document()
    document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def docx_text(data: bytes) -> str:
    """Every paragraph and table cell of a .docx, one per line."""
    document = docx.Document(io.BytesIO(data))
    lines = [p.text for p in document.paragraphs]
    lines += [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return "\n".join(lines)


def pdf_text(data: bytes, tmp_path: Path) -> str:
    path = tmp_path / "out.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True,
                          capture_output=True, text=True).stdout


@pytest.fixture
def docs_app(database_url: str, packs_dir: Path, tmp_path: Path) -> Flask:
    officina = open_docshop(tmp_path, database_url, packs_dir)
    job = seed(officina)
    officina.close()
    app = create_app(docshop_settings(tmp_path, database_url, packs_dir), {"TESTING": True})
    app.config["JOB_ID"] = job["id"]
    app.config["JOB_REF"] = job["ref"]
    return app


@pytest.fixture
def user(docs_app: Flask) -> Callable[[str], FlaskClient]:
    return lambda name: sign_in(docs_app.test_client(), name, PASSWORDS[name])


def print_url(app: Flask, **query: str) -> str:
    args = "&".join(f"{k}={v}" for k, v in query.items())
    return f"/app/job/{app.config['JOB_ID']}/print?{args}"


def test_the_print_menu_is_on_pages_of_entities_with_templates(docs_app: Flask, user) -> None:
    client = user("tina")
    page = client.get(f"/app/job/{docs_app.config['JOB_ID']}").get_data(as_text=True)
    assert 'class="print-menu"' in page
    assert f'action="/app/job/{docs_app.config["JOB_ID"]}/print"' in page
    assert '<option value="job_report">' in page
    assert '<option value="it" selected>' in page  # tina speaks Italian
    assert '<option value="docx">Word</option>' in page
    customer = client.get("/app/customer/1").get_data(as_text=True)
    assert client.get("/app/customer/1").status_code == 200
    assert "print-menu" not in customer


def test_word_download_holds_the_records_values(docs_app: Flask, user) -> None:
    response = user("anna").get(print_url(docs_app, template="job_report", lang="en",
                                          format="docx"))
    assert response.status_code == 200, response.get_data(as_text=True)
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert f"{docs_app.config['JOB_REF']}-job_report.en.docx" in disposition
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    text = docx_text(response.data)
    assert f"Job report {docs_app.config['JOB_REF']}" in text
    assert "Customer: Officine Rossi, Torino" in text
    assert "Valve" in text and "Luca" in text and "SN-991" in text


def test_language_choice_is_honoured_and_defaults_to_the_users(docs_app: Flask, user) -> None:
    client = user("tina")
    italian = docx_text(client.get(print_url(docs_app, template="job_report",
                                             format="docx")).data)
    assert "Rapporto di intervento" in italian and "Cliente: Officine Rossi" in italian
    english = client.get(print_url(docs_app, template="job_report", lang="en", format="docx"))
    assert "Customer: Officine Rossi" in docx_text(english.data)
    assert "job_report.en.docx" in english.headers["Content-Disposition"]


@pytest.mark.slow
def test_pdf_download_is_a_pdf_with_the_values(docs_app: Flask, user, tmp_path: Path) -> None:
    response = user("tina").get(print_url(docs_app, template="job_report", lang="it",
                                          format="pdf"))
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    assert ".it.pdf" in response.headers["Content-Disposition"]
    text = pdf_text(response.data, tmp_path)
    assert "Officine Rossi" in text and docs_app.config["JOB_REF"] in text
    assert "Rapporto di intervento" in text


def test_a_user_who_may_not_read_the_record_gets_nothing(docs_app: Flask, user) -> None:
    client = user("gus")
    response = client.get(print_url(docs_app, template="job_report", format="docx"))
    assert response.status_code in (403, 404)
    assert not response.data.startswith(b"PK")


def test_bad_requests_are_clear_pages(docs_app: Flask, user) -> None:
    client = user("anna")
    assert client.get(print_url(docs_app, template="nope", format="docx")).status_code == 404
    bad_format = client.get(print_url(docs_app, template="job_report", format="odt"))
    assert bad_format.status_code == 400 and "Word or PDF" in bad_format.get_data(as_text=True)
    assert client.get(print_url(docs_app, format="docx")).status_code == 400
    missing = client.get("/app/job/999999/print?template=job_report&format=docx")
    assert missing.status_code == 404


def test_a_template_that_fails_shows_a_422_page_with_a_way_back(docs_app: Flask,
                                                                user) -> None:
    officina: Officina = docs_app.extensions["officina"]
    from core.records.actor import Actor

    admin = Actor("anna", frozenset({"admin"}))
    # Valid when uploaded, fails when rendered: a loop over a number.
    officina.documents.upload(admin, "job", "broken", "en",
                              word_docx("{% for x in record.id %}{{ x }}{% endfor %}"))
    response = user("anna").get(print_url(docs_app, template="broken", lang="en",
                                          format="docx"))
    page = response.get_data(as_text=True)
    assert response.status_code == 422, page
    assert "broken" in page
    assert f'href="/app/job/{docs_app.config["JOB_ID"]}"' in page
