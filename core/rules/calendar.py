"""Business calendars, from ``core.calendar`` (kept here for the rules modules that import it)."""

from core.calendar import DEFAULT_CALENDAR, BusinessCalendar, calendar_from_dict

__all__ = ["DEFAULT_CALENDAR", "BusinessCalendar", "calendar_from_dict"]
