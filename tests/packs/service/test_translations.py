"""Every label of the service pack is translated into Italian; English is the source."""

from __future__ import annotations

from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

import packs
from core.i18n_metadata import MetadataTranslator, PackTranslations, catalog_path
from core.metadata.babel_extract import extract_pack
from core.metadata.registry import load_registry

SERVICE = Path(packs.__file__).parent / "service"
TEMPLATE = SERVICE / "translations" / "service.pot"
ITALIAN = catalog_path(SERVICE, "service", "it")
HOW_TO_FIX = ("run `python -m core.metadata.babel_extract packs/service`, then translate the "
              "listed labels in packs/service/translations/it/LC_MESSAGES/service.po "
              "(and drop any 'fuzzy' flag)")


def read_catalog(path: Path) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle, locale="it")


def listing(labels: dict[str, list[tuple[str, int, str]]]) -> str:
    return "\n".join(
        f"  {msgid!r}  ({', '.join(f'packs/service/{file}:{line}' for file, line, _ in uses)})"
        for msgid, uses in sorted(labels.items()))


def test_every_label_of_the_service_pack_is_translated_into_italian() -> None:
    labels = extract_pack(SERVICE)
    assert "Service call" in labels and "In progress" in labels  # the extractor works
    translated = {m.id for m in read_catalog(ITALIAN)
                  if m.id and m.string and not m.fuzzy}
    missing = {msgid: uses for msgid, uses in labels.items() if msgid not in translated}
    assert not missing, (f"{len(missing)} label(s) of the service pack lack an Italian "
                         f"translation; {HOW_TO_FIX}:\n{listing(missing)}")


def test_the_italian_catalog_has_no_fuzzy_or_stale_entries() -> None:
    labels = extract_pack(SERVICE)
    catalog = read_catalog(ITALIAN)
    fuzzy = sorted(str(m.id) for m in catalog if m.id and m.fuzzy)
    assert not fuzzy, f"fuzzy entries in {ITALIAN.name}: {fuzzy}"
    stale = sorted(str(m.id) for m in catalog if m.id and m.id not in labels)
    assert not stale, f"labels no longer used by the pack (refresh the catalogs): {stale}"


def test_the_template_lists_every_label() -> None:
    template = {str(m.id) for m in read_catalog(TEMPLATE) if m.id}
    missing = sorted(set(extract_pack(SERVICE)) - template)
    assert not missing, f"{TEMPLATE.name} is out of date ({HOW_TO_FIX}): {missing}"


def test_english_is_complete_by_construction() -> None:
    registry = load_registry(["service"], [SERVICE.parent])
    english = MetadataTranslator.for_registry(registry, "en")
    for msgid in extract_pack(SERVICE):
        assert english.gettext(msgid) == msgid
    assert PackTranslations(SERVICE, "service").messages("en") == {}


def test_registry_labels_are_translated() -> None:
    registry = load_registry(["service"], [SERVICE.parent])
    italian = MetadataTranslator.for_registry(registry, "it")
    call = registry.entity("service_call")
    assert italian.entity_label(call) == "Chiamata di assistenza"
    assert italian.entity_plural(registry.entity("customer")) == "Clienti"
    status = call.field("status")
    assert status is not None
    assert [label for _, label in italian.option_choices(status)] == [
        "Nuova", "Pianificata", "In corso", "Risolta al telefono", "Risolta", "Chiusa",
        "Fatturata"]
    kind = registry.entity("customer").field("kind")
    assert kind is not None
    assert italian.translate_option(kind, "end_user") == "Cliente finale"
    for entity in registry.entities.values():
        texts = [entity.label, entity.plural, *(f.label for f in entity.fields),
                 *(f.help for f in entity.fields if f.help),
                 *(tab.label for tab in entity.layout if tab.label),
                 *(s.label for tab in entity.layout for s in tab.sections if s.label)]
        untranslated = [text for text in texts if not italian.has(text)]
        assert not untranslated, f"{entity.name}: {untranslated}"
