"""The UI facet of each field type, keyed by the type's name: how the UI edits, shows,
filters and lists its values.

A facet declares the type's form ``widget`` (``core.ui.form_fields``), its ``display`` (a
value as text for the reader's locale; ``prepare`` binds it once for a column of a list),
its ``filter`` widget on list and report pages and its ``cell`` (how a list or detail page
draws it). ``FACETS`` holds the core's and those packs register with their type
(``core.field_registration``); code elsewhere asks a field's facet, never its type's name.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from babel import Locale, numbers

from core.formatting import (
    as_locale,
    format_boolean,
    format_date,
    format_datetime,
    format_duration,
    format_number,
    format_option,
    format_options,
    money_formatter,
)
from core.metadata.field_types.registry import NamedEntries
from core.metadata.specs import FieldSpec
from core.ui import form_fields as widgets
from core.ui.form_fields import Widget

FILTERS = ("choice", "date_range", "number_range", "boolean", "link", "text")
CELLS = ("text", "multiline", "email", "url", "phone", "link", "file", "image", "table")


@dataclass(frozen=True)
class DisplayContext:
    """What showing a value needs: the locale, the field's currency, the time zone and the
    labels of its options."""

    locale: Locale
    currency: str = "EUR"
    timezone: str = "Europe/Rome"
    labels: Mapping[str, str] = field(default_factory=dict)


Display = Callable[[Any, DisplayContext], str]
Formatter = Callable[[Any], str]


@dataclass(frozen=True)
class FieldFacet:
    """How the UI treats one field type."""

    widget: Widget
    display: Display
    filter: str | None = None  # one of FILTERS, or None when lists cannot filter by it
    cell: str = "text"  # one of CELLS
    prepare: Callable[[DisplayContext], Formatter] | None = None  # a faster bound display
    options: bool = False  # its display shows option labels

    def __post_init__(self) -> None:
        if self.filter is not None and self.filter not in FILTERS:
            raise ValueError(f"unknown filter widget {self.filter!r}")
        if self.cell not in CELLS:
            raise ValueError(f"unknown cell {self.cell!r}")

    def formatter(self, ctx: DisplayContext) -> Formatter:
        """``display`` with ``ctx`` bound, for every value of a column."""
        if self.prepare is not None:
            return self.prepare(ctx)
        display = self.display
        return lambda value: display(value, ctx)


def show_text(value: Any, ctx: DisplayContext) -> str:
    """A value as it is typed."""
    return str(value)


def show_number(value: Any, ctx: DisplayContext) -> str:
    """A number with the locale's separators."""
    return format_number(value, ctx.locale)


def show_money(value: Any, ctx: DisplayContext) -> str:
    """An amount in the field's currency."""
    return numbers.format_currency(value, ctx.currency, locale=ctx.locale)


def show_boolean(value: Any, ctx: DisplayContext) -> str:
    """Yes or no in the reader's language."""
    return format_boolean(value, ctx.locale)


def show_date(value: Any, ctx: DisplayContext) -> str:
    """A date as the locale writes it."""
    return format_date(value, ctx.locale)


def show_datetime(value: Any, ctx: DisplayContext) -> str:
    """A stored moment in the instance's time zone."""
    return format_datetime(value, ctx.locale, ctx.timezone)


def show_duration(value: Any, ctx: DisplayContext) -> str:
    """Seconds as hours and minutes."""
    return format_duration(value)


def show_option(value: Any, ctx: DisplayContext) -> str:
    """An option by its label."""
    return format_option(value, ctx.labels)


def show_options(value: Any, ctx: DisplayContext) -> str:
    """Options by their labels."""
    return format_options(value, ctx.labels)


def _prepared_money(ctx: DisplayContext) -> Formatter:
    return money_formatter(ctx.currency, ctx.locale)


def _prepared_text(ctx: DisplayContext) -> Formatter:
    return str


_TEXT = FieldFacet(widgets.TEXT_INPUT, show_text, "text", prepare=_prepared_text)
_FILE = FieldFacet(widgets.FILE_INPUT, show_text, cell="file")

