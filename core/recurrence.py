"""RFC 5545 recurrence rules (``FREQ=MONTHLY;BYDAY=1TU``), parsed by dateutil and checked.

Rules are typed by users (a maintenance operation's frequency), so they are checked when
saved: dateutil must read them, and they must be able to happen at all. A rule no date can
meet (``FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30``) would send dateutil searching up to year
9999, seconds of work each time it is expanded.

``validate`` and ``is_valid`` follow python-stdnum's protocol, so the field check
``check: rrule`` (see core/metadata/field_checks.py) uses this module like a stdnum one.
"""

from __future__ import annotations

import datetime as dt

from dateutil.rrule import rrule, rrulestr
from stdnum.exceptions import ValidationError

PROBE_START = dt.datetime(2000, 1, 1)
# The longest a month of each number can be: 29 for February (leap years).
MONTH_DAYS = {1: 31, 2: 29, 3: 31, 4: 30, 5: 31, 6: 30, 7: 31, 8: 31, 9: 30, 10: 31, 11: 30,
              12: 31}


def normalise(text: str) -> str:
    """The rule without an ``RRULE:`` prefix, spaces or lower case."""
    body = "".join(text.split()).upper()
    return body[len("RRULE:"):] if body.startswith("RRULE:") else body


def parse(text: str, start: dt.datetime) -> rrule:
    """The recurrence of ``text`` counted from ``start``; ``ValueError`` if unreadable."""
    recurrence = rrulestr(normalise(text), dtstart=start)
    if not isinstance(recurrence, rrule):
        raise ValueError("one RRULE, not a set of rules")
    return recurrence


def _impossible(recurrence: rrule) -> bool:
    """Whether no date meets the rule: every day of month it names is past the end of every
    month it allows. (dateutil keeps the parsed parts in its private attributes.)"""
    days = recurrence._bymonthday
    months = recurrence._bymonth or tuple(MONTH_DAYS)
    if not days or recurrence._bynmonthday:  # days counted from the end always exist
        return False
    return all(day > MONTH_DAYS[month] for day in days for month in months)


def validate(text: str) -> str:
    """The rule in its stored form; ``ValidationError`` when dateutil cannot read it or no
    date can ever meet it."""
    try:
        recurrence = parse(text, PROBE_START)
    except (ValueError, TypeError, OverflowError):
        raise ValidationError() from None
    if _impossible(recurrence):
        raise ValidationError()
    return normalise(text)


def is_valid(text: str) -> bool:
    """Whether ``text`` is a recurrence rule that can happen."""
    try:
        validate(text)
    except ValidationError:
        return False
    return True
