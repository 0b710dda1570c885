"""Tables are built once per registry content, and a different registry never gets them."""

from __future__ import annotations

from pathlib import Path

from core.metadata.registry import load_registry
from core.storage.tables import build_schema
from tests.support.packs import write_pack

NOTE = """
    name: note
    label: Note
    fields:
      text: {type: string, length: 40}
    """


def registry_with_note_in(root: Path, owner: str):
    write_pack(root, "alpha", {"entities/note.yaml": NOTE} if owner == "alpha" else {})
    write_pack(root, "beta", {"entities/note.yaml": NOTE} if owner == "beta" else {},
               depends=["alpha"])
    return load_registry(["alpha", "beta"], [root])


def test_the_same_content_gets_the_same_tables(tmp_path: Path) -> None:
    first = registry_with_note_in(tmp_path / "one", "alpha")
    again = registry_with_note_in(tmp_path / "two", "alpha")
    assert build_schema(first) is build_schema(again)  # built once, though read twice


def test_an_entity_moved_to_another_pack_gets_that_packs_table(tmp_path: Path) -> None:
    in_alpha = registry_with_note_in(tmp_path / "one", "alpha")
    in_beta = registry_with_note_in(tmp_path / "two", "beta")
    assert in_alpha.entities["note"].table_name != in_beta.entities["note"].table_name
    for registry in (in_alpha, in_beta):
        expected = registry.entities["note"].table_name
        assert build_schema(registry).table("note").name == expected
