"""Sessions: cookie flags, a fresh session at sign-in, and other sessions ended when the
password changes (here, by a reset link or by an administrator)."""

from __future__ import annotations

from dataclasses import replace

from flask import Flask
from flask.testing import FlaskClient

from core.auth.passwords import store_password
from core.auth.reset import issue_reset_token
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
