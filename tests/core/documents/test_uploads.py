"""Administrators' uploads: checked first, versioned, restorable, overriding the pack's file."""

from __future__ import annotations

import importlib.util
import io
import zipfile
from pathlib import Path

import pytest

from core.documents.service import DocumentError
from core.officina import Officina
from core.records.errors import PermissionDenied
from tests.core.documents.conftest import ADMIN, TECHNICIAN
from tests.core.documents.docx_files import body_text, docx_with

TEMPLATES = Path(__file__).resolve().parents[2] / "fixtures" / "packs" / "docshop" / "templates"
_spec = importlib.util.spec_from_file_location("make_templates", TEMPLATES / "make_templates.py")
assert _spec is not None and _spec.loader is not None
make_templates = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make_templates)


def upload(officina: Officina, data: bytes, language: str = "en") -> int:
    return officina.documents.upload(ADMIN, "job", "job_report", language, data)


def printed(officina: Officina, job: dict, language: str = "en") -> str:
    return body_text(officina.documents.render(ADMIN, "job", job["id"], "job_report",
                                               language=language).data)


def refused(officina: Officina, data: bytes) -> DocumentError:
    with pytest.raises(DocumentError) as caught:
        upload(officina, data)
    assert "the one in use stays" in caught.value.message
    return caught.value


def test_the_pack_templates_validate_and_match_their_script(officina: Officina) -> None:
    for language in ("en", "it"):
        committed = (TEMPLATES / f"job_report.{language}.docx").read_bytes()
        assert officina.documents.validate("job", committed) == []
        with zipfile.ZipFile(io.BytesIO(committed)) as archive:
            body = archive.read("word/document.xml")
        with zipfile.ZipFile(io.BytesIO(make_templates.build(language))) as archive:
            assert archive.read("word/document.xml") == body


def test_an_upload_overrides_the_pack_template(officina: Officina, job: dict) -> None:
    assert upload(officina, docx_with("Mine: {{ record.subject }}")) == 1
    assert printed(officina, job) == "Mine: Hydraulic leak"
    assert "Rapporto di intervento" in printed(officina, job, "it")  # the pack's, still
    [info] = officina.documents.templates_for(ADMIN, "job")
    assert (info.source, info.version, info.languages) == ("instance", 1, ("en", "it"))


def test_a_new_template_name_and_label(officina: Officina, job: dict) -> None:
    officina.documents.upload(ADMIN, "job", "delivery_note", "it", docx_with("{{ record.ref }}"),
                              label="Delivery note")
    names = {i.name: i for i in officina.documents.templates_for(ADMIN, "job")}
    assert names["delivery_note"].label == "Delivery note"
    assert names["delivery_note"].languages == ("it",)
    rendered = officina.documents.render(ADMIN, "job", job["id"], "delivery_note")
    assert body_text(rendered.data) == job["ref"]


def test_versions_and_restore(officina: Officina, job: dict) -> None:
    upload(officina, docx_with("first"))
    upload(officina, docx_with("second"))
    assert printed(officina, job) == "second"
    assert officina.documents.restore(ADMIN, "job", "job_report", "en", 1) == 3
    assert printed(officina, job) == "first"
    listed = officina.documents.versions(ADMIN, "job", "job_report", "en")
    assert [(v.version, v.active, v.created_by) for v in listed] == \
        [(3, True, "boss"), (2, False, "boss"), (1, False, "boss")]
    assert listed[0].size == listed[2].size
    assert officina.documents.restore(ADMIN, "job", "job_report", "en", 0) == 0
    assert "Job report" in printed(officina, job)  # the pack's file again
    assert [v.active for v in officina.documents.versions(ADMIN, "job", "job_report", "en")] \
        == [False, False, False]


def test_only_administrators_change_templates(officina: Officina) -> None:
    with pytest.raises(PermissionDenied):
        officina.documents.upload(TECHNICIAN, "job", "job_report", "en", docx_with("x"))
    with pytest.raises(PermissionDenied):
        officina.documents.restore(TECHNICIAN, "job", "job_report", "en", 1)
    with pytest.raises(PermissionDenied):
        officina.documents.versions(TECHNICIAN, "job", "job_report", "en")


def test_bad_uploads_are_refused_and_the_template_in_use_stays(officina: Officina,
                                                                job: dict) -> None:
    upload(officina, docx_with("good {{ record.subject }}"))
    error = refused(officina, b"%PDF-1.4 not a word file")
    assert "not a Word document" in error.problems[0]
    good = docx_with("x")
    error = refused(officina, good[:len(good) // 2])
    assert error.problems
    damaged = bytearray(good)
    start = damaged.find(b"word/document.xml")  # the first local header's file name
    damaged[start + 40: start + 60] = b"\0" * 20
    assert refused(officina, bytes(damaged)).problems
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("hello.txt", "hi")
    assert "not a Word document" in refused(officina, out.getvalue()).problems[0]
    error = refused(officina, docx_with("fine", "Hello {{ record.subject }", "after"))
    assert error.problems[0].startswith("word/document.xml, paragraph 2: «Hello "
                                        "{{ record.subject }")
    assert "syntax error: unexpected '}'" in error.problems[0]
    error = refused(officina, docx_with("{{ record.colour }} {{ record.machine.customer.vat }}",
                                        "{%p for l in record.parts %}", "{{ l.weight }}",
                                        "{%p endfor %}"))
    text = "\n".join(error.problems)
    assert "job has no field 'colour'" in text
    assert "customer has no field 'vat'" in text
    assert "job_part has no field 'weight'" in text
    error = refused(officina, docx_with("{{ secret }} {{ record.day|date }}"))
    assert "unknown name(s) secret" in error.problems[0]
    error = refused(officina, docx_with("{{ record.day|shout }}"))
    assert "paragraph 1: «{{ record.day|shout }}»: unknown filter 'shout'" in error.problems[0]
    error = refused(officina, docx_with("ok", header="{{ record.nope }}"))
    assert error.problems[0].startswith("word/header")
    assert officina.documents.versions(ADMIN, "job", "job_report", "en")[0].version == 1
    assert printed(officina, job) == "good Hydraulic leak"


def test_names_languages_and_entities_are_checked(officina: Officina) -> None:
    with pytest.raises(DocumentError, match="not a valid template name"):
        officina.documents.upload(ADMIN, "job", "Job Report", "en", docx_with("x"))
    with pytest.raises(DocumentError, match="Unknown language"):
        officina.documents.upload(ADMIN, "job", "job_report", "xx", docx_with("x"))
    with pytest.raises(DocumentError, match="belongs to job"):
        officina.documents.upload(ADMIN, "customer", "job_report", "en", docx_with("x"))
    assert officina.documents.validate("nothing", docx_with("x")) == ["unknown entity 'nothing'"]
