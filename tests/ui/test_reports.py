"""Report pages: the list of reports, running one with filters and grouping from the URL, the
SVG chart, the totals, and the CSV and XLSX exports with their permission."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import lxml.html
import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook

from core.records.actor import SYSTEM
from tests.ui.conftest import csrf_token

# (customer, status, day, amount): one line of quantity 1 each.
SALES = [("Alfa", "draft", "2026-01-10", "100.00"), ("Alfa", "confirmed", "2026-02-11", "50.50"),
         ("Beta", "draft", "2026-03-12", "10.00"), ("Beta", "shipped", "2026-03-20", "7.00"),
         ("Beta", "draft", "2026-04-01", "1200.25")]


@pytest.fixture
def sales(app: Flask) -> dict[str, int]:
    """The sales above; returns the customers' ids by name."""
    service = app.extensions["officina"].records
    customers = {name: service.create(SYSTEM, "customer", {"company": name})["id"]
                 for name in ("Alfa", "Beta")}
    product = service.create(SYSTEM, "product", {"title": "Thing"})["id"]
    for customer, status, day, amount in SALES:
        service.create(SYSTEM, "sale", {
            "subject": f"{customer} {day}", "customer": customers[customer], "status": status,
            "day": day, "lines": [{"product": product, "quantity": "1", "unit_price": amount}]})
    return customers


def _expected(rows: list[tuple[str, str, str, str]], key: Callable[[tuple], Any]
              ) -> dict[Any, tuple[int, Decimal]]:
    found: dict[Any, tuple[int, Decimal]] = {}
    for row in rows:
        count, total = found.get(key(row), (0, Decimal(0)))
        found[key(row)] = (count + 1, total + Decimal(row[3]))
    return found


def _table(html: str) -> tuple[list[list[str]], list[str]]:
    """The report table's body rows and its totals row, as text."""
    table = html[html.index('class="data report-table"'):]
    table = table[:table.index("</table>")]

    def cells(part: str) -> list[list[str]]:
        return [[re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>",
                                                                       row, re.S)]
                for row in re.findall(r"<tr>(.*?)</tr>|<tr class[^>]*>(.*?)</tr>", part, re.S)
                for row in [row[0] or row[1]]]

    body = table[table.index("<tbody>"):table.index("</tbody>")]
    foot = table[table.index("<tfoot>"):]
    return cells(body), cells(foot)[0]


def _money(value: Decimal) -> str:
    return f"€{value:,.2f}"


def test_the_index_lists_the_reports_the_user_may_run(
        app: Flask, signed_in: Callable[[str], FlaskClient]) -> None:
    carla = signed_in("carla").get("/app/reports").get_data(as_text=True)
    assert 'href="/app/reports/sales_by_status"' in carla
    assert 'href="/app/reports/sales_by_customer_status"' in carla  # roles: [clerk]
    assert 'href="/app/reports"' in carla  # the menu entry
    ivo = signed_in("ivo")  # reads no sales
    page = ivo.get("/app/reports").get_data(as_text=True)
    assert "sales_by_status" not in page and 'href="/app/reports"' not in page.split("<main")[0]
    assert ivo.get("/app/reports/sales_by_status").status_code == 404
    assert signed_in("carla").get("/app/reports/no_such_report").status_code == 404


def test_a_report_shows_its_groups_totals_and_a_chart(
        app: Flask, sales: dict[str, int], signed_in: Callable[[str], FlaskClient]) -> None:
    response = signed_in("carla").get("/app/reports/sales_by_status")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    rows, totals = _table(html)
    expected = _expected(SALES, lambda r: r[1])
    assert rows == [[label, str(expected[status][0]), _money(expected[status][1])]
                    for status, label in (("draft", "Draft"), ("confirmed", "Confirmed"),
                                          ("shipped", "Shipped"))]
    assert totals == ["Total", str(len(SALES)), _money(sum(Decimal(r[3]) for r in SALES))]
    chart = html[html.index("<svg xmlns"):]  # the chart (the bell's icon is an svg too)
    chart = chart[:chart.index("</svg>")]
    assert chart.count('class="bar"') == 3 and ">Draft<" in chart


