# ruff: noqa: RUF001 (en dashes in ranges such as "1 to 20 of 30")
"""The list page: columns and labels, filters per field type, sort, pages, search, the URL."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from flask import Flask

from core.records.actor import SYSTEM
from tests.ui.conftest import sign_in
from tests.ui.list_helpers import add, add_user, first_column, headers, records, table_rows


@pytest.fixture
def customers(app: Flask) -> dict[str, dict]:
    made = {"acme": records(app).list(SYSTEM, "customer").rows[0]}
    made["beta"] = add(app, "customer", company="Beta Srl", city="Torino", kind="wholesale")
    made["gamma"] = add(app, "customer", company="Gamma SpA", city="Milano", kind="wholesale")
    made["delta"] = add(app, "customer", company="Delta", city="Roma")
    return made


@pytest.fixture
def specimens(app: Flask, customers: dict[str, dict]) -> dict[str, dict]:
    return {
        "alpha": add(app, "specimen", label_text="Alpha", count=5, ratio="1.5", price="10.00",
                     flag=True, born_on="2026-01-10", seen_at="2026-01-10T10:00:00",
                     colour="red", tags=["hot", "new"], owner=customers["acme"]["id"],
                     email="alpha@example.com"),
        "beta": add(app, "specimen", label_text="Beta", count=50, price="200.00", flag=False,
                    born_on="2026-03-01", seen_at="2026-03-01T23:30:00", colour="blue",
                    tags=["sale"], owner=customers["beta"]["id"], email="beta@example.org"),
        "gamma": add(app, "specimen", label_text="Gamma"),
    }


def test_columns_and_english_labels(signed_in, customers):
    page = signed_in("carla").get("/app/customer")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert headers(body) == ["Company", "City", "Kind"]
    assert "<h1>Customers</h1>" in body
    rows = table_rows(body)
    assert ["Beta Srl", "Torino", "Wholesale"] in rows
    assert "ACME &lt;b&gt;" in body and "ACME <b>" not in body  # escaped
    assert 'href="/app/customer/' in body
    assert "1–4 of 4" in body
    # A clerk may create customers but not delete or export them.
    assert "/app/customer/new" in body
    assert "Delete selected" not in body and "export.csv" not in body


def test_italian_user_sees_italian_labels(app, signed_in, customers):
    add_user(app, "lucia", "Lucia-pw-1", ("clerk",), language="it")
    client = sign_in(app.test_client(), "lucia", "Lucia-pw-1")
    body = client.get("/app/customer").get_data(as_text=True)
    assert headers(body) == ["Azienda", "Città", "Tipo"]
    assert "<h1>Clienti</h1>" in body
    assert ["Beta Srl", "Torino", "All'ingrosso"] in table_rows(body)
    assert 'lang="it"' in body


def test_default_columns_when_the_entity_names_none(signed_in, specimens):
    body = signed_in("anna").get("/app/specimen").get_data(as_text=True)
    names = headers(body)
    assert names[0] == "Label text"
    assert "Colour" in names and "Owner" in names and len(names) <= 5
    assert "Signature" not in names and "Body" not in names
    assert "Alpha" in first_column(body)


def test_link_column_shows_the_title_and_links_the_target(signed_in, specimens, customers):
    body = signed_in("anna").get("/app/specimen?sort=label_text").get_data(as_text=True)
    assert f'href="/app/customer/{customers["acme"]["id"]}"' in body
    assert "ACME &lt;b&gt;" in body


FILTER_CASES = [
    ("f.colour=red", ["Alpha"]),
    ("f.colour=red&f.colour=blue", ["Alpha", "Beta"]),
    ("f.tags=sale", ["Beta"]),
    ("f.tags=hot&f.tags=sale", ["Alpha", "Beta"]),
    ("f.born_on.from=2026-02-01", ["Beta"]),
    ("f.born_on.to=2026-01-10", ["Alpha"]),
    ("f.born_on.from=2026-01-01&f.born_on.to=2026-12-31", ["Alpha", "Beta"]),
    ("f.seen_at.from=2026-03-02", ["Beta"]),  # 23:30 UTC is 2 March in Rome
    ("f.seen_at.to=2026-03-01", ["Alpha"]),
    ("f.flag=yes", ["Alpha"]),
    ("f.flag=no", ["Beta"]),
    ("f.flag=", ["Alpha", "Beta", "Gamma"]),
    ("f.flag=1", ["Alpha"]),  # as a report's filter and links write it
    ("f.flag=false", ["Beta"]),
    ("f.flag=True", ["Alpha"]),
    ("f.email=example.org", ["Beta"]),
    ("f.count.from=10", ["Beta"]),
    ("f.count.to=10", ["Alpha"]),
    ("f.price.from=5&f.price.to=100", ["Alpha"]),
    ("f.price.from=150.5", ["Beta"]),
    ("f.owner.text=acme", ["Alpha"]),
]


def test_each_filter_type_narrows_the_rows(signed_in, specimens):
    client = signed_in("anna")
    for query, expected in FILTER_CASES:
        page = client.get(f"/app/specimen?sort=label_text&{query}")
        assert page.status_code == 200, (query, page.get_data(as_text=True))
        assert first_column(page.get_data(as_text=True)) == expected, query


def test_link_filter_by_id_shows_the_chosen_title(signed_in, specimens, customers):
    beta = customers["beta"]["id"]
    body = signed_in("anna").get(f"/app/specimen?f.owner={beta}").get_data(as_text=True)
    assert first_column(body) == ["Beta"]
    assert 'value="Beta Srl"' in body  # the type-ahead input shows the chosen customer
    assert 'data-typeahead="/app/customer/lookup"' in body


def test_filters_panel_from_list_filters(app, signed_in, customers):
    add(app, "sale", subject="One",
        customer=customers["beta"]["id"], status="confirmed")
    client = signed_in("carla")
    body = client.get("/app/sale").get_data(as_text=True)
    assert 'name="f.status"' in body and 'name="f.customer"' in body
    assert 'value="confirmed"' in body and "Confirmed" in body
    narrowed = client.get("/app/sale?f.status=confirmed").get_data(as_text=True)
    assert [row[1] for row in table_rows(narrowed)] == ["One"]
    assert table_rows(client.get("/app/sale?f.status=shipped").get_data(as_text=True)) == []


def test_sort_both_ways_with_aria_sort(signed_in, customers):
    client = signed_in("carla")
    body = client.get("/app/customer?sort=company").get_data(as_text=True)
    assert first_column(body) == ["ACME <b>", "Beta Srl", "Delta", "Gamma SpA"]
    assert 'aria-sort="ascending"' in body
    assert 'href="?sort=-company"' in body  # clicking again reverses
    body = client.get("/app/customer?sort=-company").get_data(as_text=True)
    assert first_column(body) == ["Gamma SpA", "Delta", "Beta Srl", "ACME <b>"]
    assert 'aria-sort="descending"' in body
    assert 'href="?sort=company"' in body


def test_pages_and_totals(app, signed_in, customers):
    for number in range(30):
        add(app, "customer", company=f"Company {number:02d}", city="Bari")
    client = signed_in("carla")
    body = client.get("/app/customer?f.city=Bari&sort=company&size=20").get_data(as_text=True)
    assert "1–20 of 30" in body
    assert len(table_rows(body)) == 20
    assert "Page 1 of 2" in body
    assert 'href="?sort=company&amp;page=2&amp;size=20&amp;f.city=Bari"' in body
    body = client.get("/app/customer?f.city=Bari&sort=company&size=20&page=2") \
        .get_data(as_text=True)
    assert "21–30 of 30" in body
    assert first_column(body)[0] == "Company 20"
    # Over the count limit the total says so.
    service = records(app)
    service.options = replace(service.options, count_limit=25)
    body = client.get("/app/customer?f.city=Bari&size=20").get_data(as_text=True)
    assert "1–20 of 25+" in body


def test_thousands_in_the_total_use_the_locale():
    from babel import Locale

    from core.formatting import format_number

    assert format_number(10000, Locale.parse("en_GB")) == "10,000"
    assert format_number(10000, Locale.parse("it_IT")) == "10.000"


def test_search(signed_in, customers):
    client = signed_in("carla")
    assert first_column(client.get("/app/customer?q=beta").get_data(as_text=True)) \
        == ["Beta Srl"]
    # search_fields are company and city
    assert sorted(first_column(client.get("/app/customer?q=milano").get_data(as_text=True))) \
        == ["ACME <b>", "Gamma SpA"]
    assert first_column(client.get("/app/customer?q=CUS-").get_data(as_text=True)) != []


def test_the_url_round_trips(signed_in, customers):
    client = signed_in("carla")
    url = "/app/customer?q=cus&sort=-company&size=20&f.kind=wholesale&f.city=o"
    body = client.get(url).get_data(as_text=True)
    assert first_column(body) == ["Gamma SpA", "Beta Srl"]
    # The form carries the whole query: search box, hidden sort and size, filter values.
    assert 'name="q" value="cus"' in body
    assert '<input type="hidden" name="sort" value="-company">' in body
    assert '<input type="hidden" name="size" value="20">' in body
    assert re.search(r'name="f.kind" value="wholesale" checked', body)
    assert 'name="f.city" value="o"' in body
    # Sort links keep the filters.
    assert "f.kind=wholesale" in re.search(r'<th[^>]*aria-sort[^>]*>\s*<a href="([^"]+)"',
                                           body).group(1)
    # The export link carries the same query.


BAD_QUERIES = [
    ("f.nosuch=1", 'There is no field "nosuch" to filter by.'),
    ("f.born_on.from=2026-13-45", "is not a date"),
    ("sort=nosuch", 'The list cannot be sorted by "nosuch".'),
    ("sort=tags", "cannot be sorted"),
    ("page=0", "page must be a whole number"),
    ("page=abc", "page must be a whole number"),
    ("size=7", "The page size must be one of"),
    ("f.colour=purple", '"purple" is not a choice of Colour.'),
    ("f.flag=maybe", "Choose yes, no or any"),
    ("f.count.from=many", "is not a number"),
    ("f.count.from=1.5", "is not a whole number"),
    ("f.owner=abc", "Choose a record for Owner"),
    ("f.born_on.from=2026-02-01&f.born_on.to=2026-01-01", "ends before it starts"),
]


def test_bad_query_is_a_400_with_a_message(signed_in, specimens):
    client = signed_in("anna")
    for query, message in BAD_QUERIES:
        page = client.get(f"/app/specimen?{query}")
        assert page.status_code == 400, query
        body = page.get_data(as_text=True)
        assert 'role="alert"' in body
        assert message.replace('"', "&#34;") in body, (query, body)
        assert "Traceback" not in body


def test_bad_query_message_is_translated(app, specimens):
    add_user(app, "irene", "Irene-pw-1", ("admin",), language="it")
    client = sign_in(app.test_client(), "irene", "Irene-pw-1")
    page = client.get("/app/specimen?sort=nosuch")
    assert page.status_code == 400


def test_a_user_who_may_not_read_gets_403(signed_in, customers):
    assert signed_in("ivo").get("/app/customer").status_code == 403


def test_anonymous_is_sent_to_sign_in(client):
    assert client.get("/app/customer").status_code in (302, 401)
