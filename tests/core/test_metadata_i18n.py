"""Pack labels: extracted from the YAML with their lines, and translated with English fallback."""

from __future__ import annotations

import io
import re
import shutil
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract, extract_from_dir
from babel.messages.pofile import read_po, write_po

from core.i18n_catalogs import message_key, read_catalog
from core.i18n_metadata import (
    MetadataTranslator,
    PackTranslations,
    catalog_path,
    clear_cache,
    label,
)
from core.metadata.babel_extract import (
    build_template,
    extract_pack,
    extract_pack_yaml,
    file_kind,
    main,
    messages_of,
)
from core.metadata.registry import load_registry
from core.metadata.specs import PackSpec

FIXTURE_PACKS = Path(__file__).parents[1] / "fixtures" / "packs"
TESTSHOP = FIXTURE_PACKS / "testshop"

ENTITY = """\
name: machine
label: Machine
plural: Machines
fields:
  serial_number: {type: string, required: true}
  status: {type: select, options: [in_service, withdrawn],
           label: Status, help: "Where the machine is now"}
  tags: {type: multiselect, options: [hot]}
  notes: {type: text, label: Notes}
layout:
  tabs:
    - label: General
      sections:
        - label: Identity
          columns: [[serial_number, status]]
        - columns: [[notes]]
"""

WORKFLOW = """\
name: call_flow
label: Call flow
entity: service_call
state_machine:
  field: status
  states: [new, planned]
  transitions:
    - {name: plan, from: [new], to: planned, label: Plan the visit}
    - name: drop
      from: [new]
      to: planned
      do:
        - refuse: "Not today."
  on_enter:
    planned:
      - notify: {to: ["role:coordinator"], message: "A call was planned."}
rules:
  - name: notes_first
    label: Notes before closing
    on: updated
    do:
      - refuse: {en: "Write the notes first.", it: "Scrivi prima le note."}
      - notify: {to: ["role:office"], message: {en: "Per language", it: "Per lingua"}}
"""

REPORT = """\
name: calls_by_status
label: Calls by status
entity: service_call
group_by: [status]
aggregates:
  - {function: count, label: Calls}
  - {function: count}
"""


def extracted(text: str, filename: str | None = None) -> list[tuple[int, str, list[str]]]:
    """Run the extractor through Babel's own ``extract``, as pybabel does."""
    fileobj = io.BytesIO(text.encode())
    if filename:
        fileobj.name = filename  # type: ignore[attr-defined]
    return [(line, message, comments) for line, message, comments, _context
            in extract(extract_pack_yaml, fileobj, keywords={"_": None})]


def test_entity_labels_implied_labels_and_options_with_their_lines() -> None:
    found = [(line, message) for line, message, _ in extracted(ENTITY)]
    assert found == [
        (2, "Machine"), (3, "Machines"),
        (5, "Serial number"),  # implied by the field's name, at the field's line
        (7, "Status"), (7, "Where the machine is now"),
        (6, "In service"), (6, "Withdrawn"),  # option labels, at the options' line
        (8, "Tags"), (8, "Hot"),
        (9, "Notes"),
        (12, "General"), (14, "Identity"),
    ]


def test_comments_say_where_each_label_comes_from() -> None:
    comments = {message: c for _line, message, c in extracted(ENTITY)}
    assert comments["Serial number"] == [
        "entity machine, field serial_number: label (from the name)"]
    assert comments["In service"] == ["entity machine, field status, option in_service"]


def test_workflow_labels_transitions_and_plain_messages() -> None:
    found = [(line, message) for line, message, _ in extracted(WORKFLOW, "workflows/calls.yaml")]
    assert found == [
        (2, "Call flow"), (8, "Plan the visit"), (13, "Not today."),
        (16, "A call was planned."), (19, "Notes before closing"),
    ]  # messages given per language are already translated: not extracted


def test_report_labels() -> None:
    assert [(line, message) for line, message, _ in extracted(REPORT)] == [
        (2, "Calls by status"), (6, "Calls")]


def test_fixtures_and_other_files_yield_nothing() -> None:
    fixture = "records:\n  - entity: customer\n    values: {company: ACME}\n"
    assert extracted(fixture, "packs/shop/fixtures/10-demo.yaml") == []
    assert extracted(ENTITY, "packs/shop/fixtures/10-demo.yaml") == []
    assert extracted("subject: {en: Hi}\nbody: {en: Hello}\n",
                     "packs/shop/templates/mail/hello.yaml") == []
    assert extracted("- a\n- b\n") == []


