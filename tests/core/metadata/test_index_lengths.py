"""Unique and indexed strings must fit a PostgreSQL index entry: longer ones are refused when
the pack loads, with the file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.metadata.diagnostics import MetadataError
from core.metadata.registry import load_registry
from tests.support.packs import write_pack

UNIT = """\
name: unit
label: Unit
fields:
  model: {type: string, length: 400}
"""


def errors_of(root: Path) -> list[str]:
    with pytest.raises(MetadataError) as caught:
        load_registry(["p"], [root])
    return [str(d) for d in caught.value.diagnostics]


@pytest.mark.parametrize(("field", "message"), [
    ("serial: {type: string, length: 1000, unique: true}",
     "fields.serial.unique: a unique string field may hold 1000 characters, more than an "
     "index entry fits (at most 676): give it a length of 676 or less"),
    ("site: {type: url, index: true}",
     "fields.site.index: a index url field may hold 2000 characters"),
])
def test_a_long_unique_or_indexed_string_is_refused(tmp_path: Path, field: str,
                                                    message: str) -> None:
    write_pack(tmp_path, "p", {"entities/unit.yaml": UNIT + f"  {field}\n"})
    (error,) = errors_of(tmp_path)
    assert "entities/unit.yaml:5" in error and message in error


def test_a_unique_group_of_long_strings_is_refused(tmp_path: Path) -> None:
    write_pack(tmp_path, "p", {"entities/unit.yaml": UNIT + "  serial: {type: string, "
                               "length: 400}\nunique:\n  - [model, serial]\n"})
    (error,) = errors_of(tmp_path)
    assert "entities/unit.yaml:7" in error
    assert "may hold 800 characters together" in error


def test_strings_that_fit_an_index_load(tmp_path: Path) -> None:
    write_pack(tmp_path, "p", {"entities/unit.yaml": UNIT + "  serial: {type: string, length: "
                               "676, unique: true}\n  mail: {type: email, unique: true}\n"})
    entity = load_registry(["p"], [tmp_path]).entity("unit")
    assert entity.field("serial").unique and entity.field("mail").unique
