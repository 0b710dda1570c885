"""Officina's own messages: every one is translated into Italian, and translations are used."""

from __future__ import annotations

import re
import shutil
import string
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

import core
import packs
from core.i18n import CATALOG_DIR, Translator
from core.i18n_catalogs import refresh_core
from core.metadata.specs import EntitySpec, FieldSpec
from core.records.validation import load

# The same extraction as babel.cfg and scripts/update-catalogs: only the no-op marker `_`.
KEYWORDS = {"_": None}
SOURCE_DIRS = (Path(core.__file__).parent, Path(packs.__file__).parent)
TEMPLATE = CATALOG_DIR / "officina.pot"
ITALIAN = CATALOG_DIR / "it" / "LC_MESSAGES" / "officina.po"
HOW_TO_FIX = ("run scripts/update-catalogs, then translate the listed messages in "
              "core/translations/it/LC_MESSAGES/officina.po (and drop any 'fuzzy' flag)")


def extracted_messages() -> dict[str, list[str]]:
    """Every message marked with ``_`` in core/ and packs/, with where it is used."""
    found: dict[str, list[str]] = {}
    for source in SOURCE_DIRS:
        method_map = [("**.py", "python"), ("ui/templates/**.html", "jinja2")]
        for filename, lineno, message, _comments, _context in extract_from_dir(
                source, method_map=method_map, keywords=KEYWORDS):
            if isinstance(message, tuple):  # a template call with values: _("...", n=1)
                message = message[0]
            if isinstance(message, str) and message:
                found.setdefault(message, []).append(f"{source.name}/{filename}:{lineno}")
    return found


def test_template_messages_are_found() -> None:
    assert "Sign in" in extracted_messages()
    assert "Skip to content" in extracted_messages()


def read_catalog(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle, locale=locale)


def placeholders(text: str) -> set[str]:
    """The ``{placeholders}`` of a str.format template (``{{`` and ``}}`` are literal braces)."""
    found = set()
    for _literal, name, spec, conversion in string.Formatter().parse(text):
        if name is not None:
            found.add("{" + name + (f"!{conversion}" if conversion else "")
                      + (f":{spec}" if spec else "") + "}")
    return found


def listing(messages: dict[str, list[str]]) -> str:
    return "\n".join(f"  {msgid!r}  ({', '.join(where)})" for msgid, where in
                     sorted(messages.items()))


def test_messages_are_found_in_the_source() -> None:
    assert "A value is required." in extracted_messages()


def test_every_message_has_an_italian_translation() -> None:
    catalog = read_catalog(ITALIAN, "it")
    missing = {}
    for msgid, where in extracted_messages().items():
        entry = catalog.get(msgid)
        if entry is None or not entry.string or entry.fuzzy:
            missing[msgid] = where
    assert not missing, (f"{len(missing)} message(s) lack a reviewed Italian translation; "
                         f"{HOW_TO_FIX}:\n{listing(missing)}")


def test_template_lists_every_message() -> None:
    template = {str(m.id) for m in read_catalog(TEMPLATE) if m.id}
    missing = {k: v for k, v in extracted_messages().items() if k not in template}
    assert not missing, (f"core/translations/officina.pot is out of date; {HOW_TO_FIX}:\n"
                         f"{listing(missing)}")


# A message naming an entity may use the label with its articles instead
# (``MetadataTranslator.entity_message``).
ENTITY_FORMS = {"{the_entity}": "{entity}", "{an_entity}": "{entity}"}


def test_translations_keep_the_placeholders_of_their_message() -> None:
    problems = []
    for message in read_catalog(ITALIAN, "it"):
        if not message.id or not message.string:
            continue
        msgid, msgstr = str(message.id), str(message.string)
        try:
            expected, actual = placeholders(msgid), placeholders(msgstr)
        except ValueError as exc:  # a single "{" or "}": literal braces must be doubled
            problems.append(f"  {msgid!r} -> {msgstr!r}: not a valid format string ({exc})")
            continue
        if expected != {ENTITY_FORMS.get(name, name) for name in actual}:
            problems.append(f"  {msgid!r} -> {msgstr!r}: placeholders {sorted(actual)}, "
                            f"expected {sorted(expected)}")
    assert not problems, "Italian translations with wrong placeholders:\n" + "\n".join(problems)


