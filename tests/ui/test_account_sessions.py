""""My sessions": the user's open sessions with browser, address and times; ending one, the
others, or (for an administrator) all of a user's."""

from __future__ import annotations

import re

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from core.storage.auth_tables import WEB_SESSION, auth_tables
from tests.ui.conftest import csrf_token, sign_in

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
PHONE = ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
         "Chrome/126.0.0.0 Mobile Safari/537.36")


def browser(app: Flask, username: str, user_agent: str, address: str) -> FlaskClient:
    client = app.test_client()
    client.environ_base.update(HTTP_USER_AGENT=user_agent, REMOTE_ADDR=address)
    return sign_in(client, username)


def signed_out(client: FlaskClient) -> bool:
    response = client.get("/")
    return response.status_code == 302 and "/login" in response.headers["Location"]


def session_ids(page: str) -> list[int]:
    return [int(n) for n in re.findall(r'<tr id="session-(\d+)"', page)]


def post(client: FlaskClient, path: str, form: str = "/account/sessions"):
    return client.post(path, data={"csrf_token": csrf_token(client, form)})


def test_the_page_lists_the_users_sessions_this_one_first(app: Flask) -> None:
    desk = browser(app, "carla", FIREFOX, "192.0.2.10")
    phone = browser(app, "carla", PHONE, "198.51.100.20")
    browser(app, "ivo", FIREFOX, "203.0.113.30")
    response = phone.get("/account/sessions")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert len(session_ids(page)) == 2  # ivo's session is not carla's business
    first, second = page.index("Chrome on Android"), page.index("Firefox on Linux")
    assert first < page.index("This session") < second
    assert "198.51.100.20" in page and "192.0.2.10" in page and "203.0.113.30" not in page
    assert 'href="/account/sessions"' in desk.get("/").get_data(as_text=True)  # in the menu


def test_sign_out_everywhere_else(app: Flask) -> None:
    desk = browser(app, "carla", FIREFOX, "192.0.2.10")
    phone = browser(app, "carla", PHONE, "198.51.100.20")
    other_user = browser(app, "ivo", FIREFOX, "203.0.113.30")
    response = post(desk, "/account/sessions/others")
    assert response.status_code == 302
    page = desk.get("/account/sessions").get_data(as_text=True)
    assert "Other sessions signed out: 1." in page
    assert len(session_ids(page)) == 1 and "Sign out everywhere else" not in page
    assert signed_out(phone)
    assert desk.get("/").status_code == 200
    assert other_user.get("/").status_code == 200


def test_ending_one_session_and_not_another_users(app: Flask) -> None:
    desk = browser(app, "carla", FIREFOX, "192.0.2.10")
    phone = browser(app, "carla", PHONE, "198.51.100.20")
    ivo = browser(app, "ivo", FIREFOX, "203.0.113.30")
    [ivo_session] = session_ids(ivo.get("/account/sessions").get_data(as_text=True))
    page = desk.get("/account/sessions").get_data(as_text=True)
    phone_session = session_ids(page)[1]  # after this one

    post(desk, f"/account/sessions/{ivo_session}/end")
    assert "That session had already ended." in desk.get("/").get_data(as_text=True)
    assert ivo.get("/").status_code == 200  # one cannot end someone else's session

    post(desk, f"/account/sessions/{phone_session}/end")
    assert signed_out(phone)
    [desk_session] = session_ids(desk.get("/account/sessions").get_data(as_text=True))
    response = post(desk, f"/account/sessions/{desk_session}/end")
    assert "/login" in response.headers["Location"]  # ending this one signs out
    assert signed_out(desk)


def test_the_page_in_italian(app: Flask) -> None:
    ivo = browser(app, "ivo", FIREFOX, "203.0.113.30")
    page = ivo.get("/account/sessions").get_data(as_text=True)
    assert "Le mie sessioni" in page and "Questa sessione" in page
    assert "Firefox su Linux" in page


def test_an_administrator_signs_a_user_out_everywhere(app: Flask) -> None:
    anna = sign_in(app.test_client(), "anna")
    desk = browser(app, "carla", FIREFOX, "192.0.2.10")
    phone = browser(app, "carla", PHONE, "198.51.100.20")
    page = anna.get("/admin/users/carla").get_data(as_text=True)
    assert "Open sessions: 2" in page
    response = post(anna, "/admin/users/carla/sessions/end", "/admin/users/carla")
    assert response.status_code == 302
    assert "Sessions of carla ended: 2." in anna.get("/admin/users/carla").get_data(as_text=True)
    assert signed_out(desk) and signed_out(phone)
    assert sign_in(app.test_client(), "carla").get("/").status_code == 200  # may sign in again
    carla = sign_in(app.test_client(), "carla")
    assert post(carla, "/admin/users/ivo/sessions/end").status_code == 403


def test_an_administrator_ending_their_own_sessions_keeps_this_one(app: Flask) -> None:
    anna, laptop = sign_in(app.test_client(), "anna"), sign_in(app.test_client(), "anna")
    post(anna, "/admin/users/anna/sessions/end", "/admin/users/anna")
    assert anna.get("/").status_code == 200
    assert signed_out(laptop)
    sessions = auth_tables()[WEB_SESSION]
    with app.extensions["officina"].database.read() as connection:
        live = connection.execute(sa.select(sa.func.count()).select_from(sessions).where(
            sessions.c.revoked_at.is_(None))).scalar()
    assert live == 1
