"""List search through the full-text index: linked fields, the index kept on writes (and on
a linked record's rename), ranking, permissions, and input that is not plain words."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from core.records.actor import SYSTEM, Actor
from core.records.errors import QueryError
from core.records.reading import ListQuery
from core.storage.fulltext import STATE_KEY, index_name
from core.storage.migrate import migrate
from tests.conftest import Env, open_env

ADA = Actor("ada", frozenset({"agent"}))
BEN = Actor("ben", frozenset({"agent"}))


@pytest.fixture
def desk(database_url: str, packs_dir: Path) -> Iterator[Env]:
    """The searchdesk pack: a client, its unit CH50-0001 and tickets of ada and ben."""
    env = open_env(database_url, ["searchdesk"], [packs_dir])
    client = env.service.create(SYSTEM, "client", {"name": "Rossi Impianti", "city": "Torino"})
    other = env.service.create(SYSTEM, "client", {"name": "Bianchi Srl", "city": "Milano"})
    unit = env.service.create(SYSTEM, "unit", {"serial_number": "CH50-0001",
                                               "client": client["id"]})
    env.service.create(SYSTEM, "unit", {"serial_number": "XR-77", "client": other["id"]})
    env.service.create(SYSTEM, "ticket", {"subject": "Boiler noise", "unit": unit["id"],
                                          "client": client["id"], "owner": "ada"})
    env.service.create(SYSTEM, "ticket", {"subject": "Leaking valve", "client": other["id"],
                                          "owner": "ben"})
    env.service.create(SYSTEM, "ticket", {"subject": "No heat", "unit": unit["id"],
                                          "client": client["id"], "owner": "ben"})
    yield env
    env.database.dispose()


def subjects(env: Env, search: str, actor: Actor = SYSTEM, entity: str = "ticket",
             field: str = "subject", **query) -> list[str]:
    page = env.service.list(actor, entity, ListQuery(search=search, limit=100, **query))
    return [row[field] for row in page.rows]


def test_a_call_is_found_by_its_machine_serial_and_its_customer(desk: Env) -> None:
    assert sorted(subjects(desk, "CH50-0001")) == ["Boiler noise", "No heat"]
    assert sorted(subjects(desk, "ch50")) == ["Boiler noise", "No heat"]  # the start of a word
    assert sorted(subjects(desk, "0001")) == ["Boiler noise", "No heat"]
    assert subjects(desk, "CH51") == []
    assert subjects(desk, "bianchi") == ["Leaking valve"]
    assert subjects(desk, "rossi boil") == ["Boiler noise"]  # every word, in any field
    assert subjects(desk, "TK-0002") == ["Leaking valve"]  # the reference too
    assert subjects(desk, "rossi", entity="unit", field="serial_number") == ["CH50-0001"]


def test_renaming_a_linked_record_updates_the_records_that_search_it(desk: Env) -> None:
    client = desk.service.list(SYSTEM, "client", ListQuery(search="rossi")).rows[0]
    desk.service.update(SYSTEM, "client", client["id"], {"name": "Verdi Clima",
                                                          "version": client["version"]})
    assert sorted(subjects(desk, "verdi")) == ["Boiler noise", "No heat"]
    assert subjects(desk, "rossi") == []
    assert subjects(desk, "verdi", entity="unit", field="serial_number") == ["CH50-0001"]
    unit = desk.service.list(SYSTEM, "unit", ListQuery(search="CH50")).rows[0]
    desk.service.update(SYSTEM, "unit", unit["id"], {"serial_number": "KZ-9",
                                                      "version": unit["version"]})
    assert sorted(subjects(desk, "kz")) == ["Boiler noise", "No heat"]
    assert subjects(desk, "ch50") == []


def test_a_record_changed_or_deleted_leaves_no_stale_entry(desk: Env) -> None:
    ticket = desk.service.list(SYSTEM, "ticket", ListQuery(search="valve")).rows[0]
    desk.service.update(SYSTEM, "ticket", ticket["id"], {"subject": "Broken pump",
                                                          "version": ticket["version"]})
    assert subjects(desk, "valve") == []
    assert subjects(desk, "pump") == ["Broken pump"]
    last = desk.service.list(SYSTEM, "ticket", ListQuery(search="heat")).rows[0]
    desk.service.delete(SYSTEM, "ticket", last["id"])
    desk.service.create(SYSTEM, "ticket", {"subject": "Fan", "owner": "ada"})  # may reuse the id
    assert subjects(desk, "heat") == []
    assert subjects(desk, "fan") == ["Fan"]


def test_the_best_matches_come_first_unless_a_sort_is_asked(desk: Env) -> None:
    desk.service.create(SYSTEM, "ticket", {"subject": "Pump pump pump", "notes": "Pump seized"})
    desk.service.create(SYSTEM, "ticket", {
        "subject": "Yearly visit", "notes": "Checked the burner, the flue, the expansion "
        "vessel, the valves, the thermostat and the pump; cleaned the filters."})
    # Newest first by default: without the rank, the yearly visit would come first.
    assert subjects(desk, "pump") == ["Pump pump pump", "Yearly visit"]
    assert subjects(desk, "pump", sort=("-subject",)) == ["Yearly visit", "Pump pump pump"]


def test_search_only_narrows_the_rows_the_reader_may_read(desk: Env) -> None:
    assert subjects(desk, "CH50", ADA) == ["Boiler noise"]
    assert subjects(desk, "CH50", BEN) == ["No heat"]
    assert subjects(desk, "bianchi", ADA) == []
    page = desk.service.list(ADA, "ticket", ListQuery(search="rossi", exact_count=True))
    assert page.total == 1


@pytest.mark.parametrize("search, expected", [
    ('"CH50"', ["Boiler noise", "No heat"]),
    ("CH50*", ["Boiler noise", "No heat"]),
    ("-CH50", ["Boiler noise", "No heat"]),
    ("(CH50) OR", []),  # "or" is a word like any other: no record has it
    ("ch50:*", ["Boiler noise", "No heat"]),
    ("^boiler", ["Boiler noise"]),
    ("NEAR(boiler noise)", []),
    ("boiler AND noise", []),
    ("'; DROP TABLE x; --", []),
    ("a & b | !c <-> d", []),
    ('"', []), ("*", []), ("()", []), (":", []), ("^", []), ("-", []), ("\\", []),
    ("x " * 400, []),
])
def test_operators_and_quotes_are_plain_text(desk: Env, search: str,
                                             expected: list[str]) -> None:
    assert sorted(subjects(desk, search)) == expected


def test_a_search_too_long_is_refused_naming_the_search(desk: Env) -> None:
    with pytest.raises(QueryError, match="Search: at most 1000 characters"):
        subjects(desk, "CH50 " * 2000)


def test_records_stored_before_the_index_are_indexed_when_it_is_built(desk: Env) -> None:
    registry = desk.store.current().registry
    name = index_name(registry.entity("ticket"))
    state = desk.schema.system["officina_state"]
    with desk.database.write() as connection:
        sa.Table(name, sa.MetaData()).drop(connection)
        connection.execute(state.delete().where(state.c.key == STATE_KEY))
    migrate(desk.database, registry)
    assert sorted(subjects(desk, "CH50")) == ["Boiler noise", "No heat"]


def test_a_reader_who_may_not_read_a_linked_field_is_not_answered_by_it(desk: Env) -> None:
    guest = Actor("gil", frozenset({"guest"}))  # reads tickets, not their clients or units
    assert subjects(desk, "rossi", guest) == []
    assert subjects(desk, "CH50", guest) == []
    assert subjects(desk, "oiler", guest) == ["Boiler noise"]  # its own fields, as before
