"""A field that a pack's or an uploaded Word template uses cannot be removed or renamed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from core.config import Settings
from core.documents.errors import DocumentError
from core.documents.field_use import FieldUsedByTemplate
from core.documents.known_fields import KNOWN_FIELDS_KEY
from core.metadata.diagnostics import MetadataError
from core.metadata.loader import BUILTIN_PACKS
from core.officina import Officina
from core.records.errors import NotFound
from core.storage.migrate import migrate
from core.storage.tables import system_tables
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


# -- child tables, their lines' fields, links and whole entities -------------------------------

NOTE = "name: note\nlabel: Note\nfields:\n  subject: {type: string, length: 80}\n"


def edit(path: Path, old: str, new: str) -> str:
    """Replace ``old`` (which must be there) with ``new`` in ``path``; the text before."""
    original = path.read_text()
    assert old in original
    path.write_text(original.replace(old, new))
    return original


def migrate_changed(database_url: str, tmp_path: Path, packs: Path,
                    allow_destructive: bool = False) -> None:
    """``officina migrate`` of the instance for the packs as they are on disk now."""
    changed = open_shop(database_url, tmp_path / "instance", packs)
    try:
        migrate(changed.database, changed.registry.current().registry,
                allow_destructive=allow_destructive)
    finally:
        changed.close()


def refused(database_url: str, tmp_path: Path, packs: Path) -> list[str]:
    """The messages of the migration refused because templates use what it removes."""
    with pytest.raises(FieldUsedByTemplate) as caught:
        migrate_changed(database_url, tmp_path, packs, allow_destructive=True)
    return [str(d) for d in caught.value.diagnostics]


def pack_template(packs: Path, language: str) -> Path:
    return (packs / "docshop" / "templates" / f"job_report.{language}.docx").resolve()


def plain_pack_templates(packs: Path) -> None:
    """The pack's job report, in both languages, rewritten to print only the subject."""
    for language in ("en", "it"):
        pack_template(packs, language).write_bytes(docx_with("Job: {{ record.subject }}"))


def tables(officina: Officina) -> set[str]:
    with officina.database.read() as connection:
        return set(sa.inspect(connection).get_table_names())


def test_removing_a_child_table_the_pack_template_loops_over_is_refused(
        shop: Officina, database_url: str, tmp_path: Path, packs_dir: Path) -> None:
    job = shop.records.create(ADMIN, "job", {"subject": "Leak", "hours": [
        {"technician": "Anna", "hours": "2.50"}]})
    entities = packs_dir / "docshop" / "entities"
    edit(entities / "job.yaml", "  hours: {type: table, target: job_hour}\n", "")
    (entities / "job_hour.yaml").unlink()
    messages = refused(database_url, tmp_path, packs_dir)
    template = pack_template(packs_dir, "en")
    assert any(m.startswith(f"{template}:") and
               f"field 'hours' of job is used by template 'job_report' (file {template}, "
               "paragraph " in m and "record.hours" in m and
               m.endswith("it cannot be removed until the template no longer uses it")
               for m in messages), messages
    assert any(str(pack_template(packs_dir, "it")) in m for m in messages), messages
    assert "docshop_job_hour" in tables(shop)  # nothing migrated: the lines are still there
    assert [line["technician"] for line in shop.records.get(ADMIN, "job", job["id"])["hours"]
            ] == ["Anna"]
    plain_pack_templates(packs_dir)
    migrate_changed(database_url, tmp_path, packs_dir, allow_destructive=True)
    assert "docshop_job_hour" not in tables(shop)


def test_renaming_a_child_table_an_upload_loops_over_is_refused(
        shop: Officina, database_url: str, tmp_path: Path, packs_dir: Path) -> None:
    job = shop.records.create(ADMIN, "job", {"subject": "Leak", "hours": [
        {"technician": "Anna", "hours": "2.50"}]})
    shop.documents.upload(ADMIN, "job", "hours_sheet", "en", docx_with(
        "Hours", "{% for l in record.hours | sort(attribute='day') %}{{ l.technician }}"
                 "{% endfor %}"))
    edit(packs_dir / "docshop" / "entities" / "job.yaml",
         "  hours: {type: table, target: job_hour}",
         "  work: {type: table, target: job_hour, renamed_from: hours}")
    plain_pack_templates(packs_dir)  # only the upload still reads the lines as 'hours'
    [message] = refused(database_url, tmp_path, packs_dir)
    assert message == (
        "uploaded version 1 (en):2: word/document.xml: field 'hours' of job is used by "
        "template 'hours_sheet' (file uploaded version 1 (en), paragraph 2: «{% for l in "
        "record.hours | sort(attribute='day') %}{{ l.technician }}{% endfor %}»): it cannot "
        "be renamed to 'work' until the template no longer uses it")
    shop.documents.upload(ADMIN, "job", "hours_sheet", "en",
                          docx_with("Hours of {{ record.subject }}"))
    migrate_changed(database_url, tmp_path, packs_dir)
    renamed = open_shop(database_url, tmp_path / "instance", packs_dir)
    try:
        lines = renamed.records.get(ADMIN, "job", job["id"])["work"]
        assert [line["technician"] for line in lines] == ["Anna"]
    finally:
        renamed.close()


