"""Frozen specifications of workflows: conditions, actions, state machines and rules."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Comparison:
    """``subject`` (``field``, ``old`` or ``user``) ``path`` compared by ``op`` with ``value``."""

    subject: str
    path: str
    op: str
    value: Any


@dataclass(frozen=True)
class Changed:
    """True when an update changed ``field``."""

    field: str


@dataclass(frozen=True)
class Group:
    """``all``, ``any`` or ``not`` of conditions."""

    kind: str
    items: tuple[Condition, ...]


Condition = Comparison | Changed | Group


@dataclass(frozen=True, eq=False)
class ActionSpec:
    """One action: its kind (``set``, ``create``, ...) and parameters as written."""

    kind: str
    params: Any
    location: str = ""


@dataclass(frozen=True, eq=False)
class TransitionSpec:
    """A named move from some states to one state, for some roles, when a guard holds."""

    name: str
    label: str
    sources: tuple[str, ...]
    target: str
    roles: frozenset[str]
    guard: Condition | None
    actions: tuple[ActionSpec, ...]


@dataclass(frozen=True, eq=False)
class StateMachineSpec:
    """The states a select field moves through, and how."""

    field: str
    states: tuple[str, ...]
    initial: str
    transitions: tuple[TransitionSpec, ...]
    on_enter: dict[str, tuple[ActionSpec, ...]] = field(default_factory=dict)
    on_leave: dict[str, tuple[ActionSpec, ...]] = field(default_factory=dict)

    def transition(self, name: str) -> TransitionSpec | None:
        """The transition called ``name``."""
        return next((t for t in self.transitions if t.name == name), None)

    def between(self, source: str, target: str) -> list[TransitionSpec]:
        """Transitions from ``source`` to ``target``."""
        return [t for t in self.transitions if source in t.sources and t.target == target]


@dataclass(frozen=True, eq=False)
class RuleSpec:
    """An event-condition-action rule."""

    workflow: str
    name: str
    trigger: str
    condition: Condition | None
    actions: tuple[ActionSpec, ...]
    fields: tuple[str, ...] = ()
    transition: str | None = None
    timer: str | None = None
    event: str | None = None
    cron: str | None = None
    enabled: bool = True
    location: str = ""

    @property
    def qualified_name(self) -> str:
        return f"{self.workflow}.{self.name}"


@dataclass(frozen=True, eq=False)
class WorkflowSpec:
    """A workflow of one entity: an optional state machine and rules."""

    name: str
    entity: str
    pack: str
    label: str
    calendar: str | None
    state_machine: StateMachineSpec | None
    rules: tuple[RuleSpec, ...]
    source: str
    content_hash: str
