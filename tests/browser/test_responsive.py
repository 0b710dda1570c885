"""A technician's phone: the menu folds behind a toggle, and pages fit the screen."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.conftest import PHONE, SignedIn, screenshot


def assert_fits(page: Page) -> None:
    """The page is no wider than the phone: only tables scroll sideways, in their own box."""
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} is {width}px wide on a {PHONE['width']}px phone"


def test_menu_toggle_opens_the_navigation_on_a_phone(signed_in: SignedIn) -> None:
    page = signed_in("carla", viewport=PHONE, is_mobile=True, has_touch=True)
    menu = page.get_by_role("navigation", name="Main menu")
    toggle = page.get_by_role("button", name="Menu")

    expect(toggle).to_be_visible()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(menu).to_be_hidden()

    toggle.click()
    expect(menu).to_be_visible()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    screenshot(page, "phone-menu-open")

    menu.get_by_role("link", name="Sales").click()
    expect(page).to_have_url(re.compile(r"/app/sale$"))
    expect(page.get_by_role("heading", name="Sales", exact=True)).to_be_visible()
    assert_fits(page)
    screenshot(page, "phone-list")

    # The form too: fields one under the other, the lines table scrolling inside its box.
    page.get_by_role("link", name="New").click()
    expect(page.get_by_label("Subject")).to_be_visible()
    assert_fits(page)
    screenshot(page, "phone-form")


def test_no_menu_toggle_on_a_tablet(signed_in: SignedIn) -> None:
    page = signed_in("carla")
    expect(page.get_by_role("button", name="Menu")).to_be_hidden()
    expect(page.get_by_role("navigation", name="Main menu")
           .get_by_role("link", name="Customers")).to_be_visible()
