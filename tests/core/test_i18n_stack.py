"""The translation stack: compiled catalogs per domain, packs merged over Officina, message
contexts, plural forms, and the languages an instance offers."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

import core
import packs
from core import i18n_compile
from core.config import load_settings
from core.i18n import CATALOG_DIR, SUPPORTED_LANGUAGES, PackDomain, Translator, clear_cache
from core.i18n_catalogs import KEYWORDS
from core.i18n_metadata import MetadataTranslator
from core.metadata.loader import BUILTIN_PACKS
from core.metadata.registry import load_registry

ITALIAN = CATALOG_DIR / "it" / "LC_MESSAGES" / "officina.po"
SERVICE = Path(packs.__file__).parent / "service"
DELETED = ("{count} record deleted.", "{count} records deleted.")


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A cache folder of compiled catalogs of this test's own."""
    folder = tmp_path / "cache"
    monkeypatch.setenv(i18n_compile.CACHE_ENV, str(folder))
    clear_cache()
    yield folder
    clear_cache()


def write_pack_catalog(folder: Path, name: str, messages: dict, language: str = "it") -> Path:
    """A pack's catalog of ``messages`` (msgid, or (context, msgid), -> translation)."""
    catalog = Catalog(locale=language, domain=name)
    for key, text in messages.items():
        context, msgid = key if isinstance(key, tuple) else (None, key)
        catalog.add(msgid, text, context=context)
    path = folder / "translations" / language / "LC_MESSAGES" / f"{name}.po"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        write_po(handle, catalog)
    return path


@pytest.mark.parametrize(("language", "one", "two"), [
    ("it", "1 record eliminato.", "2 record eliminati."),
    ("en", "1 record deleted.", "2 records deleted."),
])
def test_counts_take_the_plural_form_of_the_language(language: str, one: str, two: str) -> None:
    translator = Translator(language)
    assert translator.ngettext(*DELETED, 1) == one
    assert translator.ngettext(*DELETED, 2) == two
    assert translator.ngettext("Delete {count} record?", "Delete {count} records?", 1) == (
        "Eliminare 1 record?" if language == "it" else "Delete 1 record?")


def test_the_action_and_the_noun_plan_are_told_apart() -> None:
    registry = load_registry(["service"], [BUILTIN_PACKS])
    italian = Translator("it", registry.packs)
    assert italian.pgettext("action", "Plan") == "Pianifica"
    assert italian.gettext("Plan") == "Piano"  # the maintenance plan's section
    assert MetadataTranslator.for_registry(registry, "it").gettext("Plan") == "Piano"
    assert Translator("en", registry.packs).pgettext("action", "Plan") == "Plan"


def test_a_pack_overrides_and_adds_to_officinas_messages(tmp_path: Path, cache: Path) -> None:
    write_pack_catalog(tmp_path / "base", "base", {
        "Sign in": "Entra", "Gadget": "Aggeggio", ("action", "Plan"): "Programma"})
    write_pack_catalog(tmp_path / "extra", "extra", {"Gadget": "Congegno"})
    domains = [PackDomain(tmp_path / "base", "base"), PackDomain(tmp_path / "extra", "extra")]
    italian = Translator("it", domains)
    assert Translator("it").gettext("Sign in") == "Accedi"
    assert italian.gettext("Sign in") == "Entra"  # overridden
    assert italian.gettext("A value is required.") == "Valore obbligatorio."  # kept
    assert italian.gettext("Gadget") == "Congegno"  # added, the later pack winning
    assert italian.pgettext("action", "Plan") == "Programma"
    assert italian.translations.dgettext("base", "Gadget") == "Aggeggio"  # one domain alone


