"""Expressions that only read ``name.key`` give what the sandbox gives, errors included."""

from __future__ import annotations

import pytest

from core.metadata.expressions import FormulaError, compile_formula


def test_a_plain_path_reads_the_value_of_nested_dicts() -> None:
    names = {"record": {"subject": "Leak", "machine": {"ref": "MAC-1"}, "notes": None}}
    assert compile_formula("record.subject")(names) == "Leak"
    assert compile_formula(" record.machine.ref ")(names) == "MAC-1"
    assert compile_formula("record.notes")(names) is None
    assert compile_formula("record")(names) is names["record"]


def test_a_missing_key_or_name_fails_as_in_the_sandbox() -> None:
    with pytest.raises(FormulaError, match="subjekt"):
        compile_formula("record.subjekt")({"record": {"subject": "Leak"}})
    with pytest.raises(FormulaError, match="recrod"):
        compile_formula("recrod.subject")({"record": {"subject": "Leak"}})


def test_a_key_that_a_dict_method_shadows_is_the_sandboxs_reading() -> None:
    # Jinja reads the attribute (the method) before the key: so do expressions.
    found = compile_formula("record.items")({"record": {"items": 3}})
    assert found != 3 and callable(found)


def test_constants_and_other_objects_are_left_to_the_sandbox() -> None:
    assert compile_formula("none")({"none": "shadow"}) is None
    assert compile_formula("true")({}) is True

    class Thing:
        subject = "attribute"

    assert compile_formula("thing.subject")({"thing": Thing()}) == "attribute"
