"""Administration pages: only administrators; users; permissions; customisations; workflows."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from core.config import Settings
from core.metadata.loader import BUILTIN_PACKS
from core.storage.tables import system_tables
from core.ui.app import create_app
from core.users import create_user
from tests.conftest import open_env
from tests.support.users import FAST_HASHING
from tests.ui.conftest import csrf_token, sign_in

SAMPLE_ARGS = {"username": "carla", "entity": "customer", "name": "ticket_flow",
               "mail_id": "20261124-103700-123456-1a2b3c4d", "index": "0", "token_id": "1"}


def admin_urls(app: Flask) -> list[tuple[str, str]]:
    urls = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/admin"):
            continue
        path = rule.rule
        for argument in rule.arguments:
            path = re.sub(rf"<(?:[a-z]+:)?{argument}>", SAMPLE_ARGS[argument], path)
        urls += [(method, path) for method in sorted(rule.methods - {"HEAD", "OPTIONS"})]
    return urls


def users_row(app: Flask, username: str) -> sa.Row | None:
    users = system_tables().system["officina_user"]
    with app.extensions["officina"].database.read() as connection:
        return connection.execute(sa.select(users).where(users.c.username == username)).first()


def post(client: FlaskClient, path: str, data: dict, token_page: str | None = None):
    return client.post(path, data={**data, "csrf_token": csrf_token(client, token_page or path)})


def overlay(app: Flask, entity: str) -> str | None:
    instance = app.extensions["officina"]
    with instance.database.read() as connection:
        return instance.registry.overlays(connection).get(entity)


# --- access -----------------------------------------------------------------------------------


def test_every_admin_url_is_refused_to_other_users(app: Flask, signed_in) -> None:
    urls = admin_urls(app)
    assert len(urls) >= 12
    carla = signed_in("carla")
    token = csrf_token(carla, "/")
    for method, path in urls:
        response = carla.open(path, method=method, data={"csrf_token": token})
        assert response.status_code == 403, (method, path)
    anonymous = app.test_client()
    for method, path in urls:
        response = anonymous.open(path, method=method, data={"csrf_token": token})
        assert response.status_code in (302, 400, 401), (method, path)
    assert users_row(app, "carla").active  # nothing changed


def test_administration_is_in_the_menu_of_administrators_only(signed_in) -> None:
    assert 'href="/admin"' in signed_in("anna").get("/").get_data(as_text=True)
    assert 'href="/admin"' not in signed_in("carla").get("/").get_data(as_text=True)


def test_admin_pages_render(signed_in) -> None:
    anna = signed_in("anna")
    for path in ("/admin", "/admin/users", "/admin/users/new", "/admin/users/carla",
                 "/admin/permissions", "/admin/permissions/customer", "/admin/customize",
                 "/admin/customize/customer", "/admin/workflows", "/admin/mail"):
        assert anna.get(path).status_code == 200, path
    assert anna.get("/admin/users/nobody").status_code == 404
    assert anna.get("/admin/permissions/nothing").status_code == 404


# --- users ------------------------------------------------------------------------------------


def new_user(client: FlaskClient, **values: str):
    data = {"username": "marco", "full_name": "Marco Polo", "email": "marco@example.com",
            "language": "it", "roles": ["clerk"], "extra_roles": "", "password_mode": "password",
            "password": "Marco-pw-123", **values}
    return post(client, "/admin/users/new", data)


def test_an_administrator_creates_a_user_who_can_sign_in(app: Flask, signed_in) -> None:
    anna = signed_in("anna")
    response = new_user(anna, extra_roles="viewer, night_shift")
    assert response.status_code == 302
    row = users_row(app, "marco")
    assert (row.full_name, row.email, row.language) == ("Marco Polo", "marco@example.com", "it")
    assert row.roles == "clerk,night_shift,viewer"
    marco = sign_in(app.test_client(), "marco", "Marco-pw-123")
    assert marco.get("/app/customer").status_code == 200
    assert 'lang="it"' in marco.get("/").get_data(as_text=True)


@pytest.mark.parametrize(("values", "field"), [
    ({"username": "carla"}, "username"),
    ({"username": "Carla"}, "username"),
    ({"username": "bad name!"}, "username"),
    ({"password": "short"}, "password"),
    ({"email": "not-an-address"}, "email"),
    ({"extra_roles": "Bad Role"}, "extra_roles"),
    ({"password_mode": "link"}, "password_mode"),  # this instance has no [mail]
])
def test_user_errors_are_shown_and_nothing_is_saved(app: Flask, signed_in, values: dict,
                                                    field: str) -> None:
    anna = signed_in("anna")
    response = new_user(anna, **values)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert f'id="{field}-error"' in page
    assert users_row(app, "marco") is None
    assert users_row(app, "carla").full_name == ""


def test_a_new_user_can_be_sent_a_link_instead_of_a_password(app: Flask) -> None:
    from dataclasses import replace

    settings = replace(app.extensions["officina"].settings,
                       mail={"host": "127.0.0.1", "sender": "officina@example.com"},
                       web={"base_url": "https://crm.example.com"})
    mailing = create_app(settings, {"TESTING": True})
    anna = sign_in(mailing.test_client(), "anna")
    response = new_user(anna, password_mode="link", password="", language="en")
    assert response.status_code == 302
    assert users_row(mailing, "marco").password_hash is not None  # random, known to nobody
    outbox = system_tables().system["officina_outbox"]
    with mailing.extensions["officina"].database.read() as connection:
        [row] = connection.execute(sa.select(outbox)).all()
    payload = json.loads(row.payload)
    assert payload["to"] == ["marco@example.com"]
    assert "https://crm.example.com/password/reset/" in payload["text"]
    assert payload["text"].startswith("Hello Marco Polo,")


def test_edit_roles_language_and_deactivate(app: Flask, signed_in) -> None:
    anna = signed_in("anna")
    carla = signed_in("carla")
    response = post(anna, "/admin/users/carla", {
        "full_name": "Carla Rossi", "email": "carla@example.com", "language": "it",
        "roles": ["viewer"], "active": "on"})
    assert response.status_code == 302
    row = users_row(app, "carla")
    assert (row.roles, row.language, row.full_name) == ("viewer", "it", "Carla Rossi")
    assert carla.post("/app/customer/new", data={
        "company": "X", "csrf_token": csrf_token(carla, "/")}).status_code == 403  # viewer now

    response = post(anna, "/admin/users/carla/active", {"active": "0"}, "/admin/users")
    assert response.status_code == 302
    assert not users_row(app, "carla").active
    assert carla.get("/").status_code == 302  # signed out at once
    refused = app.test_client()
    assert refused.post("/login", data={"username": "carla", "password": "Carla-pw-1",
                                        "csrf_token": csrf_token(refused)}).status_code == 401
    post(anna, "/admin/users/carla/active", {"active": "1"}, "/admin/users")
    sign_in(app.test_client(), "carla")


def test_an_administrator_cannot_lock_themselves_out(app: Flask, signed_in) -> None:
    anna = signed_in("anna")
    response = post(anna, "/admin/users/anna", {"language": "en", "roles": ["clerk"],
                                                "active": "on"})
    assert response.status_code == 400
    assert 'id="roles-error"' in response.get_data(as_text=True)
    response = post(anna, "/admin/users/anna", {"language": "en", "roles": ["admin"]})
    assert response.status_code == 400
    assert 'id="active-error"' in response.get_data(as_text=True)
    post(anna, "/admin/users/anna/active", {"active": "0"}, "/admin/users")
    row = users_row(app, "anna")
    assert row.active and row.roles == "admin"


# --- permissions ------------------------------------------------------------------------------


def permission_form(rows: list[dict]) -> dict:
    data: dict = {"row_count": str(len(rows)), "action": "save"}
    for i, row in enumerate(rows):
        data[f"role-{i}"] = row["role"]
        data[f"actions-{i}"] = row.get("actions", [])
        data[f"where-{i}"] = row.get("where", "")
        data[f"read_only-{i}"] = row.get("read_only", [])
        data[f"hidden-{i}"] = row.get("hidden", [])
    return data


def test_edited_permissions_take_effect_for_that_role(app: Flask, signed_in) -> None:
    anna, ivo = signed_in("anna"), signed_in("ivo")
    assert ivo.get("/app/customer").status_code == 403
    rows = [{"role": "clerk", "actions": ["read", "create", "update"]},
            {"role": "viewer", "actions": ["read"]},
            {"role": "intern", "actions": ["read"], "where": '[["city", "=", "Milano"]]',
             "hidden": ["vat"]}]
    response = post(anna, "/admin/permissions/customer", permission_form(rows))
    assert response.status_code == 302, response.get_data(as_text=True)
    assert ivo.get("/app/customer").status_code == 200
    spec = app.extensions["officina"].registry.current().registry.entities["customer"]
    intern = spec.role_permissions["intern"]
    assert intern.actions == frozenset({"read"})
    assert json.loads(json.dumps(intern.where)) == [["city", "=", "Milano"]]
    assert intern.hidden == frozenset({"vat"})
    instance = app.extensions["officina"]
    with instance.database.read() as connection:
        author = connection.execute(sa.text(
            "select modified_by from officina_overlay where entity = 'customer'")).scalar()
    assert author == "anna"
    page = anna.get("/admin/permissions/customer").get_data(as_text=True)
    assert 'value="intern"' in page

    response = post(anna, "/admin/permissions/customer", {"action": "restore"})
    assert response.status_code == 302
    assert ivo.get("/app/customer").status_code == 403


@pytest.mark.parametrize(("row", "message"), [
    ({"role": "intern", "actions": ["read"], "where": "[[nowhere"}, "cannot be read"),
    ({"role": "intern", "actions": ["read"], "where": '[["no_such_field", "=", 1]]'},
     "no_such_field"),
    ({"role": "Bad Role", "actions": ["read"]}, "Not a role name"),
    ({"role": "intern", "actions": ["read"], "hidden": ["no_such_field"]}, "no_such_field"),
])
def test_bad_permissions_are_refused_with_the_problem(app: Flask, signed_in, row: dict,
                                                      message: str) -> None:
    anna = signed_in("anna")
    response = post(anna, "/admin/permissions/customer",
                    permission_form([{"role": "clerk", "actions": ["read"]}, row]))
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert overlay(app, "customer") is None
    spec = app.extensions["officina"].registry.current().registry.entities["customer"]
    assert spec.permissions["clerk"] == frozenset({"read", "create", "update"})


# --- customisations ---------------------------------------------------------------------------


def test_add_a_custom_field_and_relabel_a_field(app: Flask, signed_in) -> None:
    anna = signed_in("anna")
    response = post(anna, "/admin/customize/customer", {
        "action": "add_field", "name": "x_vip", "type": "boolean", "label": "VIP"})
    assert response.status_code == 302, response.get_data(as_text=True)
    response = post(anna, "/admin/customize/customer", {
        "action": "add_field", "name": "x_tier", "type": "select", "label": "Tier",
        "options": "gold, silver", "required": ""})
    assert response.status_code == 302, response.get_data(as_text=True)
    response = post(anna, "/admin/customize/customer", {
        "action": "change_field", "field": "company", "label": "Company name",
        "help": "As on the invoice", "required": "yes"})
    assert response.status_code == 302, response.get_data(as_text=True)
    spec = app.extensions["officina"].registry.current().registry.entities["customer"]
    assert spec.field("x_vip").type == "boolean" and spec.field("x_vip").custom
    assert spec.field("x_tier").options == ("gold", "silver")
    assert spec.field("company").label == "Company name"
    assert spec.field("company").help == "As on the invoice"
    text = overlay(app, "customer")
    assert "x_vip" in text and "Company name" in text
    page = anna.get("/admin/customize/customer").get_data(as_text=True)
    assert "x_tier" in page


@pytest.mark.parametrize(("data", "message"), [
    ({"action": "add_field", "name": "vip", "type": "boolean"}, "starts with x_"),
    ({"action": "add_field", "name": "x_kind", "type": "select", "options": ""}, "options"),
    ({"action": "add_field", "name": "x_owner", "type": "link", "target": "nothing"},
     "nothing"),
    ({"action": "change_field", "field": "company"}, "Nothing to change"),
    ({"action": "yaml", "body": "custom_fields:\n  x_a: {type: boolean}\n  x_b: {type: nope}\n"},
     "Line 3"),
    ({"action": "yaml", "body": "label: [unclosed\n"}, "Line"),
])
def test_bad_customisations_are_refused_with_the_line(app: Flask, signed_in, data: dict,
                                                      message: str) -> None:
    anna = signed_in("anna")
    response = post(anna, "/admin/customize/customer", data)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert overlay(app, "customer") is None
    spec = app.extensions["officina"].registry.current().registry.entities["customer"]
    assert spec.field("x_a") is None


def test_removing_a_custom_field_with_data_needs_confirmation(app: Flask, signed_in) -> None:
    anna = signed_in("anna")
    post(anna, "/admin/customize/customer", {"action": "yaml",
                                             "body": "custom_fields:\n  x_note: {type: text}\n"})
    instance = app.extensions["officina"]
    with instance.database.write() as connection:
        connection.execute(sa.text("update testshop_customer set x_note = 'keep me'"))
    response = post(anna, "/admin/customize/customer", {"action": "remove"})
    assert response.status_code == 400
    assert "allow_destructive" in response.get_data(as_text=True)
    assert "x_note" in overlay(app, "customer")
    response = post(anna, "/admin/customize/customer", {"action": "remove",
                                                        "allow_destructive": "on"})
    assert response.status_code == 302
    assert overlay(app, "customer") is None


# --- workflows --------------------------------------------------------------------------------


def test_workflows_are_listed_with_their_yaml(database_url: str, packs_dir: Path,
                                              tmp_path: Path) -> None:
    env = open_env(database_url, ["helpdesk"], [packs_dir])
    with env.database.write() as connection:
        create_user(connection, "anna", "Anna-pw-1", roles=("admin",), hashing=FAST_HASHING)
    env.database.dispose()
    settings = Settings(instance=tmp_path, database_url=database_url, packs=("helpdesk",),
                        pack_paths=(packs_dir, BUILTIN_PACKS), registry_check_interval=0,
                        passwords=FAST_HASHING)
    anna = sign_in(create_app(settings, {"TESTING": True}).test_client(), "anna")
    page = anna.get("/admin/workflows").get_data(as_text=True)
    assert "/admin/workflows/ticket_flow" in page
    detail = anna.get("/admin/workflows/ticket_flow")
    assert detail.status_code == 200
    assert "transitions" in detail.get_data(as_text=True)
    assert anna.get("/admin/workflows/nothing").status_code == 404
