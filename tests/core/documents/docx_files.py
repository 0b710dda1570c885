"""Small Word documents for tests, written with python-docx."""

from __future__ import annotations

import io

from docx import Document


def docx_with(*paragraphs: str, header: str | None = None) -> bytes:
    """A .docx whose body is ``paragraphs`` (and whose header is ``header``)."""
    document = Document()
    for text in paragraphs:
        document.add_paragraph(text)
    if header is not None:
        document.sections[0].header.paragraphs[0].text = header
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def body_text(data: bytes) -> str:
    """The paragraphs of a .docx, one per line."""
    return "\n".join(p.text for p in Document(io.BytesIO(data)).paragraphs)