def test_catalogs_are_compiled_once_and_never_served_stale(tmp_path: Path, cache: Path) -> None:
    po = write_pack_catalog(tmp_path / "shop", "shop", {"Gadget": "Aggeggio"})
    domains = [PackDomain(tmp_path / "shop", "shop")]
    assert Translator("it", domains).gettext("Gadget") == "Aggeggio"
    compiled = sorted(cache.glob("shop-it-*.mo"))
    assert len(compiled) == 1
    # The same content, though of the same size and time as before: a new process (the
    # in-process memory forgotten) must read the new translation, not the cached .mo.
    stamp = po.stat()
    po.write_text(po.read_text().replace("Aggeggio", "Congegno"))
    os.utime(po, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
    clear_cache()
    assert Translator("it", domains).gettext("Gadget") == "Congegno"
    assert sorted(cache.glob("shop-it-*.mo")) != compiled  # the older compilation removed
    assert len(list(cache.glob("shop-it-*.mo"))) == 1


def test_an_unwritable_cache_compiles_in_memory(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    monkeypatch.setenv(i18n_compile.CACHE_ENV, str(blocker / "cache"))
    clear_cache()
    try:
        assert Translator("it").gettext("A value is required.") == "Valore obbligatorio."
    finally:
        clear_cache()


def test_fuzzy_and_empty_translations_stay_in_english(tmp_path: Path, cache: Path) -> None:
    po = write_pack_catalog(tmp_path / "shop", "shop", {"Gadget": "Aggeggio", "Widget": ""})
    with po.open("rb") as handle:
        catalog = read_po(handle)
    catalog["Gadget"].flags.add("fuzzy")
    with po.open("wb") as handle:
        write_po(handle, catalog)
    italian = Translator("it", [PackDomain(tmp_path / "shop", "shop")])
    assert (italian.gettext("Gadget"), italian.gettext("Widget")) == ("Gadget", "Widget")


def source_messages() -> list[tuple[str, object, str | None]]:
    """Every message of core/ and packs/ with a context or a plural, and where it is."""
    keywords = {"_": None, "pgettext": ((1, "c"), 2), "ngettext": (1, 2)}
    assert {k.split(":")[0] for k in KEYWORDS} == set(keywords)  # as the refresh extracts
    found = []
    for source in (Path(core.__file__).parent, Path(packs.__file__).parent):
        method_map = [("**.py", "python"), ("ui/templates/**.html", "jinja2")]
        for filename, lineno, message, _comments, context in extract_from_dir(
                source, method_map=method_map, keywords=keywords):
            if context or (isinstance(message, tuple) and message[1]):
                found.append((f"{source.name}/{filename}:{lineno}", message, context))
    return found


def test_messages_with_a_context_or_a_plural_are_translated() -> None:
    with ITALIAN.open("rb") as handle:
        catalog = read_po(handle, locale="it")
    found = source_messages()
    assert any(context == "action" for _, _, context in found)
    assert any(isinstance(message, tuple) for _, message, _ in found)
    missing = []
    for where, message, context in found:
        msgid = message[0] if isinstance(message, tuple) else message
        entry = catalog.get(msgid, context)
        strings = entry.string if entry is not None else ""
        if (entry is None or entry.fuzzy or not all(strings if isinstance(strings, tuple)
                                                    else [strings])):
            missing.append(f"  {msgid!r} ({context or 'no context'}) at {where}")
    assert not missing, "untranslated in officina.po:\n" + "\n".join(missing)


def test_a_word_officina_and_a_pack_translate_differently_has_a_context() -> None:
    """Pack labels are merged over Officina's messages: a plain message of Officina that a
    builtin pack translates otherwise would show the pack's word on Officina's pages."""
    with ITALIAN.open("rb") as handle:
        core_messages = {m.id: m.string for m in read_po(handle) if m.id and not m.context}
    clashes = []
    for pack in sorted(BUILTIN_PACKS.iterdir()):
        po = pack / "translations" / "it" / "LC_MESSAGES" / f"{pack.name}.po"
        if not po.is_file():
            continue
        with po.open("rb") as handle:
            for message in read_po(handle):
                theirs = core_messages.get(message.id)
                if message.id and theirs and message.string and theirs != message.string:
                    clashes.append(f"  {message.id!r}: officina {theirs!r}, "
                                   f"{pack.name} {message.string!r}")
    assert not clashes, ("give Officina's use a context (pgettext):\n" + "\n".join(clashes))


def test_the_languages_an_instance_offers_come_from_its_settings(tmp_path: Path) -> None:
    assert load_settings(tmp_path).languages == SUPPORTED_LANGUAGES == ("en", "it")
    (tmp_path / "officina.toml").write_text('[i18n]\nlanguages = ["it"]\n')
    assert load_settings(tmp_path).languages == ("it",)
    for wrong in ('["de"]', "[]", '"en"'):
        (tmp_path / "officina.toml").write_text(f"[i18n]\nlanguages = {wrong}\n")
        with pytest.raises(ValueError, match=r"\[i18n\] languages"):
            load_settings(tmp_path)
