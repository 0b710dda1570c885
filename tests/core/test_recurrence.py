"""Recurrence rules as users type them: read by dateutil, refused when no date can meet them."""

from __future__ import annotations

import pytest

from core.recurrence import is_valid, validate


@pytest.mark.parametrize(("typed", "stored"), [
    ("FREQ=MONTHLY;BYDAY=1TU", "FREQ=MONTHLY;BYDAY=1TU"),
    ("RRULE:FREQ=MONTHLY;INTERVAL=3;BYMONTHDAY=1", "FREQ=MONTHLY;INTERVAL=3;BYMONTHDAY=1"),
    ("freq=weekly; byday=mo,th", "FREQ=WEEKLY;BYDAY=MO,TH"),
    ("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29", "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29"),
    ("FREQ=MONTHLY;BYMONTH=2;BYMONTHDAY=-1", "FREQ=MONTHLY;BYMONTH=2;BYMONTHDAY=-1"),
    ("FREQ=MONTHLY;BYMONTHDAY=31", "FREQ=MONTHLY;BYMONTHDAY=31"),
])
def test_rules_that_can_happen_are_stored_in_one_form(typed: str, stored: str) -> None:
    assert is_valid(typed) and validate(typed) == stored


@pytest.mark.parametrize("typed", [
    "FREQ=FOO",                                 # no such frequency
    "every month",                              # not RFC 5545 at all
    "FREQ=DAILY;UNTIL=20270101T000000Z",        # a UTC end for local times
    "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30",      # 30 February never comes
    "FREQ=DAILY;BYMONTH=4,6;BYMONTHDAY=31",     # nor 31 April or June
    "FREQ=MONTHLY;BYMONTHDAY=32",
])
def test_rules_that_cannot_happen_are_refused(typed: str) -> None:
    assert not is_valid(typed)
