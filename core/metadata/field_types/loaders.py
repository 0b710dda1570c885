"""Marshmallow fields of the field types: how a value sent by a user or a pack is validated
and converted to what the column stores."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

from marshmallow import ValidationError, fields, validate

from core.i18n import Translator, _
from core.metadata.field_checks import CheckFailed, find_check
from core.metadata.patterns import compiled
from core.metadata.specs import FieldSpec
from core.metadata.value_limits import (
    BIGINT_MAX,
    Storable,
    bigint_range,
    max_length,
    storable_problem,
)

FILE_KEY = re.compile(r"[0-9a-f]{64}/[^/\\\x00-\x1f\x7f]{1,200}\Z")  # no control characters
PHONE = re.compile(r"\+?[0-9 ()./-]{4,30}\Z")
DURATION_TEXT = re.compile(r"^\s*(?:(\d+)\s*h)?\s*(?:(\d+)\s*m(?:in)?)?\s*$", re.IGNORECASE)
CLOCK = re.compile(r"^\s*(\d+):([0-5]\d)\s*$")
WHOLE_TEXT = re.compile(r"^\s*([+-]?\d+)(?:\.0*)?\s*$")
MAX_REF = 140  # the length of the ref column a link's text value is compared with
MONEY_PRECISION, MONEY_SCALE = 18, 2  # a money column is NUMERIC(18, 2), whatever the spec says


def error_messages(t: Translator) -> dict[str, str]:
    """The messages every field type's marshmallow field shows for a missing or bad value."""
    return {
        "required": t.gettext(_("A value is required.")),
        "null": t.gettext(_("A value is required.")),
        "invalid": t.gettext(_("Not a valid value.")),
    }


def _range(spec: FieldSpec, t: Translator) -> list[validate.Validator]:
    if spec.min is None and spec.max is None:
        return []
    if spec.min is not None and spec.max is not None:
        message = _("Must be between {min} and {max}.")
    elif spec.min is not None:
        message = _("Must be at least {min}.")
    else:
        message = _("Must be at most {max}.")
    error = t.gettext(message, min=spec.min, max=spec.max)
    return [validate.Range(min=spec.min, max=spec.max, error=error)]


def _pattern(spec: FieldSpec, t: Translator) -> list[validate.Validator]:
    if not spec.pattern:
        return []
    error = t.gettext(_("Does not match the expected format."))
    return [validate.Regexp(compiled(spec.pattern), error=error)]


def _length(spec: FieldSpec, t: Translator) -> list[validate.Validator]:
    """Storable characters, and at most the field's length (or its type's default)."""
    limit = max_length(spec)
    if not limit:
        return [Storable(t)]
    return [Storable(t), validate.Length(max=limit, error=t.gettext(_("At most {max} characters."),
                                                                    max=limit))]


class _CheckedString(fields.String):
    """A string that a python-stdnum check validates and stores in its compact form."""

    def __init__(self, spec: FieldSpec, t: Translator, **kwargs: Any):
        check = spec.pack_check or find_check(spec.check or "")
        assert check is not None, spec.check  # the pack's loader refuses unknown checks
        self._check, self._t = check, t
        super().__init__(**kwargs)

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        if not text.strip():
            return text
        try:
            return self._check.normalise(text, self._t)
        except CheckFailed as exc:
            raise ValidationError(exc.message) from None


def string_loader(spec: FieldSpec, t: Translator) -> fields.Field:
    validators = _length(spec, t) + _pattern(spec, t)
    if spec.check:
        return _CheckedString(spec, t, validate=validators, error_messages=error_messages(t),
                              allow_none=True)
    return fields.String(validate=validators, error_messages=error_messages(t), allow_none=True)


def text_loader(spec: FieldSpec, t: Translator) -> fields.Field:
    return fields.String(validate=_length(spec, t) + _pattern(spec, t),
                         error_messages=error_messages(t), allow_none=True)


class _WholeNumberField(fields.Integer):
    """A whole number: ``4``, ``"4"``, ``4.0`` or ``"4.0"``; ``4.5`` is refused, not truncated."""

    def _validated(self, value: Any) -> int:
        if isinstance(value, float | Decimal):
            integral = (value.is_integer() if isinstance(value, float)
                        else value.is_finite() and value == value.to_integral_value())
            if not integral:
                raise self.make_error("invalid", input=value)
        elif isinstance(value, str):
            whole = WHOLE_TEXT.fullmatch(value)
            if whole is None:
                raise self.make_error("invalid", input=value)
            value = whole[1]
        return super()._validated(value)


