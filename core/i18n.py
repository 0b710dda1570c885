"""Translation of Officina's own messages, read from gettext catalogs with Babel."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from babel.messages.pofile import read_po

CATALOG_DIR = Path(__file__).parent / "translations"
DEFAULT_LANGUAGE = "en"
SUPPORTED_LANGUAGES = ("en", "it")


def _(message: str) -> str:
    """Mark ``message`` for extraction; it is translated later by a ``Translator``."""
    return message


@cache
def _catalog(language: str) -> dict[str, str]:
    path = CATALOG_DIR / language / "LC_MESSAGES" / "officina.po"
    if not path.exists():
        return {}
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=language)
    return {str(m.id): str(m.string) for m in catalog if m.id and m.string and not m.fuzzy}


class Translator:
    """Translates messages into one language; unknown messages stay in English."""

    def __init__(self, language: str = DEFAULT_LANGUAGE):
        self.language = language if language in SUPPORTED_LANGUAGES else DEFAULT_LANGUAGE

    def gettext(self, message: str, **values: object) -> str:
        """Translate ``message`` and fill its ``{placeholders}`` from ``values``."""
        text = _catalog(self.language).get(message, message)
        return text.format(**values)


def catalog_messages(language: str) -> dict[str, str]:
    """Every translated message of ``language`` (for tests and tooling)."""
    return dict(_catalog(language))
