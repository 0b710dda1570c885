"""Regular expressions whose ``$`` means the end of the text.

In Python a final ``$`` also matches just before a trailing newline, so ``^[A-Z]{2}$``
accepts ``"BS\\n"``. Metadata patterns (a field's ``pattern``, the JSON Schemas' names) are
written the usual way and read with their final ``$`` as ``\\Z``, the end of the text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from jsonschema import Draft202012Validator, ValidationError, validators


def end_anchored(pattern: str) -> str:
    """``pattern`` with a final unescaped ``$`` turned into ``\\Z``."""
    if not pattern.endswith("$"):
        return pattern
    backslashes = len(pattern[:-1]) - len(pattern[:-1].rstrip("\\"))
    return pattern[:-1] + r"\Z" if backslashes % 2 == 0 else pattern


@lru_cache(maxsize=512)
def compiled(pattern: str) -> re.Pattern[str]:
    """The compiled ``end_anchored`` form of ``pattern``."""
    return re.compile(end_anchored(pattern))


def _pattern(validator: Any, pattern: str, instance: Any, schema: Any) -> Iterator[ValidationError]:
    if validator.is_type(instance, "string") and not compiled(pattern).search(instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


# JSON Schema 2020-12, with ``pattern`` (in ``propertyNames`` too) read as above.
SchemaValidator = validators.extend(Draft202012Validator, {"pattern": _pattern})
