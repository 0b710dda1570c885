"""Who may write what, on the web pages, the JSON API and the command line: fields the rules
fill and locked fields of lines are shown, never offered, and a tampered post is refused."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from core.auth.api_tokens import create_token
from core.config import Settings
from core.metadata.loader import BUILTIN_PACKS
from core.officina import Officina
from core.records.reading import ListQuery
from core.records.token_scopes import TokenScopes
from core.ui.app import create_app
from core.users import create_user
from tests.conftest import Env
from tests.core.records.authority_support import OFFICE, open_authority
from tests.support.cli import new_instance, officina
from tests.support.users import FAST_HASHING
from tests.ui.conftest import sign_in


@pytest.fixture
def authority_app(database_url: str, packs_dir: Path,
                  tmp_path: Path) -> Iterator[tuple[Flask, Env]]:
    env = open_authority(database_url, packs_dir)
    with env.database.write() as connection:
        create_user(connection, "carlo", "Carlo-pw-1", roles=("clerk",), hashing=FAST_HASHING)
    env.service.create(OFFICE, "customer", {"name": "Nord"})
    settings = Settings(instance=tmp_path, database_url=database_url, packs=("authority",),
                        pack_paths=(packs_dir, BUILTIN_PACKS), registry_check_interval=0,
                        passwords=FAST_HASHING)
    app = create_app(settings, {"TESTING": True}, Officina.open(settings, registry=env.store))
    yield app, env
    env.database.dispose()


def _inputs(page: str) -> set[str]:
    start = page.index("data-record-form")
    form = re.sub(r"<template.*?</template>", "", page[start:page.index("</form>", start)],
                  flags=re.S)
    return set(re.findall(r'<(?:input|select|textarea)\b[^>]*name="([^"]+)"', form))


def _sale(env: Env) -> dict:
    return env.service.create(OFFICE, "sale", {"subject": "Kit", "customer": 1, "lines": [
        {"item": "bolt", "quantity": 2, "unit_price": "3", "unit_cost": "1.25"}]})


def test_the_form_shows_system_filled_and_locked_line_fields_as_values(
        authority_app: tuple[Flask, Env]) -> None:
    app, env = authority_app
    sale = _sale(env)
    carlo = sign_in(app.test_client(), "carlo", "Carlo-pw-1")
    page = carlo.get(f"/app/sale/{sale['id']}/edit").get_data(as_text=True)
    inputs = _inputs(page)
    assert {"subject", "discount", "lines.0.item", "lines.0.quantity"} <= inputs
    assert not {"risk", "status", "taken_by", "lines.0.unit_price", "lines.0.unit_cost"} & inputs
    assert "Unit cost" not in page and "1.25" not in page  # a hidden column of the lines
    assert "Unit price" in page  # shown, read-only
    detail = carlo.get(f"/app/sale/{sale['id']}").get_data(as_text=True)
    assert "Unit price" in detail and "Unit cost" not in detail and "1.25" not in detail


def test_a_tampered_post_is_refused_and_changes_nothing(
        authority_app: tuple[Flask, Env]) -> None:
    app, env = authority_app
    sale = _sale(env)
    carlo = sign_in(app.test_client(), "carlo", "Carlo-pw-1")
    path = f"/app/sale/{sale['id']}/edit"
    page = carlo.get(path).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    line_id = str(sale["lines"][0]["id"])
    base = {"csrf_token": token, "_version": str(sale["version"]), "subject": "Kit",
            "lines.0.id": line_id, "lines.0.item": "bolt", "lines.0.quantity": "2"}
    for field, value, message in (("risk", "high", "filled by the rules"),
                                  ("lines.0.unit_price", "0", "You may not change this field"),
                                  ("lines.0.unit_cost", "0", "You may not change this field")):
        response = carlo.post(path, data={**base, field: value})
        assert response.status_code == 422, field
        assert message in response.get_data(as_text=True), field
    after = env.service.get(OFFICE, "sale", sale["id"])
    assert after["version"] == sale["version"] and after["lines"][0]["unit_cost"] == 1.25


def test_the_api_leaves_hidden_line_fields_out(authority_app: tuple[Flask, Env]) -> None:
    app, env = authority_app
    sale = _sale(env)
    credentials = base64.b64encode(b"carlo:Carlo-pw-1").decode()
    response = app.test_client().get(f"/api/sale/{sale['id']}",
                                     headers={"Authorization": f"Basic {credentials}"})
    assert response.status_code == 200
    line = response.json["lines"][0]
    assert line["item"] == "bolt" and "unit_cost" not in line and "cost" not in line
    assert "cost_total" not in response.json


def test_a_write_token_cannot_set_what_the_rules_fill(authority_app: tuple[Flask, Env]) -> None:
    app, env = authority_app
    sale = _sale(env)
    with env.database.write() as connection:
        secret, _info = create_token(connection, "carlo", "sync", TokenScopes.parse("*"),
                                     created_by="carlo", entities=("customer", "sale"))
    client = app.test_client()
    headers = {"Authorization": f"Bearer {secret}"}
    created = client.post("/api/sale", data=json.dumps({"subject": "x", "risk": "low"}),
                          headers=headers, content_type="application/json")
    assert created.status_code == 400
    assert "filled by the rules" in created.json["fields"]["risk"][0]
    changed = client.patch(f"/api/sale/{sale['id']}", headers=headers,
                           data=json.dumps({"version": sale["version"], "lines": [
                               {"id": sale["lines"][0]["id"], "unit_price": "0"}]}),
                           content_type="application/json")
    assert changed.status_code == 400
    assert "lines.0.unit_price" in changed.json["fields"]
    after = env.service.get(OFFICE, "sale", sale["id"])
    assert after["version"] == sale["version"] and after["lines"][0]["unit_price"] == 3
    assert env.service.list(OFFICE, "sale", ListQuery()).total == 1


def test_the_command_line_refuses_a_field_the_rules_fill(tmp_path: Path,
                                                         packs_dir: Path) -> None:
    instance = new_instance(tmp_path, packs_dir, "authority")
    officina("user", "add", "carlo", "--role", "clerk", "--password", "Carlo-pw-1",
             env=instance)
    refused = officina("records", "create", "sale", '{"subject": "x", "risk": "low"}',
                       "--as", "carlo", env=instance, check=False)
    assert refused.returncode == 1
    assert "risk: This field is filled by the rules: it cannot be entered." in refused.stderr
    created = json.loads(officina("records", "create", "sale", '{"subject": "x"}',
                                  "--as", "carlo", env=instance).stdout)
    assert created["taken_by"] == "carlo"
    listed = json.loads(officina("records", "list", "sale", env=instance).stdout)
    assert listed["total"] == 1
