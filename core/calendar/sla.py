"""SLA clocks: working time on a business calendar that stops while a case is paused."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from core.calendar.hours import BusinessCalendar, Pause, _check_naive


def _merge_pauses(
    start: datetime, pauses: Iterable[Pause]
) -> list[tuple[datetime, datetime | None]]:
    """Sort pauses, clip them to begin at ``start`` and merge overlaps (None = still open)."""
    merged: list[tuple[datetime, datetime | None]] = []
    for begin, end in sorted(pauses, key=lambda pause: pause[0]):
        _check_naive(begin, "pause start")
        if end is not None:
            _check_naive(end, "pause end")
            if end < begin:
                raise ValueError(f"pause ends before it starts: {begin} - {end}")
            if end <= start:
                continue
        begin = max(begin, start)
        if merged and (merged[-1][1] is None or begin <= merged[-1][1]):
            last_begin, last_end = merged[-1]
            if last_end is None or end is None:
                merged[-1] = (last_begin, None)
            else:
                merged[-1] = (last_begin, max(last_end, end))
        else:
            merged.append((begin, end))
    return merged


@dataclass(frozen=True)
class SlaClock:
    """An SLA clock on a business calendar that stops while the case is paused.

    Pauses are ``(start, end)`` pairs of naive UTC datetimes; ``end=None`` means the pause is
    still running. Pauses may be unsorted or overlap; working time inside them does not count.
    """

    calendar: BusinessCalendar

    def deadline(
        self, start: datetime, target: timedelta, pauses: Iterable[Pause], now: datetime
    ) -> datetime | None:
        """When ``target`` working time will have counted since ``start``.

        Returns None while the clock is paused at ``now`` (an open pause), unless the target
        was already reached before that pause began, in which case that deadline is returned.
        """
        _check_naive(now, "now")
        merged = _merge_pauses(start, pauses)
        for begin, end in merged:
            if end is None and begin > now:
                raise ValueError(f"open pause starts after now: {begin} > {now}")
        moment, remaining = start, target
        for begin, end in merged:
            candidate = self.calendar.add_working_time(moment, remaining)
            if candidate <= begin:
                return candidate
            if end is None:
                return None
            remaining -= self.calendar.working_time_between(moment, begin)
            moment = end
        return self.calendar.add_working_time(moment, remaining)

    def elapsed(self, start: datetime, pauses: Iterable[Pause], now: datetime) -> timedelta:
        """Working time that counted between ``start`` and ``now``, excluding pauses."""
        _check_naive(now, "now")
        total = self.calendar.working_time_between(start, now)
        for begin, end in _merge_pauses(start, pauses):
            stop = now if end is None else min(end, now)
            total -= self.calendar.working_time_between(begin, stop)
        return total

