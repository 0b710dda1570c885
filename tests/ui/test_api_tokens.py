"""Personal API tokens: created on the account page, shown once, stored hashed, scoped per
entity, and the JSON API's write endpoints they open."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from core.auth.api_tokens import API_TOKEN, create_token
from core.auth.reset import issue_reset_token
from core.config import Settings
from core.metadata.loader import BUILTIN_PACKS
from core.officina import Officina
from core.records.actor import SYSTEM
from core.records.token_scopes import TokenScopes
from core.storage.tables import system_tables
from core.ui.app import create_app
from core.users import create_user
from tests.conftest import open_env
from tests.support.users import FAST_HASHING
from tests.ui.conftest import PASSWORDS, csrf_token
from tests.ui.test_app import basic

ENTITIES = ("customer", "product", "sale", "specimen")


def _instance(app: Flask) -> Officina:
    return app.extensions["officina"]


def _token(app: Flask, username: str, scopes: Any, **options: Any) -> str:
    with _instance(app).database.write() as connection:
        secret, _info = create_token(connection, username, "test", TokenScopes.parse(scopes),
                                     created_by=username, entities=ENTITIES, **options)
    return secret


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def _post(client: FlaskClient, path: str, body: object, secret: str) -> Any:
    return client.post(path, data=json.dumps(body), headers=bearer(secret),
                       content_type="application/json")


def _customers(app: Flask) -> list[str]:
    with _instance(app).database.read() as connection:
        table = _instance(app).registry.current().schema.table("customer")
        return list(connection.execute(sa.select(table.c.company)).scalars())


def _create_on_page(client: FlaskClient, **form: str) -> Any:
    return client.post("/account/tokens", data={
        "csrf_token": csrf_token(client, "/account/tokens"), **form})


def _token_rows(app: Flask) -> list[dict[str, Any]]:
    with _instance(app).database.read() as connection:
        return [dict(r._mapping) for r in connection.execute(
            sa.select(system_tables().system[API_TOKEN]))]


def _secret(page: str) -> str:
    match = re.search(r'id="token-secret">([^<]+)<', page)
    assert match, "the new token is not shown"
    return match.group(1)


def test_a_new_token_is_shown_once_and_only_its_hash_is_stored(
        app: Flask, signed_in: Callable[[str], FlaskClient]) -> None:
    carla = signed_in("carla")
    created = _create_on_page(carla, name="invoicing", current_password=PASSWORDS["carla"],
                              **{"scope.customer": "read"})
    assert created.status_code == 200
    secret = _secret(created.get_data(as_text=True))
    assert secret.startswith("ofc_") and len(secret) >= 40
    listed = carla.get("/account/tokens").get_data(as_text=True)
    assert secret not in listed
    assert "invoicing" in listed and secret[:12] in listed and "customer: read" in listed
    with _instance(app).database.read() as connection:
        rows = [dict(r._mapping) for r in connection.execute(
            sa.select(system_tables().system[API_TOKEN]))]
    assert len(rows) == 1
    assert not any(secret in str(value) for value in rows[0].values())
    assert rows[0]["token_hash"] == hashlib.sha256(secret.encode()).hexdigest()
    assert rows[0]["username"] == "carla" and rows[0]["created_by"] == "carla"
    assert carla.get("/api/customer", headers=bearer(secret)).status_code == 200


def test_the_token_form_names_what_is_missing(signed_in: Callable[[str], FlaskClient]) -> None:
    carla = signed_in("carla")
    refused = _create_on_page(carla, name="", days="0")
    page = refused.get_data(as_text=True)
    assert refused.status_code == 400
    assert 'id="name-error"' in page and 'id="scopes-error"' in page and 'id="days-error"' in page
    assert 'id="current_password-error"' in page  # creating one asks for the password
    assert 'id="token-secret"' not in page
    italian = signed_in("ivo")
    page = _create_on_page(italian, name="x").get_data(as_text=True)
    assert "Scegli che cosa" in page  # the scopes' message, in ivo's language
    assert "Inserisci la tua password per creare un token." in page


def test_a_wrong_password_creates_no_token_and_counts_toward_the_throttle(
        app: Flask, signed_in: Callable[[str], FlaskClient]) -> None:
    # a stolen session cookie alone cannot mint a token that outlives the session
    carla, italian = signed_in("carla"), signed_in("ivo")
    form = {"name": "stolen", "scope.*": "write"}
    page = _create_on_page(italian, current_password="sbagliata", **form).get_data(as_text=True)
    assert "Password errata." in page  # the field's error, in ivo's language
    for n in range(4):  # with ivo's, five failures from this address
        refused = _create_on_page(carla, current_password=f"guess-{n}", **form)
        page = refused.get_data(as_text=True)
        assert refused.status_code == 400 and 'id="current_password-error"' in page
        assert "Wrong password." in page and 'id="token-secret"' not in page
    locked = _create_on_page(carla, current_password=PASSWORDS["carla"], **form)
    assert locked.status_code == 429 and 'id="token-secret"' not in locked.get_data(as_text=True)
    assert _token_rows(app) == []
    # the same throttle as signing in: the password no longer signs carla in either
    other = app.test_client()
    assert other.post("/login", data={"username": "carla", "password": PASSWORDS["carla"],
                                      "csrf_token": csrf_token(other)}).status_code == 429


def test_a_password_reset_revokes_the_tokens_an_own_change_keeps_them(
        app: Flask, client: FlaskClient, signed_in: Callable[[str], FlaskClient]) -> None:
    kept = _token(app, "carla", {"customer": "read"})
    carla = signed_in("carla")
    changed = carla.post("/account/password", data={
        "csrf_token": csrf_token(carla, "/account/password"),
        "old_password": PASSWORDS["carla"], "new_password": "Carla-changed-2",
        "new_password_repeat": "Carla-changed-2"})
    assert changed.status_code == 302
    assert client.get("/api/customer", headers=bearer(kept)).status_code == 200
    with _instance(app).database.write() as connection:
        link = issue_reset_token(connection, "carla")
    reset = client.post(f"/password/reset/{link}", data={
        "csrf_token": csrf_token(client, f"/password/reset/{link}"),
        "new_password": "Carla-reset-3", "new_password_repeat": "Carla-reset-3"})
    assert reset.status_code == 302
    refused = client.get("/api/customer", headers=bearer(kept))
    assert refused.status_code == 401 and "revoked" in refused.json["message"]
    assert all(row["revoked_at"] is not None for row in _token_rows(app))


def test_a_read_token_lists_and_gets_but_cannot_write(app: Flask, client: FlaskClient) -> None:
    secret = _token(app, "carla", {"customer": "read"})
    listed = client.get("/api/customer", headers=bearer(secret))
    assert listed.status_code == 200 and listed.json["rows"][0]["company"] == "ACME <b>"
    one = client.get("/api/customer/CUS-00001", headers=bearer(secret))
    assert one.status_code == 200 and one.json["city"] == "Milano"
    refused = _post(client, "/api/customer", {"company": "Bolts"}, secret)
    assert refused.status_code == 403 and refused.json["error"] == "permission"
    assert "read only" in refused.json["message"]
    patched = client.patch("/api/customer/CUS-00001", data=json.dumps(
        {"city": "Roma", "version": 1}), headers=bearer(secret), content_type="application/json")
    assert patched.status_code == 403
    assert client.delete("/api/customer/CUS-00001", headers=bearer(secret)).status_code == 403
    assert _customers(app) == ["ACME <b>"]


def test_a_write_token_writes_what_the_records_service_accepts(
        app: Flask, client: FlaskClient) -> None:
    secret = _token(app, "carla", {"customer": "write"})
    created = _post(client, "/api/customer", {"company": "Bolts Srl", "city": "Brescia"}, secret)
    assert created.status_code == 201, created.json
    assert created.json["ref"] == "CUS-00002" and created.json["created_by"] == "carla"
    assert created.headers["Location"] == "/api/customer/CUS-00002"
    bad = _post(client, "/api/customer", {"company": "Nuts", "kind": "giant"}, secret)
    assert bad.status_code == 400 and bad.json["error"] == "validation"
    assert list(bad.json["fields"]) == ["kind"]
    missing = _post(client, "/api/customer", {"city": "Pavia"}, secret)
    assert missing.status_code == 400 and "company" in missing.json["fields"]
    assert sorted(_customers(app)) == ["ACME <b>", "Bolts Srl"]

    def patch(body: object) -> Any:
        return client.patch("/api/customer/CUS-00002", data=json.dumps(body),
                            headers=bearer(secret), content_type="application/json")

    changed = patch({"city": "Bergamo", "version": 1})
    assert changed.status_code == 200 and changed.json["version"] == 2
    stale = patch({"city": "Lodi", "version": 1})
    assert stale.status_code == 409 and stale.json["error"] == "conflict"
    unversioned = patch({"city": "Lodi"})
    assert unversioned.status_code == 400 and "version" in unversioned.json["fields"]
    assert client.get("/api/customer/CUS-00002", headers=bearer(secret)).json["city"] == "Bergamo"
    assert client.delete("/api/customer/CUS-00002",
                         headers=bearer(secret)).status_code == 403  # clerks may not delete
    admin = _token(app, "anna", {"customer": "write"})
    assert client.delete("/api/customer/CUS-00002?version=1",
                         headers=bearer(admin)).status_code == 409
    for version in ("x", "²", "\u0661", "9" * 20, "9" * 5000):  # not ASCII digits, or too long
        wrong = client.delete(f"/api/customer/CUS-00002?version={version}",
                              headers=bearer(admin))
        assert wrong.status_code == 400 and "version" in wrong.json["fields"]
    assert client.delete("/api/customer/CUS-00002?version=2",
                         headers=bearer(admin)).status_code == 204
    assert client.get("/api/customer/CUS-00002", headers=bearer(secret)).status_code == 404


def test_bodies_that_are_not_json_objects_are_refused(app: Flask, client: FlaskClient) -> None:
    secret = _token(app, "carla", "*")
    as_form = client.post("/api/customer", data={"company": "Form"}, headers=bearer(secret))
    assert as_form.status_code == 415 and as_form.json["error"] == "media_type"
    broken = client.post("/api/customer", data="{", headers=bearer(secret),
                         content_type="application/json")
    assert broken.status_code == 400 and broken.json["error"] == "body"
    listed = _post(client, "/api/customer", ["company"], secret)
    assert listed.status_code == 400 and "object" in listed.json["message"]
    assert _customers(app) == ["ACME <b>"]


def test_entities_out_of_scope_and_the_owners_permissions_both_limit_a_token(
        app: Flask, client: FlaskClient) -> None:
    secret = _token(app, "carla", {"customer": "write"})
    for path in ("/api/sale", "/api/product"):
        refused = client.get(path, headers=bearer(secret))
        assert refused.status_code == 403 and "no access" in refused.json["message"]
    assert _post(client, "/api/sale", {"subject": "x", "customer": 1}, secret).status_code == 403
    assert client.get("/api/nothing", headers=bearer(secret)).status_code == 404
    # "*" for an intern still reaches only what interns may read
    intern = _token(app, "ivo", "*")
    assert client.get("/api/customer", headers=bearer(intern)).status_code == 403
    # an administrator's read-only token cannot write anything
    admin = _token(app, "anna", {"*": "read"})
    assert client.get("/api/sale", headers=bearer(admin)).status_code == 200
    assert _post(client, "/api/product", {"title": "Nut"}, admin).status_code == 403


def test_revoked_expired_and_deactivated_owners_tokens_are_refused(
        app: Flask, client: FlaskClient, signed_in: Callable[[str], FlaskClient]) -> None:
    revoked = _token(app, "carla", "*")
    carla = signed_in("carla")
    page = carla.get("/account/tokens").get_data(as_text=True)
    token_id = re.search(r'id="token-(\d+)"', page).group(1)
    assert client.get("/api/customer", headers=bearer(revoked)).status_code == 200
    carla.post(f"/account/tokens/{token_id}/revoke",
               data={"csrf_token": csrf_token(carla, "/account/tokens")})
    refused = client.get("/api/customer", headers=bearer(revoked))
    assert refused.status_code == 401 and "revoked" in refused.json["message"]
    assert 'Bearer realm="Officina"' in refused.headers.getlist("WWW-Authenticate")
    assert "Revoked" in carla.get("/account/tokens").get_data(as_text=True)

    past = dt.datetime.now(dt.UTC) - dt.timedelta(days=2)
    expired = _token(app, "carla", "*", now=past, expires_at=past + dt.timedelta(days=1))
    refused = client.get("/api/customer", headers=bearer(expired))
    assert refused.status_code == 401 and "expired" in refused.json["message"]

    owner = _token(app, "carla", "*")
    anna = signed_in("anna")
    anna.post("/admin/users/carla/active",
              data={"active": "0", "csrf_token": csrf_token(anna, "/admin/users")})
    refused = client.get("/api/customer", headers=bearer(owner))
    assert refused.status_code == 401 and refused.json["error"] == "authentication"


def test_last_use_is_shown_and_written_at_most_once_a_minute(
        app: Flask, client: FlaskClient, signed_in: Callable[[str], FlaskClient]) -> None:
    secret = _token(app, "carla", {"customer": "read"})
    carla = signed_in("carla")
    page = carla.get("/account/tokens").get_data(as_text=True)
    assert re.search(r'class="last-used">Never<', page)
    client.get("/api/customer", headers=bearer(secret))
    tokens = system_tables().system[API_TOKEN]
    with _instance(app).database.read() as connection:
        first = connection.execute(sa.select(tokens.c.last_used_at)).scalar_one()
    assert first is not None
    client.get("/api/customer", headers=bearer(secret))
    with _instance(app).database.read() as connection:
        assert connection.execute(sa.select(tokens.c.last_used_at)).scalar_one() == first
    page = carla.get("/account/tokens").get_data(as_text=True)
    assert not re.search(r'class="last-used">Never<', page)


def test_wrong_tokens_are_throttled_like_wrong_passwords(
        app: Flask, client: FlaskClient) -> None:
    valid = _token(app, "carla", {"customer": "read"})
    for n in range(5):
        wrong = client.get("/api/customer", headers=bearer(f"ofc_guess{n}"))
        assert wrong.status_code == 401 and "not valid" in wrong.json["message"]
    locked = client.get("/api/customer", headers=bearer("ofc_guess9"))
    assert locked.status_code == 429 and locked.json["error"] == "throttled"
    assert 0 < int(locked.headers["Retry-After"]) <= 15 * 60
    # one throttle: the address is locked for passwords too, on the API and the sign-in page
    assert client.get("/api/customer", headers=basic("carla", "Carla-pw-1")).status_code == 429
    page = client.post("/login", data={"username": "carla", "password": "Carla-pw-1",
                                       "csrf_token": csrf_token(client)})
    assert page.status_code == 429
    # a valid token proves a secret nobody can guess: its holder is not locked out
    assert client.get("/api/customer", headers=bearer(valid)).status_code == 200


def test_a_signed_in_browser_cannot_write_through_the_api(
        app: Flask, signed_in: Callable[[str], FlaskClient]) -> None:
    anna = signed_in("anna")  # an administrator, signed in with a session cookie
    token = csrf_token(anna, "/")
    for headers in ({}, {"X-CSRFToken": token}):
        refused = anna.post("/api/customer", data=json.dumps({"company": "Cookie"}),
                            content_type="application/json", headers=headers)
        assert refused.status_code == 401
    assert anna.get("/api/customer").status_code == 401  # nor read: cookies are not looked at
    # cached Basic credentials cannot be sent by another site's form: writes must be JSON
    form = anna.post("/api/customer", data={"company": "Form"}, headers=basic("anna", "Anna-pw-1"))
    assert form.status_code == 415
    assert _customers(app) == ["ACME <b>"]
    with_basic = anna.post("/api/customer", data=json.dumps({"company": "Basic"}),
                           content_type="application/json", headers=basic("anna", "Anna-pw-1"))
    assert with_basic.status_code == 201  # HTTP Basic still works, for compatibility


def test_administrators_manage_a_users_tokens(
        app: Flask, client: FlaskClient, signed_in: Callable[[str], FlaskClient]) -> None:
    anna = signed_in("anna")
    form = {"name": "sync", "scope.customer": "write", "days": "30"}

    def create(password: str) -> Any:
        return anna.post("/admin/users/carla/tokens", data={
            "csrf_token": csrf_token(anna, "/admin/users/carla/tokens"),
            "current_password": password, **form})

    refused = create(PASSWORDS["carla"])  # the administrator's own password, not the user's
    assert refused.status_code == 400 and _token_rows(app) == []
    assert "Yours, anna" in refused.get_data(as_text=True)
    created = create(PASSWORDS["anna"])
    assert created.status_code == 200
    secret = _secret(created.get_data(as_text=True))
    made = _post(client, "/api/customer", {"company": "Made by sync"}, secret)
    assert made.status_code == 201 and made.json["created_by"] == "carla"  # acts as carla
    carla = signed_in("carla")
    own = carla.get("/account/tokens").get_data(as_text=True)
    assert "sync" in own and "(anna)" in own  # who created it is shown
    token_id = re.search(r'id="token-(\d+)"', own).group(1)
    ivo = signed_in("ivo")
    assert ivo.post(f"/account/tokens/{token_id}/revoke",
                    data={"csrf_token": csrf_token(ivo, "/account/tokens")}).status_code == 404
    assert client.get("/api/customer", headers=bearer(secret)).status_code == 200
    anna.post(f"/admin/users/carla/tokens/{token_id}/revoke",
              data={"csrf_token": csrf_token(anna, "/admin/users/carla/tokens")})
    assert client.get("/api/customer", headers=bearer(secret)).status_code == 401


@pytest.fixture
def helpdesk(database_url: str, packs_dir: Path, tmp_path: Path) -> Iterator[Flask]:
    """The web application over the helpdesk pack (a ticket workflow); aldo is an agent."""
    env = open_env(database_url, ["helpdesk"], [packs_dir])
    with env.database.write() as connection:
        create_user(connection, "aldo", "Aldo-pw-1", roles=("agent",), hashing=FAST_HASHING)
    settings = Settings(instance=tmp_path / "instance", database_url=database_url,
                        packs=("helpdesk",), pack_paths=(packs_dir, BUILTIN_PACKS),
                        registry_check_interval=0, passwords=FAST_HASHING)
    yield create_app(settings, {"TESTING": True}, Officina.open(settings, registry=env.store))
    env.database.dispose()


def test_workflow_transitions_through_the_api(helpdesk: Flask) -> None:
    records = _instance(helpdesk).records
    ticket = records.create(SYSTEM, "ticket", {"subject": "Printer"})
    ticket = records.update(SYSTEM, "ticket", ticket["id"], {"assignee": "aldo"},
                            version=ticket["version"])
    client = helpdesk.test_client()
    with _instance(helpdesk).database.write() as connection:
        writer, _info = create_token(connection, "aldo", "w", TokenScopes.parse(
            {"ticket": "write"}), created_by="aldo", entities=["ticket"])
        reader, _info = create_token(connection, "aldo", "r", TokenScopes.parse(
            {"ticket": "read"}), created_by="aldo", entities=["ticket"])
    path = f"/api/ticket/{ticket['id']}/transition"
    assert _post(client, f"{path}/assign", {}, reader).status_code == 403
    stale = _post(client, f"{path}/assign", {"version": 1}, writer)
    assert stale.status_code == 409
    assert client.post(f"{path}/assign", headers=bearer(writer)).status_code == 415
    assert _post(client, f"{path}/fly", {}, writer).status_code == 404
    taken = _post(client, f"{path}/assign", {"version": ticket["version"]}, writer)
    assert taken.status_code == 200 and taken.json["status"] == "assigned"
    assert records.get(SYSTEM, "ticket", ticket["id"])["status"] == "assigned"
    refused = _post(client, f"{path}/resolve", {}, writer)  # not from "assigned"
    assert refused.status_code == 400 and refused.json["fields"]["status"]
    assert records.get(SYSTEM, "ticket", ticket["id"])["status"] == "assigned"
