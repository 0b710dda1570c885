"""The record form: create and edit with child lines, errors kept, permissions, conflicts."""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from core.records.actor import SYSTEM
from core.ui.context import officina
from core.users import create_user
from tests.support.users import FAST_HASHING
from tests.ui.conftest import csrf_token, sign_in

SALE_PERMISSIONS = """permissions:
  clerk: {actions: [read, create, update, delete], read_only: [priority]}
  intern: {actions: [read, create, update], hidden: [day]}
layout:
  tabs:
    - label: Sale
      sections:
        - label: Main
          columns: [[subject, customer], [status, day, seller, priority]]
    - label: Lines
      sections:
        - columns: [[lines, total]]
"""


@pytest.fixture
def packs_dir(packs_dir: Path) -> Path:
    """The test packs, with field-level permissions and a tabbed layout on sales, and
    interns who may read the customers and products their sales link."""
    sale = packs_dir / "testshop" / "entities" / "sale.yaml"
    text = sale.read_text()
    sale.write_text(text[:text.index("permissions:")] + SALE_PERMISSIONS)
    for linked in ("customer", "product"):  # interns link them: they must read them
        path = packs_dir / "testshop" / "entities" / f"{linked}.yaml"
        path.write_text(path.read_text().replace("permissions:\n",
                                                 "permissions:\n  intern: [read]\n"))
    return packs_dir


@pytest.fixture
def shop_data(app: Flask) -> dict[str, int]:
    """Ids of a customer and two products; an English intern, tom."""
    with app.app_context():
        service = officina().records
        with officina().database.write() as connection:
            create_user(connection, "tom", "Tom-pw-1", roles=("intern",), hashing=FAST_HASHING)
        customer = service.list(SYSTEM, "customer").rows[0]["id"]
        bolt = service.create(SYSTEM, "product", {"title": "Bolt", "price": "2.50"})["id"]
        nut = service.create(SYSTEM, "product", {"title": "Nut", "price": "1.00"})["id"]
    return {"customer": customer, "bolt": bolt, "nut": nut}


def _get(app: Flask, entity: str, record_id: int) -> dict:
    with app.app_context():
        return officina().records.get(SYSTEM, entity, record_id)


def _sale_form(client: FlaskClient, path: str = "/app/sale/new", **fields: str) -> dict:
    data = {"csrf_token": csrf_token(client, path)}
    data.update(fields)
    return data


def _version(page: str) -> str:
    match = re.search(r'name="_version" value="(\d+)"', page)
    assert match
    return match.group(1)


def test_new_form_shows_inputs_per_type_layout_and_marks(
        signed_in: Callable[[str], FlaskClient], shop_data: dict) -> None:
    carla = signed_in("carla")
    response = carla.get("/app/sale/new")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'role="tablist"' in page and 'id="panel-2"' in page
    assert '<label for="f-subject">' in page
    assert re.search(r'id="f-subject" name="subject" required aria-required="true"', page)
    assert 'data-typeahead="/app/customer/lookup"' in page
    assert 'name="customer:title"' in page and 'id="f-customer-value" name="customer"' in page
    assert 'type="date" id="f-day" name="day"' in page
    # read-only for clerks: shown as text, no input
    assert 'name="priority"' not in page and 'id="f-priority-label"' in page
    # the workflow-free select offers its options; the child table has a blank line and a
    # template line for the script
    assert '<option value="draft" selected>' in page
    assert 'name="lines.0.product"' in page and 'name="lines.__index__.product"' in page
    assert 'value="add:lines"' in page and 'value="up:lines:0"' in page
    assert 'src="/static/form.js"' in page and 'src="/static/typeahead.js"' in page


