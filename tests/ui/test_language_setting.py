"""An instance offers the languages of its settings (``[i18n] languages``): one configured
with English alone offers only English, whatever the browser, the profile or a form says."""

from __future__ import annotations

from pathlib import Path

import lxml.html
import pytest
from flask import Flask

from core.config import Settings
from core.metadata.loader import BUILTIN_PACKS
from core.officina import Officina
from core.ui.app import create_app
from core.users import create_user
from tests.conftest import Env
from tests.support.users import FAST_HASHING
from tests.ui.conftest import csrf_token, sign_in

PASSWORDS = {"ivo": "Ivo-pw-1", "anna": "Anna-pw-1"}


@pytest.fixture
def english_only(shop: Env, database_url: str, packs_dir: Path, tmp_path: Path) -> Flask:
    """The testshop instance with ``languages = ["en"]``; ivo's profile says Italian."""
    with shop.database.write() as connection:
        create_user(connection, "ivo", PASSWORDS["ivo"], roles=("intern",), language="it",
                    hashing=FAST_HASHING)
        create_user(connection, "anna", PASSWORDS["anna"], roles=("admin",),
                    hashing=FAST_HASHING)
    settings = Settings(instance=tmp_path, database_url=database_url, packs=("testshop",),
                        pack_paths=(packs_dir, BUILTIN_PACKS), registry_check_interval=0,
                        passwords=FAST_HASHING, languages=("en",))
    return create_app(settings, {"TESTING": True}, Officina.open(settings, registry=shop.store))


def picker(page: str) -> list[tuple[str, str]]:
    """The (value, text) of each option of the language switch."""
    options = lxml.html.fromstring(page).xpath("//select[@id='language-switch']/option")
    return [(o.get("value"), o.text_content()) for o in options]


def test_an_english_only_instance_offers_only_english(english_only: Flask) -> None:
    client = english_only.test_client()
    page = client.get("/login", headers={"Accept-Language": "it-IT,it;q=0.9"})
    text = page.get_data(as_text=True)
    assert '<html lang="en">' in text and "Sign in" in text
    assert picker(text) == [("en", "English")]
    client.post("/language", data={"language": "it", "csrf_token": csrf_token(client)})
    assert '<html lang="en">' in client.get("/login").get_data(as_text=True)


def test_a_profile_in_a_language_no_longer_offered_gets_the_first(english_only: Flask) -> None:
    ivo = sign_in(english_only.test_client(), "ivo", PASSWORDS["ivo"])
    page = ivo.get("/", headers={"Accept-Language": "it"}).get_data(as_text=True)
    assert '<html lang="en">' in page and "Sign out" in page


def test_user_profiles_offer_only_the_instance_languages(english_only: Flask) -> None:
    anna = sign_in(english_only.test_client(), "anna", PASSWORDS["anna"])
    form = lxml.html.fromstring(anna.get("/admin/users/new").get_data(as_text=True))
    assert [o.get("value") for o in form.xpath("//select[@id='language']/option")] == ["en"]


def test_both_languages_are_offered_by_default(app: Flask) -> None:
    page = app.test_client().get("/login").get_data(as_text=True)
    assert picker(page) == [("en", "English"), ("it", "Italiano")]
