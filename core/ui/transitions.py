"""The workflow transitions a user may take on a record now, for buttons on its pages."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core.metadata.specs import EntitySpec
from core.officina import Officina
from core.records.actor import Actor
from core.records.errors import RecordError


def allowed_transitions(instance: Officina, actor: Actor, entity: EntitySpec,
                        record: Mapping[str, Any]) -> list[Any]:
    """Transitions (``TransitionSpec``) of ``entity``'s state machine that start from
    ``record``'s state and that ``actor`` may take now: they may update the record, their
    permissions do not lock its state field, they have one of the transition's roles, and
    its guard holds.

    The rules engine decides, exactly as when the transition is taken.
    """
    machine = instance.registry.current().registry.state_machine(entity.name)
    if machine is None or not record or record.get(machine.field) is None:
        return []
    service = instance.records
    if not service.can(actor, entity.name, "update") or machine.field in \
            service.field_access(actor, entity.name, "update").locked:
        return []
    state = record[machine.field]
    found = []
    with instance.database.read() as connection:
        for transition in machine.transitions:
            if state not in transition.sources:
                continue
            try:
                taken = instance.rules.transition_for(
                    connection, actor, entity.name, record, {machine.field: transition.target},
                    transition.name)
            except RecordError:
                continue
            if taken == transition.name:
                found.append(transition)
    return found
