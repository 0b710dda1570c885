"""Values a document template sees, and how each is printed in the document's language.

Record fields reach templates as plain data: text, numbers (``Decimal``), dates, booleans,
lists, and four small marked types that print themselves well: ``Money`` (a ``Decimal``
with its currency), ``Choice`` (a select option: compares as its value, prints as its
translated label), ``Duration`` (seconds, printed as ``1:30 h``) and ``FileRef`` (the
stored key of an image or attachment).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from babel import Locale, dates

from core.documents.recurrence import describe
from core.ui.field_facets import format_value
from core.ui.formatting import (
    format_boolean,
    format_date,
    format_datetime,
    format_duration,
    format_number,
)


class Money(Decimal):
    """An amount of a money field: a ``Decimal`` that knows its currency."""

    currency: str

    def __new__(cls, value: Any, currency: str = "EUR") -> Money:
        money = super().__new__(cls, value)
        money.currency = currency
        return money


class Choice(str):
    """A select option: equal to its stored value, printed as its translated label."""

    label: str

    def __new__(cls, value: str, label: str) -> Choice:
        choice = super().__new__(cls, value)
        choice.label = label
        return choice


class Duration(int):
    """A duration field's value: whole seconds, printed as hours and minutes (``1:30 h``);
    sums and comparisons work as on the number of seconds."""


class FileRef(str):
    """A stored file's key (``<sha256>/<name>``) and the field it came from."""

    field_label: str

    def __new__(cls, key: str, field_label: str) -> FileRef:
        ref = super().__new__(cls, key)
        ref.field_label = field_label
        return ref

    @property
    def file_name(self) -> str:
        """The file's name, without the content hash."""
        return self.split("/", 1)[-1]


class Formatter:
    """Babel formatting for one language and time zone: the filters templates use."""

    def __init__(self, language: str, timezone: str = "Europe/Rome"):
        self.language = language
        self.locale = Locale.parse(language.replace("-", "_"))
        self.timezone = timezone

    def date(self, value: Any, format: str | None = None) -> str:
        """A date (or the date of a datetime); ``format`` is short/medium/long/full or a
        CLDR pattern such as ``d MMMM y``; the default is how the language writes dates."""
        if value is None or value == "":
            return ""
        if format is None:
            return format_date(value, self.locale)
        day = value.date() if isinstance(value, dt.datetime) else value
        if isinstance(day, str):
            day = dt.date.fromisoformat(day[:10])
        return dates.format_date(day, format, locale=self.locale)

    def datetime(self, value: Any) -> str:
        """A stored datetime in the instance's time zone."""
        if value is None or value == "":
            return ""
        return format_datetime(value, self.locale, self.timezone)

    def money(self, value: Any, currency: str | None = None) -> str:
        """An amount with its currency (the field's, unless ``currency`` is given)."""
        if value is None or value == "":
            return ""
        code = currency or getattr(value, "currency", None) or "EUR"
        return format_value(Decimal(value), "money", self.locale, currency=code)

    def number(self, value: Any, digits: int | None = None) -> str:
        """A number with the language's separators; ``digits`` fixes the decimal places."""
        if value is None or value == "":
            return ""
        number = Decimal(value) if not isinstance(value, Decimal) else value
        if digits is not None:
            number = number.quantize(Decimal(1).scaleb(-int(digits)))
        return format_number(number, self.locale)

    def duration(self, value: Any) -> str:
        """Seconds (a duration field, or a sum of them) as ``H:MM h``."""
        if value is None or value == "":
            return ""
        return format_duration(value)

    def recurrence(self, value: Any) -> str:
        """An RFC 5545 rule (``FREQ=MONTHLY;INTERVAL=6``) in words: "every 6 months"."""
        if value is None or value == "":
            return ""
        return describe(str(value), self.locale, lambda day: self.date(day))

    def show(self, value: Any) -> Any:
        """How a printed value appears (Jinja's ``finalize``): formatted for the language."""
        if value is None:
            return ""
        if isinstance(value, Money):
            return self.money(value)
        if isinstance(value, Choice):
            return value.label
        if isinstance(value, FileRef):
            return value.file_name
        if isinstance(value, Duration):
            return format_duration(value)
        if isinstance(value, bool):
            return format_boolean(value, self.locale)
        if isinstance(value, Decimal | float):
            return format_number(value, self.locale)
        if isinstance(value, dt.datetime):
            return self.datetime(value)
        if isinstance(value, dt.date):
            return self.date(value)
        if isinstance(value, list) and all(isinstance(v, Choice) for v in value):
            return ", ".join(v.label for v in value)
        return value
