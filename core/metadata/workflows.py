"""Read workflow documents into specs, checking every name they use against the entities."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

from croniter import croniter
from marshmallow import ValidationError

from core.i18n import DEFAULT_LANGUAGE, Translator
from core.metadata.diagnostics import Diagnostic
from core.metadata.expressions import formula_syntax_error
from core.metadata.field_types import FIELD_TYPES, Traits, traits_of
from core.metadata.specs import EntitySpec, FieldSpec
from core.metadata.timeexpr import parse_relative
from core.metadata.workflow_specs import (
    ActionSpec,
    Changed,
    Comparison,
    Condition,
    Group,
    RuleSpec,
    StateMachineSpec,
    TransitionSpec,
    WorkflowSpec,
)
from core.metadata.yaml_source import SourceDocument

OPERATORS = ("eq", "ne", "lt", "le", "gt", "ge", "in", "contains", "matches", "before",
             "after", "is")
# Operators whose value is a constant of the field's type (``in``: a list of them).
CONSTANT_OPERATORS = ("eq", "ne", "in", "lt", "le", "gt", "ge")
STANDARD_TYPES = {"id": "integer", "ref": "string", "created_at": "datetime",
                  "modified_at": "datetime", "created_by": "string", "modified_by": "string",
                  "version": "integer"}
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _traits(kind: str | None) -> Traits:
    return FIELD_TYPES[kind].traits if kind in FIELD_TYPES else Traits("table")


def _is_text(kind: str | None) -> bool:
    """Whether a field of ``kind`` holds text ``contains`` and ``matches`` apply to."""
    traits = _traits(kind)
    return traits.textual or traits.family == "choice"


def _is_time(kind: str | None) -> bool:
    return _traits(kind).family == "time"


def _is_one_choice(kind: str | None) -> bool:
    traits = _traits(kind)
    return traits.family == "choice" and not traits.multiple


def _is_ordered(kind: str | None) -> bool:
    """Whether ``lt`` and the like compare fields of ``kind``: numbers, times, text and
    single options."""
    traits = _traits(kind)
    return traits.numeric or _is_time(kind) or traits.textual or _is_one_choice(kind)


# Names every rule expression has (core/rules/actions.py expression_context): a loop
# variable may not hide them.
RESERVED_NAMES = frozenset({
    "record", "old", "user", "now", "today", "duration", "add_working_time",
    "working_time_between", "local_time", "get", "find", "find_one", "exists", "copy_lines",
    "edit_lines",
    "occurrences", "reach_date", "remap"})


class WorkflowChecker:
    """Builds the specs of one workflow document, collecting diagnostics."""

    def __init__(self, document: SourceDocument, pack: str,
                 entities: Mapping[str, EntitySpec], roles: frozenset[str],
                 mail_templates: frozenset[str], calendars: frozenset[str],
                 machines: Mapping[str, StateMachineSpec] | None = None):
        self.doc = document
        self.machines = machines or {}
        self.pack = pack
        self.entities = entities
        self.roles = roles
        self.templates = mail_templates
        self.calendars = calendars
        self.problems: list[Diagnostic] = []
        self.entity: EntitySpec | None = None
        self.machine: StateMachineSpec | None = None

    def error(self, path: list, message: str) -> None:
        self.problems.append(self.doc.diagnostic(path, message))

    def where(self, path: list) -> str:
        return f"{self.doc.file}:{self.doc.line_of(path)}"

    # -- fields ---------------------------------------------------------------------------

    def field_type(self, path: list, name: str, entity: EntitySpec | None = None,
                   links: bool = True) -> str | None:
        """The type of ``name`` (``link.field`` follows one link); None after an error."""
        entity = entity or self.entity
        assert entity is not None
        head, _, rest = name.partition(".")
        if head in STANDARD_TYPES and not rest:
            return STANDARD_TYPES[head]
        spec = entity.field(head)
        if spec is None or not spec.stored:
            self.error(path, f"unknown field '{head}' of entity '{entity.name}'")
            return None
        if rest:
            if traits_of(spec).family != "link" or not links:
                self.error(path, f"'{head}' is not a link: '{name}' cannot be followed")
                return None
            return self.field_type(path, rest, self.entities[spec.target or ""], links=False)
        return spec.type

    # -- conditions -----------------------------------------------------------------------

    def condition(self, raw: dict[str, Any], path: list) -> Condition | None:
        for kind in ("all", "any", "not"):
            if kind in raw:
                items = raw[kind] if kind != "not" else [raw[kind]]
                parsed = [self.condition(item, [*path, kind, i] if kind != "not"
                                         else [*path, kind]) for i, item in enumerate(items)]
                if any(p is None for p in parsed):
                    return None
                return Group(kind, tuple(p for p in parsed if p is not None))
        if "changed" in raw:
            return Changed(raw["changed"]) if self.field_type([*path, "changed"],
                                                              raw["changed"]) else None
        subjects = [k for k in ("field", "old", "user") if k in raw]
        ops = [k for k in raw if k in OPERATORS]
        if len(subjects) != 1 or len(ops) != 1:
            self.error(path, "a comparison names one of field/old/user and one operator ("
                       + ", ".join(OPERATORS) + ")")
            return None
        subject, op = subjects[0], ops[0]
        value = raw[op]
        at = [*path, op]
        if subject == "user":
            return self._user_condition(raw["user"], op, value, at)
        if subject == "old" and "." in raw["old"]:
            self.error([*path, "old"], "previous values are known for the record's own fields")
            return None
        kind = self.field_type([*path, subject], raw[subject])
        if kind is None or not self._operator_fits(kind, op, value, at):
            return None
        if op in ("eq", "ne", "in") and not self._values_fit(raw[subject], value, at):
            return None
        if op in CONSTANT_OPERATORS and not self._constants_fit(raw[subject], kind, value, at):
            return None
        if op in ("before", "after"):
            value = parse_relative(value)
        return Comparison(subject, raw[subject], op, value)

    def _user_condition(self, what: str, op: str, value: Any, at: list) -> Condition | None:
        if what == "role":
            if op not in ("eq", "ne", "in") or (op == "in" and not isinstance(value, list)):
                self.error(at, "compare the user's role with eq, ne or in")
                return None
            for role in value if isinstance(value, list) else [value]:
                if role not in self.roles:
                    self.error(at, f"unknown role '{role}' (roles in use: "
                                   f"{', '.join(sorted(self.roles))})")
                    return None
        elif op not in ("eq", "ne", "in", "contains", "matches"):
            self.error(at, f"operator '{op}' does not apply to a user name")
            return None
        return Comparison("user", what, op, value)

    def _spec(self, path: str) -> FieldSpec | None:
        """The field at ``path`` (``link.field`` follows one link), if any."""
        assert self.entity is not None
        head, _, rest = path.partition(".")
        spec = self.entity.field(head)
        if spec is not None and rest and spec.target in self.entities:
            return self.entities[spec.target].field(rest)
        return spec

    def _values_fit(self, path: str, value: Any, at: list) -> bool:
        """Constants compared with a select or yes/no field must be values it can hold."""
        spec = self._spec(path)
        values = value if isinstance(value, list) else [value]
        if spec is None or None in values:
            return True
        if _is_one_choice(spec.type):
            wrong = [v for v in values if v not in spec.options]
            if wrong:
                self.error(at, f"'{wrong[0]}' is not an option of '{path}' "
                               f"({', '.join(spec.options)})")
                return False
        if traits_of(spec).family == "flag" and not all(isinstance(v, bool) for v in values):
            self.error(at, f"'{path}' is yes/no: compare it with true or false")
            return False
        return True

    def _constants_fit(self, path: str, kind: str, value: Any, at: list) -> bool:
        """Each constant compared with a field must convert to the field's type, as a value
        written to the field would (a date that exists, a number, not a mapping...)."""
        spec = self._spec(path)
        plain = FieldSpec(name=path, type=kind, label=path,
                          options=spec.options if spec else (),
                          target=spec.target if spec else None)
        converter = FIELD_TYPES[kind].loader(plain, Translator(DEFAULT_LANGUAGE))
        for constant in value if isinstance(value, list) else [value]:
            if constant is None:
                continue  # compared with an empty field
            try:
                converter.deserialize(constant)
            except ValidationError as exc:
                problem = " ".join(str(m) for m in _messages_of(exc.messages))
                self.error(at, f"{constant!r} does not fit '{path}' ({kind}): {problem}")
                return False
            except (TypeError, ValueError, OverflowError, ArithmeticError) as exc:
                self.error(at, f"{constant!r} does not fit '{path}' ({kind}): {exc}")
                return False
        return True

    def _operator_fits(self, kind: str, op: str, value: Any, at: list) -> bool:
        if op == "is":
            if value not in ("set", "empty"):
                self.error(at, "'is' takes set or empty")
                return False
            return True
        if op in ("contains", "matches"):
            if not _is_text(kind) or not isinstance(value, str):
                self.error(at, f"'{op}' applies to text fields and takes a text")
                return False
            if op == "matches":
                try:
                    re.compile(value)
                except re.error as exc:
                    self.error(at, f"invalid regular expression: {exc}")
                    return False
            return True
        if op in ("before", "after"):
            if not _is_time(kind):
                self.error(at, f"'{op}' applies to date and datetime fields")
                return False
            try:
                relative = parse_relative(value)
            except ValueError as exc:
                self.error(at, str(exc))
                return False
            if relative.anchor != "now" and not _is_time(self.field_type(at, relative.anchor)):
                self.error(at, f"'{relative.anchor}' is not a date field")
                return False
            return True
        if op in ("lt", "le", "gt", "ge") and not _is_ordered(kind):
            self.error(at, f"'{op}' does not apply to a {kind} field")
            return False
        if op == "in" and not isinstance(value, list):
            self.error(at, "'in' takes a list")
            return False
        return True

    # -- actions --------------------------------------------------------------------------

    def actions(self, raw: list[dict[str, Any]], path: list) -> tuple[ActionSpec, ...]:
        specs = []
        for index, action in enumerate(raw or []):
            kind, params = next(iter(action.items()))
            at = [*path, index, kind]
            check = getattr(self, f"_check_{kind}", None)
            checked = check(params, at) if check is not None else None
            specs.append(ActionSpec(kind, params if checked is None else checked,
                                    self.where(at)))
        return tuple(specs)

    def _check_values(self, entity: EntitySpec, values: dict[str, Any], at: list) -> None:
        for name, value in values.items():
            spec: FieldSpec | None = entity.field(name)
            if spec is None:
                self.error([*at, name], f"unknown field '{name}' of entity '{entity.name}'")
            elif spec.computed:
                self.error([*at, name], f"'{name}' is computed by its formula: a rule cannot "
                           "set it")
            elif isinstance(value, str) and value.startswith("="):
                error = formula_syntax_error(value[1:].strip())
                if error:
                    self.error([*at, name], error)

    def _check_set(self, params: dict[str, Any], at: list) -> None:
        assert self.entity is not None
        self._check_values(self.entity, params, at)
        if self.machine and self.machine.field in params:
            self.error([*at, self.machine.field], "the state changes through 'transition', "
                       "so that guards and roles apply")

    def _check_create(self, params: dict[str, Any], at: list) -> None:
        target = self.entities.get(params["entity"])
        if target is None or target.is_child:
            self.error([*at, "entity"], f"unknown entity '{params['entity']}'")
            return
        self._check_values(target, params["values"], [*at, "values"])
        for index, name in enumerate(params.get("unless_exists") or []):
            known = self.field_type([*at, "unless_exists", index], name, target, links=False)
            if known is not None and name not in params["values"]:
                self.error([*at, "unless_exists", index], f"'{name}' is not among the values: "
                           "the record to look for would have it empty")

    def _check_expression(self, raw: Any, at: list) -> None:
        if isinstance(raw, str) and raw.startswith("="):
            error = formula_syntax_error(raw[1:].strip())
            if error:
                self.error(at, error)

    def _check_update(self, params: dict[str, Any], at: list) -> None:
        target = self.entities.get(params["entity"])
        if target is None or target.is_child:
            self.error([*at, "entity"], f"unknown entity '{params['entity']}'")
            return
        self._check_expression(params["id"], [*at, "id"])
        self._check_values(target, params["values"], [*at, "values"])

    def _check_for_each(self, params: dict[str, Any], at: list) -> dict[str, Any]:
        self._check_expression(params["in"], [*at, "in"])
        if params["as"] in RESERVED_NAMES:
            self.error([*at, "as"], f"'{params['as']}' is a name expressions already have: "
                       "choose another")
        return {**params, "do": self.actions(params["do"], [*at, "do"])}

    def _check_lock(self, params: dict[str, Any], at: list) -> dict[str, Any]:
        target = self.entities.get(params["entity"])
        if target is None or target.is_child:
            self.error([*at, "entity"], f"unknown entity '{params['entity']}'")
        self._check_expression(params["id"], [*at, "id"])
        if params["as"] in RESERVED_NAMES:
            self.error([*at, "as"], f"'{params['as']}' is a name expressions already have: "
                       "choose another")
        return {**params, "do": self.actions(params["do"], [*at, "do"])}

    def _check_if(self, params: dict[str, Any], at: list) -> dict[str, Any]:
        self._check_expression(params["test"], [*at, "test"])
        return {**params, "do": self.actions(params["do"], [*at, "do"]),
                "else": self.actions(params.get("else") or [], [*at, "else"])}

    def _check_transition(self, name: str, at: list) -> None:
        machine = self.machine or (self.machines.get(self.entity.name) if self.entity else None)
        if machine is None or machine.transition(name) is None:
            self.error(at, f"unknown transition '{name}'")

    def _check_start_timer(self, params: dict[str, Any], at: list) -> None:
        try:
            relative = parse_relative(params["at"])
        except ValueError as exc:
            self.error([*at, "at"], str(exc))
            return
        if relative.anchor != "now" and not _is_time(self.field_type([*at, "at"],
                                                                     relative.anchor)):
            self.error([*at, "at"], f"'{relative.anchor}' is not a date field")

    def _check_recipients(self, recipients: list[str], at: list) -> None:
        for index, recipient in enumerate(recipients):
            kind, _, name = recipient.partition(":")
            if kind == "role" and name not in self.roles:
                self.error([*at, index], f"unknown role '{name}'")
            elif kind == "field":
                self.field_type([*at, index], name)
            elif kind not in ("role", "user", "field") and not EMAIL.fullmatch(recipient):
                self.error([*at, index], f"'{recipient}' is not a recipient: use role:NAME, "
                           "user:NAME, field:FIELD or an e-mail address")

    def _check_send_mail(self, params: dict[str, Any], at: list) -> None:
        if params["template"] not in self.templates:
            self.error([*at, "template"], f"no mail template '{params['template']}' "
                       "(templates/mail/<name>.yaml in a pack)")
        self._check_recipients(params["to"], [*at, "to"])

    def _check_notify(self, params: dict[str, Any], at: list) -> None:
        self._check_recipients(params["to"], [*at, "to"])

    def _check_render_document(self, params: dict[str, Any], at: list) -> None:
        assert self.entity is not None
        attach_to = params.get("attach_to")
        if attach_to is not None:
            spec = self.entity.field(attach_to)
            if spec is None or not traits_of(spec).file or traits_of(spec).image:
                self.error([*at, "attach_to"], f"'{attach_to}' is not an attachment field of "
                           f"entity '{self.entity.name}'")
        language = params.get("language")
        if isinstance(language, str) and language.startswith("="):
            error = formula_syntax_error(language[1:].strip())
            if error:
                self.error([*at, "language"], error)
        elif language is not None and language not in ("en", "it"):
            self.error([*at, "language"], f"unknown language '{language}': en, it or an "
                       "expression")
        if "mail" in params:
            self._check_send_mail(params["mail"], [*at, "mail"])

    # -- state machine and rules ------------------------------------------------------------

    def state_machine(self, raw: dict[str, Any]) -> StateMachineSpec | None:
        assert self.entity is not None
        at = ["state_machine"]
        spec = self.entity.field(raw["field"])
        if spec is None or not _is_one_choice(spec.type):
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


def _messages_of(messages: Any) -> list[str]:
    """The texts of marshmallow's error messages (a list, or a mapping of lists)."""
    if isinstance(messages, Mapping):
        return [m for value in messages.values() for m in _messages_of(value)]
    if isinstance(messages, list | tuple):
        return [m for value in messages for m in _messages_of(value)]
    return [str(messages)]


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
