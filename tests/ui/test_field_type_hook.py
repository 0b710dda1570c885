"""The swatches pack's colour, added through its hooks only, in the web UI, the JSON API,
exports and fixtures: each uses the type's own facet and conversions (the colour is shown
and exported as #1A2B3C, sent by the API as [26, 43, 60], stored as #1a2b3c)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook

from core.auth.api_tokens import create_token
from core.config import Settings
from core.field_registration import unregister_field_type
from core.fixtures import load_fixtures
from core.metadata.field_types import FIELD_TYPES
from core.metadata.loader import BUILTIN_PACKS
from core.officina import Officina
from core.records.actor import SYSTEM
from core.records.token_scopes import TokenScopes
from core.ui.app import create_app
from core.users import create_user
from tests.conftest import migrate_instance
from tests.support.users import FAST_HASHING
from tests.ui.conftest import sign_in
from tests.ui.test_pack_field_type import shows_on_a_form_and_in_a_list


@pytest.fixture
def swatches(database_url: str, packs_dir: Path, tmp_path: Path) -> Iterator[Flask]:
    """The web application of the swatches pack, whose type nothing but its hooks adds;
    anna is an administrator."""
    assert "colour" not in FIELD_TYPES
    settings = Settings(instance=tmp_path / "instance", database_url=database_url,
                        packs=("swatches",), pack_paths=(packs_dir, BUILTIN_PACKS),
                        registry_check_interval=0, passwords=FAST_HASHING)
    instance = Officina.open(settings)
    migrate_instance(instance)
    with instance.database.write() as connection:
        create_user(connection, "anna", "Anna-pw-1", roles=("admin",), hashing=FAST_HASHING)
    yield create_app(settings, {"TESTING": True}, instance)
    instance.close()
    unregister_field_type("colour")


def _instance(app: Flask) -> Officina:
    return app.extensions["officina"]


def _stored(app: Flask, record_id: int) -> str:
    return _instance(app).records.get(SYSTEM, "swatch", record_id)["shade"]


def _token(app: Flask) -> dict[str, str]:
    with _instance(app).database.write() as connection:
        secret, _info = create_token(connection, "anna", "test", TokenScopes.parse(
            {"swatch": "write"}), created_by="anna", entities=["swatch"])
    return {"Authorization": f"Bearer {secret}"}


def _send(client: FlaskClient, method: str, path: str, body: object,
          headers: dict[str, str]) -> Any:
    return client.open(path, method=method, data=json.dumps(body), headers=headers,
                       content_type="application/json")


def test_a_form_and_a_list_use_the_facet_the_hook_adds(swatches: Flask) -> None:
    shows_on_a_form_and_in_a_list(swatches)


def test_the_api_writes_and_reads_the_types_json(swatches: Flask) -> None:
    client, headers = swatches.test_client(), _token(swatches)
    created = _send(client, "POST", "/api/swatch", {"name": "Sea", "shade": [26, 43, 60]},
                    headers)
    assert created.status_code == 201, created.get_data(as_text=True)
    record = created.get_json()
    assert record["shade"] == [26, 43, 60] and _stored(swatches, record["id"]) == "#1a2b3c"
    got = client.get(f"/api/swatch/{record['id']}", headers=headers).get_json()
    assert got["shade"] == [26, 43, 60]
    assert client.get("/api/swatch", headers=headers).get_json()["rows"][0]["shade"] == [
        26, 43, 60]
    changed = _send(client, "PATCH", f"/api/swatch/{record['id']}",
                    {"shade": "#FFFFFF", "version": record["version"]}, headers)
    assert changed.get_json()["shade"] == [255, 255, 255]
    assert _stored(swatches, record["id"]) == "#ffffff"
    for shade, message in (([256, 0, 0], "Not a valid value."),
                           ("blue", "Not a colour: write it like #1a2b3c.")):
        refused = _send(client, "POST", "/api/swatch", {"name": "Sky", "shade": shade},
                        headers)
        assert refused.status_code == 400
        assert refused.get_json()["fields"] == {"shade": [message]}


def test_exports_write_the_types_text(swatches: Flask) -> None:
    _instance(swatches).records.create(SYSTEM, "swatch", {"name": "Sea", "shade": "#1a2b3c"})
    anna = sign_in(swatches.test_client(), "anna", "Anna-pw-1")
    text = anna.get("/app/swatch/export.csv").get_data().decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [row["Shade"] for row in rows] == ["#1A2B3C"]
    sheet = load_workbook(io.BytesIO(anna.get("/app/swatch/export.xlsx").get_data())).active
    header = [cell.value for cell in sheet[1]]
    assert sheet.cell(row=2, column=header.index("Shade") + 1).value == "#1A2B3C"


def test_fixtures_are_read_with_the_types_json(swatches: Flask, packs_dir: Path) -> None:
    folder = packs_dir / "swatches" / "fixtures"
    folder.mkdir()
    (folder / "10-swatches.yaml").write_text(
        "records:\n"
        "  - entity: swatch\n"
        "    values: {name: Sea, shade: [26, 43, 60]}\n"
        "  - entity: swatch\n"
        "    values: {name: Snow, shade: '#FFFFFF'}\n"
        "    steps:\n"
        "      - update: {shade: [0, 0, 0]}\n"
        "  - entity: swatch\n"
        "    find: {shade: [26, 43, 60]}\n"
        "    steps:\n"
        "      - update: {name: Deep sea}\n", encoding="utf-8")
    load_fixtures(_instance(swatches), "swatches", SYSTEM)
    rows = _instance(swatches).records.list(SYSTEM, "swatch").rows
    assert {row["name"]: row["shade"] for row in rows} == {"Deep sea": "#1a2b3c",
                                                                "Snow": "#000000"}
