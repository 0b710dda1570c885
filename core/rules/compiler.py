"""Compile an entity's workflows into durable-rules rulesets.

Every rule and every transition guard becomes one durable-rules rule over flat facts
(see ``core.rules.conditions``). Rulesets are named after the workflows' content, so an edited
workflow registers new rulesets and takes effect without a restart, and are split into chunks
small enough for the engine.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from core.metadata.field_types import traits_of
from core.metadata.specs import EntitySpec, Registry
from core.metadata.workflow_specs import RuleSpec, TransitionSpec
from core.rules.conditions import ConditionCompiler, FactPlan

RULES_PER_RULESET = 100
GUARD_PREFIX = "guard:"


@dataclass
class CompiledEntity:
    """The rulesets of one entity and what their facts must carry."""

    entity: str
    rulesets: dict[str, dict[str, Any]] = field(default_factory=dict)
    rules: dict[str, RuleSpec] = field(default_factory=dict)
    guards: dict[str, TransitionSpec] = field(default_factory=dict)
    plan: FactPlan = field(default_factory=FactPlan)

    @property
    def empty(self) -> bool:
        return not self.rules and not self.guards


def field_types(entity: EntitySpec, registry: Registry) -> dict[str, str]:
    """Type of each field path of ``entity`` (own fields and one link deep)."""
    types = {f.name: f.type for f in entity.stored_fields}
    types.update({"created_at": "datetime", "modified_at": "datetime"})
    for spec in entity.stored_fields:
        if traits_of(spec).family == "link":
            target = registry.entity(spec.target or "")
            types.update({f"{spec.name}.{f.name}": f.type for f in target.stored_fields})
    return types


def trigger_expression(rule: RuleSpec) -> list[dict[str, Any]]:
    """The part of a rule's expression that selects its trigger."""
    parts: list[dict[str, Any]] = [{"t__kind": rule.trigger}]
    if rule.trigger == "updated" and rule.fields:
        parts.append({"$or": [{f"c__{name}": True} for name in rule.fields]})
    for key, value in (("t__transition", rule.transition), ("t__timer", rule.timer),
                       ("t__event", rule.event)):
        if value:
            parts.append({key: value})
    if rule.trigger == "schedule":
        parts.append({"t__rule": rule.qualified_name})
    return parts


def compile_entity(entity: EntitySpec, registry: Registry) -> CompiledEntity:
    """The rulesets for every enabled rule and guard of ``entity``'s workflows."""
    workflows = registry.workflows_of(entity.name)
    compiled = CompiledEntity(entity.name)
    compiler = ConditionCompiler(field_types(entity, registry), compiled.plan)
    definitions: dict[str, dict[str, Any]] = {}
    for workflow in workflows:
        for rule in workflow.rules:
            if rule.trigger == "updated":
                compiled.plan.changed_fields.update(rule.fields)
            if not rule.enabled:
                continue
            compiled.rules[rule.qualified_name] = rule
            expression = {"$and": [*trigger_expression(rule), compiler.compile(rule.condition)]}
            definitions[rule.qualified_name] = {"all": [{"m": expression}],
                                                "run": rule.qualified_name}
        machine = workflow.state_machine
        for transition in machine.transitions if machine else ():
            if transition.guard is None:
                continue
            name = f"{GUARD_PREFIX}{workflow.name}.{transition.name}"
            compiled.guards[name] = transition
            expression = {"$and": [{"t__kind": "guard"}, {"t__transition": transition.name},
                                   compiler.compile(transition.guard)]}
            definitions[name] = {"all": [{"m": expression}], "run": name}
    digest = hashlib.sha256("|".join(w.content_hash for w in workflows).encode()
                            + str(sorted(compiled.plan.record_paths)).encode()).hexdigest()[:12]
    names = sorted(definitions)
    for index in range(0, len(names), RULES_PER_RULESET):
        chunk = {name: definitions[name] for name in names[index:index + RULES_PER_RULESET]}
        compiled.rulesets[f"officina_{entity.name}_{digest}_{index // RULES_PER_RULESET}"] = chunk
    return compiled
