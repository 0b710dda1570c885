"""What a list page does with rows: saved filters, bulk delete, CSV and XLSX exports."""

from __future__ import annotations

import csv
import io
import re

import pytest
from flask import Flask
from openpyxl import load_workbook

from core.records.actor import SYSTEM
from tests.ui.conftest import csrf_token
from tests.ui.list_helpers import add, first_column, records


@pytest.fixture
def shop_rows(app: Flask) -> dict[str, dict]:
    made = {"acme": records(app).list(SYSTEM, "customer").rows[0]}
    made["evil"] = add(app, "customer", company="=HYPERLINK(\"http://x\")", city="Roma")
    made["beta"] = add(app, "customer", company="Beta Srl", city="Torino", kind="wholesale")
    bolt = add(app, "product", title="Bolt", price="1.25")
    made["sale"] = add(app, "sale", subject="First", customer=made["beta"]["id"],
                       status="confirmed", lines=[{"product": bolt["id"], "quantity": "1000",
                                                   "unit_price": "1.25"}])
    return made


def test_saved_filters_belong_to_their_user(signed_in, shop_rows):
    carla, anna = signed_in("carla"), signed_in("anna")
    token = csrf_token(carla, "/app/customer")
    saved = carla.post("/app/customer/saved", data={
        "csrf_token": token, "name": "Turin wholesale",
        "back": "f.kind=wholesale&q=tor&page=3"})
    assert saved.status_code == 303
    body = carla.get("/app/customer").get_data(as_text=True)
    link = re.search(r'<a href="(/app/customer\?[^"]+)">Turin wholesale</a>', body)
    assert link, body
    url = link.group(1).replace("&amp;", "&")
    assert "page=" not in url  # a saved filter starts at the first page
    assert first_column(carla.get(url).get_data(as_text=True)) == ["Beta Srl"]
    # Saving under the same name replaces the query.
    carla.post("/app/customer/saved", data={"csrf_token": token, "name": "Turin wholesale",
                                            "back": "q=beta"})
    body = carla.get("/app/customer").get_data(as_text=True)
    assert body.count(">Turin wholesale</a>") == 1 and "/app/customer?q=beta" in body
    # Another user sees none of them and cannot delete them.
    other = anna.get("/app/customer").get_data(as_text=True)
    assert "Turin wholesale" not in other
    filter_id = re.search(r"/app/customer/saved/(\d+)/delete", body).group(1)
    anna.post(f"/app/customer/saved/{filter_id}/delete",
              data={"csrf_token": csrf_token(anna, "/app/customer")})
    assert "Turin wholesale" in carla.get("/app/customer").get_data(as_text=True)
    # Without a CSRF token nothing happens; with it, the owner deletes it.
    assert carla.post(f"/app/customer/saved/{filter_id}/delete").status_code == 400
    carla.post(f"/app/customer/saved/{filter_id}/delete", data={"csrf_token": token})
    assert "Turin wholesale" not in carla.get("/app/customer").get_data(as_text=True)


def test_bulk_delete_all_or_nothing(app, signed_in, shop_rows):
    anna = signed_in("anna")
    token = csrf_token(anna, "/app/customer")
    page = anna.get("/app/customer").get_data(as_text=True)
    assert 'data-confirm="Delete the selected records? This cannot be undone."' in page
    assert 'data-select-all' in page
    ids = [shop_rows["evil"]["id"], shop_rows["beta"]["id"]]
    # Without confirmation (no JavaScript) a confirmation page comes first.
    asked = anna.post("/app/customer/delete", data={"csrf_token": token, "id": ids})
    assert asked.status_code == 200
    assert shop_rows["beta"]["ref"] in asked.get_data(as_text=True)
    assert len(records(app).list(SYSTEM, "customer").rows) == 3
    # Beta is linked from a sale: nothing is deleted, and the message names it.
    refused = anna.post("/app/customer/delete", data={
        "csrf_token": token, "id": ids, "confirmed": "1", "back": "q=a"},
        follow_redirects=False)
    assert refused.status_code == 303 and refused.headers["Location"].endswith(
        "/app/customer?q=a")
    shown = anna.get("/app/customer").get_data(as_text=True)
    assert "Nothing was deleted" in shown and shop_rows["beta"]["ref"] in shown
    assert len(records(app).list(SYSTEM, "customer").rows) == 3
    # Without the linked one, both go.
    records(app).delete(SYSTEM, "sale", shop_rows["sale"]["id"])
    anna.post("/app/customer/delete", data={"csrf_token": token, "id": ids,
                                            "confirmed": "1"})
    assert "2 records deleted." in anna.get("/app/customer").get_data(as_text=True)
    assert [r["company"] for r in records(app).list(SYSTEM, "customer").rows] == ["ACME <b>"]