def test_translator_fills_placeholders_in_italian() -> None:
    assert Translator("it").gettext("Must be at least {min}.", min=3) == "Il valore minimo è 3."
    assert Translator("it").gettext("A value is required.") == "Valore obbligatorio."


@pytest.mark.parametrize("language", ["en", "de", "", "xx-YY"])
def test_other_languages_fall_back_to_english(language: str) -> None:
    translator = Translator(language)
    assert translator.language == "en"
    assert translator.gettext("Must be at least {min}.", min=3) == "Must be at least 3."


def test_unknown_messages_stay_as_written() -> None:
    assert Translator("it").gettext("Not in any catalog: {n}.", n=1) == "Not in any catalog: 1."


TICKET = EntitySpec(
    name="ticket", pack="test", label="Ticket", plural="Tickets", table_name="test_ticket",
    fields=(FieldSpec("subject", "string", "Subject", required=True, length=10),
            FieldSpec("hours", "integer", "Hours", min=1),
            FieldSpec("code", "string", "Code", read_only=True)),
)


def test_record_validation_reports_errors_in_the_actor_language() -> None:
    _values, errors = load(TICKET, {"hours": 2}, "it", partial=False)
    assert errors == {"subject": ["Valore obbligatorio."]}

    _values, errors = load(TICKET, {"subject": "x" * 11, "hours": 0, "code": "A", "colour": 1},
                           "it", partial=False)
    assert errors == {"subject": ["Massimo 10 caratteri."], "hours": ["Il valore minimo è 1."],
                      "code": ["Questo campo è di sola lettura."],
                      "colour": ["Campo sconosciuto."]}


def test_record_validation_stays_in_english_for_english_actors() -> None:
    _values, errors = load(TICKET, {"hours": "many"}, "en", partial=False)
    assert errors == {"subject": ["A value is required."], "hours": ["Not a valid whole number."]}


def test_committed_catalogs_are_what_a_refresh_gives(tmp_path: Path) -> None:
    catalogs = tmp_path / "translations"
    shutil.copytree(CATALOG_DIR, catalogs)
    assert refresh_core(catalogs=catalogs) == [], HOW_TO_FIX
    for path in (TEMPLATE, ITALIAN):
        assert (catalogs / path.relative_to(CATALOG_DIR)).read_bytes() == path.read_bytes()


def test_a_refresh_writes_only_catalogs_whose_messages_change(tmp_path: Path) -> None:
    root = tmp_path / "src"
    (root / "core").mkdir(parents=True)
    shutil.copy(Path(core.__file__).parents[1] / "babel.cfg", root / "babel.cfg")
    source = root / "core" / "greeting.py"
    source.write_text('from core.i18n import _\n\nHELLO = _("Hello")\n')
    catalogs = root / "core" / "translations"
    template, italian = catalogs / "officina.pot", catalogs / "it" / "LC_MESSAGES" / "officina.po"
    assert refresh_core(root, catalogs) == [template, italian]
    assert read_catalog(italian, "it").get("Hello").string == ""
    italian.write_text(italian.read_text().replace('msgid "Hello"\nmsgstr ""',
                                                   'msgid "Hello"\nmsgstr "Ciao"'))
    for path in (template, italian):  # headers of another Babel, another day
        path.write_text(re.sub(r"Generated-By: Babel [^\\]+", "Generated-By: Babel 1.0",
                               path.read_text()))
    before = {path: path.read_bytes() for path in (template, italian)}
    assert refresh_core(root, catalogs) == []
    assert {path: path.read_bytes() for path in (template, italian)} == before
    source.write_text(source.read_text() + 'BYE = _("Goodbye")\n')
    assert refresh_core(root, catalogs) == [template, italian]
    catalog = read_catalog(italian, "it")
    assert catalog.get("Hello").string == "Ciao" and catalog.get("Goodbye").string == ""
