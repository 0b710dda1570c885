"""Listing records: filters, search, sort, pagination, totals, columns, link titles."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from core.records.actor import SYSTEM
from core.records.errors import QueryError
from core.records.list_statements import frozen_query
from core.records.reading import ListQuery
from core.records.service import RecordsService, ServiceOptions
from tests.conftest import Env

CITIES = ["Milano", "Torino", "Roma", "Napoli"]


@pytest.fixture
def customers(shop: Env) -> list[dict]:
    made = []
    for i in range(20):
        made.append(shop.service.create(SYSTEM, "customer", {
            "company": f"Company {i:02d}", "city": CITIES[i % 4] if i != 19 else None,
            "kind": "wholesale" if i % 5 == 0 else "retail", "vat": f"IT{i:04d}"}))
    return made


def companies(env: Env, filters=None, **query) -> list[str]:
    page = env.service.list(SYSTEM, "customer", ListQuery(filters=filters, limit=100, **query))
    return [row["company"] for row in page.rows]


@pytest.mark.parametrize("filters, expected", [
    ([["city", "=", "Roma"]], [2, 6, 10, 14, 18]),
    ([["city", "!=", "Milano"], ["kind", "=", "wholesale"]], [5, 10, 15]),
    ([["vat", "<", "IT0003"]], [0, 1, 2]),
    ([["vat", "<=", "IT0001"]], [0, 1]),
    ([["vat", ">", "IT0017"]], [18, 19]),
    ([["vat", ">=", "IT0018"]], [18, 19]),
    ([["city", "in", ["Roma", "Napoli"]], ["vat", "<", "IT0008"]], [2, 3, 6, 7]),
    ([["city", "not in", ["Milano", "Torino", "Roma"]]], [3, 7, 11, 15, 19]),
    ([["company", "like", "company 1*"]], list(range(10, 20))),
    ([["company", "like", "y 0"]], list(range(10))),
    ([["city", "is null"]], [19]),
    ([["city", "is not null"], ["vat", "between", ["IT0016", "IT0019"]]], [16, 17, 18]),
    ({"or": [["vat", "=", "IT0001"], ["vat", "=", "IT0004"]]}, [1, 4]),
    ([{"not": ["city", "is not null"]}], [19]),
    ({"and": [["kind", "=", "wholesale"], {"or": [["city", "=", "Milano"],
                                                  ["city", "=", "Torino"]]}]}, [0, 5]),
])
def test_filters(shop: Env, customers: list[dict], filters, expected: list[int]) -> None:
    assert companies(shop, filters, sort=("company",)) == [f"Company {i:02d}" for i in expected]


def test_filter_on_a_link_by_id_or_reference(shop: Env, customers: list[dict]) -> None:
    product = shop.service.create(SYSTEM, "product", {"title": "Nut"})
    for customer in customers[:3]:
        shop.service.create(SYSTEM, "sale", {"subject": "S", "customer": customer["id"],
                                             "lines": [{"product": product["id"]}]})
    by_id = shop.service.list(SYSTEM, "sale", ListQuery(filters=[["customer", "=",
                                                                   customers[1]["id"]]]))
    by_ref = shop.service.list(SYSTEM, "sale", ListQuery(filters=[["customer", "in", [
        customers[1]["ref"], customers[2]["ref"]]]]))
    assert [r["_titles"]["customer"] for r in by_id.rows] == ["Company 01"]
    assert sorted(r["_titles"]["customer"] for r in by_ref.rows) == ["Company 01", "Company 02"]


def test_sort_pagination_and_total(shop: Env, customers: list[dict]) -> None:
    page = shop.service.list(SYSTEM, "customer", ListQuery(sort=("-company",), limit=6,
                                                           offset=6))
    assert [r["company"] for r in page.rows] == [f"Company {i:02d}" for i in range(13, 7, -1)]
    assert (page.total, page.total_exact) == (20, True)
    by_city = companies(shop, sort=("city", "-vat"))
    assert by_city[:5] == ["Company 16", "Company 12", "Company 08", "Company 04", "Company 00"]
    assert by_city[-1] == "Company 19"  # empty values last, on every database


def test_total_is_capped_past_the_count_limit(shop: Env, customers: list[dict]) -> None:
    capped = RecordsService(shop.database, shop.store, options=ServiceOptions(count_limit=12))
    page = capped.list(SYSTEM, "customer", ListQuery(limit=5))
    assert (len(page.rows), page.total, page.total_exact) == (5, 12, False)
    exact = capped.list(SYSTEM, "customer", ListQuery(limit=5, exact_count=True))
    assert (exact.total, exact.total_exact) == (20, True)
    small = capped.list(SYSTEM, "customer", ListQuery(limit=5, filters=[["kind", "=",
                                                                         "wholesale"]]))
    assert (small.total, small.total_exact) == (4, True)


def test_rows_without_a_total_run_no_count(shop: Env, customers: list[dict]) -> None:
    statements: list[str] = []

    def listen(conn, cursor, statement, *args) -> None:
        statements.append(statement)

    event.listen(shop.database.engine, "before_cursor_execute", listen)
    try:
        page = shop.service.list(SYSTEM, "customer", ListQuery(
            sort=("company",), limit=5, offset=5, count=False))
    finally:
        event.remove(shop.database.engine, "before_cursor_execute", listen)
    assert [r["company"] for r in page.rows] == [f"Company {i:02d}" for i in range(5, 10)]
    assert (page.total, page.total_exact) == (10, False)  # as far as the caller has read
    assert not any("count(" in s.lower() for s in statements)


def test_text_search_over_search_fields_and_reference(shop: Env, customers: list[dict]) -> None:
    assert companies(shop, search="torino", sort=("company",))[:2] == ["Company 01",
                                                                       "Company 05"]
    assert companies(shop, search="CUS-00003") == ["Company 02"]
    assert companies(shop, search="100%") == []


def test_only_requested_columns_are_returned(shop: Env, customers: list[dict]) -> None:
    page = shop.service.list(SYSTEM, "customer", ListQuery(fields=("company",), limit=1))
    assert set(page.rows[0]) == {"id", "ref", "version", "company"}


def test_list_with_links_runs_two_statements_whatever_the_page_size(
        shop: Env, customers: list[dict]) -> None:
    product = shop.service.create(SYSTEM, "product", {"title": "Nut"})
    for customer in customers:
        shop.service.create(SYSTEM, "sale", {"subject": "S", "customer": customer["id"],
                                             "lines": [{"product": product["id"]}]})
    statements: list[str] = []

    def count(conn, cursor, statement, *args) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "testshop_" in statement:
            statements.append(statement)

    event.listen(shop.database.engine, "before_cursor_execute", count)
    try:
        page = shop.service.list(SYSTEM, "sale", ListQuery(limit=15))
    finally:
        event.remove(shop.database.engine, "before_cursor_execute", count)
    assert len(page.rows) == 15 and page.total == 20
    assert all(row["_titles"]["customer"].startswith("Company") for row in page.rows)
    assert len(statements) == 2, statements  # the page (titles joined) and the count


@pytest.mark.parametrize("filters, message", [
    ([["colour", "=", "red"]], 'Cannot filter on unknown field "colour" of customer.'),
    ([["company", ">>", "x"]], 'Operator ">>" does not apply to field "company"'),
    ([["kind", "like", "re"]], 'Operator "like" does not apply to field "kind"'),
    ([["created_at", ">", "last week"]], 'Filter on "created_at": Not a valid date and time'),
    ([["vat", "in", "IT01"]], '"in" on "vat" needs a list of values.'),
    ([["vat", "between", ["a"]]], '"between" on "vat" needs two values.'),
    ({"xor": []}, "A filter group is"),
    ([["vat"]], "A filter is [field, operator, value]"),
])
def test_bad_filters_are_refused_with_a_clear_message(shop: Env, filters, message: str) -> None:
    with pytest.raises(QueryError) as refused:
        shop.service.list(SYSTEM, "customer", ListQuery(filters=filters))
    assert message in refused.value.message


def test_bad_sort_and_fields_are_refused(shop: Env) -> None:
    with pytest.raises(QueryError, match='Cannot sort by "colour"'):
        shop.service.list(SYSTEM, "customer", ListQuery(sort=("colour",)))
    with pytest.raises(QueryError, match='Unknown field "colour"'):
        shop.service.list(SYSTEM, "customer", ListQuery(fields=("colour",)))


def test_dates_filter_and_sort(shop: Env, customers: list[dict]) -> None:
    today = dt.date.today().isoformat()
    sale = shop.service.create(SYSTEM, "sale", {"subject": "Old", "customer": customers[0]["id"],
                                                "day": "2020-01-01"})
    shop.service.create(SYSTEM, "sale", {"subject": "New", "customer": customers[0]["id"]})
    page = shop.service.list(SYSTEM, "sale", ListQuery(filters=[["day", "<", today]]))
    assert [r["id"] for r in page.rows] == [sale["id"]]
    default_sorted = shop.service.list(SYSTEM, "sale")  # the entity's default: -day
    assert [r["subject"] for r in default_sorted.rows] == ["New", "Old"]
    with shop.database.read() as connection:
        assert connection.execute(sa.text("SELECT count(*) FROM testshop_sale")).scalar() == 2


def test_few_rows_left_among_ids_spanning_past_the_cap_are_counted_exactly(
        shop: Env, customers: list[dict]) -> None:
    capped = RecordsService(shop.database, shop.store, options=ServiceOptions(count_limit=12))
    for customer in customers[2:17]:  # ids 1..20 remain spread over the whole span
        capped.delete(SYSTEM, "customer", customer["id"])
    page = capped.list(SYSTEM, "customer", ListQuery(limit=2, sort=("company",)))
    assert [r["company"] for r in page.rows] == ["Company 00", "Company 01"]
    assert (page.total, page.total_exact) == (5, True)
    retail = capped.list(SYSTEM, "customer", ListQuery(limit=1, filters=[["kind", "=",
                                                                          "retail"]]))
    assert (retail.total, retail.total_exact) == (4, True)


def test_pages_of_one_list_differ_only_by_their_limit_and_offset(
        shop: Env, customers: list[dict]) -> None:
    def page(limit: int, offset: int) -> list[str]:
        return [row["company"] for row in shop.service.list(SYSTEM, "customer", ListQuery(
            sort=("company",), limit=limit, offset=offset)).rows]

    assert page(3, 0) == ["Company 00", "Company 01", "Company 02"]
    assert page(2, 10) == ["Company 10", "Company 11"]
    assert page(5, 18) == ["Company 18", "Company 19"]
    assert page(3, 0) == ["Company 00", "Company 01", "Company 02"]


def test_a_list_read_before_a_customisation_shows_its_new_field_after(
        shop: Env, customers: list[dict]) -> None:
    before = shop.service.list(SYSTEM, "customer", ListQuery(limit=1, sort=("vat",)))
    assert "x_sector" not in before.rows[0]
    shop.store.save_overlay("admin", "customer", """
