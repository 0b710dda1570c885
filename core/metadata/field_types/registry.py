"""The field-type registry: the core's types (``entries``) and those packs register.

``FIELD_TYPES`` maps a type's name to its ``FieldType``; a new type is one entry, added by
``FieldTypes.register`` (``core.field_registration.register_field_type`` adds its UI facet
too). Code outside the registries asks a field's traits (``traits_of``), never its name.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from core.metadata.field_types.base import FieldType
from core.metadata.field_types.entries import CORE_TYPES
from core.metadata.field_types.traits import Traits
from core.metadata.specs import FieldSpec


class FieldTypes(Mapping[str, FieldType]):
    """The field types by name: the core's and those packs register."""

    def __init__(self, types: Mapping[str, FieldType]):
        self._types = dict(types)
        self._core = frozenset(types)

    def __getitem__(self, name: str) -> FieldType:
        return self._types[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._types)

    def __len__(self) -> int:
        return len(self._types)

    def register(self, field_type: FieldType) -> None:
        """Add a new type; ``ValueError`` if its name is taken (a type is never replaced)."""
        if field_type.name in self._types:
            raise ValueError(f"field type {field_type.name!r} is already registered")
        self._types[field_type.name] = field_type

    def unregister(self, name: str) -> None:
        """Remove a type a pack registered (the core's types stay)."""
        if name in self._core:
            raise ValueError(f"field type {name!r} is one of the core's")
        self._types.pop(name, None)


def traits_of(spec: FieldSpec) -> Traits:
    """The traits of ``spec``'s type."""
    return FIELD_TYPES[spec.type].traits


def field_type_of(spec: FieldSpec) -> FieldType:
    """The field type of ``spec``."""
    return FIELD_TYPES[spec.type]


FIELD_TYPES = FieldTypes({t.name: t for t in CORE_TYPES})
