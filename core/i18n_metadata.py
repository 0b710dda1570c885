"""Translation of pack labels (entities, fields, options, layouts, workflows, reports).

Labels in metadata are English source strings. Each pack may ship gettext catalogs at
``<pack>/translations/<lang>/LC_MESSAGES/<pack>.po`` (the pack's domain), whose msgids are
those strings (see ``core.metadata.babel_extract``). A select option's display label has the
msgid ``default_label(option)`` (``in_progress`` -> ``In progress``). Labels go through the
same stack as Officina's own messages (``core.i18n.Translator`` with the packs' domains merged
over Officina's), so a label Officina translates needs no translation in the pack. A text
without a translation stays in English.

    translator = MetadataTranslator.for_registry(registry, "it")
    translator.gettext("Service call")            # 'Chiamata di assistenza'
    translator.translate_option(field, "in_progress")  # 'In corso'
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

from core.i18n import (
    PackDomain,
    Translator,
    catalog_path,
    clear_cache,
    domain_translations,
    plain_messages,
    translations,
)
from core.metadata.names import default_label
from core.metadata.specs import EntitySpec, FieldSpec, PackSpec, Registry

SOURCE_LANGUAGE = "en"


class PackTranslations(PackDomain):
    """The catalogs of one pack (its domain), compiled on first use."""

    def __new__(cls, pack_path: Path | str, pack_name: str) -> PackTranslations:
        return super().__new__(cls, Path(pack_path), pack_name)

    @classmethod
    def of(cls, pack: PackSpec) -> PackTranslations:
        """The translations of a loaded pack."""
        return cls(pack.path, pack.name)

    def messages(self, language: str) -> Mapping[str, str]:
        """msgid -> translation for ``language`` (fuzzy and empty entries, and messages with
        a context, left out)."""
        catalog = domain_translations(self.path, self.name, language)
        return {} if catalog is None else plain_messages(catalog)

    def languages(self) -> list[str]:
        """The languages this pack has a catalog for."""
        folder = self.path / "translations"
        if not folder.is_dir():
            return []
        return sorted(d.name for d in folder.iterdir()
                      if (d / "LC_MESSAGES" / f"{self.name}.po").is_file())


class MetadataTranslator:
    """Translates the labels of some packs into one language, falling back to English.

    When several packs translate the same text, the last pack given wins, so a pack can
    re-translate the labels of the packs it depends on (registries list dependencies first).
    """

    def __init__(self, packs: Iterable[PackSpec | PackTranslations], language: str):
        self.language = language
        self.translations = translations(language, packs)
        self._translator = Translator(language, packs)

    @classmethod
    def for_registry(cls, registry: Registry, language: str) -> MetadataTranslator:
        """A translator for every pack of ``registry``."""
        return cls(registry.packs, language)

    def gettext(self, text: str) -> str:
        """The translation of the English ``text``; ``text`` itself when there is none."""
        if not text:
            return text
        return str(self.translations.gettext(text))

    def has(self, text: str) -> bool:
        """Whether ``text`` has a translation in this language."""
        return bool(text) and text in self.translations._catalog

    def entity_label(self, entity: EntitySpec) -> str:
        """The entity's singular label."""
        return self.gettext(entity.label)

    def entity_plural(self, entity: EntitySpec) -> str:
        """The entity's plural label."""
        return self.gettext(entity.plural)

    def entity_message(self, message: str, entity: EntitySpec, *, lower: bool = False,
                       **values: object) -> str:
        """``message`` about ``entity`` in this language, in the form that agrees with the
        label's gender (the pack's ``grammar``), with ``{entity}`` its translated label (in
        lower case when ``lower``), ``{the_entity}`` and ``{an_entity}`` the label with its
        articles; any other ``values`` as given."""
        label = self.entity_label(entity)
        shown = label.lower() if lower else label
        words = entity.grammar.get(self.language)
        if words is None:
            return self._translator.gettext(message, entity=shown, the_entity=shown,
                                            an_entity=shown, **values)
        return self._translator.agreeing(
            words.gender, message, entity=shown, the_entity=_joined(words.article, shown),
            an_entity=_joined(words.indefinite, shown), **values)

    def field_label(self, field: FieldSpec) -> str:
        """The field's label (written, or derived from its name)."""
        return self.gettext(field.label)

    def field_help(self, field: FieldSpec) -> str:
        """The field's help text ('' when it has none)."""
        return self.gettext(field.help)

    def translate_option(self, field: FieldSpec | None, value: str | None) -> str:
        """The display label of a select option: ``in_progress`` -> ``In corso``.

        ``field`` is accepted for callers that hold one (and for future per-field labels);
        any value, even one not among the field's options, gets a label.
        """
        if value is None or value == "":
            return ""
        return self.gettext(default_label(str(value)))

    def option_choices(self, field: FieldSpec) -> list[tuple[str, str]]:
        """``(value, label)`` for each option of a select field, in order."""
        return [(option, self.translate_option(field, option)) for option in field.options]


def _joined(article: str, label: str) -> str:
    """``article`` before ``label``: ``la chiamata``, ``l'intervento`` (no space after an
    apostrophe)."""
    if not article:
        return label
    return article + label if article.endswith(("'", "\u2019")) else f"{article} {label}"


def label(source: Registry | Iterable[PackSpec | PackTranslations], language: str,
          text: str) -> str:
    """Translate one label of the packs of ``source`` (a registry or packs) into ``language``.

    Convenient for one-off use; build a ``MetadataTranslator`` to translate many labels.
    """
    packs = source.packs if isinstance(source, Registry) else source
    return MetadataTranslator(packs, language).gettext(text)


__all__ = ["MetadataTranslator", "PackTranslations", "catalog_path", "clear_cache", "label"]
