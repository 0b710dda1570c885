"""Read workflow documents into specs, checking every name they use against the entities."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import Any

from croniter import croniter

from core.metadata.diagnostics import Diagnostic
from core.metadata.specs import EntitySpec
from core.metadata.workflow_actions import ActionChecker
from core.metadata.workflow_conditions import is_one_choice
from core.metadata.workflow_specs import (
    ActionSpec,
    RuleSpec,
    StateMachineSpec,
    TransitionSpec,
    WorkflowSpec,
)
from core.metadata.yaml_source import SourceDocument


class WorkflowChecker(ActionChecker):
    """Builds the specs of one workflow document, collecting diagnostics."""

    def state_machine(self, raw: dict[str, Any]) -> StateMachineSpec | None:
        assert self.entity is not None
        at = ["state_machine"]
        spec = self.entity.field(raw["field"])
        if spec is None or not is_one_choice(spec.type):
            self.error([*at, "field"], f"'{raw['field']}' is not a select field of "
                       f"'{self.entity.name}'")
            return None
        states = tuple(raw["states"])
        for index, state in enumerate(states):
            if state not in spec.options:
                self.error([*at, "states", index], f"'{state}' is not an option of "
                           f"'{spec.name}' ({', '.join(spec.options)})")
        initial = raw.get("initial") or (spec.default if spec.default in states else states[0])
        if initial not in states:
            self.error([*at, "initial"], f"unknown state '{initial}'")
        elif spec.default is not None and spec.default != initial:
            self.error([*at, "initial"], f"records start in '{initial}' but the default of "
                       f"'{spec.name}' is '{spec.default}': make them the same")
        transitions = []
        names: set[str] = set()
        for index, item in enumerate(raw["transitions"]):
            tat = [*at, "transitions", index]
            if item["name"] in names:
                self.error([*tat, "name"], f"transition '{item['name']}' is defined twice")
            names.add(item["name"])
            for s_index, state in enumerate([*item["from"], item["to"]]):
                if state not in states:
                    where = ([*tat, "from", s_index] if s_index < len(item["from"])
                             else [*tat, "to"])
                    self.error(where, f"unknown state '{state}'")
            for r_index, role in enumerate(item.get("roles", [])):
                if role not in self.roles:
                    self.error([*tat, "roles", r_index], f"unknown role '{role}'")
            guard = self.condition(item["when"], [*tat, "when"]) if "when" in item else None
            transitions.append(TransitionSpec(
                item["name"], item.get("label", item["name"]), tuple(item["from"]), item["to"],
                frozenset(item.get("roles", [])), guard, ()))
        reachable = reachable_states(initial, transitions)
        for index, state in enumerate(states):
            if state not in reachable:
                self.error([*at, "states", index], f"state '{state}' cannot be reached: no "
                           f"transition leads to it from the initial state '{initial}'")
        # Actions may name transitions: check them against the machine's names first.
        self.machine = StateMachineSpec(raw["field"], states, initial, tuple(transitions))
        transitions = [dataclasses.replace(t, actions=self.actions(
            item.get("do", []), [*at, "transitions", index, "do"]))
            for index, (t, item) in enumerate(zip(transitions, raw["transitions"],
                                                  strict=True))]
        hooks: dict[str, dict[str, tuple[ActionSpec, ...]]] = {"on_enter": {}, "on_leave": {}}
        for hook, by_state in hooks.items():
            for state, actions in (raw.get(hook) or {}).items():
                if state not in states:
                    self.error([*at, hook, state], f"unknown state '{state}'")
                by_state[state] = self.actions(actions, [*at, hook, state])
        self.machine = StateMachineSpec(raw["field"], states, initial, tuple(transitions),
                                        **hooks)
        return self.machine

    def rule(self, raw: dict[str, Any], index: int, workflow: str) -> RuleSpec | None:
        at = ["rules", index]
        trigger = raw["on"]
        needs = {"timer": "timer", "schedule": "cron", "event": "event"}
        if trigger in needs and needs[trigger] not in raw:
            self.error([*at, "on"], f"a '{trigger}' rule needs '{needs[trigger]}'")
        for key in ("fields", "transition", "timer", "cron", "event"):
            if key in raw and needs.get(trigger) != key and not (
                    (key == "fields" and trigger == "updated")
                    or (key == "transition" and trigger == "transition")):
                self.error([*at, key], f"'{key}' does not apply to a '{trigger}' rule")
        for f_index, name in enumerate(raw.get("fields", [])):
            self.field_type([*at, "fields", f_index], name)
        if "transition" in raw:
            self._check_transition(raw["transition"], [*at, "transition"])
        if "cron" in raw and not croniter.is_valid(raw["cron"]):
            self.error([*at, "cron"], f"'{raw['cron']}' is not a cron expression "
                       "(minute hour day month weekday, e.g. '0 6 * * *')")
        condition = self.condition(raw["when"], [*at, "when"]) if "when" in raw else None
        return RuleSpec(workflow=workflow, name=raw["name"], trigger=trigger,
                        condition=condition, actions=self.actions(raw["do"], [*at, "do"]),
                        fields=tuple(raw.get("fields", ())), transition=raw.get("transition"),
                        timer=raw.get("timer"), event=raw.get("event"), cron=raw.get("cron"),
                        enabled=raw.get("enabled", True), location=self.where(at))

    def build(self) -> WorkflowSpec | None:
        data = self.doc.data
        self.entity = self.entities.get(data["entity"])
        if self.entity is None or self.entity.is_child:
            self.error(["entity"], f"unknown entity '{data['entity']}'")
            return None
        if data.get("calendar") and data["calendar"] not in self.calendars:
            self.error(["calendar"], f"unknown calendar '{data['calendar']}'")
        machine = self.state_machine(data["state_machine"]) if "state_machine" in data else None
        rules, names = [], set()
        for index, raw in enumerate(data.get("rules") or []):
            if raw["name"] in names:
                self.error(["rules", index, "name"], f"rule '{raw['name']}' is defined twice")
            names.add(raw["name"])
            rule = self.rule(raw, index, data["name"])
            if rule is not None:
                rules.append(rule)
        digest = hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode())
        return WorkflowSpec(name=data["name"], entity=self.entity.name, pack=self.pack,
                            label=data.get("label", data["name"]),
                            calendar=data.get("calendar"), state_machine=machine,
                            rules=tuple(rules), source=self.doc.file,
                            content_hash=digest.hexdigest()[:12])



def reachable_states(initial: str, transitions: Iterable[TransitionSpec]) -> set[str]:
    """The states a record starting in ``initial`` can get to by taking ``transitions``."""
    moves: dict[str, set[str]] = {}
    for transition in transitions:
        for source in transition.sources:
            moves.setdefault(source, set()).add(transition.target)
    reached, todo = {initial}, [initial]
    while todo:
        for target in moves.get(todo.pop(), ()):
            if target not in reached:
                reached.add(target)
                todo.append(target)
    return reached


def known_roles(entities: Iterable[EntitySpec]) -> frozenset[str]:
    """Every role named in any entity's permissions, plus ``admin``."""
    roles = {"admin"}
    for entity in entities:
        roles |= {r for r in entity.permissions if r != "*"}
    return frozenset(roles)


