"""Switching to Italian: menu and labels translated, dates and money written the Italian way,
and the choice kept in the user's profile."""

from __future__ import annotations

import re
from collections.abc import Callable

from playwright.sync_api import Page, expect

from tests.browser.conftest import screenshot, sign_in


def zeta_row(page: Page):
    return page.get_by_role("row").filter(has_text="Zeta large order")


def test_switch_to_italian_and_it_persists(page: Page, new_page: Callable[..., Page]) -> None:
    sign_in(page, "lena")
    page.goto("/app/sale")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(zeta_row(page)).to_contain_text("€1,234.56")

    page.get_by_label("Language").select_option(label="Italiano")

    # Same page, now in Italian: the menu, the page's labels, the amounts.
    expect(page).to_have_url(re.compile(r"/app/sale$"))
    expect(page.locator("html")).to_have_attribute("lang", "it")
    menu = page.get_by_role("navigation")
    expect(menu.get_by_role("link", name="Vendite")).to_be_visible()
    expect(menu.get_by_role("link", name="Clienti")).to_be_visible()
    expect(menu.get_by_role("link", name="Prodotti")).to_be_visible()
    expect(page.get_by_role("heading", name="Vendite", exact=True)).to_be_visible()
    expect(page.get_by_role("columnheader", name="Cliente")).to_be_visible()
    expect(zeta_row(page)).to_contain_text("1.234,56\u00a0€")
    screenshot(page, "list-italian")

    page.reload()
    expect(page.locator("html")).to_have_attribute("lang", "it")
    expect(page.get_by_role("heading", name="Vendite", exact=True)).to_be_visible()

    # A new session (another device, no cookies) keeps her choice: it is in her profile.
    other = sign_in(new_page(locale="en-GB"), "lena")
    expect(other.locator("html")).to_have_attribute("lang", "it")
    expect(other.get_by_role("navigation").get_by_role("link", name="Vendite")).to_be_visible()

    # Dates on the record's page: 23/11/2026.
    zeta_row(page).get_by_role("link").first.click()
    expect(page.get_by_role("heading", name=re.compile("Zeta large order"))).to_be_visible()
    expect(page.get_by_text("23/11/2026")).to_be_visible()
    expect(page.get_by_text("1.234,56\u00a0€").first).to_be_visible()


def test_browser_language_is_the_default_before_signing_in(
        new_page: Callable[..., Page]) -> None:
    page = new_page(locale="it-IT")
    page.goto("/login")
    expect(page.locator("html")).to_have_attribute("lang", "it")
    expect(page.locator("#language-switch")).to_have_value("it")
