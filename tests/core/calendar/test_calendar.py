import random
import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from core.calendar import (
    DEFAULT_CALENDAR,
    BusinessCalendar,
    SlaClock,
    calendar_from_dict,
)
from core.calendar import hours as calendar_module

ROME = ZoneInfo("Europe/Rome")
H = timedelta(hours=1)
DAY = ((time(8), time(12)), (time(13), time(17)))
OFFICE_HOURS = (DAY,) * 5 + ((), ())


def utc(text: str) -> datetime:
    """Naive UTC for a Europe/Rome wall-clock time 'YYYY-MM-DD HH:MM'."""
    local = datetime.fromisoformat(text).replace(tzinfo=ROME)
    return local.astimezone(UTC).replace(tzinfo=None)


def local(moment: datetime) -> str:
    return moment.replace(tzinfo=UTC).astimezone(ROME).strftime("%Y-%m-%d %H:%M")


@pytest.fixture
def office() -> BusinessCalendar:
    return BusinessCalendar(name="office", hours=OFFICE_HOURS)


# -- the basic contract --------------------------------------------------------------------


def test_friday_afternoon_plus_four_hours_is_monday_eleven(office):
    start = datetime(2026, 3, 6, 15, 0)  # Friday 16:00 in Rome (CET, UTC+1)
    assert local(start) == "2026-03-06 16:00"
    end = office.add_working_time(start, 4 * H)
    assert end == datetime(2026, 3, 9, 10, 0)
    assert local(end) == "2026-03-09 11:00"


def test_interval_boundaries_are_half_open(office):
    assert office.is_working_time(utc("2026-03-09 08:00"))
    assert office.is_working_time(utc("2026-03-09 11:59"))
    assert not office.is_working_time(utc("2026-03-09 12:00"))
    assert office.is_working_time(utc("2026-03-09 13:00"))
    assert not office.is_working_time(utc("2026-03-09 17:00"))
    assert not office.is_working_time(utc("2026-03-07 10:00"))  # Saturday
    # a duration that ends exactly at closing lands on the closing, not the next opening
    assert local(office.add_working_time(utc("2026-03-09 08:00"), 4 * H)) == "2026-03-09 12:00"
    assert local(office.subtract_working_time(utc("2026-03-09 17:00"), 4 * H)) == (
        "2026-03-09 13:00"
    )
    assert local(office.subtract_working_time(utc("2026-03-09 13:00"), H)) == "2026-03-09 11:00"


@pytest.mark.parametrize(
    ("start", "duration", "expected"),
    [
        ("2026-03-09 06:00", H, "2026-03-09 09:00"),  # before opening
        ("2026-03-09 12:30", H, "2026-03-09 14:00"),  # lunch break
        ("2026-03-09 12:00", timedelta(minutes=30), "2026-03-09 13:30"),
        ("2026-03-09 18:00", timedelta(minutes=30), "2026-03-10 08:30"),  # evening
        ("2026-03-07 10:00", 5 * H, "2026-03-09 14:00"),  # Saturday
        ("2026-03-09 11:30", H, "2026-03-09 13:30"),  # across lunch
    ],
)
def test_add_from_various_starts(office, start, duration, expected):
    assert local(office.add_working_time(utc(start), duration)) == expected


def test_zero_duration_returns_start_unchanged(office):
    saturday = utc("2026-03-07 10:00")
    assert office.add_working_time(saturday, timedelta(0)) == saturday
    assert office.subtract_working_time(saturday, timedelta(0)) == saturday


def test_negative_duration_is_rejected(office):
    with pytest.raises(ValueError, match="negative"):
        office.add_working_time(utc("2026-03-09 09:00"), -H)
    with pytest.raises(ValueError, match="negative"):
        office.subtract_working_time(utc("2026-03-09 09:00"), -H)


def test_aware_datetimes_are_rejected(office):
    with pytest.raises(ValueError, match="naive UTC"):
        office.is_working_time(datetime(2026, 3, 9, 9, tzinfo=UTC))


