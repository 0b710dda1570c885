"""Browser tests: Debian's Chromium, driven by Playwright, against a real Officina server.

One server (the testshop pack on SQLite, with demo data and the records below) and one
browser serve the whole session; every test gets a fresh browser context (no cookies), a
10-inch tablet viewport (1280x800) and British English unless it asks otherwise.
Screenshots go to ``test-output/screenshots/`` at the repository root; a failing test
leaves one of its page there too (``failures/``).

Playwright never downloads a browser here: it launches ``/usr/bin/chromium`` (or
``$OFFICINA_CHROMIUM``), which ``make test`` installs when it is missing.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from core.officina import Officina
from core.records.actor import SYSTEM
from tests.conftest import FIXTURE_PACKS
from tests.support.web_server import TestUser, WebServer, start_web_server

os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")

from playwright.sync_api import (
    Browser,
    BrowserContext,
    Page,
    expect,
    sync_playwright,
)
from playwright.sync_api import Error as PlaywrightError

CHROMIUM = Path(os.environ.get("OFFICINA_CHROMIUM", "/usr/bin/chromium"))
# Without the background-networking switches Chromium keeps calling home, which a closed
# network refuses; the others keep it quiet and fit for containers.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--disable-dev-shm-usage"]
REPO_ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO_ROOT / "test-output" / "screenshots"
TABLET = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
TIMEOUT_MS = 10_000
SignedIn = Callable[..., Page]

USERS = [
    TestUser("carla", "Carla-pw-1", ("clerk",)),    # creates, filters, runs reports
    TestUser("lena", "Lena-pw-1", ("clerk",)),      # switches her language to Italian
    TestUser("otto", "Otto-pw-1", ("clerk",)),      # mistypes his password
    TestUser("anna", "Anna-pw-1", ("admin",)),
]


def seed(officina: Officina) -> None:
    """Records the scenarios rely on, besides the pack's demo data (ACME, Bolt, one sale).

    Each scenario owns its own customers, so tests may run in any order: "Verdi" sales are
    only filtered and sorted, "Bottega Rossi" is only chosen in new sales, "Zeta" sales
    are only read in Italian.
    """
    create = officina.records.create
    verdi = create(SYSTEM, "customer", {"company": "Ferramenta Verdi", "city": "Roma"})["id"]
    create(SYSTEM, "customer", {"company": "Bottega Rossi", "city": "Torino"})
    zeta = create(SYSTEM, "customer", {"company": "Zeta Impianti", "city": "Napoli",
                                       "kind": "wholesale"})["id"]
    hinge = create(SYSTEM, "product", {"title": "Hinge", "price": "2.50"})["id"]
    screwdriver = create(SYSTEM, "product", {"title": "Screwdriver", "price": "7.90"})["id"]
    for subject, status, quantity, day in [("Verdi order B", "confirmed", 3, "2026-03-02"),
                                           ("Verdi order A", "draft", 1, "2026-03-01"),
                                           ("Verdi order C", "shipped", 2, "2026-03-03")]:
        create(SYSTEM, "sale", {"subject": subject, "customer": verdi, "status": status,
                                "day": day, "lines": [{"product": hinge, "quantity": quantity,
                                                       "unit_price": "2.50"}]})
    create(SYSTEM, "sale", {"subject": "Zeta large order", "customer": zeta,
                            "status": "confirmed", "day": "2026-11-23",
                            "lines": [{"product": screwdriver, "quantity": 1,
                                       "unit_price": "1234.56"}]})


@pytest.fixture(scope="session")
def web_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebServer]:
    """The testshop instance served on a free loopback port for the whole session."""
    root = tmp_path_factory.mktemp("browser-instance")
    packs = root / "packs"
    shutil.copytree(FIXTURE_PACKS, packs)
    server = start_web_server(root / "instance", ["testshop"], [packs], users=USERS,
                              seed=seed)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless, for the whole session (one per test process)."""
    if not CHROMIUM.exists():
        pytest.fail(f"Chromium is not installed at {CHROMIUM}: the browser tests need Debian's "
                    "'chromium' package, which `make test` installs (or set "
                    "$OFFICINA_CHROMIUM to a Chromium binary).", pytrace=False)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM),
                                              args=CHROMIUM_ARGS, headless=True)
        try:
            yield launched
        finally:
            launched.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Any:
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture
def new_page(browser: Browser, web_server: WebServer,
             request: pytest.FixtureRequest) -> Iterator[Callable[..., Page]]:
    """``new_page(viewport=..., locale=...)``: a page in a fresh context (no cookies)."""
    contexts: list[BrowserContext] = []
    script_errors: list[str] = []

    def open_page(viewport: dict | None = None, locale: str = "en-GB", **options: Any) -> Page:
        context = browser.new_context(base_url=web_server.url, viewport=viewport or TABLET,
                                      locale=locale, **options)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda exc: script_errors.append(f"{page.url}: {exc}"))
        return page

    yield open_page
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        folder = SCREENSHOTS / "failures"
        folder.mkdir(parents=True, exist_ok=True)
        name = re.sub(r"[^\w.-]+", "_", request.node.name)
        for index, context in enumerate(contexts):
            for number, opened in enumerate(context.pages):
                with contextlib.suppress(PlaywrightError):  # a crashed page says enough
                    opened.screenshot(path=folder / f"{name}-{index}-{number}.png",
                                      full_page=True)
    for context in contexts:
        context.close()
    if script_errors and report is not None and report.passed:
        pytest.fail("JavaScript errors on the pages: " + "; ".join(script_errors),
                    pytrace=False)


@pytest.fixture
def page(new_page: Callable[..., Page]) -> Page:
    """A page on a 10-inch tablet, in British English, not signed in."""
    return new_page()


def screenshot(page: Page, name: str) -> Path:
    """Save the whole page as ``test-output/screenshots/<name>.png``."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=path, full_page=True)
    return path


def sign_in(page: Page, username: str, password: str | None = None) -> Page:
    """Sign in through the login form and wait for the home page."""
    if password is None:  # one of this session's USERS
        password = next(u for u in USERS if u.username == username).password
    page.goto("/login")
    page.get_by_label(re.compile("^(Username|Nome utente)$")).fill(username)
    page.get_by_label(re.compile("^Password$")).fill(password)
    page.get_by_role("button", name=re.compile("^(Sign in|Accedi)$")).click()
    expect(page.locator("#login-error")).to_have_count(0)
    expect(page.locator(".account .username")).to_have_text(username)
    return page


@pytest.fixture(scope="session")
def _sessions() -> dict[str, Any]:
    """Each user's cookies after their first sign-in, reused by later tests (argon2 is slow)."""
    return {}


@pytest.fixture
def signed_in(new_page: Callable[..., Page], _sessions: dict[str, Any]) -> SignedIn:
    """``signed_in("carla", viewport=...)``: a new page signed in as that user, at home.

    The first time through the login form; afterwards with the session cookie it gave.
    """
    def open_signed_in(username: str, **options: Any) -> Page:
        if username in _sessions:
            page = new_page(storage_state=_sessions[username], **options)
            page.goto("/")
            expect(page.locator(".account .username")).to_have_text(username)
        else:
            page = sign_in(new_page(**options), username)
            _sessions[username] = page.context.storage_state()
        return page

    return open_signed_in
