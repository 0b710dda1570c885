"""A field type's values to and from text and JSON: for the audit trail, exports, the JSON
API and fixtures.

Text is what the audit trail stores and a CSV cell holds (ISO dates, decimals with all their
digits, lines and option lists as JSON); JSON is what the API sends (dates as ISO text,
decimals as text so no digit is lost). Reading either back goes through the type's
marshmallow field, so it validates as a form or an API call would.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from core.i18n import Translator
from core.metadata.specs import FieldSpec

Loader = Callable[[FieldSpec, Translator], Any]


def value_text(value: Any) -> str | None:
    """``value`` as text: ISO dates, decimals in full, lists and mappings as JSON."""
    if value is None:
        return None
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, list | tuple | dict):
        return json.dumps(value, default=str)
    return str(value)


def value_json(value: Any) -> Any:
    """``value`` as JSON can hold it: ISO dates, decimals as text, the rest as they are."""
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, list):
        return [value_json(item) for item in value]
    if isinstance(value, dict):
        return {key: value_json(item) for key, item in value.items()}
    return value


def _text_as_json(text: str) -> Any:
    return json.loads(text)


def _text_as_is(text: str) -> Any:
    return text


def _json_as_is(value: Any) -> Any:
    return value


def _whole(text: str) -> int:
    return int(text)


def _decimal(text: str) -> Decimal:
    return Decimal(text)


def _day(text: str) -> dt.date:
    return dt.date.fromisoformat(text[:10])


def _moment(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def _flag(text: str) -> bool:
    return text.lower() in ("true", "1")


def _choices(text: str) -> Any:
    return json.loads(text) if text.startswith("[") else text


@dataclass(frozen=True)
class Conversion:
    """How one type's values become text and JSON, and how text and JSON are read back."""

    to_text: Callable[[Any], str | None] = value_text
    to_json: Callable[[Any], Any] = value_json
    parse_text: Callable[[str], Any] = _text_as_is  # before the type's field validates it
    read_text: Callable[[str], Any] = _text_as_is  # the Python value, unchecked
    parse_json: Callable[[Any], Any] = _json_as_is  # before the type's field validates it

    def json_input(self, value: Any) -> Any:
        """A JSON value (an API body's, a fixture's) as the type's field takes it."""
        return None if value is None else self.parse_json(value)

    def value_of_text(self, text: str) -> Any:
        """The Python value an audit text stands for, as it was written (not validated:
        an old value may break today's rules); ``ValueError`` if it does not read."""
        return self.read_text(text)

    def from_text(self, text: str | None, spec: FieldSpec, loader: Loader,
                  translator: Translator | None = None) -> Any:
        """The value ``text`` (as ``to_text`` wrote it) stands for; ``ValidationError`` if
        the type refuses it."""
        if text is None:
            return None
        return self.from_json(self.parse_text(text), spec, loader, translator)

    def from_json(self, value: Any, spec: FieldSpec, loader: Loader,
                  translator: Translator | None = None) -> Any:
        """The value a JSON ``value`` stands for, validated by the type's field."""
        if value is None:
            return None
        return loader(spec, translator or Translator()).deserialize(self.parse_json(value))


PLAIN = Conversion()
STRUCTURED = Conversion(parse_text=_text_as_json)  # lines of a child table: JSON text
WHOLE = Conversion(read_text=_whole)
DECIMAL = Conversion(read_text=_decimal)
DAY = Conversion(read_text=_day)
MOMENT = Conversion(read_text=_moment)
FLAG = Conversion(read_text=_flag)
CHOICES = Conversion(read_text=_choices)
