"""Administration of document templates: list, upload (checked first), versions, restore."""

from __future__ import annotations

import io
import re

import pytest
from flask import Flask

from tests.ui.conftest import csrf_token
from tests.ui.test_documents import docs_app, docx_text, print_url, user, word_docx

__all__ = ["docs_app", "user"]  # fixtures used by the tests below
INDEX = "/admin/documents"
PAGE = "/admin/documents/job/job_report"


def upload(client, data: bytes, language: str = "en", path: str = PAGE,
           filename: str = "report.docx", **form: str):
    return client.post(path, data={"csrf_token": csrf_token(client, path), "language": language,
                                   "file": (io.BytesIO(data), filename), **form},
                       content_type="multipart/form-data")


def printed(app: Flask, client, language: str = "en") -> str:
    response = client.get(print_url(app, template="job_report", lang=language, format="docx"))
    assert response.status_code == 200, response.get_data(as_text=True)
    return docx_text(response.data)


def test_index_lists_templates_and_is_linked_from_the_admin_page(docs_app: Flask,
                                                                 user) -> None:
    client = user("anna")
    assert 'href="/admin/documents"' in client.get("/admin").get_data(as_text=True)
    page = client.get(INDEX).get_data(as_text=True)
    row = re.search(r'<tr id="template-job-job_report">(.*?)</tr>', page, re.S)
    assert row, page
    assert "Job report" in row.group(1) and "Pack" in row.group(1)
    assert ">en<" in row.group(1) and ">it<" in row.group(1)
    assert 'enctype="multipart/form-data"' in page


def test_other_users_may_not_manage_templates(docs_app: Flask, user) -> None:
    client = user("tina")
    assert client.get(INDEX).status_code == 403
    assert client.get(PAGE).status_code == 403
    response = client.post(PAGE, data={"language": "en"})
    assert response.status_code in (400, 403)


@pytest.mark.parametrize("data, problem", [
    (b"this is not a Word file", "docx"),
    (word_docx("Report {{ record.ref "), ""),
    (word_docx("Report {{ record.no_such_field }}"), "no_such_field"),
])
def test_a_bad_upload_shows_the_problems_and_keeps_the_template_in_use(
        docs_app: Flask, user, data: bytes, problem: str) -> None:
    client = user("anna")
    before = printed(docs_app, client)
    response = upload(client, data)
    page = response.get_data(as_text=True)
    assert response.status_code == 422, page
    assert 'id="upload-problems"' in page
    assert "the version in use is unchanged" in page
    assert problem in page
    assert printed(docs_app, client) == before
    assert 'id="version-en-1"' not in client.get(PAGE).get_data(as_text=True)


def test_upload_form_errors_are_shown_by_their_fields(docs_app: Flask, user) -> None:
    client = user("anna")
    response = client.post("/admin/documents/upload", data={
        "csrf_token": csrf_token(client, INDEX), "entity": "nothing", "name": "Bad Name",
        "language": "fr"}, content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    for message in ("Choose an entity from the list.", "lowercase letters",
                    "Choose a language from the list.", "Choose a .docx file to upload."):
        assert message in page


def test_upload_versions_download_and_restore(docs_app: Flask, user) -> None:
    client = user("anna")
    first = word_docx("First {{ record.ref }} for {{ record.machine.customer.name }}")
    response = upload(client, first)
    assert response.status_code == 302, response.get_data(as_text=True)
    assert response.headers["Location"].endswith(PAGE)
    ref = docs_app.config["JOB_REF"]
    assert f"First {ref} for Officine Rossi" in printed(docs_app, client)
    assert "Rapporto di intervento" in printed(docs_app, client, "it")  # only en replaced

    assert upload(client, word_docx("Second {{ record.ref }}")).status_code == 302
    assert f"Second {ref}" in printed(docs_app, client)
    page = client.get(PAGE).get_data(as_text=True)
    assert 'id="version-en-1"' in page and 'id="version-en-2"' in page
    assert "anna" in page
    index = client.get(INDEX).get_data(as_text=True)
    row = re.search(r'<tr id="template-job-job_report">(.*?)</tr>', index, re.S).group(1)
    assert "Uploaded by an administrator" in row and ">2<" in row

    download = client.get(f"{PAGE}/download?language=en&version=1")
    assert download.status_code == 200 and download.data == first
    assert "attachment" in download.headers["Content-Disposition"]
    assert client.get(f"{PAGE}/download?language=en&version=0").data.startswith(b"PK")
    assert client.get(f"{PAGE}/download?language=en&version=9").status_code == 404
    assert client.get(f"{PAGE}/download?language=fr&version=1").status_code == 404
    assert 'name="version" value="1"' in client.get(PAGE).get_data(as_text=True)

    restore = f"{PAGE}/restore"
    response = client.post(restore, data={"csrf_token": csrf_token(client, PAGE),
                                          "language": "en", "version": "1"})
    assert response.status_code == 302
    assert f"First {ref}" in printed(docs_app, client)
    page = client.get(PAGE).get_data(as_text=True)
    assert re.search(r'id="version-en-3".*?In use', page, re.S)

    response = client.post(restore, data={"csrf_token": csrf_token(client, PAGE),
                                          "language": "en", "version": "0"})
    assert response.status_code == 302
    assert f"Job report {ref}" in printed(docs_app, client)


def test_a_new_template_is_uploaded_from_the_index(docs_app: Flask, user) -> None:
    client = user("anna")
    response = upload(client, word_docx("Delivery note {{ record.ref }}"),
                      path="/admin/documents/upload", entity="job", name="delivery_note",
                      label="Delivery note")
    assert response.status_code == 302, response.get_data(as_text=True)
    assert response.headers["Location"].endswith("/admin/documents/job/delivery_note")
    page = client.get(f"/app/job/{docs_app.config['JOB_ID']}").get_data(as_text=True)
    assert '<option value="delivery_note">Delivery note</option>' in page
    document = client.get(print_url(docs_app, template="delivery_note", lang="en",
                                    format="docx"))
    assert f"Delivery note {docs_app.config['JOB_REF']}" in docx_text(document.data)


def test_an_upload_over_the_size_limit_is_refused(docs_app: Flask, user) -> None:
    client = user("anna")
    docs_app.config["MAX_CONTENT_LENGTH"] = 10_000
    response = upload(client, word_docx("x" * 20_000) + b"\0" * 20_000)
    assert response.status_code == 413
