"""The type-ahead lookup: records by title, search fields and reference, as JSON."""

from __future__ import annotations

from core.records.actor import SYSTEM
from tests.ui.list_helpers import add, records


def test_lookup_finds_by_title_search_fields_and_ref(app, signed_in):
    add(app, "customer", company="Beta Srl", city="Torino")
    add(app, "customer", company="Bettini", city="Milano")
    carla = signed_in("carla")
    found = carla.get("/app/customer/lookup?q=bet").get_json()
    assert [item["title"] for item in found] == ["Beta Srl", "Bettini"]
    assert set(found[0]) == {"id", "ref", "title"}
    by_city = carla.get("/app/customer/lookup?q=milano").get_json()
    assert [item["title"] for item in by_city] == ["ACME <b>", "Bettini"]
    ref = records(app).list(SYSTEM, "customer").rows[0]["ref"]
    assert [item["ref"] for item in carla.get(f"/app/customer/lookup?q={ref}").get_json()] \
        == [ref]
    assert len(carla.get("/app/customer/lookup?q=&limit=2").get_json()) == 2
    assert carla.get("/app/customer/lookup?q=zzz").get_json() == []
    assert carla.get("/app/customer/lookup?q=a&limit=abc").status_code == 200


def test_lookup_obeys_permissions(signed_in):
    answer = signed_in("ivo").get("/app/customer/lookup?q=a")
    assert answer.status_code == 403
    assert answer.is_json and answer.get_json()["error"] == "403"
    assert signed_in("carla").get("/app/nosuch/lookup?q=a").status_code == 404


def test_lookup_does_not_collide_with_record_pages(app, signed_in):
    rules = {rule.rule: rule.endpoint for rule in app.url_map.iter_rules()}
    assert rules["/app/<entity>/lookup"] == "records.lookup_view"
    adapter = app.url_map.bind("localhost")
    assert adapter.match("/app/customer/lookup")[0] == "records.lookup_view"
    assert adapter.match("/app/customer")[0] == "records.list_view"
    if "records.new_view" in app.view_functions:
        assert adapter.match("/app/customer/new")[0] == "records.new_view"
    if "records.detail_view" in app.view_functions:
        assert adapter.match("/app/customer/12")[0] == "records.detail_view"


def test_lookup_needs_sign_in(client):
    assert client.get("/app/customer/lookup?q=a").status_code in (302, 401)
