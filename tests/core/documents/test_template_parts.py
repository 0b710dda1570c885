"""Every part docxtpl renders is checked on upload, and no part may declare a DOCTYPE."""

from __future__ import annotations

import io
import zipfile

import pytest
from docx import Document

from core.documents.service import DocumentError
from core.officina import Officina
from tests.core.documents.conftest import ADMIN
from tests.core.documents.docx_files import body_text, docx_with

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
FOOTNOTES = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:footnotes xmlns:w="{W}">'
             '<w:footnote w:id="1"><w:p><w:r><w:t>{text}</w:t></w:r></w:p></w:footnote>'
             '</w:footnotes>')
FOOTNOTES_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.footnotes+xml"
FOOTNOTES_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/footnotes"
LAUGHS = ('<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;">'
          '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;">]>')


def rewritten(data: bytes, changes: dict[str, bytes]) -> bytes:
    """``data`` (a .docx) with some of its parts replaced or added."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            if info.filename not in changes:
                target.writestr(info, source.read(info))
        for name, content in changes.items():
            target.writestr(name, content)
    return out.getvalue()


def with_footnote(text: str, body: str = "Report {{ record.subject }}") -> bytes:
    """A .docx whose footnotes part holds ``text``."""
    data = docx_with(body)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        types = archive.read("[Content_Types].xml").decode()
        rels = archive.read("word/_rels/document.xml.rels").decode()
    types = types.replace("</Types>", '<Override PartName="/word/footnotes.xml" '
                          f'ContentType="{FOOTNOTES_TYPE}"/></Types>')
    rels = rels.replace("</Relationships>", f'<Relationship Id="rIdFoot" Type="{FOOTNOTES_REL}" '
                        'Target="footnotes.xml"/></Relationships>')
    return rewritten(data, {"[Content_Types].xml": types.encode(),
                            "word/_rels/document.xml.rels": rels.encode(),
                            "word/footnotes.xml": FOOTNOTES.replace("{text}", text).encode()})


def with_title(title: str) -> bytes:
    document = Document(io.BytesIO(docx_with("Body {{ record.subject }}")))
    document.core_properties.title = title
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def refused(officina: Officina, data: bytes) -> str:
    with pytest.raises(DocumentError) as caught:
        officina.documents.upload(ADMIN, "job", "job_report", "en", data)
    assert "the one in use stays" in caught.value.message
    return "\n".join(caught.value.problems)


def still_the_pack_template(officina: Officina, job: dict) -> None:
    [info] = officina.documents.templates_for(ADMIN, "job")
    assert info.source == "pack"
    rendered = officina.documents.render(ADMIN, "job", job["id"], "job_report", language="en")
    assert "Hydraulic leak" in body_text(rendered.data)


def test_an_unknown_field_in_a_footnote_is_refused_naming_the_part(
        officina: Officina, job: dict) -> None:
    message = refused(officina, with_footnote("See {{ record.colour }}"))
    assert "word/footnotes.xml, paragraph 1: «See {{ record.colour }}»: job has no field " \
           "'colour'" in message
    still_the_pack_template(officina, job)


def test_a_syntax_error_in_a_footnote_is_refused(officina: Officina, job: dict) -> None:
    message = refused(officina, with_footnote("{% if record.subject %}open"))
    assert "word/footnotes.xml" in message and "syntax error" in message
    still_the_pack_template(officina, job)


def test_a_header_and_the_document_title_are_checked(officina: Officina, job: dict) -> None:
    message = refused(officina, docx_with("Body", header="{{ record.nickname }}"))
    assert "word/header1.xml, paragraph 1: «{{ record.nickname }}»: job has no field " \
           "'nickname'" in message
    message = refused(officina, with_title("Report {{ record.nickname }}"))
    assert ("docProps/core.xml (title), paragraph 1: «Report {{ record.nickname }}»: job has "
            "no field 'nickname'") in message
    still_the_pack_template(officina, job)


def test_a_footnote_with_known_fields_is_accepted_and_rendered(
        officina: Officina, job: dict) -> None:
    data = with_footnote("Signed by {{ record.signer_name }}")
    assert officina.documents.validate("job", data) == []
    officina.documents.upload(ADMIN, "job", "job_report", "en", data)
    rendered = officina.documents.render(ADMIN, "job", job["id"], "job_report", language="en")
    with zipfile.ZipFile(io.BytesIO(rendered.data)) as archive:
        assert "Signed by Mario Bianchi" in archive.read("word/footnotes.xml").decode()


@pytest.mark.parametrize("part", ["word/document.xml", "word/styles.xml", "[Content_Types].xml",
                                  "word/_rels/document.xml.rels"])
def test_a_doctype_in_any_part_is_refused_naming_the_part(officina: Officina, job: dict,
                                                          part: str) -> None:
    data = docx_with("Report {{ record.subject }}")
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        xml = archive.read(part).decode()
    head, _, rest = xml.partition("?>")
    poisoned = rewritten(data, {part: f"{head}?>{LAUGHS}{rest}".encode()})
    message = refused(officina, poisoned)
    assert f"{part}: the part declares a DOCTYPE" in message
    still_the_pack_template(officina, job)


def test_a_doctype_in_a_utf16_footnote_is_refused(officina: Officina, job: dict) -> None:
    data = with_footnote("plain")
    xml = FOOTNOTES.replace("{text}", "&lol3;").replace('encoding="UTF-8"', 'encoding="UTF-16"')
    head, _, rest = xml.partition("?>")
    poisoned = rewritten(data, {"word/footnotes.xml": f"{head}?>{LAUGHS}{rest}".encode("utf-16")})
    assert "word/footnotes.xml: the part declares a DOCTYPE" in refused(officina, poisoned)
    still_the_pack_template(officina, job)