def integer_loader(spec: FieldSpec, t: Translator) -> fields.Field:
    messages = {**error_messages(t), "invalid": t.gettext(_("Not a valid whole number."))}
    return _WholeNumberField(strict=False, validate=[bigint_range(t), *_range(spec, t)],
                             error_messages=messages, allow_none=True)


class _DecimalField(fields.Decimal):
    """A decimal that must fit its column's precision and scale."""

    def __init__(self, spec: FieldSpec, t: Translator, digits: tuple[int, int] | None = None,
                 **kwargs: Any):
        self._spec = spec
        self._t = t
        self._digits = digits  # the column's (precision, scale) when the spec does not say it
        super().__init__(places=spec.scale, **kwargs)

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Decimal:
        if isinstance(value, float):
            value = repr(value)
        if isinstance(value, str):
            value = value.strip().replace(" ", "")
        result = super()._deserialize(value, attr, data, **kwargs)
        precision, scale = self._digits or (self._spec.precision or 18, self._spec.scale or 0)
        if result.is_finite() and abs(result) >= Decimal(10) ** (precision - scale):
            raise ValidationError(self._t.gettext(_("Too large: at most {digits} digits before "
                                                    "the decimal point."),
                                                  digits=precision - scale))
        return result


def decimal_loader(spec: FieldSpec, t: Translator,
             digits: tuple[int, int] | None = None) -> fields.Field:
    messages = {**error_messages(t), "invalid": t.gettext(_("Not a valid number.")),
                "special": t.gettext(_("Not a valid number."))}
    return _DecimalField(spec, t, digits, validate=_range(spec, t), error_messages=messages,
                         allow_none=True)


def money_loader(spec: FieldSpec, t: Translator) -> fields.Field:
    return decimal_loader(spec, t, (MONEY_PRECISION, MONEY_SCALE))


def boolean_loader(spec: FieldSpec, t: Translator) -> fields.Field:
    messages = {**error_messages(t), "invalid": t.gettext(_("Not a valid yes/no value."))}
    return fields.Boolean(error_messages=messages, allow_none=True)


def date_loader(spec: FieldSpec, t: Translator) -> fields.Field:
    messages = {**error_messages(t), "invalid": t.gettext(_("Not a valid date (YYYY-MM-DD)."))}
    return fields.Date(error_messages=messages, allow_none=True)


class _UtcDateTime(fields.DateTime):
    """A date and time, stored as naive UTC."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> dt.datetime:
        if isinstance(value, dt.datetime):
            result = value
        else:
            result = super()._deserialize(value, attr, data, **kwargs)
        if result.tzinfo is not None:
            result = result.astimezone(dt.UTC).replace(tzinfo=None)
        return result


def datetime_loader(spec: FieldSpec, t: Translator) -> fields.Field:
    messages = {**error_messages(t),
                "invalid": t.gettext(_("Not a valid date and time (YYYY-MM-DDTHH:MM)."))}
    return _UtcDateTime(error_messages=messages, allow_none=True)


def parse_duration(value: Any) -> int:
    """Seconds from an integer, ``"1:30"``, ``"2h 15m"`` or ``"45m"``; ValueError otherwise."""
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        text = value.strip()
        if text.isdigit():
            return int(text)
        clock = CLOCK.fullmatch(text)
        if clock:
            return int(clock[1]) * 3600 + int(clock[2]) * 60
        parts = DURATION_TEXT.fullmatch(text)
        if parts and (parts[1] or parts[2]):
            return int(parts[1] or 0) * 3600 + int(parts[2] or 0) * 60
    raise ValueError(value)


class _DurationField(fields.Field):
    """A duration in seconds; accepts seconds, ``h:mm`` or ``2h 30m``."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> int:
        try:
            seconds = parse_duration(value)
        except ValueError:
            raise self.make_error("invalid") from None
        if seconds < 0:
            raise self.make_error("invalid")
        return seconds


