"""The field-type registry: the core's types (``entries``) and those packs register.

``FIELD_TYPES`` maps a type's name to its ``FieldType``; a new type is one entry, added by
``FieldTypes.register`` (``core.field_registration.register_field_type`` adds its UI facet
too). Code outside the registries asks a field's traits (``traits_of``), never its name.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TypeVar

from core.metadata.field_types.base import FieldType
from core.metadata.field_types.entries import CORE_TYPES
from core.metadata.field_types.sameness import same_definition
from core.metadata.field_types.traits import Traits
from core.metadata.specs import FieldSpec

T = TypeVar("T")


class NamedEntries(Mapping[str, T]):
    """Entries by name: those given at the start (the core's) and those added later, which
    alone may be removed. A name is taken once; an entry is never replaced."""

    def __init__(self, entries: Mapping[str, T], what: str):
        self._entries = dict(entries)
        self._core = frozenset(entries)
        self._what = what

    def __getitem__(self, name: str) -> T:
        return self._entries[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def add(self, name: str, entry: T) -> None:
        """Add ``entry`` as ``name``; ``ValueError`` if the name is taken."""
        if name in self._entries:
            raise ValueError(f"{self._what} {name!r} is already registered")
        self._entries[name] = entry

    def add_once(self, name: str, entry: T) -> bool:
        """Add ``entry`` as ``name`` unless the same definition has it already (a pack's
        hooks loaded again by another instance); True if added. ``ValueError`` if another
        entry has the name, or if it is one of the core's."""
        if name in self._core:
            raise ValueError(f"{self._what} {name!r} is one of the core's")
        if name in self._entries:
            if same_definition(self._entries[name], entry):
                return False
            raise ValueError(f"{self._what} {name!r} is already registered, as another one")
        self._entries[name] = entry
        return True

    def is_core(self, name: str) -> bool:
        """Whether ``name`` is one of the entries given at the start (the core's)."""
        return name in self._core

    def unregister(self, name: str) -> None:
        """Remove an entry added after the start (the core's stay)."""
        if name in self._core:
            raise ValueError(f"{self._what} {name!r} is one of the core's")
        self._entries.pop(name, None)


class FieldTypes(NamedEntries[FieldType]):
    """The field types by name: the core's and those packs register."""

    def __init__(self, types: Mapping[str, FieldType]):
        super().__init__(types, "field type")

    def register(self, field_type: FieldType) -> None:
        """Add a new type; ``ValueError`` if its name is taken (a type is never replaced)."""
        self.add(field_type.name, field_type)


def traits_of(spec: FieldSpec) -> Traits:
    """The traits of ``spec``'s type."""
    return FIELD_TYPES[spec.type].traits


def field_type_of(spec: FieldSpec) -> FieldType:
    """The field type of ``spec``."""
    return FIELD_TYPES[spec.type]


FIELD_TYPES = FieldTypes({t.name: t for t in CORE_TYPES})
