"""Running a report with a filter: a table and a chart drawn on the server as SVG."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import SignedIn, screenshot


def test_run_a_report_with_a_filter(signed_in: SignedIn) -> None:
    page = signed_in("carla")
    page.goto("/app/reports/sales_by_status")
    expect(page.get_by_role("heading", name="Sales", exact=True)).to_be_visible()

    chart = page.get_by_role("figure").get_by_role("img")
    expect(chart).to_be_visible()
    expect(chart).to_have_js_property("tagName", "svg")
    table = page.get_by_role("table").first
    expect(table).to_be_visible()
    expect(table.get_by_role("row", name=re.compile("^Confirmed "))).to_be_visible()

    # Only Ferramenta Verdi's sales: one in each status.
    page.get_by_label("Customer").select_option(label="Ferramenta Verdi")
    page.get_by_role("button", name=re.compile("^(Update|Run|Apply|Filter)")).click()

    expect(page).to_have_url(re.compile(r"[?&]f\.customer=\d+"))
    expect(page.get_by_label("Customer")).to_have_value(re.compile(r"\d+"))
    table = page.get_by_role("table").first
    expect(table.locator("tbody tr")).to_have_count(3)
    for status in ("Draft", "Confirmed", "Shipped"):
        row = table.get_by_role("row", name=re.compile(rf"^{status} "))
        expect(row).to_be_visible()
        expect(row.get_by_role("cell").nth(1)).to_have_text("1")
    # Verdi's sales total 3, 1 and 2 hinges at €2.50.
    expect(table).to_contain_text("€15.00")
    # One bar for each status in the chart, drawn on the server.
    expect(chart).to_be_visible()
    expect(chart).to_contain_text("Draft")
    expect(chart).to_contain_text("Shipped")
    expect(chart.locator("rect")).not_to_have_count(0)
    screenshot(page, "report")


def test_reports_are_listed_in_the_menu(signed_in: SignedIn) -> None:
    page = signed_in("carla")
    page.get_by_role("navigation").get_by_role("link", name="Reports").click()
    expect(page).to_have_url(re.compile(r"/app/reports"))
    page.get_by_role("link", name=re.compile("Sales")).first.click()
    expect(page.get_by_role("table").first).to_be_visible()