def duration_loader(spec: FieldSpec, t: Translator) -> fields.Field:
    messages = {**error_messages(t),
                "invalid": t.gettext(_("Not a valid duration (seconds, h:mm or 2h 30m)."))}
    return _DurationField(validate=[bigint_range(t), *_range(spec, t)], error_messages=messages,
                          allow_none=True)


def _one_of(spec: FieldSpec, t: Translator) -> validate.Validator:
    return validate.OneOf(spec.options, error=t.gettext(_("Must be one of: {choices}."),
                                                        choices=", ".join(spec.options)))


def select_loader(spec: FieldSpec, t: Translator) -> fields.Field:
    return fields.String(validate=[Storable(t), _one_of(spec, t)], error_messages=error_messages(t),
                         allow_none=True)


class _MultiSelectField(fields.Field):
    """Several options, stored as one comma-separated column in the options' order (or NULL)."""

    def __init__(self, spec: FieldSpec, t: Translator, **kwargs: Any):
        self._spec, self._t = spec, t
        super().__init__(**kwargs)

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str | None:
        chosen = [v.strip() for v in value.split(",")] if isinstance(value, str) else value
        if not isinstance(chosen, list | tuple) or not all(isinstance(v, str) for v in chosen):
            raise self.make_error("invalid")
        unknown = [v for v in chosen if v and v not in self._spec.options]
        if unknown:
            raise ValidationError(self._t.gettext(_("Must be one of: {choices}."),
                                                  choices=", ".join(self._spec.options)))
        # Nothing chosen is no value (NULL), so that "is null" finds it.
        return ",".join(o for o in self._spec.options if o in chosen) or None

    def _serialize(self, value: Any, attr: Any, obj: Any, **kwargs: Any) -> list[str]:
        return [v for v in (value or "").split(",") if v]


def multiselect_loader(spec: FieldSpec, t: Translator) -> fields.Field:
    return _MultiSelectField(spec, t, error_messages=error_messages(t), allow_none=True)


class LinkValue(fields.Field):
    """A reference to another record: its id, or its ``ref`` to be resolved by the service."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> int | str:
        if isinstance(value, bool):
            raise self.make_error("invalid")
        if isinstance(value, int):
            if not 0 < value <= BIGINT_MAX:
                raise self.make_error("invalid")
            return value
        if isinstance(value, str) and value.strip():
            text = value.strip()
            if storable_problem(text, Translator()) or len(text) > MAX_REF:
                raise self.make_error("invalid")
            if text.isascii() and text.isdigit():
                return self._deserialize(int(text), attr, data)
            return text
        raise self.make_error("invalid")


def link_loader(spec: FieldSpec, t: Translator) -> fields.Field:
    messages = {**error_messages(t), "invalid": t.gettext(_("Not a valid reference."))}
    return LinkValue(error_messages=messages, allow_none=True)


def email_loader(spec: FieldSpec, t: Translator) -> fields.Field:
    messages = {**error_messages(t), "invalid": t.gettext(_("Not a valid e-mail address."))}
    return fields.Email(validate=_length(spec, t), error_messages=messages, allow_none=True)


def phone_loader(spec: FieldSpec, t: Translator) -> fields.Field:
    error = t.gettext(_("Not a valid phone number."))
    return fields.String(validate=[Storable(t), validate.Regexp(PHONE, error=error),
                                   *_pattern(spec, t)],
                         error_messages=error_messages(t), allow_none=True)


def url_loader(spec: FieldSpec, t: Translator) -> fields.Field:
    messages = {**error_messages(t), "invalid": t.gettext(_("Not a valid URL."))}
    return fields.Url(validate=_length(spec, t), error_messages=messages, allow_none=True)


def file_loader(spec: FieldSpec, t: Translator) -> fields.Field:
    error = t.gettext(_("Not a stored file reference."))
    return fields.String(validate=[Storable(t), validate.Regexp(FILE_KEY, error=error)],
                         error_messages=error_messages(t), allow_none=True)


def table_loader(spec: FieldSpec, t: Translator) -> fields.Field:
    messages = {**error_messages(t), "invalid": t.gettext(_("Must be a list of lines."))}
    return fields.List(fields.Dict(), error_messages=messages, allow_none=True)