def build_workflows(documents: Iterable[tuple[str, SourceDocument]],
                    entities: Mapping[str, EntitySpec], mail_templates: frozenset[str],
                    calendars: frozenset[str]) -> tuple[dict[str, WorkflowSpec],
                                                        list[Diagnostic]]:
    """Specs of every workflow document (pack, document), and the problems found."""
    roles = known_roles(entities.values())
    workflows: dict[str, WorkflowSpec] = {}
    problems: list[Diagnostic] = []
    machines: dict[str, str] = {}
    specs: dict[str, StateMachineSpec] = {}
    # Workflows with a state machine first, so rules elsewhere may name its transitions.
    ordered = sorted(documents, key=lambda item: "state_machine" not in item[1].data)
    for pack, document in ordered:
        checker = WorkflowChecker(document, pack, entities, roles, mail_templates, calendars,
                                  specs)
        spec = checker.build()
        problems += checker.problems
        if spec is None:
            continue
        if spec.name in workflows:
            problems.append(document.diagnostic(["name"], f"workflow '{spec.name}' is already "
                                                f"defined in {workflows[spec.name].source}"))
        if spec.state_machine is not None:
            if spec.entity in machines:
                problems.append(document.diagnostic(["state_machine"], "entity "
                                f"'{spec.entity}' already has a state machine in workflow "
                                f"'{machines[spec.entity]}'"))
            machines[spec.entity] = spec.name
            specs.setdefault(spec.entity, spec.state_machine)
        workflows[spec.name] = spec
    return workflows, problems