def test_create_with_child_lines_and_redirect(signed_in: Callable[[str], FlaskClient],
                                              app: Flask, shop_data: dict) -> None:
    carla = signed_in("carla")
    response = carla.post("/app/sale/new", data=_sale_form(
        carla, subject="Spring order", customer=str(shop_data["customer"]),
        **{"customer:title": "ACME <b>", "status": "draft", "day": "2026-11-23",
           "lines.0.id": "", "lines.0.product": str(shop_data["bolt"]),
           "lines.0.quantity": "1,234.5", "lines.0.unit_price": "2.00",
           "lines.1.id": "", "lines.1.product": str(shop_data["nut"]),
           "lines.1.quantity": "2", "lines.1.unit_price": "",
           "lines.2.id": "", "lines.2.product": "", "lines.2.quantity": "1",
           "lines.2.unit_price": ""}))
    assert response.status_code == 302, response.get_data(as_text=True)
    match = re.search(r"/app/sale/(\d+)$", response.headers["Location"])
    assert match
    sale = _get(app, "sale", int(match.group(1)))
    assert sale["subject"] == "Spring order" and sale["seller"] == "carla"
    assert str(sale["day"]) == "2026-11-23"
    assert [line["product"] for line in sale["lines"]] == [shop_data["bolt"], shop_data["nut"]]
    assert sale["lines"][0]["quantity"] == Decimal("1234.5")
    assert sale["priority"] == 3  # read-only for clerks: the default
    follow = carla.get(response.headers["Location"])
    assert "saved" in follow.get_data(as_text=True)


def _make_sale(app: Flask, shop_data: dict) -> dict:
    with app.app_context():
        return officina().records.create(SYSTEM, "sale", {
            "subject": "Order", "customer": shop_data["customer"],
            "lines": [{"product": shop_data["bolt"], "quantity": 1},
                      {"product": shop_data["nut"], "quantity": 2},
                      {"product": shop_data["bolt"], "quantity": 3}]})


def _edit_data(client: FlaskClient, path: str) -> dict[str, str]:
    """The fields of the edit form as a browser would send them (no buttons)."""
    page = client.get(path).get_data(as_text=True)
    start = page.index("data-record-form")
    form = page[start:page.index("</form>", start)]
    form = re.sub(r"<template.*?</template>", "", form, flags=re.S)
    data: dict[str, str] = {}
    for tag in re.findall(r"<(?:input|select|textarea)\b[^>]*>", form):
        name = re.search(r'name="([^"]+)"', tag)
        if not name or 'type="submit"' in tag or 'type="file"' in tag:
            continue
        if 'type="checkbox"' in tag and "checked" not in tag:
            continue
        value = re.search(r'value="([^"]*)"', tag)
        data[name.group(1)] = value.group(1) if value else ""
    for name, body in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', form, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected>', body)
        data[name] = chosen.group(1) if chosen else ""
    for name, body in re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', form,
                                 re.S):
        data[name] = body
    return {k: v.replace("&lt;", "<").replace("&gt;", ">").replace("&#34;", '"')
            .replace("&amp;", "&") for k, v in data.items()}


def test_edit_reorder_and_remove_lines(signed_in: Callable[[str], FlaskClient], app: Flask,
                                       shop_data: dict) -> None:
    sale = _make_sale(app, shop_data)
    carla = signed_in("carla")
    path = f"/app/sale/{sale['id']}/edit"
    data = _edit_data(carla, path)
    assert data["lines.0.quantity"] == "1.000" and data["_version"] == "1"
    assert data["customer:title"] == "ACME <b>"
    # without JavaScript: "down" on line 1 comes back with the lines swapped, nothing saved
    moved = carla.post(path, data={**data, "_action": "down:lines:0"})
    assert moved.status_code == 200
    assert _get(app, "sale", sale["id"])["version"] == 1
    swapped = _edit_data_from(moved.get_data(as_text=True))
    assert swapped["lines.0.quantity"] == "2.000" and swapped["lines.1.quantity"] == "1.000"
    # the script's way: rows renumbered in their new order; line 3 removed; subject changed
    ids = [line["id"] for line in sale["lines"]]
    data = {k: v for k, v in data.items() if not k.startswith("lines.")}
    data.update({"subject": "Order (changed)",
                 "lines.0.id": str(ids[1]), "lines.0.product": str(shop_data["nut"]),
                 "lines.0.quantity": "5", "lines.0.unit_price": "",
                 "lines.1.id": str(ids[0]), "lines.1.product": str(shop_data["bolt"]),
                 "lines.1.quantity": "1", "lines.1.unit_price": ""})
    saved = carla.post(path, data=data)
    assert saved.status_code == 302, saved.get_data(as_text=True)
    after = _get(app, "sale", sale["id"])
    assert after["subject"] == "Order (changed)" and after["version"] == 2
    assert [line["id"] for line in after["lines"]] == [ids[1], ids[0]]
    assert after["lines"][0]["quantity"] == Decimal("5")


