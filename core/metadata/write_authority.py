"""Who may write a field: the fields the system fills, derived from entities and workflows.

A field is *system-filled* when only the system may give it a value: a ``computed`` field
(its formula), a ``read_only`` field, the field of a workflow's state machine (it changes
through transitions) and every field a rule action writes (``set``, ``create`` and
``update`` values, ``render_document``'s ``attach_to``, in any workflow, on any entity, also
inside ``for_each``, ``if`` and ``lock``), unless the field declares ``user_editable: true``.
A rule that writes a whole table (``lines: "= edit_lines(...)"``) fills the fields of its
lines that the value names: the keys of ``edit_lines``' values, else every field of the line
entity the expression names (or, for a literal list of lines, their keys). Users (untrusted
actors) cannot give such a field a value other than the one it has; rules and the worker can.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from types import MappingProxyType

from core.metadata.diagnostics import Diagnostic
from core.metadata.expressions import formula_words, line_values_keys
from core.metadata.field_types import traits_of
from core.metadata.overlay import EntityDraft
from core.metadata.specs import EntitySpec
from core.metadata.workflow_specs import ActionSpec, WorkflowSpec

# Why a field is system-filled, in the order a field's reason is chosen.
COMPUTED, READ_ONLY, STATE, RULES = "computed", "read_only", "state", "rules"

SystemFields = Mapping[str, Mapping[str, str]]  # entity -> field -> reason


def _actions_of(workflow: WorkflowSpec) -> Iterator[ActionSpec]:
    """Every action of a workflow: its rules', its transitions' and its state hooks'."""
    for rule in workflow.rules:
        yield from rule.actions
    machine = workflow.state_machine
    if machine is not None:
        for transition in machine.transitions:
            yield from transition.actions
        for hooks in (machine.on_enter, machine.on_leave):
            for actions in hooks.values():
                yield from actions


def _written(entity: str, actions: Iterable[ActionSpec]) -> Iterator[tuple[str, str, object]]:
    """(entity, field, value) for each field the ``actions`` of a workflow on ``entity``
    write (``value`` as written: an expression, a constant, or None when unknown)."""
    for action in actions:
        params = action.params
        if not isinstance(params, Mapping):
            continue
        if action.kind == "set":
            yield from ((entity, name, value) for name, value in params.items())
        elif action.kind in ("create", "update"):
            yield from ((str(params.get("entity")), name, value)
                        for name, value in (params.get("values") or {}).items())
        elif action.kind == "render_document" and params.get("attach_to"):
            yield entity, str(params["attach_to"]), None
        elif action.kind in ("for_each", "lock"):
            yield from _written(entity, params.get("do") or ())
        elif action.kind == "if":
            yield from _written(entity, (*(params.get("do") or ()),
                                         *(params.get("else") or ())))


def _line_fields(value: object) -> set[str] | None:
    """The names of line fields a whole-table ``value`` may write; None when unknown."""
    if isinstance(value, str) and value.startswith("="):
        expression = value[1:]
        keys = line_values_keys(expression)
        return keys if keys is not None else formula_words(expression)
    if isinstance(value, list) and all(isinstance(line, Mapping) for line in value):
        return {str(name) for line in value for name in line}
    return None


def _with_lines(entities: Mapping[str, EntitySpec], entity: str, name: str, value: object
                ) -> Iterator[tuple[str, str]]:
    """(entity, field) for field ``name`` written with ``value`` and, when it is a table,
    for the fields of its lines (and theirs) that ``value`` writes."""
    yield entity, name
    spec = entities[entity].field(name) if entity in entities else None
    if spec is None or traits_of(spec).family != "table" or spec.target not in entities:
        return
    child = entities[spec.target or ""]
    names = _line_fields(value)
    for field_spec in child.fields:
        if names is None or field_spec.name in names:
            yield from _with_lines(entities, child.name, field_spec.name, value)


def rule_filled(workflows: Iterable[WorkflowSpec],
                entities: Mapping[str, EntitySpec] | None = None) -> dict[str, frozenset[str]]:
    """The fields rule actions write, by entity (whether or not they are user-editable);
    with ``entities``, also the fields of lines rules write through a whole table."""
    found: dict[str, set[str]] = {}
    for workflow in workflows:
        for entity, name, value in _written(workflow.entity, _actions_of(workflow)):
            for owner, written in _with_lines(entities or {}, entity, name, value):
                found.setdefault(owner, set()).add(written)
    return {entity: frozenset(names) for entity, names in found.items()}


def system_fields(entities: Mapping[str, EntitySpec],
                  workflows: Mapping[str, WorkflowSpec]) -> SystemFields:
    """Per entity, each system-filled field with its reason (``COMPUTED``, ``READ_ONLY``,
    ``STATE`` or ``RULES``)."""
    by_rules = rule_filled(workflows.values(), entities)
    states = {w.entity: w.state_machine.field for w in workflows.values()
              if w.state_machine is not None}
    result: dict[str, Mapping[str, str]] = {}
    for name, entity in entities.items():
        reasons: dict[str, str] = {}
        for spec in entity.stored_fields:
            if spec.computed:
                reasons[spec.name] = COMPUTED
            elif spec.read_only:
                reasons[spec.name] = READ_ONLY
            elif states.get(name) == spec.name:
                reasons[spec.name] = STATE
            elif spec.name in by_rules.get(name, ()) and not spec.user_editable:
                reasons[spec.name] = RULES
        result[name] = MappingProxyType(reasons)
    return MappingProxyType(result)


def user_editable_problems(drafts: Mapping[str, EntityDraft],
                           entities: Mapping[str, EntitySpec],
                           workflows: Mapping[str, WorkflowSpec]) -> list[Diagnostic]:
    """``user_editable`` where it cannot hold: on computed, read-only and state fields."""
    states = {w.entity: w.state_machine.field for w in workflows.values()
              if w.state_machine is not None}
    problems = []
    for name, entity in entities.items():
        for spec in entity.fields:
            if not spec.user_editable:
                continue
            why = ("computed by its formula" if spec.computed else
                   "read_only" if spec.read_only else
                   "the state of a workflow (it changes through transitions)"
                   if states.get(name) == spec.name else None)
            if why is not None:
                problems.append(drafts[name].diagnostic(
                    ["fields", spec.name, "user_editable"],
                    f"'{spec.name}' is {why}: users cannot enter it"))
    return problems
