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

from core.documents.recurrence import describe
from core.formatting import (
    format_boolean,
    format_duration,
    format_number,
)
from core.sandbox.filters import BabelFilters


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


class Formatter(BabelFilters):
    """The Babel filters of one language and time zone (``core.sandbox.filters``), with
    ``recurrence`` and how a printed value appears (``show``)."""

    def as_filters(self) -> dict[str, Any]:
        """The filters by name, ``recurrence`` included."""
        return {**super().as_filters(), "recurrence": self.recurrence}

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