def _edit_data_from(page: str) -> dict[str, str]:
    return dict(re.findall(r'name="(lines\.\d+\.quantity)"[^>]*value="([^"]*)"', page))


def test_remove_button_without_javascript(signed_in: Callable[[str], FlaskClient], app: Flask,
                                          shop_data: dict) -> None:
    sale = _make_sale(app, shop_data)
    carla = signed_in("carla")
    path = f"/app/sale/{sale['id']}/edit"
    data = _edit_data(carla, path)
    removed = carla.post(path, data={**data, "_action": "remove:lines:1"})
    page = removed.get_data(as_text=True)
    assert removed.status_code == 200
    assert _edit_data_from(page) == {"lines.0.quantity": "1.000", "lines.1.quantity": "3.000",
                                     "lines.2.quantity": "1"}  # and one blank line
    added = carla.post(path, data={**_edit_data_from_page(page), "_action": "add:lines"})
    assert 'name="lines.3.product"' in added.get_data(as_text=True)
    saved = carla.post(path, data=_edit_data_from_page(page))
    assert saved.status_code == 302
    assert [line["quantity"] for line in _get(app, "sale", sale["id"])["lines"]] == [1, 3]


def _edit_data_from_page(page: str) -> dict[str, str]:
    start = page.index("data-record-form")
    form = page[start:page.index("</form>", start)]
    form = re.sub(r"<template.*?</template>", "", form, flags=re.S)
    data = {}
    for tag in re.findall(r"<input\b[^>]*>", form):
        name = re.search(r'name="([^"]+)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if name and 'type="checkbox"' not in tag and 'type="file"' not in tag:
            data[name.group(1)] = value.group(1) if value else ""
    for name, body in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', form, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected>', body)
        data[name] = chosen.group(1) if chosen else ""
    return data


def test_failed_save_keeps_input_and_shows_errors(signed_in: Callable[[str], FlaskClient],
                                                  app: Flask, shop_data: dict) -> None:
    carla = signed_in("carla")
    response = carla.post("/app/sale/new", data=_sale_form(
        carla, subject="", customer=str(shop_data["customer"]),
        **{"customer:title": "ACME <b>", "day": "2026-11-23",
           "lines.0.id": "", "lines.0.product": "", "lines.0.quantity": "lots",
           "lines.0.unit_price": "3.50"}))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'role="alert"' in page and 'id="form-summary"' in page
    assert re.search(r'id="f-lines-0-quantity" name="lines.0.quantity" aria-invalid="true" '
                     r'aria-describedby="f-lines-0-quantity-error"[^>]*value="lots"', page)
    assert 'id="f-lines-0-quantity-error"' in page and "write it like 1,234.56" in page
    assert 'value="3.50"' in page and 'value="ACME &lt;b&gt;"' in page
    assert 'value="2026-11-23"' in page
    # one round shows every problem: the unreadable number and the service's own refusals
    assert '<p class="field-error" id="f-subject-error">A value is required.</p>' in page
    assert 'id="f-lines-0-product-error"' in page
    # fix the number: the service's own errors remain (subject required, product required)
    response = carla.post("/app/sale/new", data=_sale_form(
        carla, subject="", customer=str(shop_data["customer"]),
        **{"lines.0.id": "", "lines.0.product": "", "lines.0.quantity": "2",
           "lines.0.unit_price": "3.50"}))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert re.search(r'id="f-subject" name="subject" required aria-required="true" '
                     r'aria-invalid="true" aria-describedby="f-subject-error"', page)
    assert '<p class="field-error" id="f-subject-error">A value is required.</p>' in page
    assert 'id="f-lines-0-product-error"' in page
    assert 'href="#f-lines-0-product"' in page  # the summary links to the cell
    assert 'data-has-errors' in page  # the tab with errors is marked
    with app.app_context():
        assert officina().records.list(SYSTEM, "sale").total == 0


