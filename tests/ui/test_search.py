"""The search of the header: a GET form to /app/search, results grouped by entity, best
first, only what the user may read."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from core.config import Settings
from core.metadata.loader import BUILTIN_PACKS
from core.officina import Officina
from core.records.actor import SYSTEM
from core.ui.app import create_app
from core.users import create_user
from tests.conftest import Env, open_env
from tests.support.users import FAST_HASHING
from tests.ui.conftest import sign_in

PASSWORD = "Search-pw-1"


@pytest.fixture
def desk(database_url: str, packs_dir: Path) -> Iterator[Env]:
    env = open_env(database_url, ["searchdesk"], [packs_dir])
    client = env.service.create(SYSTEM, "client", {"name": "Rossi Impianti", "city": "Torino"})
    unit = env.service.create(SYSTEM, "unit", {"serial_number": "CH50-0001",
                                               "client": client["id"]})
    env.service.create(SYSTEM, "ticket", {"subject": "Boiler noise", "unit": unit["id"],
                                          "client": client["id"], "owner": "ada"})
    env.service.create(SYSTEM, "ticket", {"subject": "No heat", "unit": unit["id"],
                                          "client": client["id"], "owner": "ben"})
    yield env
    env.database.dispose()


@pytest.fixture
def signed_in(desk: Env, database_url: str, packs_dir: Path,
              tmp_path: Path) -> Callable[[str], FlaskClient]:
    """A client signed in as ada or ben (agents: their own tickets) or anna (admin)."""
    with desk.database.write() as connection:
        for name, roles in (("ada", ("agent",)), ("ben", ("agent",)), ("anna", ("admin",))):
            create_user(connection, name, PASSWORD, roles=roles, hashing=FAST_HASHING,
                        language="it" if name == "ben" else "en")
    settings = Settings(instance=tmp_path, database_url=database_url, packs=("searchdesk",),
                        pack_paths=(packs_dir, BUILTIN_PACKS), registry_check_interval=0,
                        passwords=FAST_HASHING)
    app = create_app(settings, {"TESTING": True}, Officina.open(settings, registry=desk.store))
    return lambda name: sign_in(app.test_client(), name, PASSWORD)


def groups(body: str) -> dict[str, list[str]]:
    """The result page's groups: each entity's heading and the records listed under it."""
    found = {}
    for section in re.findall(r'<section class="search-group.*?</section>', body, re.S):
        heading = re.search(r"<h2[^>]*>([^<]+)</h2>", section).group(1)
        found[heading] = re.findall(r'<li><a href="[^"]+">([^<]+)</a>', section)
    return found


def test_the_header_has_a_search_form_that_works_without_script(signed_in) -> None:
    body = signed_in("ada").get("/").get_data(as_text=True)
    form = re.search(r'<form class="header-search" method="get" action="([^"]+)"', body)
    assert form and form.group(1) == "/app/search"
    assert re.search(r'<input type="search" id="header-search" name="q"', body)


def test_results_are_grouped_by_entity_and_limited_to_what_the_user_reads(signed_in) -> None:
    admin = signed_in("anna").get("/app/search?q=CH50").get_data(as_text=True)
    assert groups(admin) == {"Units": ["CH50-0001"], "Tickets": ["No heat", "Boiler noise"]}
    ada = signed_in("ada").get("/app/search?q=rossi").get_data(as_text=True)
    assert groups(ada) == {"Clients": ["Rossi Impianti"], "Units": ["CH50-0001"],
                           "Tickets": ["Boiler noise"]}
    assert "No heat" not in ada
    # The record links open the records; the search box keeps the text.
    assert re.search(r'<li><a href="/app/ticket/\d+">Boiler noise</a>', ada)
    assert 'id="header-search" name="q" maxlength="1000" placeholder="Search"\n' \
           '           value="rossi"' in ada


def test_more_results_than_shown_link_to_the_list_filtered(signed_in, desk: Env) -> None:
    for i in range(7):
        desk.service.create(SYSTEM, "ticket", {"subject": f"Pump {i}", "owner": "anna"})
    body = signed_in("anna").get("/app/search?q=pump").get_data(as_text=True)
    assert len(groups(body)["Tickets"]) == 5
    more = re.search(r'<a class="search-more" href="([^"]+)">([^<]+)</a>', body)
    assert more.group(1) == "/app/ticket?q=pump"
    assert more.group(2) == "Open the list: 7 results"
    listed = signed_in("anna").get(more.group(1)).get_data(as_text=True)
    assert listed.count("Pump ") >= 7


def test_the_page_speaks_the_users_language(signed_in) -> None:
    body = signed_in("ben").get("/app/search?q=nothing").get_data(as_text=True)
    assert "<h1>Cerca</h1>" in body
    assert "Nessun risultato per «nothing»." in body


@pytest.mark.parametrize("text", ['"', "CH50*) OR (", "NEAR(a b) AND -c ^d:e", "\\'%_"])
def test_operators_and_quotes_never_fail(signed_in, text: str) -> None:
    response = signed_in("anna").get("/app/search", query_string={"q": text})
    assert response.status_code == 200


def test_a_search_too_long_is_a_400_naming_the_search(signed_in) -> None:
    response = signed_in("anna").get("/app/search", query_string={"q": "x" * 10_000})
    assert response.status_code == 400
    assert "Search: at most 1000 characters." in response.get_data(as_text=True)
