"""Durations (``2h 30m``) and relative times (``now + 2h``, ``due_at - 30m``) in metadata."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
DURATION_PART = re.compile(r"(\d+)\s*([smhdw])")
DURATION = re.compile(r"\s*(\d+\s*[smhdw]\s*)+")
RELATIVE = re.compile(r"\s*([a-z][a-z0-9_]*)\s*(?:([+-])\s*(.+?))?\s*")
MAX_DURATION = dt.timedelta(days=36_600)  # a hundred years: past that, a typing mistake


def parse_duration(text: str) -> dt.timedelta:
    """``"1h 30m"`` -> 90 minutes; ValueError for anything else."""
    if not isinstance(text, str) or not DURATION.fullmatch(text):
        raise ValueError(f"'{text}' is not a duration: use e.g. 30m, 2h, 1d 4h")
    seconds = sum(int(n) * UNITS[u] for n, u in DURATION_PART.findall(text))
    if seconds > MAX_DURATION.total_seconds():
        raise ValueError(f"'{text}' is longer than a hundred years")
    return dt.timedelta(seconds=seconds)


@dataclass(frozen=True)
class RelativeTime:
    """``anchor`` (``now`` or a date/datetime field) plus a signed offset."""

    anchor: str
    offset: dt.timedelta

    def resolve(self, now: dt.datetime, record: dict) -> dt.datetime | None:
        """The moment meant, for ``record`` at ``now`` (None when the field is empty)."""
        base = now if self.anchor == "now" else record.get(self.anchor)
        if base is None:
            return None
        if isinstance(base, dt.date) and not isinstance(base, dt.datetime):
            base = dt.datetime.combine(base, dt.time())
        return base + self.offset


def parse_relative(text: str) -> RelativeTime:
    """``"now + 2h"``, ``"due_at - 30m"`` or ``"due_at"``; ValueError otherwise."""
    match = RELATIVE.fullmatch(text) if isinstance(text, str) else None
    if not match:
        raise ValueError(f"'{text}' is not a time: use now or a date field, optionally "
                         "followed by + or - a duration (now + 2h, due_at - 30m)")
    anchor, sign, duration = match.groups()
    offset = parse_duration(duration) if duration else dt.timedelta()
    return RelativeTime(anchor, -offset if sign == "-" else offset)
