"""Every widget of the specimen entity; uploads checked by content, size limit, signatures."""

from __future__ import annotations

import base64
import io
import re
from collections.abc import Callable
from decimal import Decimal

from flask import Flask
from flask.testing import FlaskClient

from core.metadata.field_types import FIELD_TYPES
from core.records.actor import SYSTEM
from core.ui.context import officina
from core.ui.field_facets import WIDGETS
from tests.ui.conftest import csrf_token

# A real 1x1 PNG: images are decoded, so its data must be whole.
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00"
       b"\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc````\x00\x00\x00\x05\x00\x01\xa5\xf6E@"
       b"\x00\x00\x00\x00IEND\xaeB`\x82")


def _specimens(app: Flask) -> list[dict]:
    with app.app_context():
        rows = officina().records.list(SYSTEM, "specimen").rows
        return [officina().records.get(SYSTEM, "specimen", row["id"]) for row in rows]


def test_every_field_type_has_a_widget() -> None:
    assert set(WIDGETS) == set(FIELD_TYPES)


def test_specimen_form_has_an_input_per_type(signed_in: Callable[[str], FlaskClient]) -> None:
    page = signed_in("anna").get("/app/specimen/new").get_data(as_text=True)
    for expected in ('<textarea id="f-body" name="body"', 'type="checkbox" id="f-flag"',
                     'type="datetime-local" id="f-seen_at"', 'type="email" id="f-email"',
                     'type="tel" id="f-phone"', 'type="url" id="f-homepage"',
                     'id="f-effort" name="effort"', 'name="tags" value="hot"',
                     '<option value="red">', 'type="file" id="f-manual"',
                     'accept="image/png,image/jpeg,image/gif,image/webp"', "<canvas",
                     'name="signature:drawn"', 'src="/static/signature.js"',
                     'enctype="multipart/form-data"', '<span class="affix"'):
        assert expected in page, expected


def test_save_every_type(signed_in: Callable[[str], FlaskClient], app: Flask) -> None:
    anna = signed_in("anna")
    data = {"csrf_token": csrf_token(anna, "/app/specimen/new"), "label_text": "Alpha",
            "body": "Long text", "count": "12", "ratio": "1,234.5", "price": "99.90",
            "flag": "1", "born_on": "2026-11-23", "seen_at": "2026-07-01T10:30",
            "effort": "1:30", "colour": "green", "tags": ["hot", "sale"],
            "email": "a@example.com", "phone": "+39 02 1234", "homepage": "https://x.example",
            "owner": "", "owner:title": ""}
    response = anna.post("/app/specimen/new", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    (saved,) = _specimens(app)
    assert saved["ratio"] == Decimal("1234.5") and saved["count"] == 12
    assert saved["flag"] is True and saved["effort"] == 5400
    assert saved["tags"] in ("hot,sale", ["hot", "sale"])
    assert str(saved["seen_at"]).startswith("2026-07-01 08:30")  # Rome (CEST) to UTC
    page = anna.get(f"/app/specimen/{saved['id']}/edit").get_data(as_text=True)
    assert 'value="2026-07-01T10:30"' in page and 'value="1:30"' in page
    # an unchecked box is false
    data = {k: v for k, v in data.items() if k != "flag"}
    data["_version"] = str(saved["version"])
    assert anna.post(f"/app/specimen/{saved['id']}/edit", data=data).status_code == 302
    assert _specimens(app)[0]["flag"] is False


def test_image_content_must_be_an_image(signed_in: Callable[[str], FlaskClient],
                                        app: Flask) -> None:
    anna = signed_in("anna")
    token = csrf_token(anna, "/app/specimen/new")
    response = anna.post("/app/specimen/new", content_type="multipart/form-data", data={
        "csrf_token": token, "label_text": "Alpha",
        "picture": (io.BytesIO(b"<svg onload=alert(1)></svg>"), "evil.png")})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "is not a PNG, JPEG, GIF or WebP image" in page
    assert re.search(r'type="file" id="f-picture" name="picture" aria-invalid="true"', page)
    assert _specimens(app) == []
    response = anna.post("/app/specimen/new", content_type="multipart/form-data", data={
        "csrf_token": token, "label_text": "Alpha",
        "manual": (io.BytesIO(b"MZ\x90\x00binary"), "setup.pdf")})
    assert response.status_code == 422 and "program or a script" in response.get_data(
        as_text=True)
    response = anna.post("/app/specimen/new", content_type="multipart/form-data", data={
        "csrf_token": token, "label_text": "Alpha",
        "picture": (io.BytesIO(PNG), "dot.png"),
        "manual": (io.BytesIO(b"%PDF-1.4 manual"), "manual.pdf")})
    assert response.status_code == 302, response.get_data(as_text=True)
    (saved,) = _specimens(app)
    assert saved["picture"].endswith("/dot.png") and saved["manual"].endswith("/manual.pdf")
    with app.app_context():
        assert officina().records.files.read(saved["picture"]) == PNG
    page = anna.get(f"/app/specimen/{saved['id']}/edit").get_data(as_text=True)
    assert f'/app/specimen/{saved["id"]}/file/picture' in page and "dot.png" in page
    # saving again without a new upload keeps the files; "remove" empties the field
    data = {"csrf_token": token, "_version": str(saved["version"]), "label_text": "Alpha",
            "picture:kept": saved["picture"], "manual:kept": saved["manual"],
            "manual:clear": "1"}
    assert anna.post(f"/app/specimen/{saved['id']}/edit", data=data).status_code == 302
    (after,) = _specimens(app)
    assert after["picture"] == saved["picture"] and after["manual"] is None


def test_oversize_upload_is_refused(signed_in: Callable[[str], FlaskClient],
                                    app: Flask) -> None:
    anna = signed_in("anna")
    token = csrf_token(anna, "/app/specimen/new")
    app.config["MAX_CONTENT_LENGTH"] = 10_000
    response = anna.post("/app/specimen/new", content_type="multipart/form-data", data={
        "csrf_token": token, "label_text": "Alpha",
        "picture": (io.BytesIO(PNG + b"\x00" * 20_000), "big.png")})
    assert response.status_code == 413
    assert "too large" in response.get_data(as_text=True)
    assert _specimens(app) == []


def test_drawn_signature_is_stored_as_png(signed_in: Callable[[str], FlaskClient],
                                          app: Flask) -> None:
    anna = signed_in("anna")
    token = csrf_token(anna, "/app/specimen/new")
    drawn = "data:image/png;base64," + base64.b64encode(PNG).decode()
    response = anna.post("/app/specimen/new", data={
        "csrf_token": token, "label_text": "alpha",  # fails the pattern: kept for next time
        "signature:drawn": drawn})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert re.search(r'name="signature:kept" value="[0-9a-f]{64}/signature.png"', page)
    response = anna.post("/app/specimen/new", data={
        "csrf_token": token, "label_text": "Alpha", "signature:drawn": drawn})
    assert response.status_code == 302, response.get_data(as_text=True)
    (saved,) = _specimens(app)
    assert saved["signature"].endswith("/signature.png")
    with app.app_context():
        assert officina().records.files.read(saved["signature"]) == PNG
    response = anna.post("/app/specimen/new", data={
        "csrf_token": token, "label_text": "Beta",
        "signature:drawn": "data:image/png;base64," + base64.b64encode(b"GIF89a").decode()})
    assert response.status_code == 422
    assert "signature could not be read" in response.get_data(as_text=True)
