"""The web application: overview page and the JSON API over the records service."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from core.config import Settings
from core.metadata.loader import BUILTIN_PACKS
from core.records.actor import SYSTEM
from core.ui.app import create_app
from core.users import create_user
from tests.conftest import Env


def basic(username: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


@pytest.fixture
def client(shop: Env, database_url: str, packs_dir: Path, tmp_path: Path) -> FlaskClient:
    with shop.database.write() as connection:
        create_user(connection, "carla", "Carla-pw-1", roles=("clerk",))
        create_user(connection, "ivo", "Ivo-pw-1", roles=("intern",), language="it")
    shop.service.create(SYSTEM, "customer", {"company": "ACME <b>", "city": "Milano"})
    settings = Settings(instance=tmp_path, database_url=database_url, packs=("testshop",),
                        pack_paths=(packs_dir, BUILTIN_PACKS), registry_check_interval=0)
    return create_app(settings, {"TESTING": True}).test_client()


def test_overview_lists_entities_escaped(client: FlaskClient) -> None:
    page = client.get("/").get_data(as_text=True)
    assert "Customers" in page and "/api/sale" in page
    assert "sale_line" not in page  # lines are shown with their parent


def test_api_needs_a_signed_in_user(client: FlaskClient) -> None:
    assert client.get("/api/customer").status_code == 401
    assert client.get("/api/customer", headers=basic("carla", "wrong")).status_code == 401
    assert client.get("/api/customer", headers=basic("nobody", "x")).status_code == 401


def test_api_lists_and_gets_records_with_the_users_permissions(client: FlaskClient) -> None:
    listed = client.get('/api/customer?filter=[["city","=","Milano"]]&fields=company',
                        headers=basic("carla", "Carla-pw-1"))
    assert listed.status_code == 200
    assert listed.json["total"] == 1 and listed.json["rows"][0]["company"] == "ACME <b>"
    one = client.get("/api/customer/CUS-00001", headers=basic("carla", "Carla-pw-1"))
    assert one.json["city"] == "Milano"
    denied = client.get("/api/customer", headers=basic("ivo", "Ivo-pw-1"))
    assert denied.status_code == 403 and denied.json["error"] == "permission"


def test_api_reports_bad_queries_as_errors_not_crashes(client: FlaskClient) -> None:
    auth = basic("carla", "Carla-pw-1")
    unknown = client.get('/api/customer?filter=[["nope","=",1]]', headers=auth)
    assert unknown.status_code == 400 and "nope" in unknown.json["message"]
    assert client.get("/api/customer?filter=[[", headers=auth).status_code == 400
    assert client.get("/api/customer?limit=ten", headers=auth).status_code == 400
    assert client.get("/api/customer/CUS-09999", headers=auth).status_code == 404
    assert client.get("/api/unknown", headers=auth).status_code == 404


def test_health_reports_the_registry(client: FlaskClient) -> None:
    assert client.get("/health").json == {"status": "ok", "registry_version": 0, "entities": 6}