def test_italian_user_types_italian_numbers_and_reads_italian_errors(
        signed_in: Callable[[str], FlaskClient], app: Flask, shop_data: dict) -> None:
    ivo = signed_in("ivo")
    response = ivo.post("/app/sale/new", data=_sale_form(
        ivo, subject="", customer=str(shop_data["customer"]),
        **{"lines.0.id": "", "lines.0.product": str(shop_data["bolt"]),
           "lines.0.quantity": "1.234,5", "lines.0.unit_price": "abc"}))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "scrivilo come 1.234,56" in page.lower() or "1.234,56" in page
    assert 'value="1.234,5"' in page
    response = ivo.post("/app/sale/new", data=_sale_form(
        ivo, subject="", customer=str(shop_data["customer"]),
        **{"lines.0.id": "", "lines.0.product": str(shop_data["bolt"]),
           "lines.0.quantity": "1.234,5", "lines.0.unit_price": "2,5"}))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Valore obbligatorio." in page
    response = ivo.post("/app/sale/new", data=_sale_form(
        ivo, subject="Ordine", customer=str(shop_data["customer"]),
        **{"lines.0.id": "", "lines.0.product": str(shop_data["bolt"]),
           "lines.0.quantity": "1.234,5", "lines.0.unit_price": "2,5"}))
    assert response.status_code == 302, response.get_data(as_text=True)
    sale_id = int(response.headers["Location"].rsplit("/", 1)[1])
    line = _get(app, "sale", sale_id)["lines"][0]
    assert line["quantity"] == Decimal("1234.5") and line["unit_price"] == Decimal("2.5")
    # the edit form shows numbers the Italian way; day is hidden from interns
    page = ivo.get(f"/app/sale/{sale_id}/edit").get_data(as_text=True)
    assert 'value="1.234,500"' in page and 'value="2,50"' in page
    assert 'name="day"' not in page and "f-day" not in page


def test_link_typed_without_javascript(signed_in: Callable[[str], FlaskClient], app: Flask,
                                       shop_data: dict) -> None:
    carla = signed_in("carla")
    response = carla.post("/app/sale/new", data=_sale_form(
        carla, subject="Typed", customer="", **{"customer:title": "ACME"}))
    assert response.status_code == 302, response.get_data(as_text=True)
    sale_id = int(response.headers["Location"].rsplit("/", 1)[1])
    assert _get(app, "sale", sale_id)["customer"] == shop_data["customer"]
    response = carla.post("/app/sale/new", data=_sale_form(
        carla, subject="Typed", customer="", **{"customer:title": "Nobody"}))
    assert response.status_code == 422
    assert "does not name one record" in response.get_data(as_text=True)