def test_bulk_delete_refused_without_permission(app, signed_in, shop_rows):
    carla = signed_in("carla")
    token = csrf_token(carla, "/app/customer")
    answer = carla.post("/app/customer/delete", data={
        "csrf_token": token, "id": [shop_rows["evil"]["id"]], "confirmed": "1"})
    assert answer.status_code == 403
    assert len(records(app).list(SYSTEM, "customer").rows) == 3
    assert carla.post("/app/customer/delete", data={
        "id": [shop_rows["evil"]["id"]], "confirmed": "1"}).status_code == 400  # no CSRF


def read_csv(data: bytes, delimiter: str = ",") -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""),
                           delimiter=delimiter))


def test_csv_export_of_the_filtered_rows(signed_in, shop_rows):
    anna = signed_in("anna")
    page = anna.get("/app/customer?q=a&sort=company").get_data(as_text=True)
    assert 'href="/app/customer/export.csv?q=a&amp;sort=company"' in page
    assert "at most 50,000" in page
    answer = anna.get("/app/customer/export.csv?sort=company")
    assert answer.status_code == 200
    assert answer.headers["Content-Disposition"].startswith('attachment; filename="customer-')
    rows = read_csv(answer.data)
    assert rows[0] == ["Reference", "Company", "City", "Kind"]
    companies = [row[1] for row in rows[1:]]
    assert companies == ['\'=HYPERLINK("http://x")', "ACME <b>", "Beta Srl"]
    assert rows[3][3] == "Wholesale"
    filtered = read_csv(anna.get("/app/customer/export.csv?f.kind=wholesale").data)
    assert [row[1] for row in filtered[1:]] == ["Beta Srl"]


def test_xlsx_export_of_the_selected_rows(signed_in, shop_rows):
    anna = signed_in("anna")
    token = csrf_token(anna, "/app/customer")
    answer = anna.post("/app/customer/export.xlsx", data={
        "csrf_token": token, "id": [shop_rows["evil"]["id"], shop_rows["beta"]["id"]],
        "back": "sort=-company"})
    assert answer.status_code == 200
    sheet = load_workbook(io.BytesIO(answer.data)).active
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values[0] == ["Reference", "Company", "City", "Kind"]
    assert [row[1] for row in values[1:]] == ["Beta Srl", '=HYPERLINK("http://x")']
    evil = sheet.cell(row=3, column=2)
    assert evil.data_type == "s" and evil.quotePrefix  # text, never a formula


def test_sale_export_in_italian_with_link_titles_and_money(app, signed_in, shop_rows):
    from tests.ui.conftest import sign_in
    from tests.ui.list_helpers import add_user

    add_user(app, "irene", "Irene-pw-1", ("admin",), language="it")
    client = sign_in(app.test_client(), "irene", "Irene-pw-1")
    rows = read_csv(client.get("/app/sale/export.csv").data, delimiter=";")
    assert rows[0][1:] == ["Oggetto", "Cliente", "Stato", "Totale"]
    first = next(row for row in rows if row[1] == "First")
    assert first[2:] == ["Beta Srl", "Confermato", "1250,00"]
    sheet = load_workbook(io.BytesIO(client.get("/app/sale/export.xlsx").data)).active
    assert sheet.title == "Vendite"
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    first = next(row for row in values if row[1] == "First")
    assert first[2:4] == ["Beta Srl", "Confermato"] and float(first[4]) == 1250.0


def test_export_needs_the_export_permission(signed_in, shop_rows):
    carla = signed_in("carla")
    assert carla.get("/app/customer/export.csv").status_code == 403
    assert carla.get("/app/customer/export.xlsx").status_code == 403
    token = csrf_token(carla, "/app/customer")
    assert carla.post("/app/customer/export.csv", data={
        "csrf_token": token, "id": [shop_rows["beta"]["id"]]}).status_code == 403
    assert "export.csv" not in carla.get("/app/customer").get_data(as_text=True)
    assert signed_in("ivo").get("/app/customer/export.csv").status_code == 403
