"""Field types: the registry (``FIELD_TYPES``), what a type declares (``FieldType``), its
traits (``Traits``) and its conversions (``Conversion``).

Modules: ``base`` (the declaration), ``traits``, ``conversions``, ``loaders`` (the
marshmallow fields), ``entries`` (the core's types), ``registry`` and ``sameness`` (whether
a type registered again is the same one).
"""

from core.metadata.field_types.base import COMPARISON, EQUALITY, TEXTUAL, FieldType
from core.metadata.field_types.conversions import PLAIN, STRUCTURED, Conversion
from core.metadata.field_types.loaders import LinkValue, error_messages, parse_duration
from core.metadata.field_types.registry import (
    FIELD_TYPES,
    FieldTypes,
    field_type_of,
    traits_of,
)
from core.metadata.field_types.traits import FAMILIES, Traits

__all__ = ["COMPARISON", "EQUALITY", "FAMILIES", "FIELD_TYPES", "PLAIN", "STRUCTURED",
           "TEXTUAL", "Conversion", "FieldType", "FieldTypes", "LinkValue", "Traits",
           "error_messages", "field_type_of", "parse_duration", "traits_of"]
