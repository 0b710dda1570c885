"""A pack may replace one entity's generated page with its own Jinja2 template."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient

from core.records.actor import SYSTEM


def test_a_packs_page_template_extends_the_generated_one(
        app: Flask, signed_in: Callable[[str], FlaskClient]) -> None:
    records = app.extensions["officina"].records
    product = records.create(SYSTEM, "product", {"title": "Brass bolt", "price": "2.50"})
    customer = records.list(SYSTEM, "customer").rows[0]
    carla = signed_in("carla")
    page = carla.get(f"/app/product/{product['id']}").get_data(as_text=True)
    assert '<aside class="card" id="stock-note">' in page
    assert "Brass bolt: ask the warehouse." in page
    assert "Brass bolt</h1>" in page or "Brass bolt" in page.split("<h1>")[1]  # generated part
    other = carla.get(f"/app/customer/{customer['id']}").get_data(as_text=True)
    assert "stock-note" not in other  # only the product's page is replaced
