"""Translation of Officina's messages and of pack labels, through ``babel.support``.

One stack: Officina's own messages are the ``officina`` domain
(``core/translations/<lang>/LC_MESSAGES/officina.po``); each pack is a domain of its own
(``<pack>/translations/<lang>/LC_MESSAGES/<pack>.po``). A ``Translator`` for some packs merges
their domains over Officina's, in order, so a pack's messages add to Officina's or override
them (and a pack overrides the packs it depends on). Catalogs are compiled to ``.mo`` on first
use (see ``core.i18n_compile``). Messages that mean different things in different places are
told apart by a context (``pgettext("action", "Plan")``); counts choose their plural form from
the catalog's ``Plural-Forms`` (``ngettext``). Unknown messages stay in English.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any, NamedTuple

from babel import Locale
from babel.support import Translations

from core import i18n_compile

CATALOG_DIR = Path(__file__).parent / "translations"
DOMAIN = "officina"
DEFAULT_LANGUAGE = "en"  # the language messages are written in


def _catalog_languages() -> tuple[str, ...]:
    """English, then every language Officina's own messages have a catalog for."""
    found = sorted(d.name for d in CATALOG_DIR.iterdir()
                   if (d / "LC_MESSAGES" / f"{DOMAIN}.po").is_file())
    return (DEFAULT_LANGUAGE, *[code for code in found if code != DEFAULT_LANGUAGE])


# The languages Officina can speak; an instance offers some of them ([i18n] languages).
SUPPORTED_LANGUAGES = _catalog_languages()


def _(message: str) -> str:
    """Mark ``message`` for extraction; it is translated later by a ``Translator``."""
    return message


def language_name(code: str) -> str:
    """A language's name in that language: ``it`` -> ``Italiano``."""
    try:
        name = Locale.parse(code).get_display_name(code) or code
    except (ValueError, LookupError):
        return code
    return name[:1].upper() + name[1:]


class PackDomain(NamedTuple):
    """Where a pack's catalogs are: its folder and its name (the domain)."""

    path: Path
    name: str


def catalog_path(folder: Path | str, domain: str, language: str) -> Path:
    """The ``.po`` file of ``domain`` for ``language`` under ``folder``'s ``translations``."""
    return Path(folder) / "translations" / language / "LC_MESSAGES" / f"{domain}.po"


def language_chain(language: str) -> tuple[str, ...]:
    """``it_IT`` or ``it-IT`` -> ``("it", "it_IT")``: the base language, then the exact one
    (whose catalog, when there is one, overrides the base's)."""
    exact = language.replace("-", "_")
    base = exact.split("_")[0].lower()
    return tuple(dict.fromkeys((base, exact)))


def pack_domains(packs: Iterable[Any]) -> tuple[PackDomain, ...]:
    """``PackDomain`` values from packs (anything with ``path`` and ``name``)."""
    return tuple(p if isinstance(p, PackDomain) else PackDomain(Path(p.path), p.name)
                 for p in packs)


def domain_translations(folder: Path, domain: str, language: str) -> Translations | None:
    """The compiled catalogs of one domain for ``language`` (its base language's, with the
    exact language's over them); None when the domain has none."""
    found: Translations | None = None
    for code in language_chain(language):
        image = i18n_compile.compiled_po(catalog_path(folder, domain, code), code)
        if image is None:
            continue
        catalog = i18n_compile.load(image, domain)
        found = catalog if found is None else found.merge(catalog)
    return found


# Catalog files are looked at again (their modification time and size) at most this often.
CHECK_INTERVAL = 1.0  # seconds


class _Assembled(NamedTuple):
    signature: tuple
    checked: float
    translations: Translations


_assembled: dict[tuple[str, tuple[PackDomain, ...]], _Assembled] = {}


def translations(language: str, packs: Iterable[Any] = ()) -> Translations:
    """Officina's messages in ``language`` with the domains of ``packs`` merged over them, in
    order; each pack's domain is also reachable alone (``dgettext(pack_name, ...)``).

    Assembled once and kept; assembled again when a catalog file changed (looked at no more
    than once every ``CHECK_INTERVAL`` seconds)."""
    domains = pack_domains(packs)
    key = (language, domains)
    known = _assembled.get(key)
    now = time.monotonic()
    if known is not None and now - known.checked < CHECK_INTERVAL:
        return known.translations
    sources = [(CATALOG_DIR.parent, DOMAIN), *((d.path, d.name) for d in domains)]
    signature = tuple(i18n_compile.file_signature(catalog_path(folder, domain, code))
                      for folder, domain in sources for code in language_chain(language))
    if known is not None and known.signature == signature:
        _assembled[key] = known._replace(checked=now)
        return known.translations
    merged = domain_translations(CATALOG_DIR.parent, DOMAIN, language)
    if merged is None:
        merged = i18n_compile.load(i18n_compile.empty_catalog(language), DOMAIN)
    for domain in domains:
        catalog = domain_translations(domain.path, domain.name, language)
        alone = domain_translations(domain.path, domain.name, language)
        if catalog is not None and alone is not None:
            merged.merge(catalog)
            merged.add(alone, merge=False)
    _assembled[key] = _Assembled(signature, now, merged)
    return merged


def clear_cache() -> None:
    """Forget the catalogs read so far (they are read again when their files change anyway)."""
    _assembled.clear()
    i18n_compile.forget()


class Translator:
    """Translates messages into one language; unknown messages stay in English.

    ``packs`` (anything with ``path`` and ``name``, such as ``PackSpec``) add their domains.
    Every method fills the message's ``{placeholders}`` from the keyword ``values``.
    """

    def __init__(self, language: str = DEFAULT_LANGUAGE, packs: Iterable[Any] = ()):
        self.language = language if language in SUPPORTED_LANGUAGES else DEFAULT_LANGUAGE
        self._packs = pack_domains(packs)
        self._translations: Translations | None = None

    @property
    def translations(self) -> Translations:
        """The ``babel.support.Translations`` this translator reads."""
        if self._translations is None:
            self._translations = translations(self.language, self._packs)
        return self._translations

    def gettext(self, message: str, **values: object) -> str:
        """Translate ``message`` and fill its ``{placeholders}`` from ``values``."""
        return str(self.translations.gettext(message)).format(**values)

    def pgettext(self, context: str, message: str, **values: object) -> str:
        """Translate ``message`` as meant in ``context`` (``pgettext("action", "Plan")``)."""
        return str(self.translations.pgettext(context, message)).format(**values)

    def agreeing(self, gender: str, message: str, **values: object) -> str:
        """``message`` in the form that agrees with ``gender`` (``feminine``: the catalog's
        entry of that context, "Nuova {entity}"), else its plain translation."""
        catalog = self.translations._catalog
        if gender and f"{gender}\x04{message}" in catalog:
            return self.pgettext(gender, message, **values)
        return self.gettext(message, **values)

    def ngettext(self, singular: str, plural: str, count: int, **values: object) -> str:
        """The form of ``singular``/``plural`` for ``count`` in this language; ``{count}``
        is filled with ``count`` unless ``values`` say otherwise."""
        text = str(self.translations.ngettext(singular, plural, count))
        return text.format(**{"count": count, **values})


def plain_messages(catalog: Translations) -> dict[str, str]:
    """msgid -> translation of the messages of ``catalog`` without a context or a plural."""
    return {key: value for key, value in catalog._catalog.items()
            if isinstance(key, str) and key and "\x04" not in key}


def catalog_messages(language: str) -> dict[str, str]:
    """Every translated message of ``language`` without a context (for tests and tooling)."""
    return plain_messages(translations(language))
