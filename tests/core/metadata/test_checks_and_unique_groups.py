"""Loading ``check:`` on string fields and entity ``unique:`` groups: mistakes named by line."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from core.metadata.diagnostics import MetadataError
from core.metadata.registry import load_registry
from tests.support.packs import write_pack

UNIT = """
name: unit
label: Unit
fields:
  model: {type: string, length: 40}
  serial: {type: string, length: 40}
  notes: {type: text}
"""


def unit(fields: str = "", tail: str = "") -> str:
    """The unit entity with more ``fields`` and top-level keys (``tail``)."""
    more = textwrap.indent(textwrap.dedent(fields).strip("\n") + "\n", "  ") if fields else ""
    return UNIT + more + textwrap.dedent(tail).lstrip("\n")


def errors_of(root: Path) -> list[str]:
    with pytest.raises(MetadataError) as caught:
        load_registry(["p"], [root])
    return [str(d) for d in caught.value.diagnostics]


def test_a_known_check_and_a_unique_group_load(tmp_path: Path) -> None:
    write_pack(tmp_path, "p", {"entities/unit.yaml": unit("""
          vat: {type: string, length: 20, check: it.iva}
          tax_code: {type: string, length: 16, check: it.codicefiscale}
        """, """
        unique:
          - [model, serial]
        """)})
    entity = load_registry(["p"], [tmp_path]).entity("unit")
    assert entity.field("vat").check == "it.iva"
    assert entity.field("tax_code").check == "it.codicefiscale"
    assert entity.unique == (("model", "serial"),)


def test_an_unknown_check_is_named_with_its_line(tmp_path: Path) -> None:
    write_pack(tmp_path, "p", {"entities/unit.yaml": unit("""
          vat: {type: string, length: 20, check: zz.foo}
        """)})
    assert errors_of(tmp_path) == [
        f"{tmp_path}/p/entities/unit.yaml:7: fields.vat.check: unknown check 'zz.foo': name a "
        "python-stdnum module that has validate(), e.g. it.iva, eu.vat, it.codicefiscale, iban"]


def test_a_stdnum_module_that_validates_nothing_is_not_a_check(tmp_path: Path) -> None:
    write_pack(tmp_path, "p", {"entities/unit.yaml": unit("""
          vat: {type: string, length: 20, check: util}
        """)})
    assert errors_of(tmp_path)[0].endswith("fields.vat.check: unknown check 'util': name a "
                                           "python-stdnum module that has validate(), e.g. "
                                           "it.iva, eu.vat, it.codicefiscale, iban")


def test_check_is_only_for_string_fields(tmp_path: Path) -> None:
    write_pack(tmp_path, "p", {"entities/unit.yaml": unit("""
          count: {type: integer, check: iban}
        """)})
    assert errors_of(tmp_path) == [
        f"{tmp_path}/p/entities/unit.yaml:7: fields.count.check: unknown key 'check'"]


def test_a_default_that_fails_its_check_is_refused(tmp_path: Path) -> None:
    write_pack(tmp_path, "p", {"entities/unit.yaml": unit("""
          vat: {type: string, length: 20, check: it.iva, default: "IT01234560018"}
        """)})
    [error] = errors_of(tmp_path)
    assert error.endswith("fields.vat.default: invalid default: Not a valid VAT number. "
                          "The check digit is wrong.")


def test_a_unique_group_naming_an_unknown_field(tmp_path: Path) -> None:
    write_pack(tmp_path, "p", {"entities/unit.yaml": unit(tail="""
        unique:
          - [model, serail]
        """)})
    assert errors_of(tmp_path) == [
        f"{tmp_path}/p/entities/unit.yaml:8: unique[0][1]: unknown field 'serail' of entity "
        "'unit'"]


def test_a_unique_group_of_a_text_field_is_refused(tmp_path: Path) -> None:
    write_pack(tmp_path, "p", {"entities/unit.yaml": unit(tail="""
        unique:
          - [model, notes]
        """)})
    assert errors_of(tmp_path)[0].endswith(
        "unique[0][1]: a text field cannot be part of a unique group")


def test_a_unique_group_needs_two_different_fields(tmp_path: Path) -> None:
    write_pack(tmp_path, "p", {"entities/unit.yaml": unit(tail="""
        unique:
          - [model]
          - [serial, serial]
        """)})
    errors = errors_of(tmp_path)
    assert len(errors) == 2
    assert "unit.yaml:8: unique[0]" in errors[0]
    assert "unit.yaml:9: unique[1]" in errors[1]


def test_a_child_entity_has_no_unique_groups(tmp_path: Path) -> None:
    write_pack(tmp_path, "p", {
        "entities/unit.yaml": UNIT + "  lines: {type: table, target: unit_line}\n",
        "entities/unit_line.yaml": """
            name: unit_line
            label: Unit line
            child: true
            fields:
              part: {type: string, length: 40}
              serial: {type: string, length: 40}
            unique:
              - [part, serial]
            """})
    assert errors_of(tmp_path) == [
        f"{tmp_path}/p/entities/unit_line.yaml:7: unique: a child entity cannot have unique "
        "groups: its lines are checked within their record"]
