"""The pure functions of rule expressions: recurrences, meter trends and remapped lines."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from core.rules.lookups import OCCURRENCES_LIMIT, occurrences, reach_date, remap

D = dt.date
T = dt.datetime


# -- occurrences --------------------------------------------------------------------------


def test_weekly_on_given_weekdays_includes_the_until_day() -> None:
    # Monday 2 March 2026: every Monday and Thursday up to Monday 16 March.
    assert occurrences("FREQ=WEEKLY;BYDAY=MO,TH", D(2026, 3, 2), D(2026, 3, 16)) == [
        D(2026, 3, 2), D(2026, 3, 5), D(2026, 3, 9), D(2026, 3, 12), D(2026, 3, 16)]


def test_interval_and_the_rrule_prefix() -> None:
    assert occurrences("RRULE:FREQ=MONTHLY;INTERVAL=3", D(2026, 1, 15), D(2026, 12, 31)) == [
        D(2026, 1, 15), D(2026, 4, 15), D(2026, 7, 15), D(2026, 10, 15)]
    # RFC 5545: a month without the start's day is skipped, not moved.
    assert occurrences("FREQ=MONTHLY;INTERVAL=3", D(2026, 1, 31), D(2026, 12, 31)) == [
        D(2026, 1, 31), D(2026, 7, 31), D(2026, 10, 31)]


def test_nth_weekday_of_the_month() -> None:
    assert occurrences("FREQ=MONTHLY;BYDAY=2TU", D(2026, 1, 1), D(2026, 4, 30)) == [
        D(2026, 1, 13), D(2026, 2, 10), D(2026, 3, 10), D(2026, 4, 14)]


def test_count_and_until_in_the_rule_end_it_before_the_horizon() -> None:
    assert occurrences("FREQ=DAILY;COUNT=3", D(2026, 3, 2), D(2026, 12, 31)) == [
        D(2026, 3, 2), D(2026, 3, 3), D(2026, 3, 4)]
    assert occurrences("FREQ=DAILY;UNTIL=20260304", D(2026, 3, 2), D(2026, 12, 31)) == [
        D(2026, 3, 2), D(2026, 3, 3), D(2026, 3, 4)]


def test_after_keeps_only_later_dates_counted_from_the_start() -> None:
    # Every 14 days from 2 March; the generation window starts after 20 March.
    assert occurrences("FREQ=DAILY;INTERVAL=14", D(2026, 3, 2), D(2026, 4, 30),
                       after=D(2026, 3, 20)) == [D(2026, 3, 30), D(2026, 4, 13),
                                                 D(2026, 4, 27)]
    assert occurrences("FREQ=WEEKLY", D(2026, 3, 2), D(2026, 3, 23),
                       after=D(2026, 3, 16)) == [D(2026, 3, 23)]  # strictly after


def test_datetimes_give_datetimes_and_date_bounds_cover_their_day() -> None:
    start = T(2026, 3, 2, 8, 30)
    assert occurrences("FREQ=DAILY", start, T(2026, 3, 4, 8, 0)) == [
        T(2026, 3, 2, 8, 30), T(2026, 3, 3, 8, 30)]
    assert occurrences("FREQ=DAILY", start, D(2026, 3, 4)) == [
        T(2026, 3, 2, 8, 30), T(2026, 3, 3, 8, 30), T(2026, 3, 4, 8, 30)]
    assert occurrences("FREQ=DAILY", start, D(2026, 3, 5), after=D(2026, 3, 3)) == [
        T(2026, 3, 4, 8, 30), T(2026, 3, 5, 8, 30)]
    assert all(type(d) is dt.date for d in occurrences("FREQ=DAILY", D(2026, 3, 2),
                                                       D(2026, 3, 4)))


def test_no_rule_no_dates_and_a_limit_on_many() -> None:
    assert occurrences("", D(2026, 1, 1), D(2026, 12, 31)) == []
    assert occurrences(None, D(2026, 1, 1), D(2026, 12, 31)) == []  # type: ignore[arg-type]
    assert occurrences("FREQ=DAILY", D(2026, 1, 2), D(2026, 1, 1)) == []
    many = occurrences("FREQ=DAILY", D(2026, 1, 1), D(2030, 12, 31))
    assert len(many) == OCCURRENCES_LIMIT and many[0] == D(2026, 1, 1)


def test_a_bad_rule_is_an_error() -> None:
    with pytest.raises(ValueError):
        occurrences("FREQ=FORTNIGHTLY", D(2026, 1, 1), D(2026, 12, 31))


# -- reach_date ---------------------------------------------------------------------------


def readings(*points: tuple[dt.date, float | None]) -> list[dict]:
    return [{"reading_date": day, "hours": hours} for day, hours in points]


def test_a_rising_trend_reaches_the_target() -> None:
    # 10 hours a day from 1000 hours on 1 March: 1500 hours on 20 April.
    rows = readings((D(2026, 3, 1), 1000), (D(2026, 3, 11), 1100), (D(2026, 3, 31), 1300))
    assert reach_date(rows, "reading_date", "hours", 1500) == D(2026, 4, 20)
    # decimals and the order of the rows do not matter
    shuffled = readings((D(2026, 3, 31), Decimal("1300.0")), (D(2026, 3, 1), Decimal(1000)),
                        (D(2026, 3, 11), Decimal("1100")))
    assert reach_date(shuffled, "reading_date", "hours", Decimal(1500)) == D(2026, 4, 20)


def test_the_least_squares_line_through_scattered_readings() -> None:
    # Points (0, 0), (10, 120), (20, 180): slope 9 per day, intercept 10; 910 on day 100.
    rows = readings((D(2026, 1, 1), 0), (D(2026, 1, 11), 120), (D(2026, 1, 21), 180))
    assert reach_date(rows, "reading_date", "hours", 910) == D(2026, 4, 11)


def test_a_target_already_passed_gives_a_date_in_the_past() -> None:
    rows = readings((D(2026, 3, 1), 1000), (D(2026, 3, 11), 1100))
    assert reach_date(rows, "reading_date", "hours", 900) == D(2026, 2, 19)


@pytest.mark.parametrize("rows", [
    [],
    readings((D(2026, 3, 1), 1000)),
    readings((D(2026, 3, 1), 1000), (D(2026, 3, 1), 1200)),  # one date, twice
    readings((D(2026, 3, 1), 1000), (D(2026, 3, 11), 1000)),  # flat
    readings((D(2026, 3, 1), 1000), (D(2026, 3, 11), 900)),  # falling (a new meter?)
    readings((D(2026, 3, 1), 1000), (D(2026, 3, 11), None), (None, 1500)),
], ids=["none", "one", "one-date", "flat", "falling", "empty-values"])
def test_no_rising_trend_no_date(rows: list[dict]) -> None:
    assert reach_date(rows, "reading_date", "hours", 1500) is None


# -- remap --------------------------------------------------------------------------------


def test_remap_renames_fields_and_adds_constants() -> None:
    lines = [{"id": 7, "item": 3, "quantity": Decimal(2), "unit_price": Decimal("9.50"),
              "line_type": "part"},
             {"id": 8, "item": 4, "quantity": Decimal(1), "line_type": "part"}]
    assert remap(lines, {"item": "item", "qty": "quantity", "price": "unit_price"},
                 {"charge_mode": "paid"}) == [
        {"item": 3, "qty": Decimal(2), "price": Decimal("9.50"), "charge_mode": "paid"},
        {"item": 4, "qty": Decimal(1), "price": None, "charge_mode": "paid"}]
    assert remap(lines, {"item": "item"}) == [{"item": 3}, {"item": 4}]
    assert remap([], {"item": "item"}, {"charge_mode": "paid"}) == []
    assert lines[0]["id"] == 7 and "qty" not in lines[0]  # the rows given are left alone