def test_removing_a_field_of_lines_the_pack_template_prints_is_refused(
        shop: Officina, database_url: str, tmp_path: Path, packs_dir: Path) -> None:
    edit(packs_dir / "docshop" / "entities" / "job_hour.yaml",
         "  technician: {type: string, length: 80}\n", "")
    messages = refused(database_url, tmp_path, packs_dir)
    template = pack_template(packs_dir, "en")
    assert any(m.startswith(f"{template}:") and
               f"field 'technician' of job_hour is used by template 'job_report' (file "
               f"{template}, paragraph " in m and "line.technician" in m for m in messages), \
        messages
    assert "technician" in columns(shop, "docshop_job_hour")
    plain_pack_templates(packs_dir)
    migrate_changed(database_url, tmp_path, packs_dir, allow_destructive=True)
    assert "technician" not in columns(shop, "docshop_job_hour")


def test_removing_a_field_an_upload_reads_through_links_is_refused(shop: Officina) -> None:
    region = "custom_fields:\n  x_region: {type: string, length: 40}\n"
    shop.registry.save_overlay("boss", "customer", region)
    shop.documents.upload(ADMIN, "job", "job_sheet", "en", docx_with(
        "Sheet", "Region: {{ record.machine.customer.x_region }}"))
    with pytest.raises(FieldUsedByTemplate) as caught:
        shop.registry.save_overlay("boss", "customer", None, allow_destructive=True)
    [problem] = [str(d) for d in caught.value.diagnostics]
    assert problem == (
        "uploaded version 1 (en):2: word/document.xml: field 'x_region' of customer is used "
        "by template 'job_sheet' (file uploaded version 1 (en), paragraph 2: «Region: "
        "{{ record.machine.customer.x_region }}»): it cannot be removed until the template "
        "no longer uses it")
    assert "x_region" in columns(shop, "docshop_customer")
    shop.documents.upload(ADMIN, "job", "job_sheet", "en", docx_with("Sheet"))
    shop.registry.save_overlay("boss", "customer", None, allow_destructive=True)
    assert "x_region" not in columns(shop, "docshop_customer")


def test_a_template_that_was_wrong_already_does_not_stop_other_changes(
        shop: Officina, database_url: str, tmp_path: Path, packs_dir: Path) -> None:
    pack_template(packs_dir, "en").write_bytes(docx_with("{{ record.no_such_field }}"))
    edit(packs_dir / "docshop" / "entities" / "job.yaml",
         "  signer_name: {type: string, length: 80}\n", "")
    plain = docx_with("Job: {{ record.subject }}")
    pack_template(packs_dir, "it").write_bytes(plain)
    migrate_changed(database_url, tmp_path, packs_dir, allow_destructive=True)
    assert "signer_name" not in columns(shop, "docshop_job")


@pytest.fixture
def noted(database_url: str, tmp_path: Path, packs_dir: Path) -> Iterator[Officina]:
    """The docshop instance with one more entity, ``note``, and an uploaded template of it."""
    (packs_dir / "docshop" / "entities" / "note.yaml").write_text(NOTE)
    officina = open_shop(database_url, tmp_path / "instance", packs_dir)
    migrate(officina.database, officina.registry.current().registry)
    officina.documents.upload(ADMIN, "note", "note_card", "en",
                              docx_with("Note", "{{ record.subject }}"))
    yield officina
    officina.close()


