"""Two processes writing at once: naming series never repeat, overlays reach every process."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest
import sqlalchemy as sa

from core.metadata.diagnostics import MetadataError
from core.records.actor import SYSTEM
from core.storage.migrate import migrate
from tests.conftest import Env, open_env

PER_PROCESS = 25


def _create_many(url: str, packs_dir: str, start: multiprocessing.synchronize.Event,
                 results: multiprocessing.Queue) -> None:
    env = open_env(url, ["testshop"], [Path(packs_dir)])
    start.wait(30)
    refs = [env.service.create(SYSTEM, "customer", {"company": f"C{i}"})["ref"]
            for i in range(PER_PROCESS)]
    results.put(refs)
    env.database.dispose()


def test_naming_series_is_atomic_across_processes(shop: Env, database_url: str,
                                                  packs_dir: Path) -> None:
    context = multiprocessing.get_context("spawn")
    start, results = context.Event(), context.Queue()
    workers = [context.Process(target=_create_many,
                               args=(database_url, str(packs_dir), start, results))
               for _ in range(2)]
    for worker in workers:
        worker.start()
    start.set()
    refs = results.get(timeout=120) + results.get(timeout=120)
    for worker in workers:
        worker.join(30)
        assert worker.exitcode == 0
    assert len(refs) == 2 * PER_PROCESS
    assert sorted(refs) == [f"CUS-{n:05d}" for n in range(1, 2 * PER_PROCESS + 1)]


def test_customisation_adds_a_column_live_and_other_processes_reload(
        shop: Env, database_url: str, packs_dir: Path) -> None:
    other = open_env(database_url, ["testshop"], [packs_dir])  # e.g. another web worker
    acme = other.service.create(SYSTEM, "customer", {"company": "ACME"})
    loaded, plan = shop.store.save_overlay("admin", "customer", """
label: Client
custom_fields:
  x_sector: {type: select, options: [food, steel], label: Sector}
""")
    assert loaded.registry.version == 1
    assert "add column testshop_customer.x_sector" in [s.description for s in plan.safe]
    assert not plan.destructive
    assert other.store.current().registry.version == 1
    assert other.store.current().registry.entity("customer").label == "Client"
    updated = other.service.update(SYSTEM, "customer", acme["id"],
                                   {"x_sector": "steel", "version": 1})
    assert updated["x_sector"] == "steel" and updated["company"] == "ACME"
    other.database.dispose()


def test_a_customisation_that_does_not_validate_changes_nothing(shop: Env) -> None:
    before = shop.store.current()
    with pytest.raises(MetadataError, match="link to unknown entity 'nobody'"):
        shop.store.save_overlay("admin", "customer", "custom_fields:\n  x_a: {type: link, "
                                "target: nobody}\n")
    assert shop.store.current().registry.version == before.registry.version
    with shop.database.read() as connection:
        assert shop.store.overlays(connection) == {}
        columns = {c["name"] for c in sa.inspect(connection).get_columns("testshop_customer")}
    assert "x_a" not in columns
    assert migrate(shop.database, shop.store.current().registry).empty
