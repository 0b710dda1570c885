"""The errors the records service raises (defined in ``core.errors``, at the bottom layer, so
that the metadata layer's filter grammar raises the same ``QueryError``)."""

from core.errors import (
    Conflict,
    NotFound,
    PermissionDenied,
    QueryError,
    RecordError,
    RecordValidationError,
    printable,
)

__all__ = ["Conflict", "NotFound", "PermissionDenied", "QueryError", "RecordError",
           "RecordValidationError", "printable"]
