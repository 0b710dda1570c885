"""PDF conversion with the real LibreOffice (Debian's libreoffice-writer-nogui) and pdftotext."""

from __future__ import annotations

import io
import os
import subprocess
import zipfile
from collections.abc import Iterator
from pathlib import Path

import docx
import pytest

from core.documents.errors import DocumentError
from core.documents.pdf import (
    PdfConverter,
    convert_many,
    convert_to_pdf,
    default_converter,
)
from core.documents.pdf_settings import SOFFICE_ENV, PdfError

pytestmark = pytest.mark.slow

ACCENTS = "àèéìòù €"
ROWS = [("Descrizione", "Ore", "Importo"), ("Sostituzione valvola", "2,5", "€ 120,00"),
        ("Pulizia bruciatore", "1", "€ 45,50"), ("Collaudo finale", "0,5", "€ 20,00")]


def make_docx(title: str = "Rapporto di intervento", extra: str = "") -> bytes:
    """A small Word document: a heading, Italian text with accents and a table."""
    document = docx.Document()
    document.add_heading(title, level=1)
    document.add_paragraph(f"Perché la caldaia è guasta: intervento in città {ACCENTS} {extra}")
    table = document.add_table(rows=len(ROWS), cols=3)
    for row, values in zip(table.rows, ROWS, strict=True):
        for cell, value in zip(row.cells, values, strict=True):
            cell.text = value
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def pdf_text(pdf: bytes, tmp_path: Path) -> str:
    """The text of a PDF, extracted by pdftotext (poppler-utils)."""
    path = tmp_path / "out.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True,
                          capture_output=True, text=True).stdout


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def processes_using(folder: Path) -> list[str]:
    """Command lines of the processes that mention ``folder`` (its LibreOffice profile)."""
    found = subprocess.run(["pgrep", "-af", str(folder)], capture_output=True, text=True)
    return [line for line in found.stdout.splitlines() if "pgrep" not in line]


@pytest.fixture(scope="module")
def converter() -> Iterator[PdfConverter]:
    converter = PdfConverter(warm=True)
    yield converter
    workdir = converter.workdir
    converter.shutdown()
    assert processes_using(workdir) == []


def test_pdf_has_the_headings_words_and_table_cells(converter, tmp_path):
    pdf = converter.convert(make_docx(), timeout=60)
    assert pdf.startswith(b"%PDF")
    text = pdf_text(pdf, tmp_path)
    assert "Rapporto di intervento" in text
    assert "Perché la caldaia è guasta" in text
    assert ACCENTS in text
    for values in ROWS:
        for value in values:
            assert value in text
    # the cells of a row stay on one line, in order
    assert any(line.split() == ["Sostituzione", "valvola", "2,5", "€", "120,00"]
               for line in text.splitlines())


def test_warm_converter_reuses_its_libreoffice(converter, tmp_path):
    converter.convert(make_docx("Primo"))
    pid = converter.soffice_pid
    assert pid is not None and alive(pid)
    second = converter.convert(make_docx("Secondo"))
    assert converter.soffice_pid == pid
    assert "Secondo" in pdf_text(second, tmp_path)
    # LibreOffice runs with the converter's own profile
    assert any(f"-env:UserInstallation={(converter.workdir / 'profile').as_uri()}" in line
               for line in processes_using(converter.workdir))


def test_a_batch_comes_back_in_order(converter, tmp_path):
    pdfs = converter.convert_many([make_docx(f"Documento {n}") for n in range(3)], timeout=60)
    assert [f"Documento {n}" in pdf_text(pdf, tmp_path) for n, pdf in enumerate(pdfs)] \
        == [True, True, True]


def test_timeout_stops_libreoffice_with_a_clear_error(converter, tmp_path):
    converter.convert(make_docx())
    pid = converter.soffice_pid
    with pytest.raises(PdfError, match=r"took longer than 0.001 seconds"):
        converter.convert(make_docx(), timeout=0.001)
    assert pid is not None and not alive(pid)
    # the next document starts a fresh LibreOffice
    assert "Rapporto" in pdf_text(converter.convert(make_docx()), tmp_path)
    assert converter.soffice_pid not in (None, pid)


@pytest.mark.parametrize("data", [
    pytest.param(b"this is not a Word document", id="not-a-zip"),
    pytest.param(make_docx()[:2000], id="truncated"),
])
def test_non_word_input_is_refused_before_libreoffice(converter, data):
    with pytest.raises(PdfError, match=r"not a Word \(\.docx\) file"):
        converter.convert(data, timeout=10)


def damaged_docx() -> bytes:
    """A .docx whose main part is cut in half: a valid zip LibreOffice cannot load."""
    source = zipfile.ZipFile(io.BytesIO(make_docx()))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "word/document.xml":
                content = content[: len(content) // 2]
            target.writestr(item, content)
    return buffer.getvalue()


def test_a_damaged_document_fails_clearly_and_the_converter_carries_on(converter, tmp_path):
    converter.convert(make_docx())
    pid = converter.soffice_pid
    with pytest.raises(PdfError, match=r"could not open the document: it is damaged"):
        converter.convert(damaged_docx(), timeout=30)
    assert converter.soffice_pid == pid
    assert "Rapporto" in pdf_text(converter.convert(make_docx()), tmp_path)


def test_missing_libreoffice_is_a_clear_error(monkeypatch):
    monkeypatch.setenv(SOFFICE_ENV, "/nonexistent/soffice")
    with pytest.raises(PdfError) as raised:
        convert_to_pdf(make_docx())
    assert "LibreOffice is not installed" in raised.value.message
    assert "libreoffice-writer-nogui" in raised.value.message
    assert isinstance(raised.value, DocumentError) and raised.value.code == "document"
    with pytest.raises(PdfError, match="LibreOffice is not installed"):
        PdfConverter("/nonexistent/soffice").convert(make_docx())


def test_cold_conversion_and_its_timeout(tmp_path):
    cold = PdfConverter(warm=False)
    try:
        assert "Valvola" in pdf_text(cold.convert(make_docx("Valvola")), tmp_path)
        assert cold.soffice_pid is None
        with pytest.raises(PdfError, match="took longer than"):
            cold.convert(make_docx(), timeout=0.001)
        with pytest.raises(PdfError, match="damaged"):
            cold.convert(damaged_docx(), timeout=30)
        assert processes_using(cold.workdir) == []
    finally:
        cold.shutdown()


def test_without_uno_it_falls_back_to_cold_conversion(tmp_path):
    fallback = PdfConverter(uno_python="/nonexistent/python3")
    try:
        assert "Caldaia" in pdf_text(fallback.convert(make_docx("Caldaia")), tmp_path)
        assert fallback.soffice_pid is None
    finally:
        workdir = fallback.workdir
        fallback.shutdown()
    assert processes_using(workdir) == []


def test_the_process_converter_and_shutdown_leave_no_libreoffice(tmp_path):
    _first, second = convert_many([make_docx("Uno"), make_docx("Due")])
    assert "Due" in pdf_text(second, tmp_path)
    shared = default_converter()
    pid, workdir = shared.soffice_pid, shared.workdir
    assert pid is not None
    assert "Uno" in pdf_text(convert_to_pdf(make_docx("Uno")), tmp_path)
    assert shared.soffice_pid == pid
    shared.shutdown()
    assert not alive(pid)
    assert processes_using(workdir) == []
    assert not workdir.exists()
