"""Sessions: cookie flags, a fresh session at sign-in, a session kept server-side (a copy of
the cookie is refused after logout; deactivation and role changes apply at the next
request), and other sessions ended when the password changes (here, by a reset link or by
an administrator)."""

from __future__ import annotations

from dataclasses import replace

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from core.auth.passwords import store_password
from core.auth.reset import issue_reset_token
from core.storage.auth_tables import WEB_SESSION, auth_tables
from core.storage.tables import system_tables
from core.ui.app import create_app
from tests.ui.conftest import PASSWORDS, csrf_token, sign_in

NEW_PASSWORD = "Brand-new-pw-42"


def session_cookie(response) -> str:
    [cookie] = [c for c in response.headers.getlist("Set-Cookie")
                if c.startswith("officina_session=")]
    return cookie


def signed_out(client: FlaskClient) -> bool:
    response = client.get("/")
    return response.status_code == 302 and "/login" in response.headers["Location"]


def test_cookie_flags(app: Flask) -> None:
    client = app.test_client()
    response = client.post("/login", data={"username": "carla", "password": PASSWORDS["carla"],
                                           "csrf_token": csrf_token(client)})
    cookie = session_cookie(response).lower()
    assert "httponly" in cookie
    assert "samesite=lax" in cookie
    assert "secure" not in cookie.replace("httponly", "")


def test_secure_cookies_setting(app: Flask) -> None:
    settings = replace(app.extensions["officina"].settings, web={"secure_cookies": True})
    secure = create_app(settings, {"TESTING": True})
    client = secure.test_client()
    login_page = client.get("/login", base_url="https://localhost")
    assert "; secure" in session_cookie(login_page).lower()


def test_the_session_is_new_after_sign_in(app: Flask) -> None:
    client = app.test_client()
    before = csrf_token(client)
    sign_in(client, "carla")
    after = csrf_token(client, "/")
    assert before != after  # nothing planted in the session before sign-in survives


def copy_of(app: Flask, client: FlaskClient) -> FlaskClient:
    """Another browser holding a copy of ``client``'s session cookie."""
    thief = app.test_client()
    thief.set_cookie("officina_session", client.get_cookie("officina_session").value)
    return thief


def post(client: FlaskClient, path: str, data: dict, form: str = "/"):
    return client.post(path, data={**data, "csrf_token": csrf_token(client, form)})


def test_the_cookie_holds_a_token_and_the_database_its_hash(app: Flask, signed_in) -> None:
    carla = signed_in("carla")
    cookie = carla.get_cookie("officina_session").value
    sessions = auth_tables()[WEB_SESSION]
    with app.extensions["officina"].database.read() as connection:
        [row] = connection.execute(sa.select(sessions)).all()
    assert row.username == "carla" and row.revoked_at is None
    assert "carla" not in cookie  # who is signed in is the database's to say
    assert len(row.token_hash) == 64 and row.token_hash not in cookie


def test_after_logout_a_copy_of_the_cookie_is_refused(app: Flask, signed_in) -> None:
    carla = signed_in("carla")
    thief, poster = copy_of(app, carla), copy_of(app, carla)
    assert thief.get("/").status_code == 200  # the copy works while the session lives
    token = csrf_token(poster, "/")
    response = post(carla, "/logout", {})
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert signed_out(carla)
    assert signed_out(thief)
    refused = poster.post("/app/customer/new", data={"company": "Thief", "csrf_token": token})
    assert refused.status_code == 401
    assert "Thief" not in signed_in("anna").get("/app/customer").get_data(as_text=True)


def test_deactivation_ends_an_open_session_at_the_next_request(app: Flask, signed_in) -> None:
    carla, anna = signed_in("carla"), signed_in("anna")
    assert carla.get("/").status_code == 200
    users = system_tables().system["officina_user"]
    with app.extensions["officina"].database.write() as connection:  # e.g. from the CLI
        connection.execute(users.update().where(users.c.username == "carla")
                           .values(active=False))
    assert signed_out(carla)
    with app.extensions["officina"].database.write() as connection:
        connection.execute(users.update().where(users.c.username == "carla")
                           .values(active=True))
    tablet = signed_in("carla")
    post(anna, "/admin/users/carla/active", {"active": "0"}, "/admin/users")
    post(anna, "/admin/users/carla/active", {"active": "1"}, "/admin/users")
    assert signed_out(tablet)  # reactivating does not bring the ended session back
    assert signed_in("carla").get("/").status_code == 200


def test_role_changes_apply_at_the_next_request(app: Flask, signed_in) -> None:
    anna, carla = signed_in("anna"), signed_in("carla")
    assert carla.get("/admin").status_code == 403
    post(anna, "/admin/users/carla", {"language": "en", "roles": ["clerk", "admin"],
                                      "active": "on"}, "/admin/users/carla")
    assert carla.get("/admin").status_code == 200  # granted: the same session may enter
    assert carla.get("/app/customer").status_code == 200
    post(anna, "/admin/users/carla", {"language": "en", "roles": ["viewer"],
                                      "active": "on"}, "/admin/users/carla")
    assert carla.get("/admin").status_code == 403  # removed: refused at once, still signed in
    assert carla.post("/app/customer/new", data={
        "company": "X", "csrf_token": csrf_token(carla, "/")}).status_code == 403


def test_a_password_change_ends_the_other_sessions(app: Flask, signed_in) -> None:
    desk, tablet = signed_in("carla"), signed_in("carla")
    other_user = signed_in("ivo")
    response = desk.post("/account/password", data={
        "old_password": PASSWORDS["carla"], "new_password": NEW_PASSWORD,
        "new_password_repeat": NEW_PASSWORD, "csrf_token": csrf_token(desk, "/account/password")})
    assert response.status_code == 302
    assert desk.get("/").status_code == 200
    assert signed_out(tablet)
    assert other_user.get("/").status_code == 200
    sign_in(tablet, "carla", NEW_PASSWORD)
    assert tablet.get("/").status_code == 200


def test_a_reset_ends_every_session(app: Flask, signed_in) -> None:
    stolen = signed_in("carla")
    with app.extensions["officina"].database.write() as connection:
        token = issue_reset_token(connection, "carla")
    browser = app.test_client()
    response = browser.post(f"/password/reset/{token}", data={
        "new_password": NEW_PASSWORD, "new_password_repeat": NEW_PASSWORD,
        "csrf_token": csrf_token(browser, f"/password/reset/{token}")})
    assert response.status_code == 302
    assert signed_out(stolen)
    assert signed_out(browser)
    sign_in(browser, "carla", NEW_PASSWORD)


def test_a_password_set_elsewhere_ends_sessions(app: Flask, signed_in) -> None:
    carla = signed_in("carla")
    with app.extensions["officina"].database.write() as connection:
        store_password(connection, "carla", NEW_PASSWORD)  # e.g. by `officina user passwd`
    assert signed_out(carla)


def test_posts_of_an_ended_session_are_refused(app: Flask, signed_in) -> None:
    carla = signed_in("carla")
    token = csrf_token(carla, "/account/password")
    with app.extensions["officina"].database.write() as connection:
        store_password(connection, "carla", NEW_PASSWORD)
    response = carla.post("/account/password", data={
        "old_password": NEW_PASSWORD, "new_password": "Attacker-pw-99",
        "new_password_repeat": "Attacker-pw-99", "csrf_token": token})
    assert response.status_code == 401
    sign_in(app.test_client(), "carla", NEW_PASSWORD)