def test_next_working_moment(office):
    inside = utc("2026-03-09 09:15")
    assert office.next_working_moment(inside) == inside
    assert local(office.next_working_moment(utc("2026-03-09 12:00"))) == "2026-03-09 13:00"
    assert local(office.next_working_moment(utc("2026-03-06 17:00"))) == "2026-03-09 08:00"


def test_subtract_before_deadline(office):
    deadline = utc("2026-03-09 08:20")
    assert local(office.subtract_working_time(deadline, timedelta(minutes=30))) == (
        "2026-03-06 16:50"
    )


# -- holidays ------------------------------------------------------------------------------


def test_italian_national_holidays_2026(office):
    for day in ["2026-01-01", "2026-01-06", "2026-04-06", "2026-04-25", "2026-05-01",
                "2026-06-02", "2026-08-15", "2026-11-01", "2026-12-08", "2026-12-25",
                "2026-12-26"]:  # fmt: skip
        assert office.is_holiday(date.fromisoformat(day)), day
    for day in ["2026-12-24", "2026-04-07", "2026-12-07", "2026-02-15"]:
        assert not office.is_holiday(date.fromisoformat(day)), day


@pytest.mark.parametrize(
    ("start", "duration", "expected"),
    [
        # Thu Dec 24 is a working day; Fri 25 (Christmas) and Sat 26 are holidays
        ("2026-12-24 16:00", 2 * H, "2026-12-28 09:00"),
        # Easter Monday 2026-04-06
        ("2026-04-03 16:00", 2 * H, "2026-04-07 09:00"),
        # Republic Day, Tuesday 2026-06-02
        ("2026-06-01 17:00", H, "2026-06-03 09:00"),
        # Immaculate Conception, Tuesday 2026-12-08
        ("2026-12-07 16:30", H, "2026-12-09 08:30"),
    ],
)
def test_national_holidays_are_skipped(office, start, duration, expected):
    assert local(office.add_working_time(utc(start), duration)) == expected


def test_holidays_are_not_working_time(office):
    assert not office.is_working_time(utc("2026-12-25 10:00"))
    assert office.is_working_time(utc("2026-12-24 10:00"))
    week = office.working_time_between(utc("2026-12-21 00:00"), utc("2026-12-28 00:00"))
    assert week == 32 * H  # Christmas Friday missing


def test_province_patron_saints():
    brescia = BusinessCalendar(name="bs", hours=OFFICE_HOURS, subdivision="BS")
    national = BusinessCalendar(name="it", hours=OFFICE_HOURS)
    # Saints Faustinus and Jovita, Brescia: Monday 2027-02-15
    assert brescia.is_holiday(date(2027, 2, 15))
    assert not national.is_holiday(date(2027, 2, 15))
    assert not brescia.is_working_time(utc("2027-02-15 10:00"))
    assert national.is_working_time(utc("2027-02-15 10:00"))

    # Saint Ambrose, Milan: Monday 2026-12-07, followed by the national holiday on the 8th
    milan = BusinessCalendar(name="mi", hours=OFFICE_HOURS, subdivision="MI")
    friday = utc("2026-12-04 16:00")
    assert local(milan.add_working_time(friday, 2 * H)) == "2026-12-09 09:00"
    assert local(national.add_working_time(friday, 2 * H)) == "2026-12-07 09:00"


def test_extra_holidays():
    closed = BusinessCalendar(
        name="summer", hours=OFFICE_HOURS, extra_holidays=frozenset({date(2026, 8, 14)})
    )
    assert closed.is_holiday(date(2026, 8, 14))
    # Fri 14 company closure, Sat 15 Assumption, Sun 16
    assert local(closed.add_working_time(utc("2026-08-13 16:00"), 2 * H)) == "2026-08-17 09:00"


def test_no_public_holidays_without_country():
    plain = BusinessCalendar(name="plain", hours=OFFICE_HOURS, country=None)
    assert not plain.is_holiday(date(2026, 12, 25))
    assert plain.is_working_time(utc("2026-12-25 10:00"))