CORE_FACETS: dict[str, FieldFacet] = {
    "string": _TEXT,
    "email": FieldFacet(widgets.EMAIL_INPUT, show_text, "text", "email", _prepared_text),
    "phone": FieldFacet(widgets.PHONE_INPUT, show_text, "text", "phone", _prepared_text),
    "url": FieldFacet(widgets.URL_INPUT, show_text, "text", "url", _prepared_text),
    "text": FieldFacet(widgets.TEXTAREA, show_text, "text", "multiline", _prepared_text),
    "integer": FieldFacet(widgets.INTEGER_INPUT, show_number, "number_range"),
    "decimal": FieldFacet(widgets.DECIMAL_INPUT, show_number, "number_range"),
    "money": FieldFacet(widgets.MONEY_INPUT, show_money, "number_range",
                        prepare=_prepared_money),
    "boolean": FieldFacet(widgets.CHECKBOX, show_boolean, "boolean"),
    "date": FieldFacet(widgets.DATE_INPUT, show_date, "date_range"),
    "datetime": FieldFacet(widgets.DATETIME_INPUT, show_datetime, "date_range"),
    "duration": FieldFacet(widgets.DURATION_INPUT, show_duration, "number_range"),
    "select": FieldFacet(widgets.SELECT, show_option, "choice", options=True),
    "multiselect": FieldFacet(widgets.MULTISELECT, show_options, "choice", options=True),
    "link": FieldFacet(widgets.LINK_INPUT, show_text, "link", "link"),
    "attachment": _FILE,
    "image": FieldFacet(widgets.FILE_INPUT, show_text, cell="image"),
    "table": FieldFacet(widgets.LINES, show_text, cell="table"),
}


class FieldFacets(NamedEntries[FieldFacet]):
    """The facets by type name: the core's and those packs register."""

    def __init__(self, facets: Mapping[str, FieldFacet]):
        super().__init__(facets, "facet of field type")

    def register(self, name: str, facet: FieldFacet) -> None:
        """Add the facet of a new type; ``ValueError`` if the type has one."""
        self.add(name, facet)


FACETS = FieldFacets(CORE_FACETS)


class _Widgets(Mapping[str, Widget]):
    """Each type's form widget, read from its facet."""

    def __getitem__(self, name: str) -> Widget:
        return FACETS[name].widget

    def __iter__(self) -> Iterator[str]:
        return iter(FACETS)

    def __len__(self) -> int:
        return len(FACETS)


WIDGETS: Mapping[str, Widget] = _Widgets()


def facet_of(spec: FieldSpec) -> FieldFacet:
    """The facet of ``spec``'s type."""
    return FACETS[spec.type]


def widget_for(spec: FieldSpec) -> Widget:
    """The form widget of ``spec``'s type."""
    return FACETS[spec.type].widget


def _context(locale: str | Locale, currency: str, timezone: str,
             options_labels: Mapping[str, str] | None) -> DisplayContext:
    return DisplayContext(as_locale(locale), currency, timezone, dict(options_labels or {}))


def format_value(value: Any, field_type: str, locale: str | Locale, *, currency: str = "EUR",
                 timezone: str = "Europe/Rome",
                 options_labels: Mapping[str, str] | None = None) -> str:
    """``value`` of an Officina ``field_type`` as display text; ``None`` is ``""``."""
    if value is None:
        return ""
    return FACETS[field_type].display(value, _context(locale, currency, timezone,
                                                      options_labels))


def value_formatter(field_type: str, locale: str | Locale, *, currency: str = "EUR",
                    timezone: str = "Europe/Rome",
                    options_labels: Mapping[str, str] | None = None) -> Formatter:
    """``format_value`` for values of one field, with its type, locale and options bound
    once (a list formats every cell of a column alike)."""
    show = FACETS[field_type].formatter(_context(locale, currency, timezone, options_labels))
    return lambda value: "" if value is None else show(value)
