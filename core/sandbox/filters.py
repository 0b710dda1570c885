"""The Babel filters of the policies that format (mail, documents): ``date``, ``datetime``,
``money``, ``number`` and ``duration``, in one language and time zone.

Stored datetimes are naive UTC; ``datetime`` shows them in the time zone, and ``date`` of a
datetime is the day it is in that time zone.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale, dates, numbers

from core.formatting import (
    format_date,
    format_datetime,
    format_duration,
    format_number,
)

DEFAULT_TIMEZONE = "Europe/Rome"  # as the instance setting's default


class BabelFilters:
    """Babel formatting for one language and time zone: the filters templates use."""

    def __init__(self, language: str, timezone: str = DEFAULT_TIMEZONE):
        self.language = language
        self.locale = Locale.parse(language.replace("-", "_"))
        self.timezone = timezone

    def as_filters(self) -> dict[str, Any]:
        """The filters by name, for a sandbox's ``filters``."""
        return {"date": self.date, "datetime": self.datetime, "money": self.money,
                "number": self.number, "duration": self.duration}

    def local_day(self, value: Any) -> Any:
        """The day of ``value``: a datetime's day in the time zone, a date as it is."""
        if isinstance(value, str) and len(value) > 10:
            try:
                value = dt.datetime.fromisoformat(value)  # a stored datetime as text
            except ValueError:
                return value
        if isinstance(value, dt.datetime):
            moment = value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
            return moment.astimezone(ZoneInfo(self.timezone)).date()
        return value

    def date(self, value: Any, format: str | None = None) -> str:
        """A date (or the day of a datetime); ``format`` is short/medium/long/full or a
        CLDR pattern such as ``d MMMM y``; the default is how the language writes dates."""
        if value is None or value == "":
            return ""
        day = self.local_day(value)
        if format is None:
            return format_date(day, self.locale)
        if isinstance(day, str):
            day = dt.date.fromisoformat(day[:10])
        return dates.format_date(day, format, locale=self.locale)

    def datetime(self, value: Any) -> str:
        """A stored datetime in the time zone."""
        if value is None or value == "":
            return ""
        return format_datetime(value, self.locale, self.timezone)

    def money(self, value: Any, currency: str | None = None) -> str:
        """An amount with its currency (the value's, unless ``currency`` is given)."""
        if value is None or value == "":
            return ""
        code = currency or getattr(value, "currency", None) or "EUR"
        return numbers.format_currency(Decimal(value), code, locale=self.locale)

    def number(self, value: Any, digits: int | None = None) -> str:
        """A number with the language's separators; ``digits`` fixes the decimal places."""
        if value is None or value == "":
            return ""
        number = Decimal(value) if not isinstance(value, Decimal) else value
        if digits is not None:
            number = number.quantize(Decimal(1).scaleb(-int(digits)))
        return format_number(number, self.locale)

    def shown(self, value: Any) -> Any:
        """How a text shows ``value``: dates, datetimes and numbers in the language and time
        zone (``04/12/2026``, ``3,5``), anything else as it is."""
        if isinstance(value, dt.datetime):
            return self.datetime(value)
        if isinstance(value, dt.date):
            return self.date(value)
        if isinstance(value, Decimal):
            return format_number(value, self.locale)
        if isinstance(value, float):
            return numbers.format_decimal(value, locale=self.locale)
        return value

    def duration(self, value: Any) -> str:
        """Seconds (a duration field, or a sum of them) as ``H:MM h``."""
        if value is None or value == "":
            return ""
        return format_duration(value)


__all__ = ["DEFAULT_TIMEZONE", "BabelFilters"]