def test_holiday_lookups_are_cached_per_year(office, monkeypatch):
    calls = []
    real = calendar_module.holidays.country_holidays

    def counting(*args, **kwargs):
        calls.append(kwargs.get("years"))
        return real(*args, **kwargs)

    calendar_module._public_holidays.cache_clear()
    monkeypatch.setattr(calendar_module.holidays, "country_holidays", counting)
    office.add_working_time(utc("2026-11-02 09:00"), 400 * H)  # into 2027
    office.working_time_between(utc("2026-11-02 09:00"), utc("2027-03-01 09:00"))
    assert sorted(calls) == [2026, 2027]
    calendar_module._public_holidays.cache_clear()


# -- long durations and consistency -----------------------------------------------------------


def test_long_duration_across_weeks(office):
    start = utc("2026-01-12 08:00")  # Monday; no holidays until Easter
    end = office.add_working_time(start, 200 * H)  # 25 working days
    assert local(end) == "2026-02-13 17:00"
    after = office.add_working_time(start, 200 * H + timedelta(minutes=1))
    assert local(after) == "2026-02-16 08:01"
    assert office.working_time_between(start, end) == 200 * H


def test_very_long_duration_is_fast_and_consistent(office):
    start = utc("2026-01-02 10:00")
    end = office.add_working_time(start, 5000 * H)  # ~2.5 years
    assert office.working_time_between(start, end) == 5000 * H
    assert office.subtract_working_time(end, 5000 * H) == start


def test_working_time_between_basics(office):
    monday = utc("2026-03-09 08:00")
    assert office.working_time_between(monday, monday) == timedelta(0)
    assert office.working_time_between(monday + H, monday) == timedelta(0)
    assert office.working_time_between(monday, monday + 7 * 24 * H) == 40 * H
    assert office.working_time_between(utc("2026-03-09 11:30"), utc("2026-03-09 13:15")) == (
        timedelta(minutes=45)
    )


def test_subtract_is_inverse_of_add_property():
    rng = random.Random(20260329)
    calendars = [
        BusinessCalendar(name="office", hours=OFFICE_HOURS),
        DEFAULT_CALENDAR,
        BusinessCalendar(
            name="odd",
            hours=(
                ((time(7, 15), time(9, 45)), (time(22), time(0))),
                (),
                ((time(0), time(3, 30)),),
                DAY,
                (),
                ((time(10), time(10, 1)),),
                ((time(1), time(4)),),  # spans the DST change on Sundays
            ),
            subdivision="RM",
            extra_holidays=frozenset({date(2026, 8, 14)}),
        ),
    ]
    origin = datetime(2026, 1, 1)
    for _ in range(400):
        cal = rng.choice(calendars)
        start = origin + timedelta(minutes=rng.randrange(0, 366 * 24 * 60))
        duration = timedelta(minutes=rng.randrange(1, 80 * 60))
        end = cal.add_working_time(start, duration)
        assert end > start
        assert cal.working_time_between(start, end) == duration
        assert cal.subtract_working_time(end, duration) == cal.next_working_moment(start)
        back = cal.subtract_working_time(start, duration)
        assert cal.working_time_between(back, start) == duration
        assert cal.is_working_time(back)
        assert cal.is_working_time(cal.next_working_moment(start))


# -- daylight saving time ------------------------------------------------------------------


def test_spring_forward_2026_03_29(office):
    # opening stays at 08:00 local: 07:00 UTC before the change, 06:00 UTC after it
    assert office.next_working_moment(datetime(2026, 3, 27, 0)) == datetime(2026, 3, 27, 7)
    assert office.next_working_moment(datetime(2026, 3, 28, 0)) == datetime(2026, 3, 30, 6)
    end = office.add_working_time(datetime(2026, 3, 27, 15), 4 * H)  # Fri 16:00 CET
    assert end == datetime(2026, 3, 30, 9)  # Mon 11:00 CEST
    assert office.working_time_between(datetime(2026, 3, 27, 15), end) == 4 * H


