"""Translation of pack labels (entities, fields, options, layouts, workflows, reports).

Labels in metadata are English source strings. Each pack may ship gettext catalogs at
``<pack>/translations/<lang>/LC_MESSAGES/<pack>.po``, whose msgids are those strings (see
``core.metadata.babel_extract``). A select option's display label has the msgid
``default_label(option)`` (``in_progress`` -> ``In progress``). A text without a translation
stays in English.

    translator = MetadataTranslator.for_registry(registry, "it")
    translator.gettext("Service call")            # 'Chiamata di assistenza'
    translator.translate_option(field, "in_progress")  # 'In corso'
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path

from babel.messages.pofile import read_po

from core.metadata.names import default_label
from core.metadata.specs import EntitySpec, FieldSpec, PackSpec, Registry

SOURCE_LANGUAGE = "en"


def catalog_path(pack_path: Path | str, pack_name: str, language: str) -> Path:
    """Where the catalog of ``pack_name`` for ``language`` lives."""
    return Path(pack_path) / "translations" / language / "LC_MESSAGES" / f"{pack_name}.po"


@cache
def _read_catalog(path: Path, language: str) -> Mapping[str, str]:
    if not path.is_file():
        return {}
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=language)
    return {str(m.id): str(m.string) for m in catalog
            if m.id and isinstance(m.string, str) and m.string and not m.fuzzy}


def clear_cache() -> None:
    """Forget the catalogs read so far (after editing a ``.po`` file)."""
    _read_catalog.cache_clear()


def _languages(language: str) -> tuple[str, ...]:
    """``it_IT`` or ``it-IT`` -> ``("it_IT", "it")``: the exact language, then its base."""
    base = language.replace("-", "_").split("_")[0].lower()
    return tuple(dict.fromkeys((language.replace("-", "_"), base)))


class PackTranslations:
    """The catalogs of one pack, read on first use."""

    def __init__(self, pack_path: Path | str, pack_name: str):
        self.path = Path(pack_path)
        self.name = pack_name

    @classmethod
    def of(cls, pack: PackSpec) -> PackTranslations:
        """The translations of a loaded pack."""
        return cls(pack.path, pack.name)

    def messages(self, language: str) -> Mapping[str, str]:
        """msgid -> translation for ``language`` (fuzzy and empty entries left out)."""
        merged: dict[str, str] = {}
        for code in reversed(_languages(language)):
            merged.update(_read_catalog(catalog_path(self.path, self.name, code), code))
        return merged

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
        self._messages: dict[str, str] = {}
        for pack in packs:
            translations = pack if isinstance(pack, PackTranslations) else PackTranslations.of(pack)
            self._messages.update(translations.messages(language))

    @classmethod
    def for_registry(cls, registry: Registry, language: str) -> MetadataTranslator:
        """A translator for every pack of ``registry``."""
        return cls(registry.packs, language)

    def gettext(self, text: str) -> str:
        """The translation of the English ``text``; ``text`` itself when there is none."""
        if not text:
            return text
        return self._messages.get(text, text)

    def has(self, text: str) -> bool:
        """Whether ``text`` has a translation in this language."""
        return text in self._messages

    def entity_label(self, entity: EntitySpec) -> str:
        """The entity's singular label."""
        return self.gettext(entity.label)

    def entity_plural(self, entity: EntitySpec) -> str:
        """The entity's plural label."""
        return self.gettext(entity.plural)

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


def label(source: Registry | Iterable[PackSpec | PackTranslations], language: str,
          text: str) -> str:
    """Translate one label of the packs of ``source`` (a registry or packs) into ``language``.

    Convenient for one-off use; build a ``MetadataTranslator`` to translate many labels.
    """
    packs = source.packs if isinstance(source, Registry) else source
    return MetadataTranslator(packs, language).gettext(text)


__all__ = ["MetadataTranslator", "PackTranslations", "catalog_path", "clear_cache", "label"]
