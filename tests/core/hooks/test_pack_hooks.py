"""Pack hooks end to end: a pack's hooks.py adds fields, a check and a named action."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from core.config import Settings
from core.hooks.manager import PackHookError
from core.metadata.diagnostics import MetadataError
from core.metadata.loader import BUILTIN_PACKS
from core.officina import Officina
from core.records.actor import SYSTEM
from core.records.errors import RecordValidationError
from tests.conftest import migrate_instance


def _settings(tmp_path: Path, database_url: str, packs_dir: Path) -> Settings:
    return Settings(instance=tmp_path, database_url=database_url, packs=("hookshop",),
                    pack_paths=(packs_dir, BUILTIN_PACKS), registry_check_interval=0)


@pytest.fixture
def hookshop(tmp_path: Path, database_url: str, packs_dir: Path) -> Iterator[Officina]:
    """An instance of the hookshop pack (over testshop), migrated."""
    officina = Officina.open(_settings(tmp_path, database_url, packs_dir))
    migrate_instance(officina)
    yield officina
    officina.close()


def test_a_pack_adds_fields_to_another_packs_entity(hookshop: Officina) -> None:
    loaded = hookshop.registry.current()
    customer = loaded.registry.entity("customer")
    assert customer.pack == "testshop"  # still testshop's entity, in testshop's table
    assert [f.name for f in customer.fields][-2:] == ["postcode", "stamp"]
    assert "postcode" in loaded.schema.table("customer").c
    with hookshop.database.read() as connection:
        import sqlalchemy as sa
        columns = {c["name"] for c in sa.inspect(connection).get_columns("testshop_customer")}
    assert {"postcode", "stamp"} <= columns


def test_a_pack_check_refuses_a_bad_value_and_stores_the_good_one(hookshop: Officina) -> None:
    with pytest.raises(RecordValidationError) as refused:
        hookshop.records.create(SYSTEM, "customer", {"company": "Alfa", "postcode": "2012"})
    assert refused.value.field_errors == {"postcode": ["Not a postcode: five digits, e.g. 20121."]}
    created = hookshop.records.create(SYSTEM, "customer", {"company": "Beta",
                                                           "postcode": "20 121"})
    assert hookshop.records.get(SYSTEM, "customer", created["id"])["postcode"] == "20121"


def test_a_rule_calls_the_named_action_a_pack_adds(hookshop: Officina) -> None:
    assert "hookshop.stamp" in hookshop.rules.actions.names()
    stamped = hookshop.records.create(SYSTEM, "customer", {"company": "Gamma",
                                                           "city": "Stampville"})
    other = hookshop.records.create(SYSTEM, "customer", {"company": "Delta", "city": "Milano"})
    assert hookshop.records.get(SYSTEM, "customer", stamped["id"])["stamp"] == (
        "stamped by stamping.stamp_new")
    assert hookshop.records.get(SYSTEM, "customer", other["id"])["stamp"] is None


def _write_hooks(packs_dir: Path, body: str) -> None:
    (packs_dir / "hookshop" / "hooks.py").write_text(
        "from core.hooks import hookimpl\n\n" + body, encoding="utf-8")


@pytest.mark.parametrize("fields, message", [
    ('{"company": {"type": "string"}}', "entity 'customer' already has a field 'company'"),
    ('{"size": {"type": "strin"}}', "'strin' is not one of"),
    ('{"code": {"type": "string", "check": "hookshop.nothing"}}',
     "unknown check 'hookshop.nothing'"),
])
def test_extensions_are_checked_like_metadata_and_name_the_hooks_module(
        tmp_path: Path, database_url: str, packs_dir: Path, fields: str, message: str) -> None:
    _write_hooks(packs_dir, "@hookimpl\ndef officina_extend_entities():\n"
                 f"    return {{'customer': {fields}}}\n")
    officina = Officina.open(_settings(tmp_path, database_url, packs_dir))
    try:
        with pytest.raises(MetadataError) as failed:
            officina.registry.current()
    finally:
        officina.close()
    [problem] = failed.value.diagnostics
    assert problem.file.startswith(str(packs_dir / "hookshop" / "hooks.py"))
    assert "officina_extend_entities of hookshop" in problem.file
    assert message in problem.message


def test_an_extension_of_an_unknown_entity_is_refused(
        tmp_path: Path, database_url: str, packs_dir: Path) -> None:
    _write_hooks(packs_dir, "@hookimpl\ndef officina_extend_entities():\n"
                 "    return {'nobody': {'size': {'type': 'integer'}}}\n")
    officina = Officina.open(_settings(tmp_path, database_url, packs_dir))
    try:
        with pytest.raises(MetadataError, match="unknown entity 'nobody'"):
            officina.registry.current()
    finally:
        officina.close()


@pytest.mark.parametrize("body, message", [
    ("@hookimpl\ndef officina_field_check():\n    return {}\n",
     "unknown hook 'officina_field_check'"),
    ("@hookimpl\ndef officina_field_checks():\n    return {'iban': str}\n",
     "'iban' is not a check name"),
    ("@hookimpl\ndef officina_field_checks():\n    return {'it.iva': str}\n",
     "'it.iva' is already a check of Officina's"),
    ("@hookimpl\ndef officina_dashboard_widgets(user):\n    return []\n",
     "hookimpl definition"),
])
def test_hooks_that_break_the_specifications_stop_the_instance(
        tmp_path: Path, database_url: str, packs_dir: Path, body: str, message: str) -> None:
    _write_hooks(packs_dir, body)
    opened: list[Officina] = []
    with pytest.raises(PackHookError, match=message) as failed:
        opened.append(Officina.open(_settings(tmp_path, database_url, packs_dir)))
        opened[0].registry.current()
    for officina in opened:
        officina.close()
    assert "hookshop" in str(failed.value)


def test_a_hooks_module_may_define_dataclasses(
        tmp_path: Path, database_url: str, packs_dir: Path) -> None:
    _write_hooks(packs_dir, "from dataclasses import dataclass\n\n\n@dataclass(frozen=True)\n"
                 "class Postcode:\n    digits: str\n\n\n@hookimpl\n"
                 "def officina_field_checks():\n"
                 "    return {'hookshop.code': lambda value: Postcode(value).digits}\n")
    officina = Officina.open(_settings(tmp_path, database_url, packs_dir))
    try:
        assert "hookshop.code" in officina.registry.contributions.checks
    finally:
        officina.close()


def test_each_instance_has_its_own_plugin_manager(
        tmp_path: Path, database_url: str, packs_dir: Path) -> None:
    first = Officina.open(_settings(tmp_path, database_url, packs_dir))
    second = Officina.open(_settings(tmp_path, database_url, packs_dir))
    try:
        assert first.hooks is not second.hooks
        assert first.hooks.get_plugin("hookshop") is not second.hooks.get_plugin("hookshop")
        assert first.hooks.get_plugin("testshop") is None  # testshop has no hooks.py
    finally:
        first.close()
        second.close()
