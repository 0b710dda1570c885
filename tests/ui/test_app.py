"""The web application: home page and the JSON API over the records service."""

from __future__ import annotations

import base64
from collections.abc import Callable

from flask.testing import FlaskClient

from tests.ui.conftest import csrf_token


def basic(username: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def test_home_needs_sign_in_and_lists_what_the_user_may_read(
        client: FlaskClient, signed_in: Callable[[str], FlaskClient]) -> None:
    assert client.get("/").status_code == 302
    page = signed_in("carla").get("/").get_data(as_text=True)
    assert "Customers" in page and "/app/customer" in page
    assert "/app/sale_line" not in page  # lines are shown with their parent


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


def test_wrong_api_passwords_count_toward_the_sign_in_lock(client: FlaskClient) -> None:
    for _ in range(5):
        assert client.get("/api/customer", headers=basic("carla", "wrong")).status_code == 401
    locked = client.get("/api/customer", headers=basic("carla", "Carla-pw-1"))
    assert locked.status_code == 429 and locked.json["error"] == "throttled"
    assert 0 < int(locked.headers["Retry-After"]) <= 15 * 60
    assert "Too many failed login attempts" in locked.json["message"]
    page = client.post("/login", data={"username": "carla", "password": "Carla-pw-1",
                                       "csrf_token": csrf_token(client)})
    assert page.status_code == 429  # the same lock on the sign-in page


def test_a_user_locked_out_of_the_sign_in_page_cannot_read_through_the_api(
        client: FlaskClient) -> None:
    for _ in range(5):
        client.post("/login", data={"username": "ivo", "password": "wrong",
                                    "csrf_token": csrf_token(client)})
    elsewhere = {"REMOTE_ADDR": "192.0.2.7"}  # another address: only ivo's own lock applies
    refused = client.get("/api/customer", headers=basic("ivo", "Ivo-pw-1"),
                         environ_base=elsewhere)
    assert refused.status_code == 429 and refused.json["error"] == "throttled"
    assert client.get("/api/customer", headers=basic("carla", "Carla-pw-1"),
                      environ_base=elsewhere).status_code == 200
