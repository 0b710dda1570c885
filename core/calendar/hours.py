"""Business calendars: weekly working hours, a time zone and public holidays.

A :class:`BusinessCalendar` knows the weekly working hours of an organisation, its time zone
and its public holidays (from the ``holidays`` package, plus extra closures). It answers
questions such as "when are 4 working hours over?" for service-level agreements.

Conventions:

* Every datetime going in or out is **naive UTC** (Officina's storage format); working-hour
  logic runs in the calendar's local time zone, so DST changes are handled.
* Working intervals are half-open, ``[start, end)``: 08:00 is working time, 12:00 is not.
* Working time is measured in real elapsed time; a shift that spans a DST change is one hour
  longer or shorter. Local times skipped by DST are resolved like ``zoneinfo`` does (fold=0).
* An interval may end at midnight (``time(0)``, written ``"24:00"`` in metadata), meaning the
  end of the day, so ``(time(0), time(0))`` is a whole day.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

Interval = tuple[time, time]
Pause = tuple[datetime, datetime | None]

WEEKDAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_MIDNIGHT = time(0)
_ONE_DAY = timedelta(days=1)
_ZERO = timedelta(0)
# Give up when this many consecutive days have no working time (e.g. every working day is a
# holiday); far longer than any real closure, short enough to fail fast instead of hanging.
_MAX_CLOSED_DAYS = 3660


@lru_cache(maxsize=1)
def _supported_countries() -> Mapping[str, list[str]]:
    return holidays.list_supported_countries()


@lru_cache(maxsize=512)
def _public_holidays(country: str, subdivision: str | None, year: int) -> frozenset[date]:
    """Public holiday dates of one year (cached: the package is slow compared to a set lookup)."""
    return frozenset(holidays.country_holidays(country, subdiv=subdivision, years=year))


def _check_region(country: str | None, subdivision: str | None) -> None:
    """Raise ValueError unless the holidays package knows this country and subdivision."""
    if country is None:
        if subdivision is not None:
            raise ValueError(f"subdivision: {subdivision!r} given without a country")
        return
    if country not in _supported_countries():
        raise ValueError(f"country: {country!r} is not supported by the holidays package")
    if subdivision is None:
        return
    entity = holidays.country_holidays(country)
    known = set(entity.subdivisions) | set(getattr(entity, "subdivisions_aliases", {}))
    if subdivision not in known:
        sample = ", ".join(entity.subdivisions[:8]) or "none"
        raise ValueError(
            f"subdivision: {subdivision!r} is not a subdivision of {country} "
            f"in the holidays package (e.g. {sample})"
        )


def _minutes(moment: time) -> float:
    return moment.hour * 60 + moment.minute + (moment.second + moment.microsecond / 1e6) / 60


def _start_minutes(interval: Interval) -> float:
    return _minutes(interval[0])


def _end_minutes(interval: Interval) -> float:
    """Minutes after local midnight; an end of ``time(0)`` is the following midnight."""
    return 24 * 60.0 if interval[1] == _MIDNIGHT else _minutes(interval[1])


def _check_naive(moment: datetime, what: str = "moment") -> None:
    if moment.tzinfo is not None:
        raise ValueError(f"{what} must be a naive UTC datetime, got {moment.isoformat()}")


@dataclass(frozen=True)
class BusinessCalendar:
    """Weekly working hours in a time zone, minus public holidays and extra closures.

    ``hours`` has seven entries, Monday first; each is a sorted tuple of non-overlapping
    ``(start, end)`` local times (an end of ``time(0)`` means midnight at the end of the day).
    ``country``/``subdivision`` select public holidays from the ``holidays`` package
    (``country=None`` disables them); ``extra_holidays`` adds closures such as Aug 14;
    ``label`` is an optional human-readable title.
    """

    name: str
    hours: tuple[tuple[Interval, ...], ...]
    timezone: str = "Europe/Rome"
    country: str | None = "IT"
    subdivision: str | None = None
    extra_holidays: frozenset[date] = field(default_factory=frozenset)
    label: str | None = None

    def __post_init__(self) -> None:
        if len(self.hours) != 7:
            raise ValueError(
                f"calendar {self.name!r}: hours needs 7 weekdays, got {len(self.hours)}"
            )
        for weekday, intervals in enumerate(self.hours):
            day = WEEKDAY_KEYS[weekday]
            previous_end = -1.0
            for interval in intervals:
                start, end = interval
                if not isinstance(start, time) or not isinstance(end, time):
                    raise ValueError(f"calendar {self.name!r}: {day} interval must be times")
                if start.tzinfo is not None or end.tzinfo is not None:
                    raise ValueError(f"calendar {self.name!r}: {day} times must be naive")
                if _end_minutes(interval) <= _start_minutes(interval):
                    raise ValueError(f"calendar {self.name!r}: {day} {start}-{end} is empty")
                if _start_minutes(interval) < previous_end:
                    raise ValueError(
                        f"calendar {self.name!r}: {day} intervals must be sorted "
                        "and non-overlapping"
                    )
                previous_end = _end_minutes(interval)
        if not any(self.hours):
            raise ValueError(f"calendar {self.name!r} has no working hours")
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"timezone: unknown time zone {self.timezone!r}") from exc
        _check_region(self.country, self.subdivision)

    @property
    def zone(self) -> ZoneInfo:
        """The calendar's time zone (zoneinfo caches instances, so this is cheap)."""
        return ZoneInfo(self.timezone)

    # -- days and intervals -------------------------------------------------------------

    def is_holiday(self, day: date) -> bool:
        """True if the local ``day`` is a public holiday or an extra closure."""
        if day in self.extra_holidays:
            return True
        if self.country is None:
            return False
        return day in _public_holidays(self.country, self.subdivision, day.year)

    def working_intervals(self, day: date) -> list[tuple[datetime, datetime]]:
        """The working intervals of local ``day`` as naive UTC ``(start, end)`` pairs."""
        spec = self.hours[day.weekday()]
        if not spec or self.is_holiday(day):
            return []
        result = []
        for start, end in spec:
            utc_start = self._to_utc(datetime.combine(day, start))
            end_day = day + _ONE_DAY if end == _MIDNIGHT else day
            utc_end = self._to_utc(datetime.combine(end_day, end))
            if utc_end > utc_start:  # an interval inside a DST gap can vanish
                result.append((utc_start, utc_end))
        return result

    def _to_utc(self, local: datetime) -> datetime:
        return local.replace(tzinfo=self.zone).astimezone(UTC).replace(tzinfo=None)

    def _local_date(self, moment: datetime) -> date:
        return moment.replace(tzinfo=UTC).astimezone(self.zone).date()

    def _forward(self, moment: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Working intervals after ``moment``, the first one clipped to start at it."""
        day = self._local_date(moment) - _ONE_DAY
        closed = 0
        while True:
            intervals = self.working_intervals(day)
            closed = 0 if intervals else closed + 1
            if closed > _MAX_CLOSED_DAYS:
                raise ValueError(f"calendar {self.name!r} has no working time after {moment}")
            for start, end in intervals:
                if end > moment:
                    yield max(start, moment), end
            day += _ONE_DAY

    def _backward(self, moment: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Working intervals before ``moment``, latest first, the first clipped to end at it."""
        day = self._local_date(moment) + _ONE_DAY
        closed = 0
        while True:
            intervals = self.working_intervals(day)
            closed = 0 if intervals else closed + 1
            if closed > _MAX_CLOSED_DAYS:
                raise ValueError(f"calendar {self.name!r} has no working time before {moment}")
            for start, end in reversed(intervals):
                if start < moment:
                    yield start, min(end, moment)
            day -= _ONE_DAY

    # -- public queries -----------------------------------------------------------------

    def is_working_time(self, moment: datetime) -> bool:
        """True if the naive UTC ``moment`` falls inside working hours."""
        _check_naive(moment)
        day = self._local_date(moment)
        return any(
            start <= moment < end
            for d in (day - _ONE_DAY, day)
            for start, end in self.working_intervals(d)
        )

    def next_working_moment(self, moment: datetime) -> datetime:
        """``moment`` itself if it is working time, otherwise the next opening."""
        _check_naive(moment)
        start, _ = next(self._forward(moment))
        return start

    def add_working_time(self, start: datetime, duration: timedelta) -> datetime:
        """The moment when ``duration`` of working time has elapsed after ``start``.

        Counting begins at the next opening if ``start`` is outside hours. A zero duration
        returns ``start`` unchanged; a result that lands exactly on the end of an interval is
        that end (e.g. 12:00), not the next opening.
        """
        _check_naive(start, "start")
        if duration < _ZERO:
            raise ValueError(f"duration must not be negative, got {duration}")
        if duration == _ZERO:
            return start
        remaining = duration
        for begin, end in self._forward(start):
            if remaining <= end - begin:
                return begin + remaining
            remaining -= end - begin
        raise AssertionError("unreachable")  # pragma: no cover - _forward never ends

    def subtract_working_time(self, end: datetime, duration: timedelta) -> datetime:
        """The moment ``duration`` of working time before ``end`` (mirror of add).

        A zero duration returns ``end`` unchanged; a result that lands exactly on the start of
        an interval is that start (e.g. 08:00), not the previous closing.
        """
        _check_naive(end, "end")
        if duration < _ZERO:
            raise ValueError(f"duration must not be negative, got {duration}")
        if duration == _ZERO:
            return end
        remaining = duration
        for begin, finish in self._backward(end):
            if remaining <= finish - begin:
                return finish - remaining
            remaining -= finish - begin
        raise AssertionError("unreachable")  # pragma: no cover - _backward never ends

    def working_time_between(self, start: datetime, end: datetime) -> timedelta:
        """Working time in ``[start, end)``; zero if ``end <= start``."""
        _check_naive(start, "start")
        _check_naive(end, "end")
        total = _ZERO
        if end <= start:
            return total
        day = self._local_date(start) - _ONE_DAY
        last = self._local_date(end) + _ONE_DAY
        while day <= last:
            for begin, finish in self.working_intervals(day):
                overlap = min(finish, end) - max(begin, start)
                if overlap > _ZERO:
                    total += overlap
            day += _ONE_DAY
        return total

