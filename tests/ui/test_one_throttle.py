"""One throttle: a failed authentication on any surface (sign-in page, JSON API, the current
password of "change password", a password-reset link) counts toward the same lock, and a
lock made on one surface refuses the others, even with the right credentials.

The sign-in page and the JSON API's own crossing is in test_app.py; LDAP's in
test_ldap_login.py.
"""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from core.auth.reset import issue_reset_token
from tests.ui.conftest import PASSWORDS, csrf_token, sign_in
from tests.ui.test_app import basic

ATTACKER = {"REMOTE_ADDR": "198.51.100.66"}
ELSEWHERE = {"REMOTE_ADDR": "192.0.2.7"}
NEW_PASSWORD = "Brand-new-pw-42"


def login(client: FlaskClient, username: str, password: str, environ: dict | None = None):
    token = csrf_token(client)
    return client.post("/login", data={"username": username, "password": password,
                                       "csrf_token": token}, environ_base=environ or {})


def change_password(client: FlaskClient, old: str):
    return client.post("/account/password", data={
        "old_password": old, "new_password": NEW_PASSWORD, "new_password_repeat": NEW_PASSWORD,
        "csrf_token": csrf_token(client, "/account/password")})


def test_wrong_current_passwords_lock_sign_in_and_the_api(app: Flask) -> None:
    stolen = sign_in(app.test_client(), "carla")  # someone else's open session
    for _ in range(5):
        response = change_password(stolen, "guess")
        assert response.status_code == 400
        assert "Wrong password." in response.get_data(as_text=True)
    response = change_password(stolen, PASSWORDS["carla"])
    assert response.status_code == 429  # the right one no longer helps
    assert "Too many failed login attempts" in response.get_data(as_text=True)
    assert stolen.get("/").status_code == 200  # nothing changed, the session goes on
    assert login(app.test_client(), "carla", PASSWORDS["carla"], ELSEWHERE).status_code == 429
    assert app.test_client().get("/api/customer", headers=basic("carla", PASSWORDS["carla"]),
                                 environ_base=ELSEWHERE).status_code == 429
    assert login(app.test_client(), "ivo", PASSWORDS["ivo"], ELSEWHERE).status_code == 302


def test_failed_sign_ins_lock_the_password_change(app: Flask) -> None:
    carla = sign_in(app.test_client(), "carla")
    attacker = app.test_client()
    for _ in range(5):
        assert login(attacker, "carla", "guess", ATTACKER).status_code == 401
    response = change_password(carla, PASSWORDS["carla"])
    assert response.status_code == 429
    sign_in(app.test_client(), "ivo")  # other users are not concerned


def test_bad_reset_links_lock_the_address_on_every_surface(app: Flask) -> None:
    with app.extensions["officina"].database.write() as connection:
        token = issue_reset_token(connection, "carla")
    guesser = app.test_client()
    for n in range(5):
        response = guesser.get(f"/password/reset/guess-{n}", environ_base=ATTACKER)
        assert response.status_code == 404
    refused = guesser.get(f"/password/reset/{token}", environ_base=ATTACKER)
    assert refused.status_code == 429  # even a good link, from this address
    assert "Too many failed login attempts" in refused.get_data(as_text=True)
    assert login(app.test_client(), "anna", PASSWORDS["anna"], ATTACKER).status_code == 429
    assert app.test_client().get("/api/customer", headers=basic("anna", PASSWORDS["anna"]),
                                 environ_base=ATTACKER).status_code == 429

    # Only the address is locked: the user whose link it is may use it from elsewhere.
    browser = app.test_client()
    browser.environ_base.update(ELSEWHERE)
    response = browser.post(f"/password/reset/{token}", data={
        "new_password": NEW_PASSWORD, "new_password_repeat": NEW_PASSWORD,
        "csrf_token": csrf_token(browser, f"/password/reset/{token}")})
    assert response.status_code == 302
    assert login(app.test_client(), "carla", NEW_PASSWORD, ELSEWHERE).status_code == 302


def test_wrong_api_passwords_lock_the_password_change(app: Flask) -> None:
    carla = sign_in(app.test_client(), "carla")
    for _ in range(5):
        assert app.test_client().get("/api/customer", headers=basic("carla", "guess"),
                                     environ_base=ATTACKER).status_code == 401
    assert change_password(carla, PASSWORDS["carla"]).status_code == 429
