"""Locale-aware display of values (Babel), and parsing of typed-in numbers.

Which of these shows a field's value is its type's display facet (``core.ui.field_facets``:
``format_value``).
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale, UnknownLocaleError, dates, numbers, units

# Date patterns a user of the language expects; other languages get CLDR's medium date.
DATE_PATTERNS = {"it": "dd/MM/yyyy"}
BOOLEAN_WORDS = {"it": ("Sì", "No"), "en": ("Yes", "No"), "de": ("Ja", "Nein"),
                 "fr": ("Oui", "Non"), "es": ("Sí", "No")}


# The region whose conventions a language's users expect (dates, numbers, times).
LANGUAGE_LOCALES = {"it": "it_IT", "en": "en_GB"}


def language_locale(language: str) -> Locale:
    """The Babel locale pages and mails of ``language`` are formatted in."""
    return as_locale(LANGUAGE_LOCALES.get(language, language))


def as_locale(locale: str | Locale) -> Locale:
    """``locale`` as a Babel ``Locale``; ``ValueError`` when it is not one."""
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


FILE_SIZE_UNITS = ("digital-byte", "digital-kilobyte", "digital-megabyte", "digital-gigabyte")


def format_file_size(size: int, locale: Locale) -> str:
    """A size in bytes with the locale's unit and separators (``37,5 kB``, ``512 byte``)."""
    value, unit = float(size), 0
    while value >= 1024 and unit < len(FILE_SIZE_UNITS) - 1:
        value, unit = value / 1024, unit + 1
    return units.format_unit(round(value, 1), FILE_SIZE_UNITS[unit], length="short",
                             format="#,##0.#", locale=locale)


def format_boolean(value: Any, locale: Locale) -> str:
    """Yes or no in the locale's language (English when the language is not known)."""
    yes, no = BOOLEAN_WORDS.get(locale.language, BOOLEAN_WORDS["en"])
    return yes if value else no


def format_option(value: Any, labels: Mapping[str, str]) -> str:
    """An option by its label (the option itself when it has none)."""
    text = str(value)
    return labels.get(text, text)


def format_options(value: Any, labels: Mapping[str, str]) -> str:
    """Options (a comma-separated text or a list) by their labels, comma-separated."""
    chosen = [v for v in value.split(",") if v] if isinstance(value, str) else [
        str(v) for v in value]
    return ", ".join(labels.get(v, v) for v in chosen)


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


def parse_decimal_input(text: str, locale: str | Locale) -> Decimal:
    """A number typed with the locale's separators (``1.234,56`` in Italian) as ``Decimal``."""
    loc = as_locale(locale)
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
