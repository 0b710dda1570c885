"""A pack's hooks in the web UI: its page, its dashboard widget, its fields on the form."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask

from core.config import Settings
from core.metadata.loader import BUILTIN_PACKS
from core.officina import Officina
from core.ui.app import create_app
from core.users import create_user
from tests.conftest import migrate_instance
from tests.support.users import FAST_HASHING
from tests.ui.conftest import PASSWORDS, sign_in


@pytest.fixture
def hook_app(tmp_path: Path, database_url: str, packs_dir: Path) -> Flask:
    """The web application over the hookshop pack: carla a clerk, ivo an intern."""
    settings = Settings(instance=tmp_path, database_url=database_url, packs=("hookshop",),
                        pack_paths=(packs_dir, BUILTIN_PACKS), registry_check_interval=0,
                        passwords=FAST_HASHING)
    officina = Officina.open(settings)
    migrate_instance(officina)
    with officina.database.write() as connection:
        create_user(connection, "carla", PASSWORDS["carla"], roles=("clerk",),
                    hashing=FAST_HASHING)
        create_user(connection, "ivo", PASSWORDS["ivo"], roles=("intern",), language="it",
                    hashing=FAST_HASHING)
    return create_app(settings, {"TESTING": True}, officina)


def test_a_pack_page_answers_with_the_packs_template(hook_app: Flask) -> None:
    assert hook_app.test_client().get("/app/hookshop/welcome").status_code == 302  # sign in
    response = sign_in(hook_app.test_client(), "carla").get("/app/hookshop/welcome")
    assert response.status_code == 200
    assert '<h1 class="hookshop-welcome">Hello from hookshop</h1>' in response.get_data(
        as_text=True)


def test_a_pack_widget_shows_only_to_the_users_it_is_for(hook_app: Flask) -> None:
    clerk = sign_in(hook_app.test_client(), "carla").get("/").get_data(as_text=True)
    assert '<article class="card widget widget-hookshop"><h2>Hook shop</h2>' in clerk
    assert "<p>Clerks &lt;only&gt;</p>" in clerk  # the values are escaped
    intern = sign_in(hook_app.test_client(), "ivo").get("/").get_data(as_text=True)
    assert "widget-hookshop" not in intern


def test_the_fields_a_pack_adds_are_on_the_form_and_checked(hook_app: Flask) -> None:
    client = sign_in(hook_app.test_client(), "carla")
    form = client.get("/app/customer/new").get_data(as_text=True)
    assert 'name="postcode"' in form
    page = form
    token = page[page.index('name="csrf_token" value="') + 25:]
    token = token[:token.index('"')]
    refused = client.post("/app/customer/new", data={
        "csrf_token": token, "company": "Alfa", "kind": "retail", "postcode": "12"})
    assert "Not a postcode: five digits, e.g. 20121." in refused.get_data(as_text=True)
