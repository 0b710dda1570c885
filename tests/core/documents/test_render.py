"""Rendering the docshop job report in Italian and English, read back with python-docx."""

from __future__ import annotations

import io

import pytest
from docx import Document

from core.documents.service import DocumentError
from core.officina import Officina
from core.records.errors import NotFound, PermissionDenied
from tests.core.documents.conftest import ADMIN, OUTSIDER, TECHNICIAN


def read(data: bytes) -> Document:
    return Document(io.BytesIO(data))


def text_of(document: Document) -> str:
    return "\n".join(p.text for p in document.paragraphs)


def rows(document: Document, index: int) -> list[list[str]]:
    return [[cell.text for cell in row.cells] for row in document.tables[index].rows]


def test_italian_report(officina: Officina, job: dict) -> None:
    rendered = officina.documents.render(ADMIN, "job", job["id"], "job_report", language="it")
    assert rendered.filename == f"{job['ref']}-job_report.it.docx"
    assert rendered.content_type.endswith("wordprocessingml.document")
    document = read(rendered.data)
    text = text_of(document)
    assert f"Rapporto di intervento {job['ref']}" in text
    assert "Cliente: Rossi & Figli, Pavia" in text
    assert "Macchina: Press X200 (Matricola SN-778)" in text
    assert "Data: 23/11/2026" in text
    assert "Stato: Completato" in text
    assert "Totale: 1.279,56\xa0€" in text
    assert "Firmato da: Mario Bianchi" in text
    assert rows(document, 0) == [["Data", "Tecnico", "Ore"],
                                 ["23/11/2026", "Anna", "2,50"],
                                 ["24/11/2026", "Luca", "1,25"]]
    assert rows(document, 1) == [["Articolo", "Quantità", "Prezzo", "Importo"],
                                 ["Gasket", "2,00", "617,28\xa0€", "1.234,56\xa0€"],
                                 ["Oil 5 l", "1,00", "45,00\xa0€", "45,00\xa0€"]]
    assert len(document.inline_shapes) == 2  # the machine's photo and the signature


def test_english_report(officina: Officina, job: dict) -> None:
    rendered = officina.documents.render(ADMIN, "job", job["ref"], "job_report", language="en")
    document = read(rendered.data)
    text = text_of(document)
    assert "Customer: Rossi & Figli, Pavia" in text
    assert "Date: Nov 23, 2026" in text
    assert "Status: Done" in text
    assert "Total: €1,279.56" in text
    assert rows(document, 1)[1] == ["Gasket", "2.00", "€617.28", "€1,234.56"]
    assert rows(document, 0)[2] == ["Nov 24, 2026", "Luca", "1.25"]
    assert len(document.inline_shapes) == 2


def test_language_follows_the_user(officina: Officina, job: dict) -> None:
    rendered = officina.documents.render(TECHNICIAN, "job", job["id"], "job_report")
    assert rendered.filename.endswith(".it.docx")
    with pytest.raises(DocumentError, match="no fr version"):
        officina.documents.render(ADMIN, "job", job["id"], "job_report", language="fr")


def test_templates_for(officina: Officina) -> None:
    [info] = officina.documents.templates_for(ADMIN, "job")
    assert (info.name, info.entity, info.label, info.languages, info.source, info.version) == \
        ("job_report", "job", "Job report", ("en", "it"), "pack", 0)
    assert officina.documents.templates_for(ADMIN, "customer") == []


def test_a_user_who_may_not_read_the_record_is_refused(officina: Officina, job: dict) -> None:
    with pytest.raises(PermissionDenied):
        officina.documents.render(OUTSIDER, "job", job["id"], "job_report")
    with pytest.raises(PermissionDenied):
        officina.documents.templates_for(OUTSIDER, "job")


def test_unknown_template_or_record(officina: Officina, job: dict) -> None:
    with pytest.raises(NotFound):
        officina.documents.render(ADMIN, "job", job["id"], "quote")
    with pytest.raises(NotFound):
        officina.documents.render(ADMIN, "job", 999, "job_report")
    with pytest.raises(DocumentError, match="docx or pdf"):
        officina.documents.render(ADMIN, "job", job["id"], "job_report", format="odt")