def test_filters_and_grouping_come_from_the_query_string(
        app: Flask, sales: dict[str, int], signed_in: Callable[[str], FlaskClient]) -> None:
    carla = signed_in("carla")
    alfa = sales["Alfa"]
    rows, totals = _table(carla.get(f"/app/reports/sales_by_status?f.customer={alfa}")
                          .get_data(as_text=True))
    chosen = [r for r in SALES if r[0] == "Alfa"]
    assert totals == ["Total", str(len(chosen)), _money(sum(Decimal(r[3]) for r in chosen))]
    assert [r[0] for r in rows] == ["Draft", "Confirmed"]
    # a date range, inclusive
    url = "/app/reports/sales_by_status?f.day.from=2026-02-01&f.day.to=2026-03-20"
    rows, totals = _table(carla.get(url).get_data(as_text=True))
    chosen = [r for r in SALES if "2026-02-01" <= r[2] <= "2026-03-20"]
    assert totals[1] == str(len(chosen))
    # grouped by customer, then status, with a line chart
    url = "/app/reports/sales_by_status?group=customer&group=status&chart=line&measure=Total"
    html = carla.get(url).get_data(as_text=True)
    rows, totals = _table(html)
    expected = _expected(SALES, lambda r: (r[0], r[1]))
    assert [(r[0], r[1], r[2], r[3]) for r in rows] == [
        (customer, status.capitalize(), str(count), _money(total))
        for (customer, status), (count, total) in sorted(
            expected.items(), key=lambda i: (i[0][0], ["draft", "confirmed", "shipped"].index(
                i[0][1])))]
    chart = html[html.index("<svg xmlns"):]  # the chart (the bell's icon is an svg too)
    chart = chart[:chart.index("</svg>")]
    assert 'class="line"' in chart and "Total" in chart


def test_the_reports_own_filters_are_editable(
        app: Flask, sales: dict[str, int], signed_in: Callable[[str], FlaskClient]) -> None:
    carla = signed_in("carla")
    html = carla.get("/app/reports/sales_by_customer_status").get_data(as_text=True)
    assert 'name="rf0"' in html  # status != shipped
    _rows, totals = _table(html)  # customer, status, count, total, priority
    assert totals[2] == str(sum(1 for r in SALES if r[1] != "shipped"))
    _rows, totals = _table(carla.get("/app/reports/sales_by_customer_status?rf0=draft")
                           .get_data(as_text=True))
    assert totals[2] == str(sum(1 for r in SALES if r[1] != "draft"))
    _rows, totals = _table(carla.get("/app/reports/sales_by_customer_status?rf0=")
                           .get_data(as_text=True))
    assert totals[2] == str(len(SALES))


@pytest.mark.parametrize("query, message", [
    ("f.day.from=yesterday", "is not a date"),
    ("f.status=lost", "lost"),
    ("group=seller", "cannot be grouped"),
    ("group=status&group=customer&group=day", "one or two"),
    ("chart=radar", "Unknown chart"),
    ("measure=Nothing", "Unknown measure"),
])
def test_bad_parameters_are_a_400_page_that_says_why(
        app: Flask, signed_in: Callable[[str], FlaskClient], query: str, message: str) -> None:
    response = signed_in("carla").get(f"/app/reports/sales_by_status?{query}")
    assert response.status_code == 400
    assert message in response.get_data(as_text=True).replace("&#34;", '"')


def test_italian_report_numbers_and_labels(app: Flask, sales: dict[str, int],
                                           signed_in: Callable[[str], FlaskClient]) -> None:
    anna = signed_in("anna")
    anna.post("/language", data={"language": "it", "next": "/",
                                 "csrf_token": csrf_token(anna, "/")})
    rows, totals = _table(anna.get("/app/reports/sales_by_status").get_data(as_text=True))
    assert rows[0][:2] == ["Bozza", "3"]  # the option's label from the pack's catalogue
    assert totals[2] == "1.367,75\xa0€"


