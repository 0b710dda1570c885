"""The language of the pages: the user's choice, else the browser's, and a switch on every page."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask.testing import FlaskClient

from tests.ui.conftest import csrf_token, sign_in


def test_sign_in_page_follows_the_browser_language(client: FlaskClient) -> None:
    italian = client.get("/login", headers={"Accept-Language": "it-IT,it;q=0.9,en;q=0.5"})
    assert '<html lang="it">' in italian.get_data(as_text=True)
    assert "Accedi" in italian.get_data(as_text=True)
    english = client.get("/login", headers={"Accept-Language": "de-DE,en;q=0.5"})
    assert '<html lang="en">' in english.get_data(as_text=True)
    assert "Sign in" in english.get_data(as_text=True)


def test_a_users_stored_language_wins_over_the_browser(
        signed_in: Callable[[str], FlaskClient]) -> None:
    ivo = signed_in("ivo")  # stored language: Italian
    page = ivo.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<html lang="it">' in page and "Esci" in page  # "Sign out"


def test_switching_language_is_remembered_in_the_profile(app, client: FlaskClient) -> None:
    sign_in(client, "carla")
    response = client.post("/language", data={"language": "it", "next": "/app/customer",
                                              "csrf_token": csrf_token(client, "/")})
    assert response.status_code == 302 and response.headers["Location"] == "/app/customer"
    assert "Clienti" in client.get("/app/customer").get_data(as_text=True)
    # A new session (another browser) of the same user opens in Italian too.
    other = sign_in(app.test_client(), "carla")
    assert '<html lang="it">' in other.get("/").get_data(as_text=True)


def test_an_unknown_language_or_a_foreign_next_changes_nothing(client: FlaskClient) -> None:
    token = csrf_token(client)
    response = client.post("/language", data={"language": "xx", "next": "https://evil.example/",
                                              "csrf_token": token})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"  # never off-site
    assert '<html lang="en">' in client.get("/login").get_data(as_text=True)


def test_dates_and_money_follow_the_language(app, signed_in) -> None:
    from core.ui import field_facets as formatting

    assert formatting.format_value(1234.56, "money", "it_IT") == "1.234,56\xa0€"
    import datetime as dt

    assert formatting.format_value(dt.date(2026, 11, 23), "date", "it_IT") == "23/11/2026"


@pytest.mark.parametrize("target", ["/app\r\nSet-Cookie: stolen=1", "/app\x00", "/\t/evil.example",
                                    "/app\x7f"])
def test_a_next_with_control_characters_goes_home(client: FlaskClient, target: str) -> None:
    response = client.post("/language", data={"language": "it", "next": target,
                                              "csrf_token": csrf_token(client)})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert "stolen" not in response.headers.get("Set-Cookie", "")
