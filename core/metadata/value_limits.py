"""What a stored value may hold: number ranges of the columns, text lengths and characters.

Every value a user writes or filters by is checked here before it reaches the database, so an
out-of-range number or a character a database cannot store is a field error, not a database
error. The numbers are the databases' own limits (a 64-bit BIGINT), or defaults a pack can
tighten (``length``).
"""

from __future__ import annotations

import re
from typing import Any

from marshmallow import ValidationError, validate

from core.i18n import Translator, _
from core.metadata.specs import FieldSpec

BIGINT_MIN = -(2**63)
BIGINT_MAX = 2**63 - 1
# Characters a field may hold when its pack declares no ``length``.
DEFAULT_LENGTHS = {"string": 255, "email": 254, "url": 2000, "text": 100_000}
# PostgreSQL's btree keeps an index entry within about 2704 bytes; UTF-8 takes up to 4 bytes
# a character, so a longer string column cannot be sure to fit a unique or plain index.
MAX_INDEXED_LENGTH = 2704 // 4
# NUL (which PostgreSQL cannot store in text) and UTF-16 surrogates without their pair
# (which no database can encode): JSON can carry both as \u escapes.
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def max_length(spec: FieldSpec) -> int | None:
    """The most characters a value of ``spec`` may have: its ``length`` or its type's default."""
    return spec.length or DEFAULT_LENGTHS.get(spec.type)


def storable_problem(text: str, t: Translator) -> str | None:
    """Why ``text`` cannot be stored (a NUL or a lone surrogate), translated, or None."""
    found = UNSTORABLE.search(text)
    if found is None:
        return None
    if found.group() == "\x00":
        return t.gettext(_("Contains a NUL character, which cannot be stored."))
    return t.gettext(_("Contains an invalid character (a lone UTF-16 surrogate)."))


class Storable(validate.Validator):
    """A marshmallow validator refusing text with characters that cannot be stored."""

    def __init__(self, t: Translator):
        self.t = t

    def __call__(self, value: Any) -> Any:
        if isinstance(value, str):
            problem = storable_problem(value, self.t)
            if problem:
                raise ValidationError(problem)
        return value


def bigint_range(t: Translator) -> validate.Range:
    """The range of a 64-bit integer column, as a validator."""
    return validate.Range(min=BIGINT_MIN, max=BIGINT_MAX, error=t.gettext(
        _("Out of range: must be between {min} and {max}."), min=BIGINT_MIN, max=BIGINT_MAX))


def in_bigint_range(value: int) -> bool:
    """Whether ``value`` fits a 64-bit integer column."""
    return BIGINT_MIN <= value <= BIGINT_MAX