def test_the_kind_comes_from_the_folder_then_the_content() -> None:
    assert file_kind("x/entities/a.yaml", {}) == "entity"
    assert file_kind("x/pack.yaml", {}) == "pack"
    assert file_kind("x/reports/r.yml", {"fields": {}}) == "report"
    assert file_kind(None, {"fields": {}}) == "entity"
    assert file_kind(None, {"rules": []}) == "workflow"
    assert file_kind(None, {"name": "x", "version": "1.0", "label": "X"}) == "pack"
    assert [m.text for m in messages_of("label: Shop\nname: s\nversion: '1'\n",
                                        kind="pack")] == ["Shop"]


def test_pybabel_style_extraction_of_a_pack_folder() -> None:
    found = {message: (filename, line) for filename, line, message, _c, _ctx in
             extract_from_dir(TESTSHOP, method_map=[("**.yaml", extract_pack_yaml)],
                              keywords={"_": None})}
    assert found["Sale line"] == ("entities/sale_line.yaml", 2)
    assert found["Wholesale"] == ("entities/customer.yaml", 11)  # option of `kind`
    assert found["Unit price"] == ("entities/sale_line.yaml", 7)  # implied by `unit_price`
    assert "Acme" not in found and "ACME" not in found  # fixtures are not extracted


def test_extract_pack_lists_every_use() -> None:
    found = extract_pack(TESTSHOP)
    assert [(f, line) for f, line, _ in found["Customer"]] == [
        ("entities/customer.yaml", 2), ("entities/sale.yaml", 9)]
    assert set(build_template(TESTSHOP)._messages) == set(found)


def test_the_testshop_catalog_is_complete() -> None:
    italian = PackTranslations(TESTSHOP, "testshop").messages("it")
    assert sorted(set(extract_pack(TESTSHOP)) - set(italian)) == []


@pytest.fixture
def registry():
    return load_registry(["testshop"], [FIXTURE_PACKS])


def test_translator_translates_labels_and_options(registry) -> None:
    italian = MetadataTranslator.for_registry(registry, "it")
    sale = registry.entity("sale")
    assert italian.entity_label(sale) == "Vendita"
    assert italian.entity_plural(sale) == "Vendite"
    status = sale.field("status")
    assert italian.field_label(status) == "Stato"
    assert italian.field_label(registry.entity("sale_line").field("unit_price")) == (
        "Prezzo unitario")  # a label implied by the field's name
    assert italian.translate_option(status, "confirmed") == "Confermato"
    assert italian.option_choices(status) == [
        ("draft", "Bozza"), ("confirmed", "Confermato"), ("shipped", "Spedito")]
    assert italian.translate_option(status, None) == ""


def test_translator_falls_back_to_english(registry) -> None:
    italian = MetadataTranslator.for_registry(registry, "it")
    assert italian.gettext("Not in any catalog") == "Not in any catalog"
    assert italian.translate_option(None, "back_ordered") == "Back ordered"
    assert italian.gettext("") == ""
    english = MetadataTranslator.for_registry(registry, "en")
    assert english.gettext("Sale") == "Sale"
    assert english.translate_option(None, "confirmed") == "Confirmed"
    assert MetadataTranslator(registry.packs, "fr").gettext("Sale") == "Sale"


def test_regional_languages_use_the_base_catalog(registry) -> None:
    assert label(registry, "it_IT", "Sale") == "Vendita"
    assert label(registry.packs, "it-IT", "Sale") == "Vendita"


def write_catalog(pack: Path, name: str, entries: dict[str, tuple[str, bool]]) -> None:
    catalog = Catalog(locale="it")
    for msgid, (msgstr, fuzzy) in entries.items():
        catalog.add(msgid, msgstr, flags=["fuzzy"] if fuzzy else [])
    path = catalog_path(pack, name, "it")
    path.parent.mkdir(parents=True)
    with path.open("wb") as handle:
        write_po(handle, catalog)


def test_fuzzy_and_empty_entries_are_ignored_and_later_packs_win(tmp_path: Path) -> None:
    clear_cache()
    write_catalog(tmp_path / "base", "base", {"Sale": ("Vendita", False),
                                             "Draft": ("Bozza?", True), "Shipped": ("", False)})
    write_catalog(tmp_path / "extra", "extra", {"Sale": ("Offerta", False)})
    base = PackSpec("base", "1.0", "", (), str(tmp_path / "base"))
    extra = PackSpec("extra", "1.0", "", ("base",), str(tmp_path / "extra"))
    italian = MetadataTranslator([base], "it")
    assert (italian.gettext("Sale"), italian.gettext("Draft"), italian.gettext("Shipped")) == (
        "Vendita", "Draft", "Shipped")
    assert not italian.has("Draft")
    assert MetadataTranslator([base, extra], "it").gettext("Sale") == "Offerta"
    assert PackTranslations.of(base).languages() == ["it"]
    assert PackTranslations(tmp_path / "none", "none").messages("it") == {}
    with catalog_path(tmp_path / "base", "base", "it").open("rb") as handle:
        assert read_po(handle).locale_identifier == "it"


