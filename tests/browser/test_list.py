"""A list page: filter it, sort it by clicking a header, and keep the query in the URL."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.conftest import SignedIn, screenshot

VERDI = ["Verdi order A", "Verdi order B", "Verdi order C"]


def subjects(page: Page) -> list[str]:
    """The Subject column of the list table, top to bottom."""
    table = page.get_by_role("table").first
    headers = [h.strip() for h in table.locator("thead th").all_inner_texts()]
    column = next(i for i, h in enumerate(headers) if h.startswith("Subject"))
    return [row.locator("td, th").nth(column).inner_text().strip()
            for row in table.locator("tbody tr").all()]


def test_filter_by_customer_and_sort_by_clicking_headers(signed_in: SignedIn) -> None:
    page = signed_in("carla")
    page.goto("/app/sale")
    expect(page.get_by_role("heading", name="Sales", exact=True)).to_be_visible()
    expect(page.get_by_role("cell", name="First sale")).to_be_visible()

    # The customer filter searches customers as one types, and offers them to choose.
    page.get_by_text("Filters", exact=True).click()
    customer = page.get_by_role("combobox", name="Customer")
    customer.fill("verd")
    option = page.get_by_role("option", name=re.compile("Ferramenta Verdi"))
    expect(option).to_be_visible()
    option.click()
    page.get_by_role("button", name=re.compile("^(Filter|Apply)")).click()

    expect(page).to_have_url(re.compile(r"[?&]f\.customer=\d+"))
    expect(page.get_by_role("cell", name="First sale")).to_have_count(0)
    assert sorted(subjects(page)) == VERDI
    screenshot(page, "list-filtered")

    page.get_by_role("columnheader", name="Subject").get_by_role("link").click()
    expect(page).to_have_url(re.compile(r"[?&]sort=subject(&|$)"))
    expect(page.get_by_role("columnheader", name="Subject")).to_have_attribute(
        "aria-sort", "ascending")
    assert subjects(page) == VERDI

    page.get_by_role("columnheader", name="Subject").get_by_role("link").click()
    expect(page).to_have_url(re.compile(r"[?&]sort=-subject(&|$)"))
    expect(page.get_by_role("columnheader", name="Subject")).to_have_attribute(
        "aria-sort", "descending")
    assert subjects(page) == VERDI[::-1]
    # The filter survived the sorting.
    expect(page).to_have_url(re.compile(r"[?&]f\.customer=\d+"))
    screenshot(page, "list")

    # The URL is the view: opened afresh it shows the same rows in the same order.
    page.goto(page.url)
    assert subjects(page) == VERDI[::-1]


def test_text_search_narrows_the_list(signed_in: SignedIn) -> None:
    page = signed_in("carla")
    page.goto("/app/customer")
    page.get_by_role("main").get_by_role("searchbox").fill("Roma")
    page.get_by_role("main").get_by_role("searchbox").press("Enter")
    expect(page).to_have_url(re.compile(r"[?&]q=Roma"))
    expect(page.get_by_role("cell", name="Ferramenta Verdi")).to_be_visible()
    expect(page.get_by_role("cell", name="Zeta Impianti")).to_have_count(0)
