"""The timeline of a record, as the people who work it read it: who by name, changes in their
language with formatted values, a move of the state as its transition; the rules that ran,
only for administrators."""

from __future__ import annotations

import datetime as dt

import lxml.html
from flask import Flask
from flask.testing import FlaskClient

from tests.packs.service.conftest import COORDINATOR, OFFICE, ServiceEnv, browser_of


def _timeline(client: FlaskClient, url: str) -> list[str]:
    tree = lxml.html.fromstring(client.get(url).get_data(as_text=True))
    return [" ".join(li.text_content().split())
            for li in tree.xpath("//ol[@class='timeline-list']/li")]


def test_people_see_changes_and_transitions_in_their_language(service: ServiceEnv,
                                                             web: Flask) -> None:
    call, intervention = service.new_call("Perdita di gas")
    service.clock.now += dt.timedelta(minutes=1)
    service.update(OFFICE, "service_call", call["id"], {"priority": "urgent"})
    service.clock.now += dt.timedelta(minutes=1)
    service.update(COORDINATOR, "intervention", intervention["id"], {
        "technician": service.data["technician"]["id"],
        "planned_start": "2026-11-24T07:30:00"})
    service.clock.now += dt.timedelta(minutes=5)
    service.transition(COORDINATOR, "intervention", intervention["id"], "confirm")
    cora = browser_of(web, "cora")  # Italian
    entries = _timeline(cora, f"/app/intervention/{intervention['id']}")
    assert entries[0].endswith("Cora Bassi Conferma: Provvisorio → Confermato"), entries[0]
    assert any("Tecnico: — → Tino Bassi" in e and "24/11/2026, 08:30" in e
               for e in entries), entries
    assert not any("Regola" in e or "intervention_lifecycle" in e for e in entries)
    call_entries = _timeline(cora, f"/app/service_call/{call['id']}")
    assert any("Olga Riva ha modificato il record Priorità: Normale → Urgente" in e
               for e in call_entries), call_entries
    # confirming the intervention planned the call: its rule made that move
    assert call_entries[0].endswith("Automatico Segna come pianificata: Nuova → Pianificata")


def test_administrators_also_see_the_rules_that_ran(service: ServiceEnv, web: Flask) -> None:
    call, _intervention = service.new_call("Perdita di gas")
    users = service.officina.registry.current().schema.system["officina_user"]
    with service.officina.database.write() as connection:
        connection.execute(users.update().where(users.c.username == "mara")
                           .values(roles="manager,admin"))
    entries = _timeline(browser_of(web, "mara"), f"/app/service_call/{call['id']}")
    assert any("Rule Call intake: first_intervention (created): done" in e
               for e in entries), entries