def test_babel_finds_the_method_by_its_dotted_name() -> None:
    # A mapping file may name the method `[core.metadata.babel_extract.extract_pack_yaml: ...]`
    # without the `officina_pack` entry point being installed.
    fileobj = io.BytesIO(REPORT.encode())
    found = [message for _line, message, _c, _ctx in
             extract("core.metadata.babel_extract.extract_pack_yaml", fileobj)]
    assert found == ["Calls by status", "Calls"]


def test_refreshing_catalogs_keeps_translations_and_changes_nothing_twice(
        tmp_path: Path) -> None:
    pack = tmp_path / "testshop"
    shutil.copytree(TESTSHOP, pack)
    po = catalog_path(pack, "testshop", "it")
    before = messages_in(po)
    assert main([str(pack)]) == 0  # every label translated
    assert messages_in(po) == before
    entity = pack / "entities" / "product.yaml"
    entity.write_text(entity.read_text().replace(
        "fields:\n", "fields:\n  colour: {type: select, options: [matt]}\n"))
    assert main([str(pack)]) == 1  # a new label to translate
    clear_cache()
    italian = PackTranslations(pack, "testshop").messages("it")
    assert "Colour" in italian  # translated elsewhere in the pack already
    assert "Matt" not in italian
    assert 'msgid "Matt"' in po.read_text()
    assert 'msgid "Matt"' in (pack / "translations" / "testshop.pot").read_text()


def messages_in(path: Path) -> tuple:
    """What a catalog file says, headers left out."""
    catalog = read_catalog(path)
    assert catalog is not None, path
    return message_key(catalog)


def test_refreshing_unchanged_catalogs_leaves_headers_of_another_babel_alone(
        tmp_path: Path) -> None:
    pack = tmp_path / "testshop"
    shutil.copytree(TESTSHOP, pack)
    catalogs = [catalog_path(pack, "testshop", "it"), pack / "translations" / "testshop.pot"]
    for path in catalogs:  # as written by an older Babel, on another day
        text = re.sub(r"Generated-By: Babel [^\\]+", "Generated-By: Babel 1.0",
                      path.read_text())
        path.write_text(text.replace("2026-01-01 00:00", "2025-05-05 05:05"))
    before = {path: path.read_bytes() for path in catalogs}
    assert main([str(pack)]) == 0
    assert {path: path.read_bytes() for path in catalogs} == before
    entity = pack / "entities" / "product.yaml"
    entity.write_text(entity.read_text().replace(
        "fields:\n", "fields:\n  colour: {type: select, options: [matt]}\n"
        "  delivery_preference_for_the_customer_site_when_nobody_is_there: {type: select,"
        " options: [leave_the_parcel_with_the_neighbour_on_the_ground_floor]}\n"))
    assert main([str(pack)]) == 1  # now the messages changed, so the files are written
    for path in catalogs:
        assert 'msgid "Matt"' in path.read_text()
        assert "Generated-By: Babel 1.0" not in path.read_text()
    assert "Colore" in path_messages(catalogs[0]).values()  # translations kept
    # Comments longer than a line are wrapped in the file, which is not a change either.
    assert any(len(line) > 100 for message in read_catalog(catalogs[1])
               for line in [" ".join(message.auto_comments)])
    translate_all(catalogs[0])
    for path in catalogs:  # the new labels translated, the headers of another Babel again
        path.write_text(re.sub(r"Generated-By: Babel [^\\]+", "Generated-By: Babel 1.0",
                               path.read_text()))
    before = {path: path.read_bytes() for path in catalogs}
    assert main([str(pack)]) == 0
    assert {path: path.read_bytes() for path in catalogs} == before


def path_messages(path: Path) -> dict[str, str]:
    catalog = read_catalog(path)
    assert catalog is not None
    return {str(m.id): str(m.string) for m in catalog if m.id}


def translate_all(path: Path) -> None:
    """Give every untranslated message of a catalog a translation, as a translator would."""
    catalog = read_catalog(path)
    assert catalog is not None
    for message in catalog:
        if message.id and not message.string:
            message.string = f"IT {message.id}"
    with path.open("wb") as handle:
        write_po(handle, catalog, width=100, sort_output=True)