def test_tampered_read_only_and_hidden_fields_change_nothing(
        signed_in: Callable[[str], FlaskClient], app: Flask, shop_data: dict) -> None:
    sale = _make_sale(app, shop_data)
    carla = signed_in("carla")
    path = f"/app/sale/{sale['id']}/edit"
    data = _edit_data(carla, path)
    assert "priority" not in data and "seller" not in data and "total" not in data
    for field, value in (("priority", "5"), ("seller", "mallory"), ("total", "1")):
        response = carla.post(path, data={**data, field: value, "subject": "Sneaky"})
        page = response.get_data(as_text=True)
        assert response.status_code == 422, (field, page)
        assert "field-error" in page or "form-summary" in page
    response = carla.post(path, data={**data, "lines.0.amount": "99", "subject": "Sneaky"})
    assert response.status_code == 422
    after = _get(app, "sale", sale["id"])
    assert after["version"] == 1 and after["subject"] == "Order" and after["priority"] == 3
    assert after["seller"] == sale["seller"]
    tom = sign_in(app.test_client(), "tom", "Tom-pw-1")
    data = _edit_data(tom, path)
    assert "day" not in data
    response = tom.post(path, data={**data, "day": "2020-01-01", "subject": "Sneaky"})
    assert response.status_code == 422
    assert "You may not change this field." in response.get_data(as_text=True)
    assert _get(app, "sale", sale["id"])["day"] == sale["day"]
    # a line id of another record is refused too
    other = _make_sale(app, shop_data)
    response = tom.post(path, data={**data, "lines.0.id": str(other["lines"][0]["id"])})
    assert response.status_code == 422
    assert _get(app, "sale", other["id"])["version"] == 1


def test_version_conflict_keeps_input(signed_in: Callable[[str], FlaskClient], app: Flask,
                                      shop_data: dict) -> None:
    sale = _make_sale(app, shop_data)
    carla = signed_in("carla")
    path = f"/app/sale/{sale['id']}/edit"
    data = _edit_data(carla, path)
    with app.app_context():
        officina().records.update(SYSTEM, "sale", sale["id"], {"subject": "By someone else"},
                                  version=1)
    response = carla.post(path, data={**data, "subject": "Mine"})
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "was changed by system since you opened it" in page
    assert 'value="Mine"' in page
    assert _get(app, "sale", sale["id"])["subject"] == "By someone else"


def test_permissions_and_unknown_records(signed_in: Callable[[str], FlaskClient], app: Flask,
                                         shop_data: dict) -> None:
    carla = signed_in("carla")
    assert carla.get("/app/product/new").status_code == 403  # clerks only read products
    assert carla.get("/app/sale/999/edit").status_code == 404
    assert carla.get("/app/sale_line/new").status_code == 404
    token = csrf_token(carla, "/app/sale/new")
    assert carla.post("/app/product/new", data={"csrf_token": token,
                                                "title": "X"}).status_code == 403
    assert carla.post("/app/sale/new", data={"subject": "no token"}).status_code == 400
    anonymous = app.test_client()
    assert anonymous.get("/app/sale/new").status_code == 302


def test_delete_with_confirmation(signed_in: Callable[[str], FlaskClient], app: Flask,
                                  shop_data: dict) -> None:
    sale = _make_sale(app, shop_data)
    carla = signed_in("carla")
    confirm = carla.get(f"/app/sale/{sale['id']}/delete")
    assert confirm.status_code == 200 and "cannot be undone" in confirm.get_data(as_text=True)
    edit = carla.get(f"/app/sale/{sale['id']}/edit").get_data(as_text=True)
    assert "data-confirm=" in edit and f"/app/sale/{sale['id']}/delete" in edit
    token = csrf_token(carla, "/app/sale/new")
    stale = carla.post(f"/app/sale/{sale['id']}/delete", data={"csrf_token": token,
                                                               "_version": "7"})
    assert stale.status_code == 302 and _get(app, "sale", sale["id"])
    response = carla.post(f"/app/sale/{sale['id']}/delete",
                          data={"csrf_token": token, "_version": "1"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/app/sale")
    with app.app_context():
        assert officina().records.list(SYSTEM, "sale").total == 0
    tom = sign_in(app.test_client(), "tom", "Tom-pw-1")
    other = _make_sale(app, shop_data)
    token = csrf_token(tom, "/app/sale/new")
    assert tom.post(f"/app/sale/{other['id']}/delete",
                    data={"csrf_token": token}).status_code == 403
