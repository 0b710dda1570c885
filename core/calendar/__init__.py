"""Business calendars and SLA clocks, below both the metadata that defines calendars and the
rules that count working time on them.

``hours`` holds :class:`BusinessCalendar` (weekly hours, time zone, public holidays from the
``holidays`` package; its docstring states the conventions), ``sla`` the :class:`SlaClock`
and ``definition`` :func:`calendar_from_dict`, which builds a calendar from its metadata.
"""

from core.calendar.definition import DEFAULT_CALENDAR, calendar_from_dict
from core.calendar.hours import WEEKDAY_KEYS, BusinessCalendar, Interval, Pause
from core.calendar.sla import SlaClock

__all__ = [
    "DEFAULT_CALENDAR",
    "WEEKDAY_KEYS",
    "BusinessCalendar",
    "Interval",
    "Pause",
    "SlaClock",
    "calendar_from_dict",
]
