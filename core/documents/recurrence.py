"""An RFC 5545 recurrence rule in words, for documents: ``FREQ=MONTHLY;INTERVAL=6`` prints
as "every 6 months" or "ogni 6 mesi".

The common parts of a rule are described: FREQ, INTERVAL, BYDAY (``MO,WE``, ``1MO``,
``-1FR``), BYMONTH, BYMONTHDAY, COUNT and UNTIL. A rule with any other part, or one that
does not parse, prints as written, so a document never hides what the rule says. Weekday
and month names come from Babel; the few joining words are English or Italian (other
languages use the English ones).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

from babel import Locale, dates, lists

DESCRIBED = frozenset({"FREQ", "INTERVAL", "BYDAY", "BYMONTH", "BYMONTHDAY", "COUNT",
                       "UNTIL", "WKST"})
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
BYDAY = re.compile(r"^([+-]?[1-5])?(MO|TU|WE|TH|FR|SA|SU)$")

# (one, many) of each unit; "every" before it.
WORDS: dict[str, dict[str, object]] = {
    "en": {
        "units": {"YEARLY": ("year", "years"), "MONTHLY": ("month", "months"),
                  "WEEKLY": ("week", "weeks"), "DAILY": ("day", "days"),
                  "HOURLY": ("hour", "hours"), "MINUTELY": ("minute", "minutes")},
        "every": "every", "on_weekdays": "on {days}", "in_months": "in {months}",
        "on_day": "on day {days}", "on_days": "on days {days}",
        "times": "{count} times", "until": "until {date}",
        "ordinals": {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth",
                     -1: "last", -2: "second-to-last"},
        "nth_weekday": "on the {ordinal} {day}",
    },
    "it": {
        "units": {"YEARLY": ("anno", "anni"), "MONTHLY": ("mese", "mesi"),
                  "WEEKLY": ("settimana", "settimane"), "DAILY": ("giorno", "giorni"),
                  "HOURLY": ("ora", "ore"), "MINUTELY": ("minuto", "minuti")},
        "every": "ogni", "on_weekdays": "di {days}", "in_months": "a {months}",
        "on_day": "il giorno {days}", "on_days": "i giorni {days}",
        "times": "{count} volte", "until": "fino al {date}",
        # Sunday (domenica) is feminine in Italian, the other weekdays masculine.
        "ordinals": {1: ("il primo", "la prima"), 2: ("il secondo", "la seconda"),
                     3: ("il terzo", "la terza"), 4: ("il quarto", "la quarta"),
                     5: ("il quinto", "la quinta"), -1: ("l'ultimo", "l'ultima"),
                     -2: ("il penultimo", "la penultima")},
        "nth_weekday": "{ordinal} {day}",
    },
}


def _parts(rule: str) -> dict[str, str] | None:
    body = rule.strip()
    if body.upper().startswith("RRULE:"):
        body = body[len("RRULE:"):]
    parts: dict[str, str] = {}
    for chunk in body.split(";"):
        key, sep, value = chunk.partition("=")
        key = key.strip().upper()
        if not sep or not value.strip() or key in parts:
            return None
        parts[key] = value.strip().upper()
    return parts if "FREQ" in parts and set(parts) <= DESCRIBED else None


def _numbers(text: str, high: int, negative: bool = False) -> list[int]:
    """``1,15`` as numbers from 1 to ``high`` (or down to ``-high`` when ``negative``)."""
    values = [int(v) for v in text.split(",")]
    if not all(1 <= abs(v) <= high and (negative or v > 0) for v in values):
        raise ValueError(text)
    return values


def _until(text: str, format_date: Callable[[dt.date], str]) -> str:
    return format_date(dt.datetime.strptime(text[:8], "%Y%m%d").date())


def _ordinal(words: dict[str, object], position: int, weekday: str) -> str:
    ordinal = words["ordinals"][position]  # type: ignore[index]
    if isinstance(ordinal, tuple):
        ordinal = ordinal[1] if weekday == "SU" else ordinal[0]
    return str(ordinal)


def describe(rule: str, locale: Locale, format_date: Callable[[dt.date], str]) -> str:
    """``rule`` in words in ``locale``'s language; the rule as written when it cannot be."""
    parts = _parts(rule)
    words = WORDS.get(locale.language, WORDS["en"])
    units: dict[str, tuple[str, str]] = words["units"]  # type: ignore[assignment]
    if parts is None or parts["FREQ"] not in units:
        return rule
    try:
        interval = int(parts.get("INTERVAL", "1"))
        if interval < 1:
            return rule
        one, many = units[parts["FREQ"]]
        phrases = [f"{words['every']} {one}" if interval == 1
                   else f"{words['every']} {interval} {many}"]
        day_names = dates.get_day_names("wide", locale=locale)
        month_names = dates.get_month_names("wide", locale=locale)
        if "BYMONTH" in parts:
            months = [str(month_names[m]) for m in _numbers(parts["BYMONTH"], 12)]
            phrases.append(str(words["in_months"]).format(
                months=lists.format_list(months, locale=locale)))
        if "BYMONTHDAY" in parts:
            days = [str(d) for d in _numbers(parts["BYMONTHDAY"], 31)]
            key = "on_day" if len(days) == 1 else "on_days"
            phrases.append(str(words[key]).format(days=lists.format_list(days, locale=locale)))
        if "BYDAY" in parts:
            plain: list[str] = []
            for token in parts["BYDAY"].split(","):
                match = BYDAY.fullmatch(token)
                if match is None:
                    return rule
                position, weekday = match.groups()
                name = str(day_names[WEEKDAYS.index(weekday)])
                if position is None:
                    plain.append(name)
                elif int(position) in words["ordinals"]:  # type: ignore[operator]
                    phrases.append(str(words["nth_weekday"]).format(
                        ordinal=_ordinal(words, int(position), weekday), day=name))
                else:
                    return rule
            if plain:
                phrases.append(str(words["on_weekdays"]).format(
                    days=lists.format_list(plain, locale=locale)))
        if "COUNT" in parts:
            phrases.append(str(words["times"]).format(count=int(parts["COUNT"])))
        if "UNTIL" in parts:
            phrases.append(str(words["until"]).format(
                date=_until(parts["UNTIL"], format_date)))
    except (ValueError, KeyError, IndexError):
        return rule
    return ", ".join(phrases)
