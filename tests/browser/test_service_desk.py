"""The help desk and the back office in Chromium: a call entered by its machine with the live
preview of what the rules will give, the notification centre, and interventions verified and
calls released to billing in bulk, each refusal listed. Screenshots go to
``test-output/screenshots/service-desk-*.png``."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Page, expect

from core.officina import Officina
from tests.browser.conftest import screenshot, sign_in
from tests.browser.service_server import SERVICE_USERS
from tests.browser.test_records import choose
from tests.core.rules.conftest import Clock
from tests.packs.service.conftest import COORDINATOR, OFFICE, ServiceEnv, master_data
from tests.support.web_server import WebServer, start_web_server

pytestmark = pytest.mark.long

SEEDED: dict[str, list[dict]] = {}


def _seed(officina: Officina) -> None:
    """Master data; two interventions done and one still provisional; a call warned."""
    env = ServiceEnv(officina, Clock(dt.datetime.now(dt.UTC).replace(tzinfo=None)))
    env.data.update(master_data(env))
    done = []
    for subject in ("Compressore rumoroso", "Perdita di olio"):
        _call, intervention = env.new_call(subject)
        env.update(COORDINATOR, "intervention", intervention["id"], {
            "technician": env.data["technician"]["id"],
            "timesheet": [{"work_date": env.clock.now.date().isoformat(),
                           "normal_hours": "1"}]})
        for name in ("start", "finish"):
            env.transition(COORDINATOR, "intervention", intervention["id"], name)
        done.append(env.get("intervention", intervention["id"]))
    _call, waiting = env.new_call("Display spento")
    warned, _ = env.new_call("Allarme alta pressione", priority="urgent")
    env.clock.now += dt.timedelta(days=3)  # past the warning of every new call
    env.worker().run_once()
    SEEDED.update(done=done, waiting=[waiting], warned=[env.get("service_call", warned["id"])])


@pytest.fixture(scope="module")
def web_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebServer]:
    server = start_web_server(tmp_path_factory.mktemp("service-desk") / "instance",
                              ["service"], [], users=SERVICE_USERS, demo=False, seed=_seed)
    try:
        yield server
    finally:
        server.stop()


def _as(new_page: Callable[..., Page], server: WebServer, username: str) -> Page:
    return sign_in(new_page(), username, server.password(username))


def test_a_call_entered_by_its_machine_previews_warranty_contract_and_deadlines(
        new_page: Callable[..., Page], web_server: WebServer) -> None:
    page = _as(new_page, web_server, "olga")
    page.goto("/app/service_call/new")
    panel = page.locator("#context-panel")
    expect(panel).to_contain_text("Not yet: Customer: A value is required.")
    choose(page, page.get_by_role("combobox", name="Machine"), "CH50", "CH50-0001")
    page.get_by_label("Priority").select_option(label="Urgent")
    # the machine's customer, site and item are filled; the panel shows what the rules give
    expect(page.get_by_role("combobox", name="Customer")).to_have_value("Rossi Meccanica S.r.l.")
    expect(page.get_by_role("combobox", name="Site")).to_have_value("Stabilimento Nord")
    expect(panel.locator("section").filter(has_text="Warranty")).to_contain_text(
        "Out of warranty")
    deadlines = panel.locator("section").filter(has_text="Deadlines for this priority")
    expect(deadlines.locator("dd").first).to_contain_text(re.compile(r"\d{2}:\d{2}"))
    expect(panel.locator("section").filter(has_text="Open calls on this machine")
           ).to_contain_text("Allarme alta pressione")
    screenshot(page, "service-desk-call-entry-preview")
    page.get_by_label("Subject").fill("Il refrigeratore non riparte")
    page.get_by_role("button", name="Save").click()
    expect(page).to_have_url(re.compile(r"/app/service_call/\d+$"))
    expect(page.locator(".detail-field").filter(has_text="Customer")).to_contain_text(
        "Rossi Meccanica")


def test_the_bell_counts_notices_and_opens_their_record(
        new_page: Callable[..., Page], web_server: WebServer) -> None:
    page = _as(new_page, web_server, "cora")  # Italian
    bell = page.locator("#bell")
    expect(bell.locator(".bell-count")).to_have_text(re.compile(r"^\d+$"))
    unread = int(bell.locator(".bell-count").inner_text())
    bell.click()
    expect(page.get_by_role("heading", name="Notifiche")).to_be_visible()
    warned = SEEDED["warned"][0]
    notice = page.locator("#notices li").filter(has_text=warned["ref"]).filter(
        has_text="è vicina al tempo di risposta")
    expect(notice).to_have_count(1)
    screenshot(page, "service-desk-notifications")
    notice.get_by_role("button", name="Apri").click()
    expect(page).to_have_url(re.compile(rf"/app/service_call/{warned['id']}$"))
    left = bell.locator(".bell-count")
    if unread == 1:
        expect(left).to_have_count(0)
    else:
        expect(left).to_have_text(str(unread - 1))


def test_the_back_office_verifies_and_releases_in_bulk(
        new_page: Callable[..., Page], web_server: WebServer) -> None:
    page = _as(new_page, web_server, "olga")
    done, waiting = SEEDED["done"], SEEDED["waiting"][0]
    page.goto("/")
    expect(page.locator(".queue").filter(has_text="Interventions to verify")
           .locator(".queue-count")).to_have_text("2")
    page.goto("/app/intervention?sort=ref")
    for record in (*done, waiting):
        page.get_by_role("checkbox", name=f"Select {record['ref']}").check()
    page.get_by_label("Transition").select_option(label="Verify")
    page.locator("#bulk-transition-go").click()
    expect(page.get_by_role("heading", name=re.compile("^Verify: 3 records"))).to_be_visible()
    page.locator("#bulk-confirm").click()
    status = page.locator("#bulk-status")
    expect(status).to_contain_text("Done: 2 changed, 1 left as they were.")
    results = page.locator("#bulk-results")
    for record in done:
        expect(results.locator(f"tr[data-ref='{record['ref']}']")).to_contain_text("Changed")
    expect(results.locator(f"tr[data-ref='{waiting['ref']}']")).to_contain_text(
        '"Verify" cannot start from "Provisional".')
    screenshot(page, "service-desk-bulk-verify")
    # the verified work's calls: closed, then released to billing, in bulk too
    for transition, expected in (("Close", "Done: 2 changed"),
                                 ("Release to billing", "Done: 2 changed")):
        page.goto("/app/service_call?sort=ref")
        for record in done:
            call = web_server.officina.records.get(OFFICE, "service_call",
                                                   record["service_call"])
            page.get_by_role("checkbox", name=f"Select {call['ref']}").check()
        page.get_by_label("Transition").select_option(label=transition)
        page.locator("#bulk-transition-go").click()
        page.locator("#bulk-confirm").click()
        expect(page.locator("#bulk-status")).to_contain_text(expected)
    screenshot(page, "service-desk-bulk-release")
    for record in done:
        call = web_server.officina.records.get(OFFICE, "service_call", record["service_call"])
        assert call["status"] == "invoiced"
        billed = web_server.officina.records.get(OFFICE, "intervention", record["id"])
        assert billed["billing_status"] == "billed"



def test_the_header_search_finds_calls_by_their_machines_serial(
        new_page: Callable[..., Page], web_server: WebServer) -> None:
    page = _as(new_page, web_server, "olga")
    page.locator("#header-search").fill('"CH50" 0001')  # quotes are only text
    page.locator("#header-search").press("Enter")
    expect(page).to_have_url(re.compile(r"/app/search\?q="))
    calls = page.locator("section.search-group").filter(
        has=page.get_by_role("heading", name="Service calls"))
    expect(calls).to_be_visible()
    expect(calls.locator("li").first).to_contain_text("CALL-")
    machines = page.locator("section.search-group").filter(
        has=page.get_by_role("heading", name="Machines"))
    expect(machines.locator("li")).to_have_count(1)
    expect(machines.locator("li")).to_contain_text("CH50-0001")
    screenshot(page, "service-desk-search")
    calls.locator("li a").first.click()
    expect(page).to_have_url(re.compile(r"/app/service_call/\d+$"))
    expect(page.locator(".detail-field").filter(has_text="Machine")).to_contain_text("CH50-0001")
