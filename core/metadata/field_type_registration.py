"""Field types a pack's hooks add (``officina_field_types``), registered before its YAML is
checked: the entity schema lists the type names, and the semantic checks ask the types.

The registry is the process's (``FIELD_TYPES``): a type is added once, and a second instance
that loads the same pack registers nothing (``FieldTypes.add_once``).
"""

from __future__ import annotations

import threading

from core.metadata.field_types import FIELD_TYPES, FieldType
from core.metadata.loader import forget_read_files
from core.metadata.schemas import schema_for

_ADDING = threading.Lock()  # two instances may open at once, in two threads


def schemas_changed() -> None:
    """The entity schema lists the types: build it again, and check files again against it."""
    schema_for.cache_clear()
    forget_read_files()


def add_field_type(field_type: FieldType) -> bool:
    """Register ``field_type`` unless the same type is registered already; True if added.

    ``ValueError`` if the name is one of the core's or another type's.
    """
    with _ADDING:
        added = FIELD_TYPES.add_once(field_type.name, field_type)
        if added:
            schemas_changed()
        return added
