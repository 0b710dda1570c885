"""JSON for the engine's values, in one place: the API, the command line, the outbox,
webhooks and exports all encode dates, decimals and sets the same way."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any
from uuid import UUID


def json_default(value: Any) -> Any:
    """JSON for dates, datetimes, times, decimals (as strings, keeping their digits, never in
    exponent form), UUIDs and sets (sorted)."""
    if isinstance(value, dt.date | dt.datetime | dt.time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, set | frozenset):
        return sorted(value, key=str)
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def to_json(value: Any, **options: Any) -> str:
    """``value`` as JSON text, with the engine's encoding of dates, decimals and sets."""
    return json.dumps(value, default=json_default, **options)
