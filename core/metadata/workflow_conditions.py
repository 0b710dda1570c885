"""Checks of a workflow's field names and conditions: the base of the workflow checker."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from marshmallow import ValidationError

from core.i18n import DEFAULT_LANGUAGE, Translator
from core.metadata.diagnostics import Diagnostic
from core.metadata.field_types import FIELD_TYPES, Traits, traits_of
from core.metadata.specs import EntitySpec, FieldSpec
from core.metadata.timeexpr import parse_relative
from core.metadata.workflow_specs import (
    Changed,
    Comparison,
    Condition,
    Group,
    StateMachineSpec,
)
from core.metadata.yaml_source import SourceDocument

OPERATORS = ("eq", "ne", "lt", "le", "gt", "ge", "in", "contains", "matches", "before",
             "after", "is")
# Operators whose value is a constant of the field's type (``in``: a list of them).
CONSTANT_OPERATORS = ("eq", "ne", "in", "lt", "le", "gt", "ge")
STANDARD_TYPES = {"id": "integer", "ref": "string", "created_at": "datetime",
                  "modified_at": "datetime", "created_by": "string", "modified_by": "string",
                  "version": "integer"}



def _traits(kind: str | None) -> Traits:
    return FIELD_TYPES[kind].traits if kind in FIELD_TYPES else Traits("table")


def is_text(kind: str | None) -> bool:
    """Whether a field of ``kind`` holds text ``contains`` and ``matches`` apply to."""
    traits = _traits(kind)
    return traits.textual or traits.family == "choice"


def is_time(kind: str | None) -> bool:
    """Whether a field of ``kind`` holds a date or a datetime."""
    return _traits(kind).family == "time"


def is_one_choice(kind: str | None) -> bool:
    """Whether a field of ``kind`` holds one option of a list."""
    traits = _traits(kind)
    return traits.family == "choice" and not traits.multiple


def is_ordered(kind: str | None) -> bool:
    """Whether ``lt`` and the like compare fields of ``kind``: numbers, times, text and
    single options."""
    traits = _traits(kind)
    return traits.numeric or is_time(kind) or traits.textual or is_one_choice(kind)

class ConditionChecker:
    """Checks the names and conditions of one workflow document, collecting diagnostics."""

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
        if is_one_choice(spec.type):
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
            if not is_text(kind) or not isinstance(value, str):
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
            if not is_time(kind):
                self.error(at, f"'{op}' applies to date and datetime fields")
                return False
            try:
                relative = parse_relative(value)
            except ValueError as exc:
                self.error(at, str(exc))
                return False
            if relative.anchor != "now" and not is_time(self.field_type(at, relative.anchor)):
                self.error(at, f"'{relative.anchor}' is not a date field")
                return False
            return True
        if op in ("lt", "le", "gt", "ge") and not is_ordered(kind):
            self.error(at, f"'{op}' does not apply to a {kind} field")
            return False
        if op == "in" and not isinstance(value, list):
            self.error(at, "'in' takes a list")
            return False
        return True


def _messages_of(messages: Any) -> list[str]:
    """The texts of marshmallow's error messages (a list, or a mapping of lists)."""
    if isinstance(messages, Mapping):
        return [m for value in messages.values() for m in _messages_of(value)]
    if isinstance(messages, list | tuple):
        return [m for value in messages for m in _messages_of(value)]
    return [str(messages)]

