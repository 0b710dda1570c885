"""A pack adds a field type through its hooks (``officina_field_types``): the hooks load
before the YAML is checked, so the pack's entities may use the type; the type is registered
once per process, and a different type under a taken name is refused."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.field_registration import unregister_field_type
from core.hooks.manager import PackHookError
from core.metadata.diagnostics import MetadataError
from core.metadata.field_types import FIELD_TYPES
from core.metadata.field_types.entries import CORE_TYPES
from core.metadata.loader import BUILTIN_PACKS
from core.records.actor import SYSTEM
from core.records.errors import RecordValidationError
from core.storage.database import Database
from core.storage.registry_store import RegistryStore
from core.ui.field_facets import FACETS
from tests.conftest import FIXTURE_PACKS, open_env
from tests.support.cli import new_instance, officina

SWATCH_YAML = Path("swatches") / "entities" / "swatch.yaml"
HOOKS = Path("swatches") / "hooks.py"


@pytest.fixture(autouse=True)
def no_colour_type() -> Iterator[None]:
    """Each test starts without the pack's type, and leaves the process without it."""
    assert "colour" not in FIELD_TYPES
    yield
    unregister_field_type("colour")


def _store(tmp_path: Path, packs: Path, name: str = "store") -> RegistryStore:
    database = Database(f"sqlite:///{tmp_path / f'{name}.sqlite3'}")
    return RegistryStore(database, ["swatches"], [packs, BUILTIN_PACKS], check_interval=0)


def _copy_packs(tmp_path: Path, name: str) -> Path:
    target = tmp_path / name
    shutil.copytree(FIXTURE_PACKS, target)
    return target


def _edit(packs: Path, file: Path, old: str, new: str) -> None:
    path = packs / file
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_the_pack_yaml_uses_the_type_its_hooks_add(database_url: str, packs_dir: Path) -> None:
    env = open_env(database_url, ["swatches"], [packs_dir])
    try:
        shade = env.store.current().registry.entity("swatch").field("shade")
        assert shade is not None and shade.type == "colour"
        assert env.schema.table("swatch").c.shade.type.length == 7
        created = env.service.create(SYSTEM, "swatch", {"name": "Sea", "shade": "#1A2B3C"})
        assert env.service.get(SYSTEM, "swatch", created["id"])["shade"] == "#1a2b3c"
        with pytest.raises(RecordValidationError) as refused:
            env.service.create(SYSTEM, "swatch", {"name": "Sky", "shade": "blue"})
        assert refused.value.field_errors == {"shade": ["Not a colour: write it like #1a2b3c."]}
    finally:
        env.database.dispose()
    assert "colour" in FIELD_TYPES and "colour" not in FACETS  # the UI adds its facet


def test_pack_validate_knows_the_type_and_still_names_an_unknown_one(packs_dir: Path) -> None:
    assert "OK: swatches" in officina("pack", "validate", str(packs_dir / "swatches")).stdout
    _edit(packs_dir, SWATCH_YAML, "shade: {type: colour", "shade: {type: color")
    result = officina("pack", "validate", str(packs_dir / "swatches"), check=False)
    assert result.returncode == 1
    assert "swatches/entities/swatch.yaml:6: fields.shade.type: 'color' is not one of [" in (
        result.stderr)
    assert "'colour'" in result.stderr  # the hook's type is one of those listed


def test_an_unknown_type_is_refused_with_its_file_and_line(tmp_path: Path,
                                                            packs_dir: Path) -> None:
    _edit(packs_dir, SWATCH_YAML, "shade: {type: colour", "shade: {type: color")
    with pytest.raises(MetadataError) as refused:
        _store(tmp_path, packs_dir).current()
    [problem] = refused.value.diagnostics
    assert problem.file.endswith("swatches/entities/swatch.yaml") and problem.line == 6
    assert problem.message.startswith("'color' is not one of [")


def test_two_instances_of_one_process_register_the_type_once(tmp_path: Path,
                                                              packs_dir: Path) -> None:
    first = _store(tmp_path, packs_dir, "first")
    assert first.current().registry.entity("swatch").field("shade").type == "colour"
    registered = FIELD_TYPES["colour"]
    second = _store(tmp_path, _copy_packs(tmp_path, "copy"), "second")
    assert second.current().registry.entity("swatch").field("shade").type == "colour"
    assert FIELD_TYPES["colour"] is registered


def test_a_different_type_under_a_taken_name_is_refused(tmp_path: Path,
                                                        packs_dir: Path) -> None:
    _store(tmp_path, packs_dir, "first").current()
    other = _copy_packs(tmp_path, "other")
    _edit(other, HOOKS, "row_bytes=lambda spec: 11", "row_bytes=lambda spec: 12")
    with pytest.raises(PackHookError, match=r"other/swatches/hooks\.py: officina_field_types "
                                            r"adds 'colour', but another field type"):
        _store(tmp_path, other, "second").current()


def test_a_pack_cannot_add_one_of_officinas_types(tmp_path: Path, packs_dir: Path) -> None:
    _edit(packs_dir, HOOKS, 'name="colour"', 'name="string"')
    with pytest.raises(PackHookError, match="'string' is already a field type of Officina's"):
        _store(tmp_path, packs_dir).current()
    assert FIELD_TYPES["string"] is next(t for t in CORE_TYPES if t.name == "string")


def test_the_command_line_writes_and_reads_the_types_json(tmp_path: Path,
                                                          packs_dir: Path) -> None:
    instance = new_instance(tmp_path, packs_dir, "swatches")
    created = json.loads(officina("records", "create", "swatch",
                                  '{"name": "Sea", "shade": [26, 43, 60]}', env=instance).stdout)
    assert created["shade"] == [26, 43, 60]
    listed = json.loads(officina("records", "list", "swatch", env=instance).stdout)
    assert [row["shade"] for row in listed["rows"]] == [[26, 43, 60]]


def test_the_history_shows_a_pack_types_value_as_its_own_text(
        database_url: str, packs_dir: Path) -> None:
    env = open_env(database_url, ["swatches"], [packs_dir])
    try:
        created = env.service.create(SYSTEM, "swatch", {"name": "Sea", "shade": "#1a2b3c"})
        env.service.update(SYSTEM, "swatch", created["id"],
                           {"shade": "#0a0b0c", "version": created["version"]})
        changes = [(change.field, change.old, change.new)
                   for entry in env.service.history(SYSTEM, "swatch", created["id"])
                   for change in entry.changes if change.field == "shade"]
        assert sorted(changes, key=str) == sorted(
            [("shade", None, "#1A2B3C"), ("shade", "#1A2B3C", "#0A0B0C")], key=str)
    finally:
        env.database.dispose()
