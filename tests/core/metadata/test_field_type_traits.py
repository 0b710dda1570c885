"""Field types declare their traits and their conversions to and from text and JSON."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from marshmallow import ValidationError

from core.json_encoding import json_default
from core.metadata.field_types import FIELD_TYPES, Traits
from core.metadata.specs import FieldSpec
from core.records.audit import audit_text

SAMPLES = {  # a value of each type, as the records service gives it
    "string": "Ada", "text": "two\nlines", "integer": 12, "decimal": Decimal("1234.50"),
    "money": Decimal("99.90"), "boolean": True, "date": dt.date(2026, 11, 23),
    "datetime": dt.datetime(2026, 11, 23, 9, 30), "duration": 5400, "select": "red",
    "multiselect": "hot,sale", "link": 7, "email": "a@example.com", "phone": "+39 02 1234",
    "url": "https://x.example", "attachment": "a" * 64 + "/manual.pdf",
    "image": "b" * 64 + "/photo.png",
    "table": [{"product": 1, "quantity": 2}],
}


def spec_of(kind: str) -> FieldSpec:
    extra = {"options": ("red", "green", "hot", "sale")} if kind in ("select",
                                                                     "multiselect") else {}
    return FieldSpec(name="x", type=kind, label="X", target="customer", scale=2, **extra)


def test_every_type_has_a_sample() -> None:
    assert set(SAMPLES) == set(FIELD_TYPES)


@pytest.mark.parametrize("kind", sorted(SAMPLES))
def test_text_is_the_audit_trails_and_json_the_apis(kind: str) -> None:
    field_type, value = FIELD_TYPES[kind], SAMPLES[kind]
    assert field_type.to_text(value) == audit_text(value)
    assert field_type.to_json(None) is None and field_type.to_text(None) is None
    if isinstance(value, dt.date | Decimal):
        assert field_type.to_json(value) == json_default(value)
    else:
        assert field_type.to_json(value) == value


@pytest.mark.parametrize("kind", sorted(set(SAMPLES) - {"table"}))
def test_text_reads_back_as_the_value(kind: str) -> None:
    field_type, value = FIELD_TYPES[kind], SAMPLES[kind]
    assert field_type.value_of_text(field_type.to_text(value)) == value
    assert field_type.from_text(field_type.to_text(value), spec_of(kind)) == value


def test_lines_read_back_from_their_json_text() -> None:
    lines = FIELD_TYPES["table"]
    assert lines.from_text(lines.to_text(SAMPLES["table"]), spec_of("table")) == SAMPLES["table"]


def test_text_and_json_are_validated_as_the_type_validates() -> None:
    with pytest.raises(ValidationError):
        FIELD_TYPES["integer"].from_text("4.5", spec_of("integer"))
    with pytest.raises(ValidationError):
        FIELD_TYPES["select"].from_json("purple", spec_of("select"))
    assert FIELD_TYPES["duration"].from_json("1:30", spec_of("duration")) == 5400


def test_traits_group_the_types() -> None:
    def having(trait: str) -> set[str]:
        return {name for name, kind in FIELD_TYPES.items() if getattr(kind.traits, trait)}

    assert having("numeric") == {"integer", "decimal", "money", "duration"}
    assert having("textual") == {"string", "text", "email", "phone", "url"}
    assert having("rangeable") == {"integer", "decimal", "money", "duration", "date",
                                   "datetime"}
    assert having("file") == {"attachment", "image"}
    assert {n for n, k in FIELD_TYPES.items() if not k.traits.groupable} == {
        "multiselect", "table", "attachment", "image"}
    assert {n for n, k in FIELD_TYPES.items() if not k.traits.orderable} == {
        "multiselect", "table"}
    assert all(kind.sortable == kind.traits.orderable for kind in FIELD_TYPES.values())


def test_a_family_is_one_of_the_known() -> None:
    with pytest.raises(ValueError, match="unknown field-type family"):
        Traits("colour")
