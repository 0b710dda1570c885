"""Groups of field types that metadata checks ask for, read from the types' traits (so a type
a pack adds joins the groups its traits put it in)."""

from __future__ import annotations

from collections.abc import Callable

from core.metadata.field_types import FIELD_TYPES, Traits


def _types(fits: Callable[[Traits], bool], families: tuple[str, ...]) -> tuple[str, ...]:
    """The names of the types whose traits fit, family by family in the order given."""
    return tuple(name for family in families for name, kind in FIELD_TYPES.items()
                 if kind.traits.family == family and fits(kind.traits))


def numeric_types() -> tuple[str, ...]:
    """Types reports sum and average."""
    return _types(lambda t: t.numeric, ("number",))


def searchable_types() -> tuple[str, ...]:
    """Types a title or a search field may have: text and single options."""
    return _types(lambda t: t.textual or not t.multiple, ("text", "choice"))


def not_unique(kind: str | None) -> bool:
    """Whether a field of type ``kind`` cannot be unique: lines, long text, option lists."""
    traits = FIELD_TYPES[kind].traits if kind in FIELD_TYPES else None
    return traits is not None and (traits.family == "table" or traits.multiline
                                   or traits.multiple)


def family_of(kind: str | None) -> str | None:
    """The family of type ``kind`` (``link``, ``table``, ``text`` ...), None if unknown."""
    return FIELD_TYPES[kind].traits.family if kind in FIELD_TYPES else None


def filterable_types() -> tuple[str, ...]:
    """Types a list page can filter by (their UI facet's filter widget), so a planner may."""
    return _types(lambda t: True, ("choice", "flag", "link", "time", "number", "text"))
