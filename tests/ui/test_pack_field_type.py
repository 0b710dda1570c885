"""A pack adds a field type in one place (tests/fixtures/packs/swatches/hooks.py): the
type loads, stores, validates, shows on a form and in a list."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from flask import Flask

from core.config import Settings
from core.field_registration import registered_field_type
from core.metadata.diagnostics import MetadataError
from core.metadata.field_types import FIELD_TYPES, FieldType
from core.metadata.loader import BUILTIN_PACKS
from core.metadata.registry import load_registry
from core.officina import Officina
from core.records.actor import SYSTEM
from core.records.errors import RecordValidationError
from core.ui.app import create_app
from core.ui.field_facets import FACETS
from core.users import create_user
from tests.conftest import FIXTURE_PACKS, Env, open_env
from tests.support.users import FAST_HASHING
from tests.ui.conftest import csrf_token, sign_in

PACK = FIXTURE_PACKS / "swatches"


def pack_module() -> ModuleType:
    """The pack's ``hooks.py``, imported from its folder."""
    spec = importlib.util.spec_from_file_location("swatches_field_type", PACK / "hooks.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def colour() -> Iterator[FieldType]:
    """The pack's type, registered for the test."""
    module = pack_module()
    with registered_field_type(module.FIELD_TYPE, module.FACET) as registered:
        yield registered


@pytest.fixture
def swatches(colour: FieldType, database_url: str, packs_dir: Path) -> Iterator[Env]:
    env = open_env(database_url, ["swatches"], [packs_dir])
    yield env
    env.database.dispose()


@pytest.fixture
def swatch_app(swatches: Env, database_url: str, packs_dir: Path, tmp_path: Path) -> Flask:
    with swatches.database.write() as connection:
        create_user(connection, "anna", "Anna-pw-1", roles=("admin",), hashing=FAST_HASHING)
    settings = Settings(instance=tmp_path, database_url=database_url, packs=("swatches",),
                        pack_paths=(packs_dir, BUILTIN_PACKS), registry_check_interval=0,
                        passwords=FAST_HASHING)
    return create_app(settings, {"TESTING": True}, Officina.open(settings,
                                                                   registry=swatches.store))


def test_without_its_type_the_pack_does_not_load() -> None:
    with pytest.raises(MetadataError, match="colour"):
        load_registry(["swatches"], [FIXTURE_PACKS, BUILTIN_PACKS])


def test_the_type_is_registered_for_the_block_only() -> None:
    with registered_field_type(pack_module().FIELD_TYPE, pack_module().FACET):
        assert "colour" in FIELD_TYPES and "colour" in FACETS
    assert "colour" not in FIELD_TYPES and "colour" not in FACETS


def test_a_type_is_registered_once(colour: FieldType) -> None:
    with pytest.raises(ValueError, match="already registered"):
        registered_field_type(colour, pack_module().FACET).__enter__()


def test_the_type_loads_with_its_column(swatches: Env) -> None:
    shade = swatches.store.current().registry.entity("swatch").field("shade")
    assert shade is not None and shade.type == "colour"
    column = swatches.schema.table("swatch").c.shade
    assert column.type.length == 7


def test_the_type_stores_and_validates(swatches: Env) -> None:
    created = swatches.service.create(SYSTEM, "swatch", {"name": "Sea", "shade": "#1A2B3C"})
    assert swatches.service.get(SYSTEM, "swatch", created["id"])["shade"] == "#1a2b3c"
    with pytest.raises(RecordValidationError) as refused:
        swatches.service.create(SYSTEM, "swatch", {"name": "Sky", "shade": "blue"})
    assert refused.value.field_errors == {"shade": ["Not a colour: write it like #1a2b3c."]}


def test_the_type_shows_on_a_form_and_in_a_list(swatch_app: Flask) -> None:
    shows_on_a_form_and_in_a_list(swatch_app)


def shows_on_a_form_and_in_a_list(swatch_app: Flask) -> None:
    """A colour picker on the new-swatch form; a created swatch's colour in the list."""
    anna = sign_in(swatch_app.test_client(), "anna", "Anna-pw-1")
    form = anna.get("/app/swatch/new").get_data(as_text=True)
    assert 'type="color"' in form and 'name="shade"' in form
    response = anna.post("/app/swatch/new", data={
        "csrf_token": csrf_token(anna, "/app/swatch/new"), "name": "Sea", "shade": "#1a2b3c"})
    assert response.status_code == 302, response.get_data(as_text=True)
    listing = anna.get("/app/swatch").get_data(as_text=True)
    assert "#1A2B3C" in listing and "Sea" in listing