def test_fall_back_2026_10_25(office):
    assert office.next_working_moment(datetime(2026, 10, 23, 0)) == datetime(2026, 10, 23, 6)
    assert office.next_working_moment(datetime(2026, 10, 24, 0)) == datetime(2026, 10, 26, 7)
    end = office.add_working_time(datetime(2026, 10, 23, 14), 4 * H)  # Fri 16:00 CEST
    assert end == datetime(2026, 10, 26, 10)  # Mon 11:00 CET


def test_intervals_spanning_the_change_use_real_time():
    night = BusinessCalendar(name="night", hours=((),) * 6 + (((time(0), time(6)),),), country=None)

    def sunday(day: str) -> timedelta:
        start = utc(f"{day} 00:00")
        return night.working_time_between(start, start + 24 * H)

    assert sunday("2026-03-22") == 6 * H
    assert sunday("2026-03-29") == 5 * H  # 02:00-03:00 does not exist
    assert sunday("2026-10-25") == 7 * H  # 02:00-03:00 happens twice
    # both occurrences of 02:30 on the fall-back night are working time
    assert night.is_working_time(datetime(2026, 10, 25, 0, 30))  # 02:30 CEST
    assert night.is_working_time(datetime(2026, 10, 25, 1, 30))  # 02:30 CET


def test_round_the_clock_calendar_across_dst():
    always = BusinessCalendar(name="24x7", hours=(((time(0), time(0)),),) * 7, country=None)
    for start in (datetime(2026, 3, 28, 12), datetime(2026, 10, 24, 12)):
        assert always.add_working_time(start, 48 * H) == start + 48 * H
        assert always.working_time_between(start, start + 48 * H) == 48 * H
        assert always.is_working_time(start + 12 * H)


# -- SLA clock with pauses ---------------------------------------------------------------------


@pytest.fixture
def clock(office) -> SlaClock:
    return SlaClock(office)


def test_deadline_without_pauses(clock):
    start = utc("2026-03-02 09:00")  # Monday
    assert local(clock.deadline(start, 8 * H, [], utc("2026-03-02 09:00"))) == "2026-03-03 09:00"


def test_pause_moves_deadline_by_working_time_in_pause(clock, office):
    start = utc("2026-03-02 09:00")
    pause = (utc("2026-03-02 10:00"), utc("2026-03-03 10:00"))
    paused_work = office.working_time_between(*pause)
    assert paused_work == 8 * H  # Mon 10-12, 13-17, Tue 08-10
    now = utc("2026-03-03 12:00")
    deadline = clock.deadline(start, 8 * H, [pause], now)
    assert local(deadline) == "2026-03-04 09:00"
    assert deadline == office.add_working_time(clock.deadline(start, 8 * H, [], now), paused_work)
    assert clock.elapsed(start, [pause], now) == 3 * H  # Mon 09-10 and Tue 10-12


def test_currently_paused_has_no_deadline(clock):
    start = utc("2026-03-02 09:00")
    pauses = [(utc("2026-03-02 10:00"), utc("2026-03-02 11:00")), (utc("2026-03-03 10:00"), None)]
    now = utc("2026-03-03 15:00")
    assert clock.deadline(start, 9 * H, pauses, now) is None
    # Mon 09-10, 11-12, 13-17, Tue 08-10; the open pause stops the clock at Tue 10:00
    assert clock.elapsed(start, pauses, now) == 8 * H
    # a target reached exactly when the pause began is a known deadline
    assert local(clock.deadline(start, 8 * H, pauses, now)) == "2026-03-03 10:00"


def test_deadline_reached_before_open_pause_is_still_reported(clock):
    start = utc("2026-03-02 09:00")
    pauses = [(utc("2026-03-02 15:00"), None)]
    deadline = clock.deadline(start, 2 * H, pauses, utc("2026-03-02 16:00"))
    assert local(deadline) == "2026-03-02 11:00"


