""""Plan" the action and "Plan" the noun: the planner's link to plan an intervention is
"Pianifica" in Italian, the maintenance plan's section is "Piano", though both are "Plan" in
English and the service pack's labels are merged over Officina's messages."""

from __future__ import annotations

import lxml.html

from tests.packs.service.conftest import COORDINATOR, ServiceEnv, web_client


def test_the_action_is_pianifica_and_the_noun_is_piano(service: ServiceEnv) -> None:
    _call, intervention = service.new_call("Perdita d'acqua")
    cora = web_client(service, COORDINATOR, "Cora-pw-1")  # a coordinator, in Italian

    planner = lxml.html.fromstring(cora.get("/app/intervention/planner?week=2026-11-23")
                                   .get_data(as_text=True))
    links = planner.xpath("//ul[@id='to-plan-list']/li")
    item = next(li for li in links if intervention["ref"] in li.text_content())
    assert [a.text_content() for a in item.xpath("a")][-1] == "Pianifica"

    form = lxml.html.fromstring(cora.get("/app/maintenance_plan/new").get_data(as_text=True))
    sections = [legend.text_content().strip() for legend in form.xpath("//legend | //h2")]
    assert "Piano" in sections and "Pianifica" not in sections
