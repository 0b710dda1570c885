"""Computed fields that read each other in a circle are refused; the others follow what
they read, whatever order they are declared in."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from core.metadata.diagnostics import MetadataError
from core.metadata.formula_order import computed_in_order
from core.metadata.registry import load_registry
from core.records.actor import SYSTEM
from tests.conftest import open_env
from tests.support.packs import write_pack

ORDER = """
name: invoice
label: Invoice
fields:
  quantity: {type: integer}
  lines: {type: table, target: invoice_line}
{extra}
"""
LINE = """
name: invoice_line
label: Invoice line
child: true
fields:
  quantity: {type: integer}
  price: {type: money}
{extra}
"""


def pack(root: Path, order: str = "", line: str = "") -> None:
    write_pack(root, "p", {"entities/invoice.yaml": ORDER.replace("{extra}\n", order),
                           "entities/invoice_line.yaml": LINE.replace("{extra}\n", line)})


def errors_of(root: Path) -> list[str]:
    with pytest.raises(MetadataError) as caught:
        load_registry(["p"], [root])
    return [str(d) for d in caught.value.diagnostics]


def test_two_formulas_reading_each_other_are_refused_with_file_and_line(
        tmp_path: Path) -> None:
    pack(tmp_path, order='  net: {type: money, computed: "gross - 1"}\n'
                         '  gross: {type: money, computed: "net + 1"}\n')
    errors = errors_of(tmp_path)
    assert errors == [f"{tmp_path}/p/entities/invoice.yaml:6: fields.net.computed: formula "
                      "cycle: net → gross → net; a computed field cannot depend on itself, "
                      "directly or through other fields"]


def test_a_formula_reading_itself_is_a_cycle(tmp_path: Path) -> None:
    pack(tmp_path, order='  total: {type: money, computed: "(total or 0) + 1"}\n')
    assert errors_of(tmp_path) == [
        f"{tmp_path}/p/entities/invoice.yaml:6: fields.total.computed: formula cycle: "
        "total → total; a computed field cannot depend on itself, directly or through "
        "other fields"]


def test_a_cycle_among_a_child_entitys_lines_names_the_child_file(tmp_path: Path) -> None:
    pack(tmp_path, order='  total: {type: money, computed: "lines | sum(attribute=\'a\')"}\n',
         line='  a: {type: money, computed: "b * 2"}\n'
              '  b: {type: money, computed: "c if c else 0"}\n'
              '  c: {type: money, computed: "a"}\n')
    errors = errors_of(tmp_path)
    assert len(errors) == 1, errors
    assert errors[0].startswith(f"{tmp_path}/p/entities/invoice_line.yaml:")
    assert "formula cycle: " in errors[0]
    cycle = errors[0].split("formula cycle: ")[1].split(";")[0].split(" → ")
    assert cycle[0] == cycle[-1] and sorted(cycle[:-1]) == ["a", "b", "c"]


def test_a_customisation_adding_a_cycle_is_refused_and_the_registry_stays(
        tmp_path: Path) -> None:
    pack(tmp_path, order='  total: {type: money, computed: "(quantity or 0) * 2"}\n')
    before = load_registry(["p"], [tmp_path])
    overlay = ('custom_fields:\n'
               '  x_a: {type: money, computed: "x_b"}\n'
               '  x_b: {type: money, computed: "x_a"}\n')
    with pytest.raises(MetadataError) as caught:
        load_registry(["p"], [tmp_path], overlays={"invoice": overlay})
    errors = [str(d) for d in caught.value.diagnostics]
    assert len(errors) == 1 and "formula cycle: x_a → x_b → x_a" in errors[0], errors
    assert errors[0].split(": ")[0].endswith(":2"), errors
    assert before.entity("invoice").field("x_a") is None


def test_computed_fields_follow_what_they_read_not_declaration_order(
        tmp_path: Path) -> None:
    pack(tmp_path, order='  gross: {type: money, computed: "net * 2"}\n'
                         '  net: {type: money, computed: "lines | sum(attribute=\'amount\')"}\n',
         line='  amount: {type: money, computed: "(quantity or 0) * (price or 0)"}\n')
    registry = load_registry(["p"], [tmp_path])
    assert [f.name for f in computed_in_order(registry.entity("invoice"))] == ["net", "gross"]


def test_a_saved_record_gets_formulas_declared_before_what_they_read_right(
        tmp_path: Path) -> None:
    pack(tmp_path, order='  gross: {type: money, computed: "net * 2"}\n'
                         '  net: {type: money, computed: "lines | sum(attribute=\'amount\')"}\n',
         line='  amount: {type: money, computed: "(quantity or 0) * (price or 0)"}\n')
    env = open_env(f"sqlite:///{tmp_path}/shop.sqlite", ["p"], [tmp_path])
    try:
        created = env.service.create(SYSTEM, "invoice", {"lines": [
            {"quantity": 2, "price": "3.00"}, {"quantity": 1, "price": "4.00"}]})
    finally:
        env.database.dispose()
    assert created["net"] == Decimal("10.00")
    assert created["gross"] == Decimal("20.00")
