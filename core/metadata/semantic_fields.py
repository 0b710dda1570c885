"""Checks of one field's definition: its name, target, limits, formula, index and default."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from marshmallow import ValidationError

from core.i18n import Translator
from core.metadata.build import NO_CHECKS, build_field
from core.metadata.diagnostics import Diagnostic
from core.metadata.expressions import formula_names, formula_syntax_error
from core.metadata.field_checks import find_check
from core.metadata.field_types import FIELD_TYPES
from core.metadata.names import (
    CHILD_COLUMNS,
    RESERVED_FIELD_NAMES,
    SQL_RESERVED_WORDS,
    STANDARD_COLUMNS,
)
from core.metadata.overlay import EntityDraft
from core.metadata.type_groups import family_of, not_unique
from core.metadata.value_limits import DEFAULT_LENGTHS, MAX_INDEXED_LENGTH

DYNAMIC_DEFAULTS = {"$today": ("date",), "$now": ("datetime",), "$user": ("string", "text")}
RESERVED_IN_ORDER = tuple(dict.fromkeys((*STANDARD_COLUMNS, *CHILD_COLUMNS,
                                         *sorted(RESERVED_FIELD_NAMES))))


def _a(kind: str) -> str:
    """``kind`` with its indefinite article: ``a string``, ``an integer``."""
    return f"{'an' if kind[:1] in 'aeio' else 'a'} {kind}"


def _check_field(draft: EntityDraft, name: str, spec: dict[str, Any],
                 entities: dict[str, EntityDraft],
                 checks: Mapping[str, Any] = NO_CHECKS) -> list[Diagnostic]:
    at = ["fields", name]
    problems = []
    kind = spec["type"]
    if name in RESERVED_FIELD_NAMES:
        problems.append(draft.diagnostic(at, f"'{name}' is a standard column's name: "
                                         f"choose another ({', '.join(RESERVED_IN_ORDER)} "
                                         "are reserved)"))
    elif name in SQL_RESERVED_WORDS:
        problems.append(draft.diagnostic(at, f"'{name}' is an SQL reserved word: choose another"))
    target = spec.get("target")
    if family_of(kind) == "link" and target:
        if target not in entities:
            problems.append(draft.diagnostic([*at, "target"],
                                             f"link to unknown entity '{target}'"))
        elif entities[target].data.get("child"):
            problems.append(draft.diagnostic([*at, "target"], f"'{target}' is a child entity: "
                                             "link to the record that owns its lines"))
    if family_of(kind) == "table" and target:
        if target not in entities:
            problems.append(draft.diagnostic([*at, "target"],
                                             f"child table of unknown entity '{target}'"))
        elif not entities[target].data.get("child"):
            problems.append(draft.diagnostic([*at, "target"], f"'{target}' is not a child "
                                             "entity: declare it with 'child: true'"))
    renamed = spec.get("renamed_from")
    if renamed and renamed in draft.data["fields"]:
        problems.append(draft.diagnostic([*at, "renamed_from"], f"'{renamed}' is still a field "
                                         "of this entity: a rename needs the old name gone"))
    if spec.get("scale", 0) > spec.get("precision", 18):
        problems.append(draft.diagnostic([*at, "scale"], "scale cannot exceed precision"))
    if spec.get("min") is not None and spec.get("max") is not None and spec["min"] > spec["max"]:
        problems.append(draft.diagnostic([*at, "min"], "min is greater than max"))
    if spec.get("pattern"):
        try:
            re.compile(spec["pattern"])
        except re.error as exc:
            problems.append(draft.diagnostic([*at, "pattern"],
                                             f"invalid regular expression: {exc}"))
    if spec.get("computed"):
        error = formula_syntax_error(spec["computed"])
        if error:
            problems.append(draft.diagnostic([*at, "computed"], error))
        problems += _check_formula_names(draft, [*at, "computed"], spec["computed"])
    if spec.get("unique") and not_unique(kind):
        problems.append(draft.diagnostic([*at, "unique"], f"{_a(kind)} field cannot be unique"))
    problems += _check_indexed_length(draft, at, spec)
    if spec.get("fetch_from"):
        problems += _check_fetch_from(draft, at, spec, entities)
    problems += _check_badges(draft, at, spec)
    if spec.get("link_filter"):
        problems += _check_link_filter(draft, at, spec, entities)
    for key in ("visible_when", "required_when", "read_only_when"):
        if spec.get(key):
            problems += _check_depends_on(draft, [*at, key], name, spec[key])
    if spec.get("check") and spec["check"] not in checks and find_check(spec["check"]) is None:
        problems.append(draft.diagnostic([*at, "check"], f"unknown check '{spec['check']}': "
                                         "name a python-stdnum module that has validate(), "
                                         "e.g. it.iva, eu.vat, it.codicefiscale, iban"))
    elif "default" in spec and spec["default"] is not None:
        problems += _check_default(draft, at, spec, checks)
    return problems


def _check_badges(draft: EntityDraft, at: list, spec: dict[str, Any]) -> list[Diagnostic]:
    """``badges`` style a select's own options; ``due`` is for a datetime, while a select
    field of the entity has one of its own options."""
    problems = []
    if spec.get("badges"):
        if family_of(spec["type"]) != "choice":
            return [draft.diagnostic([*at, "badges"], "only select fields have badges")]
        for option in spec["badges"]:
            if option not in spec.get("options", ()):
                problems.append(draft.diagnostic([*at, "badges", option],
                                                 f"'{option}' is not an option of the field"))
    due = spec.get("due")
    if due:
        if spec["type"] != "datetime":
            return [draft.diagnostic([*at, "due"], "only datetime fields show as due")]
        if isinstance(due, dict):
            field = draft.data["fields"].get(due["field"])
            if field is None or family_of(field["type"]) != "choice":
                return [draft.diagnostic([*at, "due", "field"],
                                         f"'{due['field']}' is not a select field of this "
                                         "entity")]
            problems += [draft.diagnostic([*at, "due", "in", i], f"'{value}' is not an option "
                                          f"of '{due['field']}'")
                         for i, value in enumerate(due["in"])
                         if value not in field.get("options", ())]
    return problems


def _check_depends_on(draft: EntityDraft, at: list, name: str,
                      condition: dict[str, Any]) -> list[Diagnostic]:
    """A depends-on condition names another select or yes/no field, and its values."""
    other = draft.data["fields"].get(condition["field"])
    if condition["field"] == name or other is None \
            or family_of(other["type"]) not in ("choice", "flag"):
        return [draft.diagnostic([*at, "field"], f"'{condition['field']}' is not another "
                                 "select or yes/no field of this entity")]
    if family_of(other["type"]) == "choice":
        return [draft.diagnostic([*at, "in", i], f"'{value}' is not an option of "
                                 f"'{condition['field']}'")
                for i, value in enumerate(condition["in"])
                if value not in other.get("options", ())]
    return [draft.diagnostic([*at, "in", i], f"'{condition['field']}' is yes/no: "
                             "write true or false")
            for i, value in enumerate(condition["in"]) if not isinstance(value, bool)]


def _check_link_filter(draft: EntityDraft, at: list, spec: dict[str, Any],
                       entities: dict[str, EntityDraft]) -> list[Diagnostic]:
    """``link_filter: {their_field: our_field}``: on a link, naming fields of its target and
    of this entity."""
    if family_of(spec["type"]) != "link":
        return [draft.diagnostic([*at, "link_filter"], "only link fields have a link_filter")]
    target = entities.get(spec.get("target", ""))
    problems = []
    for theirs, ours in spec["link_filter"].items():
        if target is not None and theirs not in target.data["fields"]:
            problems.append(draft.diagnostic([*at, "link_filter", theirs],
                                             f"'{target.name}' has no field '{theirs}'"))
        if ours not in draft.data["fields"]:
            problems.append(draft.diagnostic([*at, "link_filter", theirs],
                                             f"unknown field '{ours}' of this entity"))
    return problems


def _check_fetch_from(draft: EntityDraft, at: list, spec: dict[str, Any],
                      entities: dict[str, EntityDraft]) -> list[Diagnostic]:
    """``fetch_from: link.field``: a link of this entity, and a field of its target of the
    same type (and target), on a field that is not computed."""
    where = [*at, "fetch_from"]
    if spec.get("computed"):
        return [draft.diagnostic(where, "a computed field cannot also be fetched")]
    link_name, source_name = spec["fetch_from"].split(".", 1)
    link = draft.data["fields"].get(link_name)
    if link is None or family_of(link["type"]) != "link":
        return [draft.diagnostic(where, f"'{link_name}' is not a link field of this entity")]
    target = entities.get(link.get("target", ""))
    if target is None:
        return []  # the link's own check names its unknown target
    source = target.data["fields"].get(source_name)
    if source is None:
        return [draft.diagnostic(where, f"'{target.name}' has no field '{source_name}'")]
    if source["type"] != spec["type"] or source.get("target") != spec.get("target"):
        return [draft.diagnostic(where, f"'{target.name}.{source_name}' is {_a(source['type'])}"
                                 f" field: it cannot fill {_a(spec['type'])} field")]
    return []


def _indexed_length(spec: dict[str, Any]) -> int:
    """The characters an index on a field of ``spec`` may have to hold (0: not a string)."""
    if spec.get("type") not in ("string", "email", "url"):
        return 0
    return int(spec.get("length") or DEFAULT_LENGTHS[spec["type"]])


def _check_indexed_length(draft: EntityDraft, at: list, spec: dict[str, Any]
                          ) -> list[Diagnostic]:
    """A unique or indexed string must fit PostgreSQL's btree entry (2704 bytes, up to 4 a
    character in UTF-8); a longer one would fail on the first long value."""
    length = _indexed_length(spec)
    for key in ("unique", "index"):
        if spec.get(key) and length > MAX_INDEXED_LENGTH:
            return [draft.diagnostic([*at, key], f"a {key} {spec['type']} field may hold "
                                     f"{length} characters, more than an index entry fits "
                                     f"(at most {MAX_INDEXED_LENGTH}): give it a length of "
                                     f"{MAX_INDEXED_LENGTH} or less")]
    return []


def _check_formula_names(draft: EntityDraft, path: list, expression: str) -> list[Diagnostic]:
    """Every name a formula reads is a field of its entity (a formula sees nothing else)."""
    fields = draft.data["fields"]
    return [draft.diagnostic(path, f"unknown name '{name}' in formula: fields of "
                                   f"'{draft.name}' are {', '.join(fields)}")
            for name in sorted(formula_names(expression)) if name not in fields]


def _check_default(draft: EntityDraft, at: list, spec: dict[str, Any],
                   checks: Mapping[str, Any]) -> list[Diagnostic]:
    default = spec["default"]
    if isinstance(default, str) and default.startswith("$"):
        allowed = DYNAMIC_DEFAULTS.get(default)
        if allowed is None:
            return [draft.diagnostic([*at, "default"], f"unknown dynamic default '{default}': "
                                     f"use one of {', '.join(DYNAMIC_DEFAULTS)}")]
        if spec["type"] not in allowed:
            return [draft.diagnostic([*at, "default"], f"'{default}' is not a default for "
                                     f"{_a(spec['type'])} field")]
        return []
    if spec["type"] in ("table", "link"):
        return [draft.diagnostic([*at, "default"], f"{_a(spec['type'])} field takes no "
                                 "default")]
    loader = FIELD_TYPES[spec["type"]].loader(build_field(at[-1], spec, checks=checks),
                                              Translator())
    try:
        loader.deserialize(default)
    except ValidationError as exc:
        return [draft.diagnostic([*at, "default"], f"invalid default: {exc.messages[0]}")]
    return []

