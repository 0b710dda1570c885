"""A business calendar from its definition (a pack's ``calendar`` document); the default."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime, time
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from core.calendar.hours import (
    _MIDNIGHT,
    WEEKDAY_KEYS,
    BusinessCalendar,
    Interval,
    _check_region,
    _end_minutes,
    _start_minutes,
)

_TIME_RE = re.compile(r"^(\d{1,2}):(\d{2})$")

_CALENDAR_KEYS = {"name", "label", "timezone", "country", "subdivision", "hours", "holidays"}


def _parse_clock(text: str, *, is_end: bool) -> time | None:
    match = _TIME_RE.fullmatch(text.strip())
    if not match:
        return None
    hour, minute = int(match[1]), int(match[2])
    if is_end and (hour, minute) == (24, 0):
        return _MIDNIGHT
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


def _parse_interval(where: str, value: Any) -> Interval:
    if not isinstance(value, str) or value.count("-") != 1:
        raise ValueError(f"{where}: {value!r} is not an interval like '08:00-12:00'")
    first, second = value.split("-")
    start = _parse_clock(first, is_end=False)
    end = _parse_clock(second, is_end=True)
    if start is None or end is None:
        raise ValueError(f"{where}: {value!r} is not an interval like '08:00-12:00'")
    if _end_minutes((start, end)) <= _start_minutes((start, end)):
        raise ValueError(f"{where}: {value!r} ends before it starts")
    return start, end


def _parse_day(key: str, values: Any) -> tuple[Interval, ...]:
    if values is None:
        return ()
    if isinstance(values, str) or not isinstance(values, Sequence):
        raise ValueError(f"hours.{key}: expected a list of intervals, got {values!r}")
    parsed = [
        (_parse_interval(f"hours.{key}[{i}]", value), i, value) for i, value in enumerate(values)
    ]
    parsed.sort(key=lambda item: _start_minutes(item[0]))
    for (prev, prev_i, prev_text), (cur, cur_i, cur_text) in pairwise(parsed):
        if _start_minutes(cur) < _end_minutes(prev):
            raise ValueError(
                f"hours.{key}[{cur_i}]: {cur_text!r} overlaps hours.{key}[{prev_i}]: {prev_text!r}"
            )
    return tuple(interval for interval, _, _ in parsed)


def _parse_holiday(where: str, value: Any) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value  # YAML loaders turn unquoted 2026-08-14 into a date
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        raise ValueError(f"{where}: {value!r} is not a date like '2026-08-14'") from None


def _optional_str(data: Mapping[str, Any], key: str, default: str | None) -> str | None:
    value = data.get(key, default)
    if value is not None and (not isinstance(value, str) or not value.strip()):
        raise ValueError(f"{key}: expected a non-empty string, got {value!r}")
    return value


def calendar_from_dict(data: Mapping[str, Any]) -> BusinessCalendar:
    """Build a calendar from metadata (see module docstring); ValueError names the bad key.

    Keys: ``name`` (required), ``label``, ``timezone`` (default Europe/Rome), ``country``
    (default IT, null for no public holidays), ``subdivision``, ``hours`` (required; ``mon``
    … ``sun``, each a list of ``"HH:MM-HH:MM"``, ``"24:00"`` allowed as an end; missing days
    are closed) and ``holidays`` (extra closures as ISO strings or dates).
    """
    if not isinstance(data, Mapping):
        raise ValueError(f"calendar: expected a mapping, got {type(data).__name__}")
    unknown = sorted(str(key) for key in set(data) - _CALENDAR_KEYS)
    if unknown:
        raise ValueError(f"calendar: unknown key {unknown[0]!r}")
    name = _optional_str(data, "name", None)
    if name is None:
        raise ValueError("name: required")
    label = _optional_str(data, "label", None)
    timezone = _optional_str(data, "timezone", "Europe/Rome")
    if timezone is None:
        raise ValueError("timezone: expected a time zone name like 'Europe/Rome', got None")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"timezone: unknown time zone {timezone!r}") from None
    country = _optional_str(data, "country", "IT")
    subdivision = _optional_str(data, "subdivision", None)
    _check_region(country, subdivision)

    hours_data = data.get("hours")
    if not isinstance(hours_data, Mapping):
        raise ValueError(f"hours: expected a mapping of weekdays, got {hours_data!r}")
    week: list[tuple[Interval, ...]] = [()] * 7
    for key, values in hours_data.items():
        if key not in WEEKDAY_KEYS:
            raise ValueError(f"hours: unknown weekday {key!r} (use {', '.join(WEEKDAY_KEYS)})")
        week[WEEKDAY_KEYS.index(key)] = _parse_day(key, values)
    if not any(week):
        raise ValueError("hours: no working hours on any day")

    extra = data.get("holidays") or []
    if isinstance(extra, str) or not isinstance(extra, Sequence):
        raise ValueError(f"holidays: expected a list of dates, got {extra!r}")
    closures = frozenset(_parse_holiday(f"holidays[{i}]", value) for i, value in enumerate(extra))
    return BusinessCalendar(
        name=name,
        hours=tuple(week),
        timezone=timezone,
        country=country,
        subdivision=subdivision,
        extra_holidays=closures,
        label=label,
    )


_DEFAULT_DAY = ((time(8, 30), time(12, 30)), (time(14, 0), time(18, 0)))
DEFAULT_CALENDAR = BusinessCalendar(
    name="default",
    hours=(_DEFAULT_DAY,) * 5 + ((), ()),
    timezone="Europe/Rome",
    country="IT",
)