custom_fields:
  x_sector: {type: select, options: [food, steel], label: Sector}
""")
    shop.service.update(SYSTEM, "customer", customers[0]["id"],
                        {"x_sector": "steel", "version": 1})
    after = shop.service.list(SYSTEM, "customer", ListQuery(limit=1, sort=("vat",)))
    assert after.rows[0]["company"] == "Company 00" and after.rows[0]["x_sector"] == "steel"



def test_the_same_filter_asked_again_reads_the_rows_as_they_are_now(
        shop: Env, customers: list[dict]) -> None:
    """Rules ask the same lookup for every record they handle: the answer follows the data,
    and a filter that differs in a value is a filter of its own."""
    wholesale = [["kind", "=", "wholesale"]]
    assert companies(shop, wholesale, sort=("company",)) == [
        "Company 00", "Company 05", "Company 10", "Company 15"]
    shop.service.update(SYSTEM, "customer", customers[5]["id"],
                        {"kind": "retail", "version": 1})
    shop.service.create(SYSTEM, "customer", {"company": "Company 99", "kind": "wholesale"})
    assert companies(shop, wholesale, sort=("company",)) == [
        "Company 00", "Company 10", "Company 15", "Company 99"]
    assert companies(shop, [["vat", "=", "IT0001"]]) == ["Company 01"]
    assert companies(shop, [["vat", "=", "IT0002"]]) == ["Company 02"]
    with pytest.raises(QueryError):
        companies(shop, [["vat", "=", ["IT0001"]]])  # a list where a value belongs
    assert companies(shop, [["vat", "=", "IT0001"]]) == ["Company 01"]


def test_a_filter_is_kept_by_its_values_and_their_types() -> None:
    one, true = frozen_query([["n", "=", 1]], None), frozen_query([["n", "=", True]], None)
    assert one is not None and true is not None and one != true
    assert frozen_query({"or": [["a", "=", "x"]]}, "pump") != frozen_query(
        {"or": [["a", "=", "x"]]}, None)
    assert frozen_query([["d", "=", dt.date(2026, 1, 1)]], None) is None  # built each time
    assert frozen_query([["n", "in", list(range(500))]], None) is None  # too many to key
