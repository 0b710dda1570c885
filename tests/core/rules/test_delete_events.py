"""The rules on ``deleted`` see the record as it was, its lines included: on the authority
pack's sales, with a workflow added to the test's copy that notes what a deleted sale held."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.records.actor import Actor
from core.rules.engine import RulesEngine
from tests.conftest import Env, open_env

OFFICE = Actor("olga", frozenset({"office"}))
FAREWELL = """
name: sale_farewell
entity: sale
rules:
  - name: note_lines
    on: deleted
    do:
      - create:
          entity: shipment
          values:
            reference: >-
              = (record.lines | length) ~ ' lines, '
              ~ (record.lines | sum(attribute='quantity')) ~ ' items of ' ~ record.subject
"""


@pytest.fixture
def sales(database_url: str, packs_dir: Path) -> Iterator[Env]:
    (packs_dir / "authority" / "workflows" / "farewell.yaml").write_text(
        textwrap.dedent(FAREWELL))
    env = open_env(database_url, ["authority"], [packs_dir])
    env.service.events = RulesEngine(env.service)
    yield env
    env.database.dispose()


def _references(env: Env) -> list[str]:
    return [row["reference"] for row in env.service.list(OFFICE, "shipment").rows]


def test_a_rule_on_deleted_reads_the_lines_the_record_had(sales: Env) -> None:
    sale = sales.service.create(OFFICE, "sale", {
        "subject": "Boiler", "lines": [{"item": "valve", "quantity": 2},
                                       {"item": "pipe", "quantity": 3}]})
    sales.service.delete(OFFICE, "sale", sale["id"])
    assert _references(sales) == ["2 lines, 5 items of Boiler"]


def test_a_record_written_in_the_same_transaction_is_deleted_with_its_new_lines(
        sales: Env) -> None:
    sale = sales.service.create(OFFICE, "sale", {"subject": "Tank",
                                                 "lines": [{"item": "valve"}]})
    with sales.database.write() as connection:
        sales.service.update(OFFICE, "sale", sale["id"], {
            "lines": [{"item": "valve"}, {"item": "gauge", "quantity": 4}]},
            version=sale["version"], connection=connection)
        sales.service.delete(OFFICE, "sale", sale["id"], connection=connection)
    assert _references(sales) == ["2 lines, 5 items of Tank"]
