"""What a field type is: the declaration every type, the core's or a pack's, makes.

A field type gives its extra metadata keys (as a JSON Schema fragment), its column type, its
marshmallow field, its filter operators, an estimate of its size in a row, its traits and its
conversions to and from text and JSON.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from marshmallow import fields

from core.i18n import Translator
from core.metadata.field_types.conversions import PLAIN, Conversion
from core.metadata.field_types.traits import Traits
from core.metadata.specs import FieldSpec

COMPARISON = ("=", "!=", "<", "<=", ">", ">=", "in", "not in", "between", "is null", "is not null")
EQUALITY = ("=", "!=", "in", "not in", "is null", "is not null")
TEXTUAL = (*COMPARISON, "like")


@dataclass(frozen=True)
class FieldType:
    """How one type of field is stored, validated, filtered, sized and converted."""

    name: str
    column: Callable[[FieldSpec], sa.types.TypeEngine] | None
    loader: Callable[[FieldSpec, Translator], fields.Field]
    operators: tuple[str, ...]
    schema: dict[str, Any]
    row_bytes: Callable[[FieldSpec], int]
    traits: Traits
    conversion: Conversion = PLAIN

    @property
    def sortable(self) -> bool:
        """Whether lists sort by fields of this type (its ``orderable`` trait)."""
        return self.traits.orderable

    def to_text(self, value: Any) -> str | None:
        """A value as text: as the audit trail stores it, and a CSV or XLSX cell's form."""
        return self.conversion.to_text(value)

    def from_text(self, text: str | None, spec: FieldSpec,
                  translator: Translator | None = None) -> Any:
        """The value of field ``spec`` that ``text`` (as ``to_text`` wrote it) stands for."""
        return self.conversion.from_text(text, spec, self.loader, translator)

    def value_of_text(self, text: str) -> Any:
        """The Python value ``text`` (an audit text) stands for, unchecked."""
        return self.conversion.value_of_text(text)

    def to_json(self, value: Any) -> Any:
        """A value as the JSON API and fixtures write it."""
        return self.conversion.to_json(value)

    def json_input(self, value: Any) -> Any:
        """A JSON value (an API body's, a fixture's) as the type's field, and so the records
        service, takes it."""
        return self.conversion.json_input(value)

    def from_json(self, value: Any, spec: FieldSpec,
                  translator: Translator | None = None) -> Any:
        """The value of field ``spec`` that JSON ``value`` stands for, validated."""
        return self.conversion.from_json(value, spec, self.loader, translator)