def test_overlapping_and_unsorted_pauses_are_merged(clock):
    start = utc("2026-03-02 09:00")
    now = utc("2026-03-02 17:00")
    messy = [
        (utc("2026-03-02 11:00"), utc("2026-03-02 14:00")),
        (utc("2026-03-02 10:00"), utc("2026-03-02 12:00")),
        (utc("2026-03-01 10:00"), utc("2026-03-02 09:30")),  # starts before the clock
    ]
    clean = [(utc("2026-03-02 09:00"), utc("2026-03-02 09:30")),
             (utc("2026-03-02 10:00"), utc("2026-03-02 14:00"))]  # fmt: skip
    assert clock.deadline(start, 4 * H, messy, now) == clock.deadline(start, 4 * H, clean, now)
    # counted: 09:30-10:00 and 14:00-17:00 on Monday, then 30 minutes on Tuesday
    assert local(clock.deadline(start, 4 * H, messy, now)) == "2026-03-03 08:30"
    assert clock.elapsed(start, messy, now) == timedelta(minutes=30) + 3 * H


def test_invalid_pauses(clock):
    start = utc("2026-03-02 09:00")
    with pytest.raises(ValueError, match="ends before it starts"):
        clock.deadline(start, H, [(utc("2026-03-02 12:00"), utc("2026-03-02 11:00"))], start)
    with pytest.raises(ValueError, match="after now"):
        clock.deadline(start, H, [(utc("2026-03-02 12:00"), None)], utc("2026-03-02 11:00"))


# -- metadata ------------------------------------------------------------------------------


def office_dict(**overrides):
    data = {
        "name": "office",
        "label": "Head office",
        "timezone": "Europe/Rome",
        "country": "IT",
        "subdivision": "BS",
        "hours": {
            "mon": ["08:00-12:00", "13:00-17:00"],
            "tue": ["08:00-12:00", "13:00-17:00"],
            "wed": ["08:00-12:00", "13:00-17:00"],
            "thu": ["08:00-12:00", "13:00-17:00"],
            "fri": ["08:00-12:00", "13:00-17:00"],
            "sat": [],
        },
        "holidays": ["2026-08-14", date(2026, 12, 24)],
    }
    data.update(overrides)
    return data


def test_calendar_from_dict():
    cal = calendar_from_dict(office_dict())
    assert cal == BusinessCalendar(
        name="office",
        hours=OFFICE_HOURS,
        subdivision="BS",
        extra_holidays=frozenset({date(2026, 8, 14), date(2026, 12, 24)}),
        label="Head office",
    )
    assert cal.is_holiday(date(2027, 2, 15))


