"""What the office sees first: the menu in sections, the queues of their role on the home
page, statuses and priorities as coloured badges, and deadlines as time left or overdue."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlparse

import lxml.html
from flask import Flask

from tests.packs.service.conftest import OFFICE, ServiceEnv, browser_of


def _page(client, url: str) -> lxml.html.HtmlElement:
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    return lxml.html.fromstring(response.get_data(as_text=True))


def _queues(tree: lxml.html.HtmlElement) -> dict[str, tuple[str, list[str]]]:
    """Each queue's title → its count and the references it lists."""
    return {div.xpath("./h2/a")[0].text_content().strip():
            (div.xpath(".//span[contains(@class, 'queue-count')]")[0].text_content(),
             [a.text_content() for a in div.xpath(".//tbody/tr/td[1]/a")])
            for div in tree.xpath("//div[contains(@class, 'queue')]")}


def test_the_menu_is_in_sections(service: ServiceEnv, web: Flask) -> None:
    tree = _page(browser_of(web, "olga"), "/")
    groups = {g.xpath("./span")[0].text_content(): [a.text_content() for a in g.xpath(".//a")]
              for g in tree.xpath("//nav[@id='nav']/div[@class='nav-group']")}
    assert groups["Help desk"][:2] == ["Chiamate di assistenza", "Interventi"]
    assert "Macchine" in groups["Parco installato"]
    assert "Contratti" in groups["Contratti"] or "Contratti di assistenza" in groups["Contratti"]


def test_each_role_sees_its_queues_and_they_open_the_list_they_count(
        service: ServiceEnv, web: Flask) -> None:
    first, _ = service.new_call("Perdita di gas")
    second, _ = service.new_call("Rumore al compressore")
    service.transition(OFFICE, "service_call", second["id"], "plan")
    olga = browser_of(web, "olga")
    queues = _queues(_page(olga, "/"))
    assert queues["Nuove chiamate"] == ("1", [first["ref"]])
    assert "Interventi da verificare" in queues and "I miei interventi" not in queues
    assert "Interventi da pianificare" not in queues  # the coordinator's
    cora = _queues(_page(browser_of(web, "cora"), "/"))
    assert cora["Interventi da pianificare"][0] == "2"
    link = _page(olga, "/").xpath("//div[contains(@class,'queue')]/h2/a")[0].get("href")
    assert "f.status=new" in urlparse(link).query
    listed = _page(olga, link)
    refs = [a.text_content() for a in listed.xpath("//table[contains(@class,'list-table')]"
                                                   "/tbody/tr/td[2]//a")]
    assert first["ref"] in " ".join(refs) and second["ref"] not in " ".join(refs)


def test_priorities_and_statuses_are_badges_and_deadlines_count_down(
        service: ServiceEnv, web: Flask) -> None:
    call, _ = service.new_call("Perdita di gas", priority="urgent")
    olga = browser_of(web, "olga")
    tree = _page(olga, "/app/service_call")
    urgent = tree.xpath("//td[@data-label='Priorità']/span[contains(@class,'badge-red')]")
    assert [(b.text_content(), b.get("data-icon")) for b in urgent] == [("Urgente", "⚠")]
    assert tree.xpath("//td[@data-label='Stato']/span[contains(@class,'badge-amber')]")
    calls = service.officina.registry.current().schema.table("service_call")

    def due_at(record: dict, moment: dt.datetime) -> list:
        """The due badges of the call's page once its deadline is ``moment`` (the pages
        count from the real clock)."""
        with service.officina.database.write() as connection:
            connection.execute(calls.update().where(calls.c.id == record["id"])
                               .values(sla_response_due=moment))
        return _page(olga, f"/app/service_call/{record['id']}").xpath(
            "//span[contains(@class,'due')]")

    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    [soon] = due_at(call, now + dt.timedelta(hours=2, minutes=5))[:1]
    assert soon.get("class") == "due due-soon" and soon.text_content() == "tra 2 ore"
    late = call
    [overdue] = due_at(late, now - dt.timedelta(hours=3, minutes=2))[:1]
    assert overdue.get("class") == "due due-overdue"
    assert overdue.text_content() == "in ritardo di 3 ore"
    service.transition(OFFICE, "service_call", late["id"], "plan")
    answered = _page(olga, f"/app/service_call/{late['id']}")
    response_due = "//dt[.='Scadenza presa in carico']/following-sibling::dd[1]"
    assert answered.xpath(response_due)
    assert not answered.xpath(response_due + "/span[contains(@class,'due')]")  # answered
    assert answered.xpath("//dt[.='Scadenza risoluzione']/following-sibling::dd[1]"
                          "/span[contains(@class,'due')]")  # still to be resolved
