"""The detail page: the record formatted for the locale, its lines, related records, timeline
and attachments, all as the records service lets the user see them."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from core.records.actor import SYSTEM, Actor
from tests.ui.conftest import csrf_token

CARLA = Actor("carla", frozenset({"clerk"}))
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00"
       b"\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff"
       b"\x89\x99=\x1d\x00\x00\x00\x00IEND\xaeB`\x82")


def _service(app: Flask) -> Any:
    return app.extensions["officina"].records


def _sale(app: Flask) -> tuple[dict, dict, dict]:
    service = _service(app)
    customer = service.create(SYSTEM, "customer", {"company": "Rossi Srl", "city": "Brescia"})
    product = service.create(SYSTEM, "product", {"title": "Widget", "price": "10.00"})
    sale = service.create(SYSTEM, "sale", {
        "subject": "First order", "customer": customer["id"], "day": "2026-11-23",
        "lines": [{"product": product["id"], "quantity": "3", "unit_price": "411.52"}]})
    return customer, product, sale


def _italian(client: FlaskClient) -> FlaskClient:
    response = client.post("/language", data={"language": "it", "next": "/",
                                              "csrf_token": csrf_token(client, "/")})
    assert response.status_code == 302
    return client


def _text(html: str) -> str:
    """The page's text without tags, spaces collapsed."""
    return re.sub(r"[ \t\r\n]+", " ", re.sub(r"<[^>]+>", " ", html))


