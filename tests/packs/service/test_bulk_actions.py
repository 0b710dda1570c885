"""Bulk actions on a list page: the back office verifies many interventions at once, the
office sets a field on many calls; each record goes through the records service on its own,
those that cannot take the change are refused one by one with the reason, and a long batch
shows its progress."""

from __future__ import annotations

import lxml.html
from flask import Flask
from flask.testing import FlaskClient

from tests.packs.service.conftest import COORDINATOR, OFFICE, ServiceEnv, browser_of
from tests.ui.conftest import csrf_token


def _done(env: ServiceEnv, subject: str) -> dict:
    """A call's intervention, worked and done, waiting to be verified."""
    _call, intervention = env.new_call(subject)
    env.update(COORDINATOR, "intervention", intervention["id"], {
        "technician": env.data["technician"]["id"],
        "timesheet": [{"work_date": "2026-11-23", "normal_hours": "1"}]})
    for name in ("start", "finish"):
        env.transition(COORDINATOR, "intervention", intervention["id"], name)
    return env.get("intervention", intervention["id"])


def _run(client: FlaskClient, entity: str, ids: list[int], **form: str) -> lxml.html.HtmlElement:
    """Choose ``ids`` on the list, ask for the action, confirm it, and follow the progress
    page until the batch is done (as its script does); the last page."""
    token = csrf_token(client, f"/app/{entity}")
    data = {"csrf_token": token, "id": [str(i) for i in ids], **form}
    confirm = client.post(f"/app/{entity}/bulk", data=data)
    assert confirm.status_code == 200, confirm.get_data(as_text=True)[:1000]
    page = client.post(f"/app/{entity}/bulk", data={**data, "confirmed": "1"},
                       follow_redirects=True)
    for _ in range(50):
        tree = lxml.html.fromstring(page.get_data(as_text=True))
        step = tree.xpath("//form[@data-continue]")
        if not step:
            return tree
        page = client.post(step[0].get("action"), data={"csrf_token": token},
                           follow_redirects=True)
    raise AssertionError("the batch never finished")


def _results(tree: lxml.html.HtmlElement) -> dict[str, str]:
    return {row.get("data-ref"): " ".join(row.xpath("./td[2]")[0].text_content().split())
            for row in tree.xpath("//table[@id='bulk-results']/tbody/tr")}


def test_verify_many_refusing_one_by_one(service: ServiceEnv, web: Flask) -> None:
    first, second = _done(service, "Perdita di gas"), _done(service, "Rumore al compressore")
    _call, not_done = service.new_call("Display spento")
    olga = browser_of(web, "olga")  # the office, in Italian
    listed = lxml.html.fromstring(olga.get("/app/intervention").get_data(as_text=True))
    offered = [o.text_content() for o in listed.xpath("//select[@id='bulk-transition']/option")]
    assert "Verifica" in offered  # what the office's role may take
    done = _run(olga, "intervention", [first["id"], not_done["id"], second["id"]],
                bulk="transition", transition="verify")
    results = _results(done)
    assert results[first["ref"]] == results[second["ref"]] == "Modificato"
    assert results[not_done["ref"]].startswith(
        '"Verifica" non può partire dallo stato "Provvisorio".'), results
    assert "2 modificati, 1 lasciati" in " ".join(done.xpath("//*[@id='bulk-status']")[0]
                                                  .text_content().split())
    assert [service.get("intervention", i["id"])["status"] for i in (first, second, not_done)
            ] == ["verified", "verified", "provisional"]


def test_a_field_set_on_a_long_batch_shows_its_progress(service: ServiceEnv, web: Flask
                                                        ) -> None:
    calls = [service.new_call(f"Chiamata {n}")[0] for n in range(30)]
    olga = browser_of(web, "olga")
    token = csrf_token(olga, "/app/service_call")
    data = {"csrf_token": token, "id": [str(c["id"]) for c in calls], "bulk": "field",
            "field": "priority", "value": "urgent", "confirmed": "1"}
    progress = lxml.html.fromstring(olga.post("/app/service_call/bulk", data=data,
                                              follow_redirects=True).get_data(as_text=True))
    bar = progress.xpath("//progress[@id='bulk-progress']")[0]
    assert (bar.get("value"), bar.get("max")) == ("0", "30")
    step = progress.xpath("//form[@data-continue]")[0].get("action")
    halfway = lxml.html.fromstring(olga.post(step, data={"csrf_token": token},
                                             follow_redirects=True).get_data(as_text=True))
    assert "25 di 30" in halfway.xpath("//*[@id='bulk-status']")[0].text_content()
    done = _run(olga, "service_call", [c["id"] for c in calls], bulk="field",
                field="priority", value="high")
    assert len(_results(done)) == 30
    assert {service.get("service_call", c["id"])["priority"] for c in calls} == {"high"}


def test_records_the_user_may_not_change_are_refused_and_the_others_done(
        service: ServiceEnv, web: Flask) -> None:
    _call, own = service.new_call("Perdita di gas")
    service.update(COORDINATOR, "intervention", own["id"],
                   {"technician": service.data["technician"]["id"]})
    own = service.get("intervention", own["id"])
    other_call = service.records.create(OFFICE, "service_call", {
        "subject": "Altro tecnico", "customer": service.data["customer"]["id"]})
    [others] = [r for r in service.records.list(OFFICE, "intervention").rows
                if r["service_call"] == other_call["id"]]
    tino = browser_of(web, "tino")  # a technician: his own interventions only
    result = _run(tino, "intervention", [others["id"], own["id"]], bulk="transition",
                  transition="start")
    results = _results(result)
    assert results[own["ref"]] == "Modificato"
    assert next(iter(results)) == f"#{others['id']}"  # not his: not even its reference is shown
    assert "Non esiste" in results[f"#{others['id']}"]
    assert service.get("intervention", own["id"])["status"] == "in_progress"
    assert service.get("intervention", others["id"])["status"] == "provisional"


def test_a_batch_is_its_users_alone(service: ServiceEnv, web: Flask) -> None:
    first = _done(service, "Perdita di gas")
    olga = browser_of(web, "olga")
    token = csrf_token(olga, "/app/intervention")
    started = olga.post("/app/intervention/bulk", data={
        "csrf_token": token, "id": [str(first["id"])], "bulk": "transition",
        "transition": "verify", "confirmed": "1"})
    progress_url = started.headers["Location"]
    mara = browser_of(web, "mara")
    assert mara.get(progress_url).status_code == 404
    assert mara.post(progress_url.split("?")[0] + "/next",
                     data={"csrf_token": csrf_token(mara, "/app/intervention")}
                     ).status_code == 404
    assert service.get("intervention", first["id"])["status"] == "done"
    refused = mara.post("/app/intervention/bulk", data={
        "csrf_token": csrf_token(mara, "/app/intervention"), "id": [str(first["id"])],
        "bulk": "transition", "transition": "verify"})
    assert refused.status_code == 404  # a manager may not verify: not offered, not taken
