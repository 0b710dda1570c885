"""Add a field type in one place: its metadata declaration and its UI facet together.

A pack adds a type through its hooks (``officina_field_types``, registered when an instance
loads them); code that is not a pack calls ``register_field_type`` once, before the
registry that uses the type is built; the type then validates in the pack's YAML, gets its
column, its marshmallow field, its form widget, its display and its list cell. The registries
are the process's (``FIELD_TYPES``, ``FACETS``): ``registered_field_type`` adds a type for a
block and removes it after, for tests.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from core.metadata.field_type_registration import schemas_changed
from core.metadata.field_types import FIELD_TYPES, FieldType
from core.ui.field_facets import FACETS, FieldFacet


def register_field_type(field_type: FieldType, facet: FieldFacet) -> None:
    """Add ``field_type`` and its UI ``facet``; ``ValueError`` if the name is taken."""
    if field_type.name in FIELD_TYPES or field_type.name in FACETS:
        raise ValueError(f"field type {field_type.name!r} is already registered")
    FIELD_TYPES.register(field_type)
    FACETS.register(field_type.name, facet)
    schemas_changed()


def unregister_field_type(name: str) -> None:
    """Remove a type a pack registered, and its facet."""
    FIELD_TYPES.unregister(name)
    FACETS.unregister(name)
    schemas_changed()


@contextmanager
def registered_field_type(field_type: FieldType, facet: FieldFacet) -> Iterator[FieldType]:
    """``field_type`` registered for the ``with`` block."""
    register_field_type(field_type, facet)
    try:
        yield field_type
    finally:
        unregister_field_type(field_type.name)
