"""Form widgets, one per field type: how a value is shown in an input and read back.

A ``Widget`` declares the template that renders an input (``widgets/<template>.html``), how
a stored value becomes the input's text (``show``), how the submitted text becomes a value
for the records service (``parse``) and how the submitted text is read from the form
(``read``). Each field type's facet (``core.ui.field_facets``) names its widget.

Parsing errors are ``ValueError`` with a message already translated for the request.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale, dates
from werkzeug.datastructures import MultiDict

from core.formatting import format_number, parse_decimal_input
from core.i18n import _
from core.metadata.field_types import parse_duration
from core.metadata.specs import FieldSpec


@dataclass(frozen=True)
class FormContext:
    """What showing and parsing input needs: the locale, time zone and translation."""

    locale: Locale
    timezone: str
    gettext: Callable[..., str]


Shown = Any  # the input's text, a list of chosen options, or a checkbox's state


def _read_text(form: MultiDict, name: str) -> Shown:
    return form.get(name, "")


def _read_list(form: MultiDict, name: str) -> Shown:
    return [v for v in form.getlist(name) if v]


def _read_checkbox(form: MultiDict, name: str) -> Shown:
    return name in form  # an unchecked box sends nothing: false


def _show_text(value: Any, field: FieldSpec, ctx: FormContext) -> Shown:
    return "" if value is None else str(value)


def _parse_text(text: Shown, field: FieldSpec, ctx: FormContext) -> Any:
    return text if text.strip() else None


def _show_number(value: Any, field: FieldSpec, ctx: FormContext) -> Shown:
    if value is None:
        return ""
    return format_number(value if isinstance(value, Decimal) else Decimal(str(value)),
                         ctx.locale)


def _show_integer(value: Any, field: FieldSpec, ctx: FormContext) -> Shown:
    return "" if value is None else str(value)


def _number(text: str, ctx: FormContext) -> Decimal:
    try:
        return parse_decimal_input(text, ctx.locale)
    except ValueError:
        example = format_number(Decimal("1234.56"), ctx.locale)
        raise ValueError(ctx.gettext(_("Not a valid number: write it like {example}."),
                                     example=example)) from None


def _parse_decimal(text: Shown, field: FieldSpec, ctx: FormContext) -> Any:
    return _number(text, ctx) if text.strip() else None


def _parse_integer(text: Shown, field: FieldSpec, ctx: FormContext) -> Any:
    if not text.strip():
        return None
    number = _number(text, ctx)
    if number != number.to_integral_value():
        raise ValueError(ctx.gettext(_("Not a valid whole number.")))
    return int(number)


def _show_boolean(value: Any, field: FieldSpec, ctx: FormContext) -> Shown:
    return bool(value)


def _parse_boolean(checked: Shown, field: FieldSpec, ctx: FormContext) -> Any:
    return bool(checked)


def _show_date(value: Any, field: FieldSpec, ctx: FormContext) -> Shown:
    if value is None:
        return ""
    return value[:10] if isinstance(value, str) else value.isoformat()[:10]


def _parse_date(text: Shown, field: FieldSpec, ctx: FormContext) -> Any:
    text = text.strip()
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text).isoformat()
    except ValueError:
        pass
    try:  # browsers without a date picker: the locale's way (23/11/2026)
        return dates.parse_date(text, locale=ctx.locale).isoformat()
    except (ValueError, IndexError):
        raise ValueError(ctx.gettext(_("Not a valid date: write it like {example}."),
                                     example=dates.format_date(dt.date(2026, 11, 23), "short",
                                                               locale=ctx.locale))) from None


def _show_datetime(value: Any, field: FieldSpec, ctx: FormContext) -> Shown:
    if value is None:
        return ""
    moment = dt.datetime.fromisoformat(value) if isinstance(value, str) else value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(ZoneInfo(ctx.timezone)).strftime("%Y-%m-%dT%H:%M")


def _parse_datetime(text: Shown, field: FieldSpec, ctx: FormContext) -> Any:
    text = text.strip()
    if not text:
        return None
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(ctx.gettext(_("Not a valid date and time."))) from None
    if moment.tzinfo is None:  # typed in the instance's time zone
        moment = moment.replace(tzinfo=ZoneInfo(ctx.timezone))
    return moment


def _show_duration(value: Any, field: FieldSpec, ctx: FormContext) -> Shown:
    if value is None:
        return ""
    hours, rest = divmod(int(value), 3600)
    return f"{hours}:{rest // 60:02d}"


def _parse_duration(text: Shown, field: FieldSpec, ctx: FormContext) -> Any:
    if not text.strip():
        return None
    try:
        return parse_duration(text)
    except ValueError:
        raise ValueError(ctx.gettext(_("Not a valid duration: write hours and minutes like "
                                     "1:30."))) from None


def _show_multiselect(value: Any, field: FieldSpec, ctx: FormContext) -> Shown:
    if not value:
        return []
    return [v for v in value.split(",") if v] if isinstance(value, str) else list(value)


def _parse_multiselect(chosen: Shown, field: FieldSpec, ctx: FormContext) -> Any:
    return list(chosen) or None


def _show_link(value: Any, field: FieldSpec, ctx: FormContext) -> Shown:
    return "" if value is None else str(value)


def _parse_link(text: Shown, field: FieldSpec, ctx: FormContext) -> Any:
    text = text.strip()
    if not text:
        return None
    if not text.isdigit():
        raise ValueError(ctx.gettext(_("Choose a record from the suggestions.")))
    return int(text)


def _show_file(value: Any, field: FieldSpec, ctx: FormContext) -> Shown:
    return value or ""


def _parse_file(key: Shown, field: FieldSpec, ctx: FormContext) -> Any:
    return key or None


@dataclass(frozen=True)
class Widget:
    """How one field type is edited in a form."""

    template: str
    show: Callable[[Any, FieldSpec, FormContext], Shown] = _show_text
    parse: Callable[[Shown, FieldSpec, FormContext], Any] = _parse_text
    read: Callable[[MultiDict, str], Shown] = _read_text
    input_type: str = "text"
    inputmode: str = ""


# The widgets of the core's field types (``core.ui.field_facets`` says which type uses which).
TEXT_INPUT = Widget("input")
EMAIL_INPUT = Widget("input", input_type="email")
PHONE_INPUT = Widget("input", input_type="tel")
URL_INPUT = Widget("input", input_type="url")
TEXTAREA = Widget("textarea")
INTEGER_INPUT = Widget("input", _show_integer, _parse_integer, inputmode="numeric")
DECIMAL_INPUT = Widget("input", _show_number, _parse_decimal, inputmode="decimal")
MONEY_INPUT = Widget("money", _show_number, _parse_decimal, inputmode="decimal")
CHECKBOX = Widget("checkbox", _show_boolean, _parse_boolean, _read_checkbox)
DATE_INPUT = Widget("input", _show_date, _parse_date, input_type="date")
DATETIME_INPUT = Widget("input", _show_datetime, _parse_datetime, input_type="datetime-local")
DURATION_INPUT = Widget("duration", _show_duration, _parse_duration)
SELECT = Widget("select")
MULTISELECT = Widget("multiselect", _show_multiselect, _parse_multiselect, _read_list)
LINK_INPUT = Widget("link", _show_link, _parse_link)
FILE_INPUT = Widget("file", _show_file, _parse_file)
LINES = Widget("lines")