def test_calendar_from_dict_defaults_sorting_and_midnight():
    cal = calendar_from_dict(
        {"name": "shop", "hours": {"sat": ["14:00-24:00", " 9:00 - 12:30 "], "sun": None}}
    )
    assert cal.timezone == "Europe/Rome"
    assert cal.country == "IT"
    assert cal.subdivision is None
    assert cal.hours[5] == ((time(9), time(12, 30)), (time(14), time(0)))
    assert cal.hours[0] == ()
    no_country = calendar_from_dict(
        {"name": "x", "country": None, "hours": {"mon": ["9:00-10:00"]}}
    )
    assert no_country.country is None


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"hours": {"mon": ["08:00-12:00", "13:00-12:00"]}},
            "hours.mon[1]: '13:00-12:00' ends before it starts",
        ),
        (
            {"hours": {"tue": ["08:00-12:00", "11:00-14:00"]}},
            "hours.tue[1]: '11:00-14:00' overlaps hours.tue[0]: '08:00-12:00'",
        ),
        (
            {"hours": {"mon": ["8am-12"]}},
            "hours.mon[0]: '8am-12' is not an interval like '08:00-12:00'",
        ),
        ({"hours": {"mon": ["08:00-12:60"]}}, "hours.mon[0]: '08:00-12:60' is not an interval"),
        ({"hours": {"mon": "08:00-12:00"}}, "hours.mon: expected a list of intervals"),
        ({"hours": {"mox": ["08:00-12:00"]}}, "hours: unknown weekday 'mox'"),
        ({"hours": {"mon": [], "sat": []}}, "hours: no working hours on any day"),
        ({"hours": None}, "hours: expected a mapping of weekdays"),
        ({"timezone": "Europe/Rom"}, "timezone: unknown time zone 'Europe/Rom'"),
        ({"country": "XX"}, "country: 'XX' is not supported by the holidays package"),
        ({"subdivision": "ZZ"}, "subdivision: 'ZZ' is not a subdivision of IT"),
        ({"country": None}, "subdivision: 'BS' given without a country"),
        ({"holidays": ["2026-13-01"]}, "holidays[0]: '2026-13-01' is not a date like '2026-08-14'"),
        ({"holidays": "2026-08-14"}, "holidays: expected a list of dates"),
        ({"name": ""}, "name: expected a non-empty string"),
        ({"colour": "red"}, "calendar: unknown key 'colour'"),
    ],
)
def test_calendar_from_dict_errors(overrides, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        calendar_from_dict(office_dict(**overrides))


def test_calendar_from_dict_requires_name():
    data = office_dict()
    del data["name"]
    with pytest.raises(ValueError, match="name: required"):
        calendar_from_dict(data)


# -- invalid calendars ---------------------------------------------------------------------


def test_calendar_without_hours_is_rejected():
    with pytest.raises(ValueError, match="has no working hours"):
        BusinessCalendar(name="never", hours=((),) * 7)


@pytest.mark.parametrize(
    ("hours", "message"),
    [
        (((),) * 6, "needs 7 weekdays"),
        ((((time(12), time(8)),),) + ((),) * 6, "is empty"),
        ((((time(8), time(12)), (time(11), time(13))),) + ((),) * 6, "non-overlapping"),
        ((((time(13), time(17)), (time(8), time(12))),) + ((),) * 6, "sorted"),
    ],
)
def test_invalid_hours_are_rejected(hours, message):
    with pytest.raises(ValueError, match=message):
        BusinessCalendar(name="bad", hours=hours)


def test_invalid_region_is_rejected():
    with pytest.raises(ValueError, match="timezone"):
        BusinessCalendar(name="bad", hours=OFFICE_HOURS, timezone="Mars/Olympus")
    with pytest.raises(ValueError, match="country"):
        BusinessCalendar(name="bad", hours=OFFICE_HOURS, country="Italy")
    with pytest.raises(ValueError, match="subdivision"):
        BusinessCalendar(name="bad", hours=OFFICE_HOURS, subdivision="XX")


def test_calendar_that_never_opens_fails_instead_of_looping():
    mondays = ((time(9), time(10)),)
    first = date(2026, 1, 5)
    closures = frozenset(first + timedelta(weeks=n) for n in range(600))  # ~11.5 years
    cal = BusinessCalendar(
        name="closed", hours=(mondays,) + ((),) * 6, country=None, extra_holidays=closures
    )
    start = datetime(2026, 1, 1)
    with pytest.raises(ValueError, match="no working time after"):
        cal.add_working_time(start, H)
    with pytest.raises(ValueError, match="no working time after"):
        cal.next_working_moment(start)
    with pytest.raises(ValueError, match="no working time before"):
        cal.subtract_working_time(datetime(2037, 6, 1), H)
    assert cal.working_time_between(start, datetime(2027, 1, 1)) == timedelta(0)


def test_default_calendar():
    assert DEFAULT_CALENDAR.timezone == "Europe/Rome"
    assert DEFAULT_CALENDAR.country == "IT"
    monday = utc("2026-03-09 00:00")
    assert local(DEFAULT_CALENDAR.next_working_moment(monday)) == "2026-03-09 08:30"
    assert not DEFAULT_CALENDAR.is_working_time(utc("2026-03-09 13:00"))
    assert DEFAULT_CALENDAR.working_time_between(monday, monday + 7 * 24 * H) == 40 * H
    assert not DEFAULT_CALENDAR.is_working_time(utc("2026-03-14 10:00"))  # Saturday