def test_csv_and_xlsx_exports(app: Flask, sales: dict[str, int],
                              signed_in: Callable[[str], FlaskClient]) -> None:
    anna = signed_in("anna")
    page = anna.get("/app/reports/sales_by_status?f.status=draft").get_data(as_text=True)
    assert 'href="/app/reports/sales_by_status/export/csv?f.status=draft"' in page
    response = anna.get("/app/reports/sales_by_status/export/csv?f.status=draft")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="sales_by_status.csv"')
    lines = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    drafts = [r for r in SALES if r[1] == "draft"]
    total = sum(Decimal(r[3]) for r in drafts)
    assert lines == [["Status", "Count", "Total"], ["Draft", str(len(drafts)), str(total)],
                     ["Total", str(len(drafts)), str(total)]]
    response = anna.get("/app/reports/sales_by_status/export/xlsx?group=customer")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    expected = _expected(SALES, lambda r: r[0])
    assert values[0] == ["Customer", "Count", "Total"]
    assert values[1:3] == [[name, count, total] for name, (count, total) in
                           sorted(expected.items())]
    assert values[3] == ["Total", len(SALES), sum(Decimal(r[3]) for r in SALES)]


def test_exports_need_the_export_permission(app: Flask, sales: dict[str, int],
                                            signed_in: Callable[[str], FlaskClient]) -> None:
    carla = signed_in("carla")  # reads sales, may not export them
    assert "/export/" not in carla.get("/app/reports/sales_by_status").get_data(as_text=True)
    assert carla.get("/app/reports/sales_by_status/export/csv").status_code == 403
    assert carla.get("/app/reports/sales_by_status/export/xlsx").status_code == 403
    assert signed_in("anna").get("/app/reports/sales_by_status/export/pdf").status_code == 404


EFFORT_REPORT = """\
name: specimens_by_colour
label: Specimens
entity: specimen
group_by: [colour]
group_choices: [colour, effort]
aggregates:
  - {function: count, label: Count}
"""


@pytest.fixture
def efforts(packs_dir: Path) -> None:
    """A report on specimens, whose duration field ``effort`` is among its groups."""
    (packs_dir / "testshop" / "reports" / "specimens_by_colour.yaml").write_text(EFFORT_REPORT)


def test_durations_filter_by_a_range_as_on_list_pages(
        efforts: None, app: Flask, signed_in: Callable[[str], FlaskClient]) -> None:
    service = app.extensions["officina"].records
    for name, seconds in (("Short", 1800), ("Hour", 3600), ("Long", 7200)):
        service.create(SYSTEM, "specimen", {"label_text": name, "colour": "red",
                                            "effort": seconds})
    anna = signed_in("anna")
    page = anna.get("/app/reports/specimens_by_colour").get_data(as_text=True)
    assert 'name="f.effort.from"' in page and 'name="f.effort.to"' in page
    _rows, totals = _table(anna.get("/app/reports/specimens_by_colour?f.effort.from=3600"
                                    "&f.effort.to=7200").get_data(as_text=True))
    assert totals == ["Total", "2"]


def test_a_link_filter_tells_records_of_the_same_name_apart(
        app: Flask, sales: dict[str, int], signed_in: Callable[[str], FlaskClient]) -> None:
    service = app.extensions["officina"].records
    twin = service.create(SYSTEM, "customer", {"company": "Alfa"})
    html = signed_in("carla").get("/app/reports/sales_by_status").get_data(as_text=True)
    select = lxml.html.fromstring(html).xpath("//select[@name='f.customer']")[0]
    shown = {o.get("value"): o.text_content().strip() for o in select.xpath("./option")
             if o.get("value")}
    first = service.get(SYSTEM, "customer", sales["Alfa"])
    assert shown[str(sales["Alfa"])] == f"Alfa ({first['ref']})"
    assert shown[str(twin["id"])] == f"Alfa ({twin['ref']})"
    assert shown[str(sales["Beta"])] == "Beta"  # a name of its own needs no reference
