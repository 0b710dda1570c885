"""A field that a pack's or an uploaded Word template uses cannot be removed or renamed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from core.config import Settings
from core.documents.field_use import FieldUsedByTemplate
from core.metadata.loader import BUILTIN_PACKS
from core.officina import Officina
from core.storage.migrate import migrate
from tests.conftest import migrate_instance
from tests.core.documents.conftest import ADMIN
from tests.core.documents.docx_files import body_text, docx_with
from tests.support.users import FAST_HASHING

COLOUR = "custom_fields:\n  x_colour: {type: string, length: 20}\n  x_spare: {type: string}\n"


def open_shop(url: str, instance: Path, packs: Path) -> Officina:
    settings = Settings(instance=instance, database_url=url, packs=("docshop",),
                        pack_paths=(packs, BUILTIN_PACKS), registry_check_interval=0,
                        passwords=FAST_HASHING)
    return Officina.open(settings)


@pytest.fixture
def shop(database_url: str, tmp_path: Path, packs_dir: Path) -> Iterator[Officina]:
    """The docshop instance on a copy of the packs, which a test may change."""
    officina = open_shop(database_url, tmp_path / "instance", packs_dir)
    migrate_instance(officina)
    yield officina
    officina.close()


def columns(officina: Officina, table: str) -> set[str]:
    with officina.database.read() as connection:
        return {c["name"] for c in sa.inspect(connection).get_columns(table)}


def test_removing_a_custom_field_an_upload_uses_is_refused_and_nothing_changes(
        shop: Officina) -> None:
    shop.registry.save_overlay("boss", "job", COLOUR)
    shop.documents.upload(ADMIN, "job", "job_report", "en",
                          docx_with("Job", "Colour: {{ record.x_colour }}"))
    with pytest.raises(FieldUsedByTemplate) as caught:
        shop.registry.save_overlay("boss", "job", None, allow_destructive=True)
    [problem] = [str(d) for d in caught.value.diagnostics]
    assert problem == (
        "uploaded version 1 (en):2: word/document.xml: field 'x_colour' of job is used by "
        "template 'job_report' (file uploaded version 1 (en), paragraph 2: «Colour: "
        "{{ record.x_colour }}»): it cannot be removed until the template no longer uses it")
    assert shop.registry.current().registry.entity("job").field("x_colour") is not None
    assert "x_colour" in columns(shop, "docshop_job")
    with shop.database.read() as connection:
        assert "x_colour" in shop.registry.overlays(connection)["job"]


def test_a_custom_field_no_template_uses_can_go(shop: Officina) -> None:
    shop.registry.save_overlay("boss", "job", COLOUR)
    shop.documents.upload(ADMIN, "job", "job_report", "en",
                          docx_with("Colour: {{ record.x_colour }}"))
    shop.registry.save_overlay("boss", "job", COLOUR.replace(
        "  x_spare: {type: string}\n", ""), allow_destructive=True)
    assert "x_spare" not in columns(shop, "docshop_job")


def test_renaming_a_field_the_pack_template_uses_stops_migrate(
        shop: Officina, database_url: str, tmp_path: Path, packs_dir: Path) -> None:
    entity = packs_dir / "docshop" / "entities" / "job.yaml"
    original = entity.read_text()
    entity.write_text(original.replace(
        "  signer_name: {type: string, length: 80}",
        "  signed_by: {type: string, length: 80, renamed_from: signer_name}"))
    changed = open_shop(database_url, tmp_path / "instance", packs_dir)
    try:
        with pytest.raises(FieldUsedByTemplate) as caught:
            migrate(changed.database, changed.registry.current().registry)
    finally:
        changed.close()
    messages = [str(d) for d in caught.value.diagnostics]
    template = packs_dir / "docshop" / "templates" / "job_report.en.docx"
    used = (": word/document.xml: field 'signer_name' of job is used by template "
            f"'job_report' (file {template.resolve()}, paragraph ")
    assert any(m.startswith(f"{template.resolve()}:") and used in m
               and "it cannot be renamed to 'signed_by' until the template no longer uses it"
               in m for m in messages), messages
    assert any("job_report.it.docx" in m for m in messages), messages
    assert "signer_name" in columns(shop, "docshop_job")  # nothing migrated
    entity.write_text(original)  # the pack put back: the instance works as before
    job = shop.records.create(ADMIN, "job", {"subject": "Still printable",
                                             "signer_name": "Anna"})
    rendered = shop.documents.render(ADMIN, "job", job["id"], "job_report", language="en")
    assert "Anna" in body_text(rendered.data)
