"""Locale-aware display of Officina field values (Babel), and parsing of typed-in numbers."""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale, UnknownLocaleError, dates, numbers

TEXT_TYPES = frozenset({"string", "text", "email", "phone", "url"})
# Date patterns a user of the language expects; other languages get CLDR's medium date.
DATE_PATTERNS = {"it": "dd/MM/yyyy"}
BOOLEAN_WORDS = {"it": ("Sì", "No"), "en": ("Yes", "No"), "de": ("Ja", "Nein"),
                 "fr": ("Oui", "Non"), "es": ("Sí", "No")}


def _locale(locale: str | Locale) -> Locale:
    try:
        return locale if isinstance(locale, Locale) else Locale.parse(locale.replace("-", "_"))
    except (UnknownLocaleError, ValueError) as exc:
        raise ValueError(f"Unknown locale: {locale!r}") from exc


def format_number(value: Any, locale: Locale) -> str:
    """A number with the locale's separators; a ``Decimal`` keeps its decimal places."""
    if isinstance(value, Decimal) and value.is_finite():
        exponent = value.as_tuple().exponent
        digits = -exponent if isinstance(exponent, int) and exponent < 0 else 0
        pattern = copy.copy(locale.decimal_formats[None])
        pattern.frac_prec = (digits, digits)
        return pattern.apply(value, locale)
    return numbers.format_decimal(value, locale=locale)


def _as_date(value: Any) -> dt.date:
    if isinstance(value, str):
        return dt.date.fromisoformat(value[:10])
    return value.date() if isinstance(value, dt.datetime) else value


def format_date(value: Any, locale: Locale) -> str:
    """A date as the locale's users write it (``23/11/2026`` in Italian, ``Nov 23, 2026``)."""
    pattern = DATE_PATTERNS.get(locale.language, "medium")
    return dates.format_date(_as_date(value), pattern, locale=locale)


def format_datetime(value: Any, locale: Locale, timezone: str) -> str:
    """A stored datetime (naive means UTC) shown in ``timezone``."""
    moment = dt.datetime.fromisoformat(value) if isinstance(value, str) else value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    local = moment.astimezone(ZoneInfo(timezone))
    time = dates.format_time(local, "short", locale=locale)
    return locale.datetime_formats["medium"].format(time, format_date(local.date(), locale))


def format_duration(seconds: Any) -> str:
    """Seconds as exact ``H:MM h`` (``H:MM:SS h`` when seconds are left over)."""
    total = int(seconds)
    sign, total = ("-" if total < 0 else ""), abs(total)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    clock = f"{hours}:{minutes:02d}" + (f":{secs:02d}" if secs else "")
    return f"{sign}{clock} h"


def format_boolean(value: Any, locale: Locale) -> str:
    """Yes or no in the locale's language (English when the language is not known)."""
    yes, no = BOOLEAN_WORDS.get(locale.language, BOOLEAN_WORDS["en"])
    return yes if value else no


def _choices(value: Any) -> list[str]:
    if isinstance(value, str):
        return [v for v in value.split(",") if v]
    return [str(v) for v in value]


def format_value(value: Any, field_type: str, locale: str | Locale, *, currency: str = "EUR",
                 timezone: str = "Europe/Rome",
                 options_labels: Mapping[str, str] | None = None) -> str:
    """``value`` of an Officina ``field_type`` as display text; ``None`` is ``""``."""
    if value is None:
        return ""
    loc = _locale(locale)
    labels = options_labels or {}
    if field_type in ("integer", "decimal"):
        return format_number(value, loc)
    if field_type == "money":
        return numbers.format_currency(value, currency, locale=loc)
    if field_type == "boolean":
        return format_boolean(value, loc)
    if field_type == "date":
        return format_date(value, loc)
    if field_type == "datetime":
        return format_datetime(value, loc, timezone)
    if field_type == "duration":
        return format_duration(value)
    if field_type == "select":
        return labels.get(str(value), str(value))
    if field_type == "multiselect":
        return ", ".join(labels.get(v, v) for v in _choices(value))
    return str(value)


def money_formatter(currency: str, locale: Locale) -> Callable[[Any], str]:
    """``numbers.format_currency(value, currency, locale=locale)``, worked out once.

    Babel looks the currency's digits, symbol and (for every value) its plural name up on
    each call; the locale's pattern is prepared here with the symbol and code in place, so
    a value costs only the number's own formatting. Patterns that name the currency by
    its plural name (which depends on the value) are left to Babel.
    """
    pattern = locale.currency_formats["standard"]
    if any("¤¤¤" in affix for affix in (*pattern.prefix, *pattern.suffix)):
        return lambda value: numbers.format_currency(value, currency, locale=locale)
    symbol, code = numbers.get_currency_symbol(currency, locale), currency.upper()

    def named(affix: str) -> str:
        return affix.replace("¤¤", code).replace("¤", symbol)

    prepared = copy.copy(pattern)
    prepared.prefix = tuple(named(affix) for affix in pattern.prefix)
    prepared.suffix = tuple(named(affix) for affix in pattern.suffix)
    digits = numbers.get_currency_precision(currency)
    prepared.frac_prec = (digits, digits)
    return lambda value: prepared.apply(value, locale)


def value_formatter(field_type: str, locale: str | Locale, *, currency: str = "EUR",
                    timezone: str = "Europe/Rome",
                    options_labels: Mapping[str, str] | None = None) -> Callable[[Any], str]:
    """``format_value`` for values of one field, with its type, locale and options bound
    once (a list formats every cell of a column alike)."""
    loc = _locale(locale)
    labels = dict(options_labels or {})
    show: Callable[[Any], str]
    if field_type == "money":
        show = money_formatter(currency, loc)
    elif field_type == "select":
        def show(value: Any) -> str:
            text = str(value)
            return labels.get(text, text)
    elif field_type in TEXT_TYPES:
        show = str
    else:
        def show(value: Any) -> str:
            return format_value(value, field_type, loc, currency=currency, timezone=timezone,
                                options_labels=labels)
    return lambda value: "" if value is None else show(value)


def parse_decimal_input(text: str, locale: str | Locale) -> Decimal:
    """A number typed with the locale's separators (``1.234,56`` in Italian) as ``Decimal``."""
    loc = _locale(locale)
    cleaned = (text or "").strip().replace("\xa0", "").replace("\u202f", "")
    if not cleaned:
        raise ValueError("Enter a number.")
    example = format_number(Decimal("1234.56"), loc)
    try:
        result = numbers.parse_decimal(cleaned, locale=loc, strict=True)
    except (numbers.NumberFormatError, InvalidOperation) as exc:
        raise ValueError(f"{text!r} is not a valid number: write it like {example}.") from exc
    if not result.is_finite():
        raise ValueError(f"{text!r} is not a valid number: write it like {example}.")
    return result
