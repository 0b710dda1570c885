"""Times as the engine stores them: naive UTC."""

from __future__ import annotations

import datetime as dt


def naive_utc(now: dt.datetime | None = None) -> dt.datetime:
    """``now`` (or the current time) as a naive UTC datetime."""
    if now is None:
        now = dt.datetime.now(dt.UTC)
    if now.tzinfo is not None:
        now = now.astimezone(dt.UTC).replace(tzinfo=None)
    return now
