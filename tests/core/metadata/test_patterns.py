"""A final ``$`` means the end of the text: no pattern lets a trailing newline through."""

from __future__ import annotations

from pathlib import Path

import pytest
from marshmallow import ValidationError

from core.i18n import Translator
from core.metadata.field_types import FIELD_TYPES
from core.metadata.loader import read_document
from core.metadata.patterns import end_anchored
from core.metadata.specs import FieldSpec


@pytest.mark.parametrize(("pattern", "expected"), [
    ("^[A-Z]{2}$", r"^[A-Z]{2}\Z"), ("^a\\$", "^a\\$"), ("^a\\\\$", "^a\\\\\\Z"),
    ("[A-Z]{3}", "[A-Z]{3}")])
def test_a_final_dollar_becomes_the_end_of_the_text(pattern: str, expected: str) -> None:
    assert end_anchored(pattern) == expected


def load(field: FieldSpec, value: str):
    return FIELD_TYPES[field.type].loader(field, Translator("en")).deserialize(value)


def test_a_field_pattern_refuses_a_trailing_newline() -> None:
    province = FieldSpec(name="province", type="string", label="Province", length=2,
                         pattern="^[A-Z]{2}$")
    assert load(province, "BS") == "BS"
    with pytest.raises(ValidationError, match="Does not match the expected format"):
        load(province, "BS\n")


@pytest.mark.parametrize(("kind", "good"), [("phone", "+39 02 5550101"),
                                            ("attachment", "a" * 64 + "/photo.png")])
def test_phones_and_file_keys_refuse_a_trailing_newline(kind: str, good: str) -> None:
    field = FieldSpec(name="f", type=kind, label="F")
    assert load(field, good) == good
    with pytest.raises(ValidationError):
        load(field, good + "\n")


def test_a_metadata_name_with_a_trailing_newline_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "note.yaml"
    path.write_text('name: "note\\n"\nlabel: Note\nfields:\n  text: {type: string}\n')
    problems: list = []
    assert read_document(path, "entity", problems) is None
    assert [(p.line, p.path) for p in problems] == [(1, "name")]
    assert "does not match" in problems[0].message
