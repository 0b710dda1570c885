"""Checks of a workflow's actions: the entities, fields, templates and recipients they name."""

from __future__ import annotations

import re
from typing import Any

from core.i18n import SUPPORTED_LANGUAGES
from core.metadata.expressions import formula_syntax_error
from core.metadata.field_types import traits_of
from core.metadata.specs import EntitySpec, FieldSpec
from core.metadata.timeexpr import parse_relative
from core.metadata.workflow_conditions import ConditionChecker, is_time
from core.metadata.workflow_specs import ActionSpec

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


# Names every rule expression has (core/rules/actions.py expression_context): a loop
# variable may not hide them.
RESERVED_NAMES = frozenset({
    "record", "old", "user", "now", "today", "duration", "add_working_time",
    "working_time_between", "local_time", "get", "find", "find_one", "exists", "first_each",
    "copy_lines", "edit_lines", "edit_lines_by",
    "occurrences", "reach_date", "remap"})


class ActionChecker(ConditionChecker):
    """Checks the actions of one workflow document (``_check_<kind>`` per action kind)."""

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
        if relative.anchor != "now" and not is_time(self.field_type([*at, "at"],
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
        elif language is not None and language not in SUPPORTED_LANGUAGES:
            self.error([*at, "language"], f"unknown language '{language}': "
                       f"{', '.join(SUPPORTED_LANGUAGES)} or an expression")
        if "mail" in params:
            self._check_send_mail(params["mail"], [*at, "mail"])
