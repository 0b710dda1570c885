"""Entity ``unique:`` groups: checked before writing, backed by a unique index, migrated."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from core.metadata.registry import load_registry
from core.records.actor import SYSTEM
from core.records.errors import RecordValidationError
from core.storage.migrate import MigrationRefused, migrate
from tests.conftest import Env, open_env
from tests.core.records.checks_support import CLERK, IMPIEGATA, checks, rows
from tests.support.packs import write_pack

__all__ = ["checks"]


@pytest.fixture
def models(checks: Env) -> tuple[dict, dict]:
    return (checks.service.create(CLERK, "model", {"name": "Chiller 40"}),
            checks.service.create(CLERK, "model", {"name": "Boiler 9"}))


def test_the_same_serial_for_another_model_is_fine(checks: Env, models) -> None:
    chiller, boiler = models
    checks.service.create(CLERK, "unit", {"model": chiller["id"], "serial": "SN-1"})
    checks.service.create(CLERK, "unit", {"model": boiler["id"], "serial": "SN-1"})
    checks.service.create(CLERK, "unit", {"model": chiller["id"], "serial": "SN-2"})
    assert [(r["model"], r["serial"]) for r in rows(checks, "unit")] == [
        (chiller["id"], "SN-1"), (boiler["id"], "SN-1"), (chiller["id"], "SN-2")]


def test_a_serial_already_used_for_the_model_is_refused(checks: Env, models) -> None:
    chiller, _boiler = models
    checks.service.create(CLERK, "unit", {"model": chiller["id"], "serial": "SN-1"})
    with pytest.raises(RecordValidationError) as caught:
        checks.service.create(CLERK, "unit", {"model": chiller["ref"], "serial": "SN-1"})
    assert caught.value.field_errors == {"serial": ["Already used by SN-1 with the same model."]}
    with pytest.raises(RecordValidationError) as caught:
        checks.service.create(IMPIEGATA, "unit", {"model": chiller["ref"], "serial": "SN-1"})
    assert caught.value.field_errors == {
        "serial": ["Già usato da SN-1 con lo stesso valore di modello."]}
    assert len(rows(checks, "unit")) == 1


def test_a_group_of_three_names_the_other_fields(checks: Env, models) -> None:
    chiller, _boiler = models
    checks.service.create(CLERK, "unit", {"model": chiller["id"], "serial": "A",
                                          "batch": "B7", "site": "Roof"})
    with pytest.raises(RecordValidationError) as caught:
        checks.service.create(CLERK, "unit", {"model": chiller["id"], "serial": "B",
                                              "batch": "B7", "site": "Roof"})
    assert caught.value.field_errors == {"site": ["Already used by A with the same model, batch."]}


def test_an_empty_field_clashes_with_nothing(checks: Env, models) -> None:
    chiller, _boiler = models
    for serial in ("A", "B"):  # batch and site empty: the second group does not apply
        checks.service.create(CLERK, "unit", {"model": chiller["id"], "serial": serial})
    assert len(rows(checks, "unit")) == 2


def test_an_update_into_a_used_pair_is_refused_and_changes_nothing(checks: Env,
                                                                  models) -> None:
    chiller, boiler = models
    checks.service.create(CLERK, "unit", {"model": chiller["id"], "serial": "SN-1"})
    other = checks.service.create(CLERK, "unit", {"model": boiler["id"], "serial": "SN-1"})
    with pytest.raises(RecordValidationError) as caught:  # only the model changes
        checks.service.update(CLERK, "unit", other["id"], {"model": chiller["id"]}, version=1)
    assert caught.value.field_errors == {"serial": ["Already used by SN-1 with the same model."]}
    assert rows(checks, "unit")[1]["model"] == boiler["id"]
    renamed = checks.service.update(CLERK, "unit", other["id"],
                                    {"model": chiller["id"], "serial": "SN-2"}, version=1)
    assert (renamed["model"], renamed["serial"]) == (chiller["id"], "SN-2")
    # Saving a record with its own values again is no clash with itself.
    again = checks.service.update(CLERK, "unit", other["id"], {"serial": "SN-2", "site": "X"},
                                  version=2)
    assert again["site"] == "X"


def test_the_database_refuses_a_duplicate_written_behind_the_service(checks: Env,
                                                                     models) -> None:
    chiller, _boiler = models
    checks.service.create(CLERK, "unit", {"model": chiller["id"], "serial": "SN-1"})
    table = checks.schema.table("unit")
    now = dt.datetime(2026, 1, 1)
    with pytest.raises(IntegrityError), checks.database.write() as connection:
        connection.execute(table.insert().values(
            ref="U-999", model=chiller["id"], serial="SN-1", created_at=now, created_by="x",
            modified_at=now, modified_by="x", version=1))
    assert len(rows(checks, "unit")) == 1


def race(checks: Env, first: Callable[[Connection], object], second: Callable[[], object]
         ) -> BaseException | object:
    """Run ``second`` in another thread while ``first``'s transaction is still open; what
    ``second`` returned or raised once ``first`` committed."""
    outcome: list[BaseException | object] = []

    def run_second() -> None:
        try:
            outcome.append(second())
        except BaseException as exc:  # handed to the test's thread
            outcome.append(exc)

    with checks.database.write() as connection:
        first(connection)
        racer = threading.Thread(target=run_second)
        racer.start()
        time.sleep(1.0)  # the second has checked and now waits on the index
        assert not outcome
    racer.join(30)
    [result] = outcome
    return result


# PostgreSQL only: SQLite lets one writer at a time, so its check always sees the first.
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_writer_racing_another_gets_the_same_message(checks: Env, models) -> None:
    """Both check before either inserts; the unique index stops the second."""
    chiller, _boiler = models
    values = {"model": chiller["id"], "serial": "SN-1"}
    error = race(checks,
                 lambda conn: checks.service.create(CLERK, "unit", values, connection=conn),
                 lambda: checks.service.create(CLERK, "unit", values))
    assert isinstance(error, RecordValidationError)
    assert error.field_errors == {"serial": ["Already used by SN-1 with the same model."]}
    assert len(rows(checks, "unit")) == 1


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_an_update_racing_another_gets_the_same_message(checks: Env, models) -> None:
    """Two units get the same serial at once by updates; the second is told why, not crashed."""
    chiller, _boiler = models
    one = checks.service.create(CLERK, "unit", {"model": chiller["id"], "serial": "SN-1"})
    two = checks.service.create(CLERK, "unit", {"model": chiller["id"], "serial": "SN-2"})
    error = race(checks,
                 lambda conn: checks.service.update(CLERK, "unit", one["id"], {"serial": "SN-3"},
                                                    version=one["version"], connection=conn),
                 lambda: checks.service.update(CLERK, "unit", two["id"], {"serial": "SN-3"},
                                               version=two["version"]))
    assert isinstance(error, RecordValidationError)
    assert error.field_errors == {"serial": ["Already used by SN-3 with the same model."]}
    assert sorted(r["serial"] for r in rows(checks, "unit")) == ["SN-2", "SN-3"]


UNIT_V1 = """
name: unit
label: Unit
fields:
  model: {type: string, length: 40}
  serial: {type: string, length: 40}
