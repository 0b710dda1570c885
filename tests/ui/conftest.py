"""Fixtures of the web UI tests: an application over the testshop pack, and signed-in clients."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from core.config import Settings
from core.metadata.loader import BUILTIN_PACKS
from core.officina import Officina
from core.records.actor import SYSTEM
from core.ui.app import create_app
from core.users import create_user
from tests.conftest import Env
from tests.support.users import FAST_HASHING

PASSWORDS = {"carla": "Carla-pw-1", "ivo": "Ivo-pw-1", "anna": "Anna-pw-1"}


def csrf_token(client: FlaskClient, path: str = "/login") -> str:
    """The CSRF token of the form on ``path`` (the session's token)."""
    page = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def sign_in(client: FlaskClient, username: str, password: str | None = None) -> FlaskClient:
    """Sign ``client`` in through the login form, as a browser would."""
    response = client.post("/login", data={
        "username": username, "password": password or PASSWORDS[username],
        "csrf_token": csrf_token(client)})
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


@pytest.fixture
def app(shop: Env, database_url: str, packs_dir: Path, tmp_path: Path) -> Flask:
    """The web application over the testshop pack, with three users and one customer.

    carla is a clerk (English), ivo an intern (Italian), anna an administrator.
    """
    with shop.database.write() as connection:
        create_user(connection, "carla", PASSWORDS["carla"], roles=("clerk",), hashing=FAST_HASHING)
        create_user(connection, "ivo", PASSWORDS["ivo"], roles=("intern",), language="it",
                    hashing=FAST_HASHING)
        create_user(connection, "anna", PASSWORDS["anna"], roles=("admin",), hashing=FAST_HASHING)
    shop.service.create(SYSTEM, "customer", {"company": "ACME <b>", "city": "Milano"})
    settings = Settings(instance=tmp_path, database_url=database_url, packs=("testshop",),
                        pack_paths=(packs_dir, BUILTIN_PACKS), registry_check_interval=0,
                        passwords=FAST_HASHING)
    return create_app(settings, {"TESTING": True},
                      Officina.open(settings, registry=shop.store))


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A browser that has not signed in."""
    return app.test_client()


@pytest.fixture
def signed_in(app: Flask) -> Callable[[str], FlaskClient]:
    """``signed_in("carla")``: a new client signed in as that user."""
    return lambda username: sign_in(app.test_client(), username)