def test_removing_an_entity_with_uploaded_templates_is_refused_until_they_are_withdrawn(
        noted: Officina, database_url: str, tmp_path: Path, packs_dir: Path) -> None:
    (packs_dir / "docshop" / "entities" / "note.yaml").unlink()
    [message] = refused(database_url, tmp_path, packs_dir)
    assert message == (
        "uploaded version 1 (en):1: (document): entity 'note' is used by template "
        "'note_card' (file uploaded version 1 (en)): it cannot be removed until the "
        "template is withdrawn (officina documents restore note note_card en 0)")
    assert "docshop_note" in tables(noted)
    changed = open_shop(database_url, tmp_path / "instance", packs_dir)  # the packs without it
    try:
        with pytest.raises(NotFound):
            changed.documents.restore(ADMIN, "note", "no_such_template", "en", 0)
        assert changed.documents.restore(ADMIN, "note", "note_card", "en", 0) == 0
    finally:
        changed.close()
    assert noted.documents.templates_for(ADMIN, "note") == []
    migrate_changed(database_url, tmp_path, packs_dir, allow_destructive=True)
    assert "docshop_note" not in tables(noted)


def test_an_upload_only_template_is_withdrawn_with_version_0_and_can_come_back(
        noted: Officina) -> None:
    assert noted.documents.restore(ADMIN, "note", "note_card", "en", 0) == 0
    assert noted.documents.templates_for(ADMIN, "note") == []
    with pytest.raises(DocumentError, match="has no version from the pack"):
        noted.documents.restore(ADMIN, "note", "note_card", "en", 0)
    assert noted.documents.restore(ADMIN, "note", "note_card", "en", 1) == 2
    assert [t.name for t in noted.documents.templates_for(ADMIN, "note")] == ["note_card"]


def test_removing_an_entity_a_pack_template_prints_names_the_template(
        noted: Officina, database_url: str, tmp_path: Path, packs_dir: Path) -> None:
    templates = packs_dir / "docshop" / "templates"
    (templates / "note_sheet.yaml").write_text(
        "entity: note\nlabel: Note sheet\nfiles:\n  en: note_sheet.en.docx\n")
    (templates / "note_sheet.en.docx").write_bytes(docx_with("{{ record.subject }}"))
    (packs_dir / "docshop" / "entities" / "note.yaml").unlink()
    with pytest.raises(MetadataError) as caught:
        migrate_changed(database_url, tmp_path, packs_dir, allow_destructive=True)
    assert [str(d) for d in caught.value.diagnostics if "note_sheet" in d.file] == [
        f"{templates / 'note_sheet.yaml'}:1: entity: unknown entity 'note'"]
    assert "docshop_note" in tables(noted)


def test_a_renamed_entity_keeps_its_uploaded_templates(
        noted: Officina, database_url: str, tmp_path: Path, packs_dir: Path) -> None:
    note = noted.records.create(ADMIN, "note", {"subject": "Call back"})
    (packs_dir / "docshop" / "entities" / "note.yaml").write_text(
        NOTE.replace("name: note", "name: memo\nrenamed_from: note"))
    migrate_changed(database_url, tmp_path, packs_dir)
    renamed = open_shop(database_url, tmp_path / "instance", packs_dir)
    try:
        [info] = renamed.documents.templates_for(ADMIN, "memo")
        assert (info.name, info.source, info.version) == ("note_card", "instance", 1)
        rendered = renamed.documents.render(ADMIN, "memo", note["id"], "note_card")
        assert body_text(rendered.data) == "Note\nCall back"
        assert [v.version for v in renamed.documents.versions(
            ADMIN, "memo", "note_card", "en")] == [1]
    finally:
        renamed.close()


def test_a_renamed_entity_whose_upload_reads_a_removed_field_is_refused(
        noted: Officina, database_url: str, tmp_path: Path, packs_dir: Path) -> None:
    (packs_dir / "docshop" / "entities" / "note.yaml").write_text(NOTE.replace(
        "name: note", "name: memo\nrenamed_from: note").replace("subject", "title"))
    [message] = refused(database_url, tmp_path, packs_dir)
    assert message.startswith("uploaded version 1 (en):2: word/document.xml: field 'subject' "
                              "of memo is used by template 'note_card'"), message
    assert "docshop_note" in tables(noted) and "docshop_memo" not in tables(noted)


def test_a_database_without_the_record_of_fields_still_guards_its_columns(
        shop: Officina) -> None:
    shop.registry.save_overlay("boss", "job", COLOUR)
    shop.documents.upload(ADMIN, "job", "job_report", "en",
                          docx_with("Colour: {{ record.x_colour }}"))
    with shop.database.write() as connection:  # as migrated before the record was kept
        state = system_tables().system["officina_state"]
        assert connection.execute(state.delete().where(
            state.c.key == KNOWN_FIELDS_KEY)).rowcount == 1
    with pytest.raises(FieldUsedByTemplate) as caught:
        shop.registry.save_overlay("boss", "job", None, allow_destructive=True)
    assert "field 'x_colour' of job is used by template 'job_report'" in str(caught.value)
    assert "x_colour" in columns(shop, "docshop_job")
