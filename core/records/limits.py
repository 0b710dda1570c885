"""Limits on what one call may ask of the records service, and checks of keys and numbers.

The defaults fit real use with room to spare; an administrator tunes them in the ``[limits]``
table of officina.toml (see docs/architecture.md, "Limits"). Each check answers a translated
error naming what is wrong, before anything reaches the database.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from core.i18n import Translator, _
from core.metadata.filter_grammar import DEFAULT_FILTER_LIMITS
from core.metadata.value_limits import BIGINT_MAX, BIGINT_MIN, in_bigint_range, storable_problem
from core.records.errors import QueryError, RecordValidationError

MAX_REF_LENGTH = 140  # the ref column
MAX_SEARCH_LENGTH = 1000


@dataclass(frozen=True)
class Limits:
    """Tunable limits of the records service (``[limits]`` in officina.toml)."""

    max_lines: int = 1_000  # lines of one child table in one record
    max_filter_depth: int = DEFAULT_FILTER_LIMITS.max_filter_depth
    max_filter_items: int = DEFAULT_FILTER_LIMITS.max_filter_items
    max_filter_conditions: int = DEFAULT_FILTER_LIMITS.max_filter_conditions
    max_image_pixels: int = 40_000_000  # width x height of an uploaded image or signature

    @classmethod
    def from_settings(cls, values: dict[str, Any] | None) -> Limits:
        """Limits from the ``[limits]`` table; unknown keys or non-positive values are a
        ``ValueError`` naming the key."""
        values = values or {}
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"[limits]: unknown setting {unknown[0]!r}; known ones are "
                             f"{', '.join(sorted(known))}")
        chosen: dict[str, int] = {}
        for name, value in values.items():
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"[limits] {name}: must be a whole number of at least 1, "
                                 f"not {value!r}")
            chosen[name] = value
        return cls(**chosen)


def record_key(key: int | str) -> tuple[str, int | str] | None:
    """How to find record ``key``: ``("id", n)`` for an id, ``("ref", text)`` for a reference,
    None when no record can have it (a number past the id column's range, a reference with
    characters the database cannot compare or longer than any reference)."""
    if isinstance(key, bool):
        return None
    if isinstance(key, int):
        return ("id", key) if 0 < key <= BIGINT_MAX else None
    text = str(key)
    if text.isascii() and text.isdigit():
        return record_key(int(text)) if len(text) <= 19 else None
    if len(text) > MAX_REF_LENGTH or storable_problem(text, Translator()):
        return None
    return "ref", text


def check_version(version: int, t: Translator) -> None:
    """Refuse a record version no record can have (past the version column's range)."""
    if not in_bigint_range(version):
        raise RecordValidationError(
            t.gettext(_("An update must carry the version of the record it changes.")),
            {"version": [t.gettext(_("Out of range: must be between {min} and {max}."),
                                   min=BIGINT_MIN, max=BIGINT_MAX)]})


def check_offset(offset: int, t: Translator) -> None:
    """Refuse a list offset past what the database can skip."""
    if not in_bigint_range(offset):
        raise QueryError(t.gettext(_("The offset must be a whole number of at most {max}."),
                                   max=BIGINT_MAX))


def check_search(text: str, t: Translator) -> None:
    """Refuse a search text the database cannot compare, or one too long to mean anything."""
    problem = storable_problem(text, t)
    if problem:
        raise QueryError(t.gettext(_("Search: {problem}"), problem=problem))
    if len(text) > MAX_SEARCH_LENGTH:
        raise QueryError(t.gettext(_("Search: at most {max} characters."),
                                   max=MAX_SEARCH_LENGTH))


DEFAULT_LIMITS = Limits()
