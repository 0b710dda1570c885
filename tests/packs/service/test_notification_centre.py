"""The notification centre: what rules notify reaches the coordinator and the managers, who
see a bell with the unread count, read their notices, open the record, mark them read and may
ask for a daily digest by mail. Each user sees only their own."""

from __future__ import annotations

import datetime as dt
import json
import re

import lxml.html
import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.packs.service.conftest import OFFICE, ServiceEnv, browser_of
from tests.ui.conftest import csrf_token


@pytest.fixture
def warned(service: ServiceEnv) -> dict:
    """A call left unanswered until its warning time: the worker has notified."""
    service.clock.now = dt.datetime(2026, 11, 27, 15, 0)  # Friday 16:00 in Brescia
    call = service.records.create(OFFICE, "service_call", {
        "subject": "Perdita di gas", "customer": service.data["customer"]["id"],
        "machine": service.data["machine"]["id"]})
    service.clock.now = dt.datetime(2026, 11, 30, 8, 31)  # past the warning time
    service.worker().run_once()
    return service.get("service_call", call["id"])


def _bell(client: FlaskClient) -> str:
    tree = lxml.html.fromstring(client.get("/app/notifications").get_data(as_text=True))
    counts = tree.xpath("//a[@id='bell']/span[@class='bell-count']")
    return counts[0].text_content() if counts else ""


def _notices(client: FlaskClient, query: str = "") -> list[tuple[str, str]]:
    tree = lxml.html.fromstring(client.get(f"/app/notifications{query}").get_data(as_text=True))
    return [(li.get("id"), " ".join(li.xpath(".//span[@class='notice-message']")[0]
                                    .text_content().split()))
            for li in tree.xpath("//ul[@id='notices']/li")]


def test_the_coordinator_and_the_manager_read_the_warning_in_their_language(
        warned: dict, web: Flask) -> None:
    coordinator, manager = browser_of(web, "cora"), browser_of(web, "mara")
    assert _bell(coordinator) == "1" and _bell(manager) == "1"
    assert [m for _, m in _notices(coordinator)] == [
        f"{warned['ref']} (Perdita di gas) è vicina al tempo di risposta."]
    assert [m for _, m in _notices(manager)] == [
        f"{warned['ref']} (Perdita di gas) is close to its response deadline."]
    assert _notices(browser_of(web, "olga")) == [] and _bell(browser_of(web, "olga")) == ""


def test_opening_a_notice_marks_it_read_and_shows_its_record(warned: dict, web: Flask) -> None:
    coordinator = browser_of(web, "cora")
    [(row_id, _message)] = _notices(coordinator)
    notice_id = int(row_id.removeprefix("notice-"))
    token = csrf_token(coordinator, "/app/notifications")
    opened = coordinator.post(f"/app/notifications/{notice_id}/open",
                              data={"csrf_token": token})
    assert opened.status_code == 302
    assert opened.headers["Location"].endswith(f"/app/service_call/{warned['id']}")
    assert warned["ref"] in coordinator.get(opened.headers["Location"]).get_data(as_text=True)
    assert _bell(coordinator) == "" and _notices(coordinator) == []
    assert [m for _, m in _notices(coordinator, "?show=all")] == [
        f"{warned['ref']} (Perdita di gas) è vicina al tempo di risposta."]
    assert _bell(browser_of(web, "mara")) == "1"  # the manager's own notice is still unread


def test_nobody_opens_or_marks_another_users_notice(warned: dict, web: Flask) -> None:
    [(row_id, _message)] = _notices(browser_of(web, "cora"))
    office = browser_of(web, "olga")
    token = csrf_token(office, "/app/notifications")
    refused = office.post(f"/app/{row_id.replace('notice-', 'notifications/')}/open",
                          data={"csrf_token": token}, follow_redirects=True)
    assert "not yours" in refused.get_data(as_text=True) or "non è tua" in \
        refused.get_data(as_text=True)
    office.post("/app/notifications/read", data={"csrf_token": token, "all": "1"})
    assert _bell(browser_of(web, "cora")) == "1"
    without_token = browser_of(web, "cora").post("/app/notifications/read", data={"all": "1"})
    assert without_token.status_code == 400
    assert _bell(browser_of(web, "cora")) == "1"


def test_mark_chosen_or_all_read(service: ServiceEnv, warned: dict, web: Flask) -> None:
    service.clock.now = dt.datetime(2026, 11, 30, 9, 31)  # past the response deadline
    service.worker().run_once()
    manager = browser_of(web, "mara")
    listed = _notices(manager)
    assert [m for _, m in listed] == [
        f"{warned['ref']} (Perdita di gas) missed its response deadline.",
        f"{warned['ref']} (Perdita di gas) is close to its response deadline."]  # newest first
    token = csrf_token(manager, "/app/notifications")
    manager.post("/app/notifications/read", data={
        "csrf_token": token, "notice": listed[1][0].removeprefix("notice-")})
    assert [m for _, m in _notices(manager)] == [listed[0][1]] and _bell(manager) == "1"
    manager.post("/app/notifications/read", data={"csrf_token": token, "all": "1"})
    assert _notices(manager) == [] and _bell(manager) == ""


def test_the_daily_digest_mails_the_unread_notices_once_a_day(
        service: ServiceEnv, warned: dict, web: Flask) -> None:
    coordinator = browser_of(web, "cora")
    token = csrf_token(coordinator, "/app/notifications")
    coordinator.post("/app/notifications/digest", data={"csrf_token": token, "daily": "1"})
    page = coordinator.get("/app/notifications").get_data(as_text=True)
    assert re.search(r'id="digest-daily"\s+checked', page)

    def digests() -> list[dict]:
        return [json.loads(row["payload"]) for row in service.rows("officina_outbox")
                if row["kind"] == "mail" and "Officina:" in json.loads(row["payload"])["subject"]]

    service.clock.now = dt.datetime(2026, 12, 1, 5, 30)  # 06:30 in Rome: too early
    service.worker().run_once()
    assert digests() == []
    service.clock.now = dt.datetime(2026, 12, 1, 6, 5)  # 07:05
    service.worker().run_once()
    service.worker().run_once()  # a second pass the same day sends nothing more
    [mail] = digests()
    assert mail["to"] == ["cora@example.com"]
    assert mail["subject"] == "Officina: 2 notifiche non lette"  # warned, then breached
    assert f"{warned['ref']} (Perdita di gas) è vicina al tempo di risposta." in mail["text"]
    assert f"{warned['ref']} (Perdita di gas) ha superato il tempo di risposta." in mail["text"]
    assert "30/11/2026, 09:31" in mail["text"]  # when, in Italian and in Rome's time
    assert [m for m in digests() if m["to"] == ["mara@example.com"]] == []  # did not ask
