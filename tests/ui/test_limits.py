"""Limits through the web UI and the JSON API: a translated 4xx that names the problem, never
a 500, and nothing written."""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Callable

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image

from core.records.actor import SYSTEM
from core.ui.context import officina
from tests.ui.conftest import PASSWORDS, csrf_token

TOO_BIG = 2**63


def _customers(app: Flask) -> list[str]:
    with app.app_context():
        return [r["company"] for r in officina().records.list(SYSTEM, "customer").rows]


def _basic(username: str) -> dict[str, str]:
    token = base64.b64encode(f"{username}:{PASSWORDS[username]}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def test_list_pages_past_the_range_are_400(signed_in: Callable[[str], FlaskClient]) -> None:
    carla = signed_in("carla")
    response = carla.get("/app/customer?page=99999999999999999999")
    assert response.status_code == 400
    assert "The page must be a whole number of at most 10000000." in response.get_data(
        as_text=True)
    assert carla.get("/app/customer?page=10000000").status_code == 200
    response = carla.get("/app/customer?f.city=Mi%00lano")
    assert response.status_code == 400
    assert "NUL character" in response.get_data(as_text=True)
    response = carla.get("/app/customer?q=AC%00ME")
    assert response.status_code == 400 and "Search" in response.get_data(as_text=True)


def test_ids_past_the_range_are_404(signed_in: Callable[[str], FlaskClient]) -> None:
    carla = signed_in("carla")
    for path in (f"/app/customer/{TOO_BIG}", f"/app/customer/{TOO_BIG}/edit",
                 "/app/customer/99999999999999999999999999/file/x"):
        assert carla.get(path).status_code == 404, path
    assert carla.get(f"/app/customer/{TOO_BIG - 1}").status_code == 404


def test_the_api_refuses_out_of_range_numbers_with_json(client: FlaskClient) -> None:
    auth = _basic("carla")
    response = client.get(f"/api/customer?offset={TOO_BIG}", headers=auth)
    assert response.status_code == 400 and response.is_json
    assert "offset must be a whole number" in response.get_json()["message"]
    for key in (str(TOO_BIG), "99999999999999999999999", "CUS%00", "%C2%B2"):
        response = client.get(f"/api/customer/{key}", headers=auth)
        assert response.status_code == 404 and response.is_json, key
    deep = "[" * 100_000 + "]" * 100_000
    response = client.get("/api/customer", query_string={"filter": deep}, headers=auth)
    assert response.status_code == 400 and response.is_json
    nested = json.dumps({"or": [["id", "=", n] for n in range(1, 502)]})
    response = client.get("/api/customer", query_string={"filter": nested}, headers=auth)
    assert response.status_code == 400 and "at most 500 items" in response.get_json()["message"]
    surrogate = '[["company", "=", "\\ud800"]]'
    response = client.get("/api/customer", query_string={"filter": surrogate}, headers=auth)
    assert response.status_code == 400 and "surrogate" in response.get_json()["message"]


def test_a_nul_in_a_form_field_is_a_field_error(signed_in: Callable[[str], FlaskClient],
                                               app: Flask) -> None:
    carla = signed_in("carla")
    before = _customers(app)
    response = carla.post("/app/customer/new", data={
        "csrf_token": csrf_token(carla, "/app/customer/new"), "company": "Beta\x00 srl",
        "city": "x" * 41})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="f-company-error">Contains a NUL character, which cannot be stored.' in page
    assert 'id="f-city-error">At most 40 characters.' in page
    assert _customers(app) == before


def test_oversized_requests_are_a_translated_413(signed_in: Callable[[str], FlaskClient],
                                                 app: Flask) -> None:
    carla, ivo = signed_in("carla"), signed_in("ivo")
    token = csrf_token(carla, "/app/customer/new")
    app.config["MAX_CONTENT_LENGTH"] = 10_000
    before = _customers(app)
    response = carla.post("/app/customer/new", data={"csrf_token": token,
                                                      "company": "x" * 20_000})
    assert response.status_code == 413
    assert ("The request is too large: at most 0.00953674 MB in all (files included)"
            in response.get_data(as_text=True))
    response = ivo.post("/app/customer/new", data={"company": "x" * 20_000},
                        headers={"Accept-Language": "it"})
    assert response.status_code == 413
    assert "La richiesta è troppo grande" in response.get_data(as_text=True)
    response = carla.post("/app/customer/new", data={"company": "x" * 20_000},
                          headers={"Accept": "application/json"})
    assert response.status_code == 413 and response.get_json()["error"] == "413"
    app.config["MAX_CONTENT_LENGTH"] = 20 * 1024 * 1024
    app.config["MAX_FORM_PARTS"] = 20
    response = carla.post("/app/customer/new", content_type="multipart/form-data",
                          data={"csrf_token": token, **{f"x{n}": "1" for n in range(30)}})
    assert response.status_code == 413
    app.config["MAX_FORM_PARTS"] = 10_000
    app.config["MAX_FORM_MEMORY_SIZE"] = 1000
    response = carla.post("/app/customer/new", content_type="multipart/form-data",
                          data={"csrf_token": token, "company": "x" * 2000})
    assert response.status_code == 413
    assert _customers(app) == before


def test_the_form_limits_have_sensible_defaults(app: Flask) -> None:
    assert app.config["MAX_CONTENT_LENGTH"] == 20 * 1024 * 1024
    assert app.config["MAX_FORM_MEMORY_SIZE"] == 2 * 1024 * 1024
    assert app.config["MAX_FORM_PARTS"] == 10_000


def _png(size: tuple[int, int], mode: str = "RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size).save(out, "PNG")
    return out.getvalue()


def test_uploads_and_signatures_must_decode(signed_in: Callable[[str], FlaskClient],
                                            app: Flask) -> None:
    anna = signed_in("anna")
    token = csrf_token(anna, "/app/specimen/new")
    truncated = _png((64, 64))[:-30]
    response = anna.post("/app/specimen/new", content_type="multipart/form-data", data={
        "csrf_token": token, "label_text": "Alpha", "picture": (io.BytesIO(truncated),
                                                                "cut.png")})
    assert response.status_code == 422
    assert "&#34;cut.png&#34; is not a PNG, JPEG, GIF or WebP image." in response.get_data(
        as_text=True)
    bomb = _png((9000, 5000), "1")
    response = anna.post("/app/specimen/new", content_type="multipart/form-data", data={
        "csrf_token": token, "label_text": "Alpha", "picture": (io.BytesIO(bomb), "big.png")})
    assert response.status_code == 422
    assert "is too large an image: at most 40000000 pixels" in response.get_data(as_text=True)
    fake = "data:image/png;base64," + base64.b64encode(b"\x89PNG\r\n\x1a\njunk").decode()
    response = anna.post("/app/specimen/new", data={
        "csrf_token": token, "label_text": "Alpha", "signature:drawn": fake})
    assert response.status_code == 422
    assert "signature could not be read" in response.get_data(as_text=True)
    with app.app_context():
        assert officina().records.list(SYSTEM, "specimen").rows == []


def test_download_names_carry_no_line_breaks(signed_in: Callable[[str], FlaskClient],
                                             app: Flask) -> None:
    with app.app_context():
        service = officina().records
        key = service.files.put(_png((2, 2)), "photo.png")
        saved = service.create(SYSTEM, "specimen", {"picture": key})
        table = service.registry.current().schema.table("specimen")
        with service.database.write() as connection:  # a value stored before keys were checked
            connection.execute(sa.update(table).where(table.c.id == saved["id"]).values(
                picture=key.split("/")[0] + '/a"\r\nX-Injected: 1.png'))
    response = signed_in("anna").get(f"/app/specimen/{saved['id']}/file/picture")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == 'inline; filename="a_X-Injected_ 1.png"'
    assert "X-Injected" not in response.headers


def test_a_nul_in_a_user_name_is_a_failed_sign_in(client: FlaskClient) -> None:
    response = client.post("/login", data={"username": "carla\x00", "password": "x",
                                           "csrf_token": csrf_token(client)})
    assert response.status_code == 401
    assert "Wrong username or password." in response.get_data(as_text=True)
    token = base64.b64encode(b"carla\x00:x").decode()
    response = client.get("/api/customer", headers={"Authorization": f"Basic {token}"})
    assert response.status_code == 401 and response.is_json
