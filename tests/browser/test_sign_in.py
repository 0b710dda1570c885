"""Signing in through the login page, in a real browser."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.conftest import screenshot


def test_wrong_password_shows_an_error_then_the_right_one_signs_in(page: Page) -> None:
    page.goto("/app/customer")
    expect(page).to_have_url(re.compile(r"/login\?next=(/|%2F)app(/|%2F)customer"))
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()

    page.get_by_label("Username").fill("otto")
    page.get_by_label("Password").fill("not-his-password")
    page.get_by_role("button", name="Sign in").click()

    expect(page.get_by_role("alert")).to_have_text("Wrong username or password.")
    expect(page.get_by_label("Username")).to_have_value("otto")
    expect(page.get_by_label("Password")).to_have_value("")
    screenshot(page, "login-error")

    page.get_by_label("Password").fill("Otto-pw-1")
    page.get_by_role("button", name="Sign in").click()

    # Back where the user was going, signed in.
    expect(page).to_have_url(re.compile(r"/app/customer$"))
    expect(page.get_by_role("heading", name="Customers", exact=True)).to_be_visible()
    expect(page.locator(".account .username")).to_have_text("otto")
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def test_signing_out_ends_the_session(page: Page) -> None:
    page.goto("/login")
    page.get_by_label("Username").fill("anna")
    page.get_by_label("Password").fill("Anna-pw-1")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Home")).to_be_visible()

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login"))
