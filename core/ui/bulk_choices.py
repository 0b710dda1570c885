"""What a bulk action on a list page may do: the workflow transitions the user's roles may
take, and the fields they may set on many records at once."""

from __future__ import annotations

from core.metadata.field_types import traits_of
from core.metadata.specs import EntitySpec, FieldSpec
from core.ui.context import actor, field_access, labels, may, registry

SETTABLE = ("choice", "flag", "link", "time")  # the kinds of field a bulk update may set


def bulk_transitions(spec: EntitySpec) -> list[tuple[str, str]]:
    """The transitions of ``spec``'s workflow the user's roles may take, with labels."""
    machine = registry().state_machine(spec.name)
    if machine is None or not may(spec.name, "update"):
        return []
    roles, admin = actor().roles, actor().is_admin
    return [(t.name, labels().gettext(t.label)) for t in machine.transitions
            if admin or not t.roles or roles & t.roles]


def bulk_fields(spec: EntitySpec) -> list[FieldSpec]:
    """The fields a bulk update may set: single options, yes/no, links and dates the user
    may write."""
    if not may(spec.name, "update"):
        return []
    machine = registry().state_machine(spec.name)
    writable = field_access(spec.name, "update").writable
    kinds = {f.name: traits_of(f) for f in spec.stored_fields}
    return [f for f in spec.stored_fields
            if f.name in writable and kinds[f.name].family in SETTABLE
            and not kinds[f.name].multiple and not kinds[f.name].moment
            and (machine is None or f.name != machine.field)]
