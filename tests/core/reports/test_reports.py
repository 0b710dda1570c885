"""Reports: grouped counts, sums, averages, minima and maxima in SQL, on both backends."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from core.metadata.registry import load_registry
from core.records.actor import SYSTEM, Actor
from core.records.errors import NotFound, PermissionDenied, QueryError
from core.reports import ReportResult, ReportSpec, load_reports, run_report
from tests.conftest import FIXTURE_PACKS, Env

CLERK = Actor("carla", frozenset({"clerk"}))
VIEWER = Actor("victor", frozenset({"viewer"}))

# (customer, status, priority, [(quantity, unit price)...])
SALES = [
    ("Acme", "draft", 1, [(1, "10.00")]),
    ("Acme", "draft", 2, [(2, "5.50")]),
    ("Acme", "confirmed", 5, [(1, "100.00"), (3, "1.25")]),
    ("Bolt", "draft", 4, [(1, "7.10")]),
    ("Bolt", "shipped", 3, [(2, "20.00")]),
    ("Bolt", None, 3, [(1, "0.99")]),
]


@pytest.fixture
def sales(shop: Env) -> dict[str, dict]:
    product = shop.service.create(SYSTEM, "product", {"title": "Bolt M8"})
    customers = {name: shop.service.create(SYSTEM, "customer", {"company": name})
                 for name in ("Bolt", "Acme")}
    for i, (customer, status, priority, lines) in enumerate(SALES):
        shop.service.create(SYSTEM, "sale", {
            "subject": f"Sale {i}", "customer": customers[customer]["id"], "status": status,
            "priority": priority, "day": dt.date(2026, 3, 1 + i % 2),
            "lines": [{"product": product["id"], "quantity": q, "unit_price": p}
                      for q, p in lines]})
    return customers


def report(**keys) -> dict:
    return {"name": "test", "label": "Test", "entity": "sale", **keys}


def by(result: ReportResult, *keys: str) -> dict:
    return {tuple(row[k] for k in keys): row for row in result.rows}


def test_counts_and_sums_by_status(shop: Env, sales: dict) -> None:
    spec = load_reports(shop.store.current().registry)["sales_by_status"]
    result = run_report(shop.service, SYSTEM, spec)
    assert [(r["status"], r["Count"], r["Total"]) for r in result.rows] == [
        ("draft", 3, Decimal("28.10")), ("confirmed", 1, Decimal("103.75")),
        ("shipped", 1, Decimal("40.00")), (None, 1, Decimal("0.99"))]
    assert result.totals == {"Count": 6, "Total": Decimal("172.84")}
    assert all(isinstance(r["Total"], Decimal) for r in result.rows)
    assert [(c.name, c.label, c.kind) for c in result.columns] == [
        ("status", "Status", "group"), ("Count", "Count", "aggregate"),
        ("Total", "Total", "aggregate")]
    assert result.rows[0]["status__label"] == "draft"


def test_avg_min_max_rounded_to_the_fields_scale(shop: Env, sales: dict) -> None:
    result = run_report(shop.service, SYSTEM, report(group_by=["customer"], aggregates=[
        {"function": "avg", "field": "total", "label": "Average"},
        {"function": "min", "field": "total", "label": "Smallest"},
        {"function": "max", "field": "day", "label": "Last day"},
        {"function": "avg", "field": "priority", "label": "Priority"}]))
    rows = by(result, "customer__label")
    acme, bolt = rows[("Acme",)], rows[("Bolt",)]
    assert acme["Average"] == Decimal("41.58")  # (10 + 11 + 103.75) / 3 = 41.583..
    assert (bolt["Average"], bolt["Smallest"]) == (Decimal("16.03"), Decimal("0.99"))
    assert acme["Last day"] == dt.date(2026, 3, 2)
    assert (acme["Priority"], bolt["Priority"]) == (Decimal("2.67"), Decimal("3.33"))
    assert result.totals["Average"] == Decimal("28.81")
    assert result.totals["Smallest"] == Decimal("0.99")


def test_link_groups_carry_titles_and_ids(shop: Env, sales: dict) -> None:
    spec = load_reports(shop.store.current().registry)["sales_by_customer_status"]
    result = run_report(shop.service, SYSTEM, spec)
    assert [(r["customer__label"], r["status"], r["Count"], r["Total"])
            for r in result.rows] == [
        ("Acme", "draft", 2, Decimal("21.00")), ("Acme", "confirmed", 1, Decimal("103.75")),
        ("Bolt", "draft", 1, Decimal("7.10")), ("Bolt", None, 1, Decimal("0.99"))]
    assert result.rows[0]["customer"] == sales["Acme"]["id"]
    assert result.totals["Count"] == 5  # shipped sales are filtered out


def test_extra_filters_narrow_the_report(shop: Env, sales: dict) -> None:
    spec = load_reports(shop.store.current().registry)["sales_by_status"]
    acme = run_report(shop.service, SYSTEM, spec, [["customer", "=", sales["Acme"]["ref"]]])
    assert [(r["status"], r["Count"]) for r in acme.rows] == [("draft", 2), ("confirmed", 1)]
    assert acme.totals == {"Count": 3, "Total": Decimal("124.75")}
    urgent = run_report(shop.service, SYSTEM, spec, {"or": [["priority", ">=", 5],
                                                            ["status", "is null"]]})
    assert [(r["status"], r["Count"]) for r in urgent.rows] == [("confirmed", 1), (None, 1)]


def test_sort_by_an_aggregate_label_keeps_empty_groups_last(shop: Env, sales: dict) -> None:
    result = run_report(shop.service, SYSTEM, report(
        group_by=["status"], sort="-Total",
        aggregates=[{"function": "sum", "field": "total", "label": "Total"}]))
    assert [r["status"] for r in result.rows] == ["confirmed", "shipped", "draft", None]
    by_count = run_report(shop.service, SYSTEM, report(group_by=["customer"], sort="-customer"))
    assert [r["customer__label"] for r in by_count.rows] == ["Bolt", "Acme"]
    assert [r["count"] for r in by_count.rows] == [3, 3]


def test_group_by_dates_and_no_groups(shop: Env, sales: dict) -> None:
    days = run_report(shop.service, SYSTEM, report(group_by=["day"]))
    assert [(r["day"], r["count"]) for r in days.rows] == [(dt.date(2026, 3, 1), 3),
                                                          (dt.date(2026, 3, 2), 3)]
    created = run_report(shop.service, SYSTEM, report(group_by=["created_at"]))
    assert len(created.rows) == 1 and isinstance(created.rows[0]["created_at"], dt.date)
    assert created.rows[0]["count"] == 6
    flat = run_report(shop.service, SYSTEM, report())
    assert flat.rows == [{"count": 6}] and flat.totals == {"count": 6}


def test_empty_report(shop: Env) -> None:
    result = run_report(shop.service, SYSTEM, report(group_by=["status"], aggregates=[
        {"function": "sum", "field": "total", "label": "Total"}, {"function": "count"}]))
    assert result.rows == [] and result.totals == {"Total": None, "count": 0}


def test_roles_and_permissions(shop: Env, sales: dict) -> None:
    reports = load_reports(shop.store.current().registry)
    assert run_report(shop.service, CLERK, reports["sales_by_customer_status"]).totals[
        "Count"] == 5
    with pytest.raises(PermissionDenied, match="may not run the report"):
        run_report(shop.service, CLERK, report(roles=["manager"]))
    assert run_report(shop.service, SYSTEM, report(roles=["manager"])).totals["count"] == 6
    with pytest.raises(PermissionDenied, match="may not read sales"):
        run_report(shop.service, VIEWER, reports["sales_by_status"])


@pytest.mark.parametrize("keys, message", [
    ({"group_by": ["colour"]}, 'Cannot group by field "colour" of sale'),
    ({"group_by": ["status", "customer", "day"]}, "at most two fields"),
    ({"aggregates": [{"function": "sum", "field": "nothing"}]}, 'Unknown field "nothing"'),
    ({"aggregates": [{"function": "sum", "field": "subject"}]}, "it is not a number"),
    ({"aggregates": [{"function": "avg"}]}, '"avg" needs a field'),
    ({"aggregates": [{"function": "median", "field": "total"}]}, "Unknown aggregate function"),
    ({"group_by": ["status"], "aggregates": [{"function": "count", "label": "status"}]},
     'Two columns of the report are called "status"'),
    ({"filters": [["colour", "=", "red"]]}, 'Cannot filter on unknown field "colour"'),
    ({"group_by": ["status"], "sort": "Sum"}, 'Cannot sort the report by "Sum"'),
])
def test_unknown_fields_are_clear_errors(shop: Env, keys: dict, message: str) -> None:
    with pytest.raises(QueryError, match=message):
        run_report(shop.service, SYSTEM, report(**keys))


@pytest.mark.parametrize("field", ["tags", "manual", "picture", "signature"])
def test_option_lists_and_files_are_not_groups(shop: Env, field: str) -> None:
    with pytest.raises(QueryError, match=f'Cannot group by field "{field}" of specimen'):
        run_report(shop.service, SYSTEM, report(entity="specimen", group_by=[field]))


def test_long_text_still_groups(shop: Env) -> None:
    shop.service.create(SYSTEM, "specimen", {"label_text": "Alpha", "body": "Long text"})
    result = run_report(shop.service, SYSTEM, report(entity="specimen", group_by=["body"]))
    assert [(r["body"], r["count"]) for r in result.rows] == [("Long text", 1)]


def test_unknown_entity_and_lines(shop: Env) -> None:
    with pytest.raises(NotFound, match='Unknown entity "invoice"'):
        run_report(shop.service, SYSTEM, report(entity="invoice"))
    with pytest.raises(QueryError, match="lines of another entity"):
        run_report(shop.service, SYSTEM, report(entity="sale_line"))


def test_load_reports_reads_the_packs() -> None:
    reports = load_reports(load_registry(["testshop"], [FIXTURE_PACKS]))
    spec = reports["sales_by_customer_status"]
    assert isinstance(spec, ReportSpec)
    assert (spec.pack, spec.entity, spec.group_by, spec.roles) == (
        "testshop", "sale", ("customer", "status"), frozenset({"clerk"}))
    assert spec.filters == (("status", "!=", "shipped"),)
    assert [a.label for a in spec.aggregates] == ["Count", "Total", "Priority"]
    with pytest.raises(AttributeError):
        spec.name = "other"  # type: ignore[misc]
