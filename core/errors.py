"""Errors shown to users, raised by the records service and the layers below it (the filter
grammar, limits); each carries a localised, user-facing message. At the bottom layer, so any
layer may raise them."""

from __future__ import annotations

import re

# What a message may echo of a caller's input but no page or JSON body can encode: lone
# UTF-16 surrogates (and NUL, for good measure) become U+FFFD.
UNPRINTABLE = re.compile("[\x00\ud800-\udfff]")


def printable(text: str) -> str:
    """``text`` with the characters no response can carry replaced by U+FFFD."""
    return UNPRINTABLE.sub("\ufffd", text)


class RecordError(Exception):
    """Base of every error a caller of the records service should show to a user."""

    code = "error"

    def __init__(self, message: str, field_errors: dict[str, list[str]] | None = None):
        self.message = printable(message)
        self.field_errors = {printable(name): [printable(m) for m in messages]
                             for name, messages in (field_errors or {}).items()}
        super().__init__(self.describe())

    def describe(self) -> str:
        """The message followed by one line per field error."""
        lines = [self.message]
        lines += [f"  {name}: {'; '.join(errors)}" for name, errors in self.field_errors.items()]
        return "\n".join(lines)

    def as_dict(self) -> dict[str, object]:
        """A JSON-friendly form for APIs and the CLI."""
        return {"error": self.code, "message": self.message, "fields": self.field_errors}


class RecordValidationError(RecordError):
    """Input that does not fit the entity: per-field messages."""

    code = "validation"


class PermissionDenied(RecordError):
    """The acting user may not do this."""

    code = "permission"


class NotFound(RecordError):
    """No such entity or record."""

    code = "not_found"


class Conflict(RecordError):
    """The record changed since the caller read it (optimistic locking), or is still in use."""

    code = "conflict"


class QueryError(RecordError):
    """A list query names an unknown field or operator, or a value that cannot be parsed."""

    code = "query"
