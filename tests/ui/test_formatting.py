"""Locale-aware formatting of field values and parsing of typed-in numbers."""

import datetime as dt
from decimal import Decimal

import pytest

from core.formatting import as_locale, format_file_size, parse_decimal_input
from core.ui.field_facets import format_value

NBSP = "\xa0"


@pytest.mark.parametrize("field_type", ["string", "text", "email", "phone", "url"])
def test_text_types_are_shown_as_they_are(field_type):
    assert format_value("a@b.it <x>", field_type, "it") == "a@b.it <x>"


@pytest.mark.parametrize("field_type", ["string", "integer", "money", "date", "boolean"])
def test_none_is_empty(field_type):
    assert format_value(None, field_type, "it") == ""


def test_numbers_use_the_locale_separators():
    assert format_value(Decimal("1234.56"), "decimal", "it") == "1.234,56"
    assert format_value(Decimal("1234.56"), "decimal", "en") == "1,234.56"
    assert format_value(1234567, "integer", "it") == "1.234.567"
    assert format_value(-1234, "integer", "en") == "-1,234"


def test_decimal_keeps_its_decimal_places():
    assert format_value(Decimal("1234.50"), "decimal", "it") == "1.234,50"
    assert format_value(Decimal("7"), "decimal", "en") == "7"


def test_money():
    assert format_value(Decimal("1234.56"), "money", "it") == f"1.234,56{NBSP}€"
    assert format_value(Decimal("1234.56"), "money", "en") == "€1,234.56"
    assert format_value(Decimal("10"), "money", "en", currency="USD") == "$10.00"
    assert format_value(Decimal("-5"), "money", "it").startswith("-5,00")


def test_boolean_words():
    assert format_value(True, "boolean", "it") == "Sì"
    assert format_value(False, "boolean", "it") == "No"
    assert format_value(True, "boolean", "en_US") == "Yes"
    assert format_value(False, "boolean", "ja") == "No"


def test_dates():
    day = dt.date(2026, 11, 23)
    assert format_value(day, "date", "it") == "23/11/2026"
    assert format_value(day, "date", "it_IT") == "23/11/2026"
    assert format_value(day, "date", "en") == "Nov 23, 2026"
    assert format_value("2026-11-23", "date", "it") == "23/11/2026"


def test_datetime_is_stored_as_utc_and_shown_in_the_timezone():
    stored = dt.datetime(2026, 11, 23, 13, 30)  # naive UTC; Rome is UTC+1 in November
    assert format_value(stored, "datetime", "it") == "23/11/2026, 14:30"
    summer = dt.datetime(2026, 7, 1, 22, 15)  # UTC+2: the next day in Rome
    assert format_value(summer, "datetime", "it").startswith("02/07/2026, 00:15")
    shown = format_value(stored, "datetime", "en", timezone="America/New_York")
    assert shown.startswith("Nov 23, 2026") and "8:30" in shown and "AM" in shown


def test_aware_datetime_is_converted():
    aware = dt.datetime(2026, 11, 23, 13, 30, tzinfo=dt.UTC)
    assert format_value(aware, "datetime", "it", timezone="UTC") == "23/11/2026, 13:30"


@pytest.mark.parametrize(("seconds", "shown"), [
    (9000, "2:30 h"), (2700, "0:45 h"), (0, "0:00 h"), (3725, "1:02:05 h"),
    (90000, "25:00 h"), (-1800, "-0:30 h"),
])
def test_duration_is_exact(seconds, shown):
    assert format_value(seconds, "duration", "it") == shown


def test_select_and_multiselect_use_the_labels():
    labels = {"open": "Aperto", "closed": "Chiuso"}
    assert format_value("open", "select", "it", options_labels=labels) == "Aperto"
    assert format_value("other", "select", "it", options_labels=labels) == "other"
    assert format_value(["open", "closed"], "multiselect", "it",
                        options_labels=labels) == "Aperto, Chiuso"
    assert format_value("open,closed", "multiselect", "it",
                        options_labels=labels) == "Aperto, Chiuso"
    assert format_value([], "multiselect", "it") == ""


def test_unknown_locale_is_a_clear_error():
    with pytest.raises(ValueError, match="Unknown locale"):
        format_value(1, "integer", "xx_nowhere")


@pytest.mark.parametrize(("text", "locale", "expected"), [
    ("1.234,56", "it", Decimal("1234.56")),
    ("1234,56", "it", Decimal("1234.56")),
    (" -12,5 ", "it", Decimal("-12.5")),
    ("1,234.56", "en", Decimal("1234.56")),
    ("42", "en", Decimal("42")),
])
def test_parse_decimal_input(text, locale, expected):
    assert parse_decimal_input(text, locale) == expected


@pytest.mark.parametrize("text", ["", "   ", "abc", "1,2,3", "1234.56", "NaN", "12€"])
def test_parse_decimal_input_rejects_with_a_clear_message(text):
    with pytest.raises(ValueError, match=r"number"):
        parse_decimal_input(text, "it")


def test_parse_error_shows_the_expected_form():
    with pytest.raises(ValueError, match=r"1\.234,56"):
        parse_decimal_input("abc", "it")


MONEY_VALUES = [Decimal("0"), Decimal("3"), Decimal("1234.56"), Decimal("-1234.5"),
                Decimal("1234567.891"), Decimal("0.005"), Decimal("-0.004"), 12, 7.25, "99.9"]


@pytest.mark.parametrize("locale", ["it_IT", "en_GB", "de_CH", "fr_FR", "ja_JP", "ar_EG"])
@pytest.mark.parametrize("currency", ["EUR", "USD", "JPY", "CHF", "KWD"])
def test_a_prepared_money_formatter_writes_what_babel_writes(locale, currency):
    from babel import Locale
    from babel.numbers import format_currency

    from core.formatting import money_formatter

    loc = Locale.parse(locale)
    prepared = money_formatter(currency, loc)
    for value in MONEY_VALUES:
        assert prepared(value) == format_currency(value, currency, locale=loc), value


@pytest.mark.parametrize("field_type, values", [
    ("money", MONEY_VALUES),
    ("integer", [0, 1234567, -1234]),
    ("decimal", [Decimal("1234.50"), Decimal("7"), Decimal("-0.125")]),
    ("date", [dt.date(2026, 11, 23), "2026-01-05"]),
    ("datetime", [dt.datetime(2026, 11, 23, 7, 5), "2026-06-30T22:30:00"]),
    ("boolean", [True, False]),
    ("duration", [0, 5400, 3725, -60]),
    ("select", ["open", "closed", "unknown"]),
    ("multiselect", ["open,closed", ["closed"], ""]),
    ("string", ["a@b.it <x>", "", 42]),
    ("email", ["x@y.it"]),
])
@pytest.mark.parametrize("language", ["it", "en"])
def test_a_prepared_formatter_shows_what_format_value_shows(field_type, values, language):
    from core.ui.field_facets import value_formatter

    labels = {"open": "Aperto", "closed": "Chiuso"}
    prepared = value_formatter(field_type, language, currency="USD", timezone="Europe/Rome",
                               options_labels=labels)
    for value in [*values, None]:
        assert prepared(value) == format_value(
            value, field_type, language, currency="USD", timezone="Europe/Rome",
            options_labels=labels), value


def test_file_sizes_use_the_locale_and_the_right_unit():
    italian, english = as_locale("it"), as_locale("en")
    assert format_file_size(512, italian) == "512 byte"
    assert format_file_size(37_990, italian) == "37,1 kB"
    assert format_file_size(37_990, english) == "37.1 kB"
    assert format_file_size(3 * 1024 * 1024, italian) == "3 MB"