def test_detail_shows_values_formatted_for_italian_with_lines(
        app: Flask, signed_in: Callable[[str], FlaskClient]) -> None:
    customer, product, sale = _sale(app)
    client = _italian(signed_in("carla"))
    response = client.get(f"/app/sale/{sale['id']}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    text = _text(html)
    assert "23/11/2026" in text
    assert "1.234,56\xa0€" in text  # the total, computed from the line
    assert "411,52\xa0€" in text  # the line's unit price
    assert "3,000" in text  # the line's quantity, with the field's three decimals
    assert sale["ref"] in text and "First order" in text
    # The link field links to the customer's page; the line's product to the product's.
    assert f'href="/app/customer/{customer["id"]}">Rossi Srl</a>' in html
    assert f'href="/app/product/{product["id"]}">Widget</a>' in html
    assert 'class="data lines"' in html


def test_detail_lists_records_linking_here(app: Flask,
                                           signed_in: Callable[[str], FlaskClient]) -> None:
    customer, _product, sale = _sale(app)
    service = _service(app)
    for n in range(6):
        service.create(SYSTEM, "sale", {"subject": f"More {n}", "customer": customer["id"]})
    html = signed_in("carla").get(f"/app/customer/{customer['id']}").get_data(as_text=True)
    related = html[html.index('class="related"'):html.index('class="timeline"')]
    assert f'href="/app/sale/{sale["id"]}"' not in related  # the oldest, beyond the first 5
    assert len(re.findall(r'href="/app/sale/\d+"', related)) == 5
    assert f'href="/app/sale/new?customer={customer["id"]}"' in related  # start one here
    assert f"/app/sale?f.customer={customer['id']}" in related
    assert "See all 7" in _text(related)


def test_related_entities_the_user_may_not_read_are_left_out(
        app: Flask, signed_in: Callable[[str], FlaskClient]) -> None:
    product = _sale(app)[1]
    # carla reads products and sales; sale lines link to products, but lines are not listed.
    html = signed_in("carla").get(f"/app/product/{product['id']}").get_data(as_text=True)
    assert 'class="related"' not in html
    # specimens link to customers, but only administrators read them.
    customer = _service(app).create(SYSTEM, "customer", {"company": "Bianchi"})
    _service(app).create(SYSTEM, "specimen", {"label_text": "Alpha", "owner": customer["id"]})
    carla = signed_in("carla").get(f"/app/customer/{customer['id']}").get_data(as_text=True)
    anna = signed_in("anna").get(f"/app/customer/{customer['id']}").get_data(as_text=True)
    assert "Specimens" not in _text(carla[carla.index("<main"):])
    assert "Specimens" in _text(anna[anna.index("<main"):]) and "Alpha" in anna


def test_timeline_shows_changes_newest_first(app: Flask,
                                             signed_in: Callable[[str], FlaskClient]) -> None:
    _customer, _product, sale = _sale(app)
    service = _service(app)
    updated = service.update(CARLA, "sale", sale["id"], {"subject": "Second order",
                                                         "version": sale["version"]})
    service.update(CARLA, "sale", sale["id"], {"status": "confirmed",
                                               "version": updated["version"]})
    html = signed_in("carla").get(f"/app/sale/{sale['id']}").get_data(as_text=True)
    timeline = _text(html[html.index('class="timeline"'):])
    assert "carla changed the record Status : Draft → Confirmed" in timeline
    assert "Subject : First order → Second order" in timeline
    assert timeline.index("Confirmed") < timeline.index("Second order")
    assert timeline.index("Second order") < timeline.index("system created the record")


def test_missing_record_is_404_and_an_unreadable_entity_is_refused(
        app: Flask, signed_in: Callable[[str], FlaskClient]) -> None:
    _customer, _product, sale = _sale(app)
    carla = signed_in("carla")
    assert carla.get("/app/sale/999999").status_code == 404
    assert carla.get("/app/nothing/1").status_code == 404
    assert carla.get("/app/sale_line/1").status_code == 404  # lines have no page of their own
    ivo = signed_in("ivo")  # an intern: may read nothing of the shop
    assert ivo.get(f"/app/sale/{sale['id']}").status_code == 403


def _specimen(app: Flask, **values: Any) -> dict:
    service = _service(app)
    files = service.files
    return service.create(SYSTEM, "specimen", {
        "label_text": "Alpha", "manual": files.put(b"%PDF-1.4 manual", "manual.pdf"),
        "picture": files.put(PNG, "dot.png"), **values})


def test_attachments_and_images_download_with_safe_headers(
        app: Flask, signed_in: Callable[[str], FlaskClient]) -> None:
    specimen = _specimen(app)
    anna = signed_in("anna")
    html = anna.get(f"/app/specimen/{specimen['id']}").get_data(as_text=True)
    manual_url = f"/app/specimen/{specimen['id']}/file/manual"
    picture_url = f"/app/specimen/{specimen['id']}/file/picture"
    assert f'href="{manual_url}"' in html and f'<img src="{picture_url}"' in html
    manual = anna.get(manual_url)
    assert manual.status_code == 200 and manual.data == b"%PDF-1.4 manual"
    assert manual.headers["Content-Type"] == "application/pdf"
    assert manual.headers["Content-Disposition"] == 'attachment; filename="manual.pdf"'
    assert manual.headers["X-Content-Type-Options"] == "nosniff"
    picture = anna.get(picture_url)
    assert picture.status_code == 200 and picture.data == PNG
    assert picture.headers["Content-Type"] == "image/png"
    assert picture.headers["Content-Disposition"].startswith("inline")
    assert anna.get(f"/app/specimen/{specimen['id']}/file/label_text").status_code == 404
    assert anna.get(f"/app/specimen/{specimen['id']}/file/nothing").status_code == 404


def test_a_file_that_could_run_in_the_browser_is_only_downloaded(
        app: Flask, signed_in: Callable[[str], FlaskClient]) -> None:
    service = _service(app)
    files = service.files
    specimen = _specimen(app, manual=files.put(b"<script>alert(1)</script>", "page.html"))
    # The service refuses an image that does not decode: this one is stored as an older
    # version (or another way in) might have left it.
    table = service.registry.current().schema.table("specimen")
    with service.database.write() as connection:
        connection.execute(sa.update(table).where(table.c.id == specimen["id"]).values(
            picture=files.put(b"<svg onload='alert(1)'/>", "fake.png")))
    anna = signed_in("anna")
    page = anna.get(f"/app/specimen/{specimen['id']}/file/manual")
    assert page.headers["Content-Type"] == "application/octet-stream"
    assert page.headers["Content-Disposition"].startswith("attachment")
    fake = anna.get(f"/app/specimen/{specimen['id']}/file/picture")
    assert fake.headers["Content-Disposition"].startswith("attachment")  # not really a PNG
    assert "sandbox" in fake.headers["Content-Security-Policy"]


@pytest.mark.parametrize("who, status", [("carla", 403), ("ivo", 403)])
def test_downloads_obey_the_permissions_of_the_record(
        app: Flask, signed_in: Callable[[str], FlaskClient], who: str, status: int) -> None:
    specimen = _specimen(app)
    client = signed_in(who)
    assert client.get(f"/app/specimen/{specimen['id']}/file/manual").status_code == status
    assert client.get(f"/app/specimen/{specimen['id']}/file/picture").status_code == status


def test_files_of_lines_are_reached_through_their_record(
        app: Flask, signed_in: Callable[[str], FlaskClient]) -> None:
    _customer, _product, sale = _sale(app)
    line_id = _service(app).get(SYSTEM, "sale", sale["id"])["lines"][0]["id"]
    carla = signed_in("carla")
    # sale lines have no file field: nothing to download, whatever the URL says
    url = f"/app/sale/{sale['id']}/line/lines/{line_id}/file/product"
    assert carla.get(url).status_code == 404
    assert carla.get(f"/app/sale/{sale['id']}/line/subject/{line_id}/file/x").status_code == 404


def test_buttons_follow_the_permissions(app: Flask,
                                        signed_in: Callable[[str], FlaskClient]) -> None:
    _customer, _product, sale = _sale(app)
    edit = f'href="/app/sale/{sale["id"]}/edit"'
    delete = f'action="/app/sale/{sale["id"]}/delete"'
    carla = signed_in("carla").get(f"/app/sale/{sale['id']}").get_data(as_text=True)
    assert edit in carla and delete not in carla  # clerks read, create and update sales
    anna = signed_in("anna").get(f"/app/sale/{sale['id']}").get_data(as_text=True)
    assert edit in anna and delete in anna