"""


@pytest.mark.parametrize("duplicated", [False, True])
def test_adding_a_group_to_a_filled_table_migrates_or_says_why_not(
        database_url: str, tmp_path: Path, duplicated: bool) -> None:
    write_pack(tmp_path, "later", {"entities/unit.yaml": UNIT_V1})
    env = open_env(database_url, ["later"], [tmp_path])
    try:
        serials = ["S1", "S1" if duplicated else "S2"]
        for serial in serials:
            env.service.create(SYSTEM, "unit", {"model": "M", "serial": serial})
        write_pack(tmp_path, "later",
                   {"entities/unit.yaml": UNIT_V1 + "unique:\n  - [model, serial]\n"})
        registry = load_registry(["later"], [tmp_path])
        if duplicated:
            with pytest.raises(MigrationRefused) as refused:
                migrate(env.database, registry)
            assert ("create unique index uq_later_unit_model_serial on later_unit: 1 value(s) "
                    "are repeated: make them unique first") in str(refused.value)
            return
        done = migrate(env.database, registry)
        assert [s.description for s in done.safe] == [
            "create unique index uq_later_unit_model_serial on later_unit"]
        with env.database.read() as connection:
            indexes = sa.inspect(connection).get_indexes("later_unit")
        assert {"name": "uq_later_unit_model_serial", "unique": True,
                "column_names": ["model", "serial"]}.items() <= next(
            i for i in indexes if i["name"] == "uq_later_unit_model_serial").items()
        assert migrate(env.database, registry).empty
    finally:
        env.database.dispose()
