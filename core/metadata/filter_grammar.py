"""The filter grammar: raw filters checked against an entity's metadata into ``Filter`` trees.

A filter is a condition ``["field", "op", value]`` or a group ``{"and": [...]}``,
``{"or": [...]}``, ``{"not": ...}``; a plain list of filters means "all of them". A
condition may reach across one link (``["technician.user", "=", "anna"]``).

The grammar knows fields, operators and values, not tables: ``core.records.filters``
compiles a checked tree to SQLAlchemy. It sits in the metadata layer, so that metadata's own
checks (permissions' row conditions) parse filters the way list queries do.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from marshmallow import ValidationError

from core.errors import QueryError
from core.i18n import Translator, _
from core.metadata.field_types import FIELD_TYPES, traits_of
from core.metadata.specs import EntitySpec, FieldSpec
from core.metadata.value_limits import storable_problem


class FilterLimits(Protocol):
    """How large a filter may be (``core.records.limits.Limits`` is one)."""

    max_filter_depth: int
    max_filter_items: int
    max_filter_conditions: int


@dataclass(frozen=True)
class DefaultFilterLimits:
    """The bounds a filter has when no ``[limits]`` settings are given."""

    max_filter_depth: int = 8  # groups inside groups
    max_filter_items: int = 500  # values of an in-list, filters of one and/or group
    max_filter_conditions: int = 200  # conditions in one filter, all groups together


DEFAULT_FILTER_LIMITS = DefaultFilterLimits()

STANDARD_FIELDS: dict[str, FieldSpec] = {
    "id": FieldSpec("id", "integer", "ID"),
    "ref": FieldSpec("ref", "string", "Reference", length=140),
    "created_at": FieldSpec("created_at", "datetime", "Created at"),
    "created_by": FieldSpec("created_by", "string", "Created by", length=140),
    "modified_at": FieldSpec("modified_at", "datetime", "Modified at"),
    "modified_by": FieldSpec("modified_by", "string", "Modified by", length=140),
    "version": FieldSpec("version", "integer", "Version"),
}
NO_VALUE = ("is null", "is not null")
MANY_VALUES = ("in", "not in")


@dataclass(frozen=True)
class Condition:
    """One comparison of a field with a converted value.

    With ``via`` (a link field of the filtered entity), ``field`` is a field of the link's
    target and the condition holds for records linking to a target that satisfies it.
    """

    field: FieldSpec
    operator: str
    value: Any
    via: FieldSpec | None = None


@dataclass(frozen=True)
class Group:
    """Conditions joined by ``and`` or ``or``, or one negated (``not``)."""

    kind: str
    items: tuple[Condition | Group, ...]


Filter = Condition | Group
FieldGate = Callable[[EntitySpec, str], bool]
"""Whether a filter may use a field (or standard column) of an entity; False reads as unknown."""


def filter_field(entity: EntitySpec, name: str) -> FieldSpec | None:
    """The field (or standard column) ``name`` of ``entity`` that a filter may use."""
    spec = entity.field(name)
    if spec is not None:
        return spec if spec.stored else None
    if name in ("id",) or not entity.is_child:
        return STANDARD_FIELDS.get(name)
    return None


class FilterParser:
    """Parses raw filters for one entity into checked ``Filter`` trees."""

    def __init__(self, entity: EntitySpec, translator: Translator,
                 entities: Mapping[str, EntitySpec] | None = None,
                 gate: FieldGate | None = None, limits: FilterLimits | None = None):
        """``entities`` lets conditions reach across links (``link.field``); ``gate`` hides
        fields the caller may not use (they are refused as unknown ones); ``limits`` bound
        the nesting, the lists and the number of conditions (the defaults when None)."""
        self.entity = entity
        self.t = translator
        self.entities = entities
        self.gate = gate
        self.limits = limits or DEFAULT_FILTER_LIMITS
        self._conditions = 0

    def field(self, name: str) -> tuple[FieldSpec | None, FieldSpec | None]:
        """The field a condition names, and the link it goes through (or None)."""
        if "." not in name:
            spec = filter_field(self.entity, name)
            if spec is not None and self.gate is not None and not self.gate(self.entity, name):
                spec = None
            return spec, None
        link_name, _dot, target_name = name.partition(".")
        link = filter_field(self.entity, link_name)
        if (self.entities is None or link is None or traits_of(link).family != "link"
                or link.target not in self.entities
                or (self.gate is not None and not self.gate(self.entity, link_name))):
            return None, None
        target = self.entities[link.target or ""]
        spec = filter_field(target, target_name) if "." not in target_name else None
        if spec is not None and self.gate is not None and not self.gate(target, target_name):
            spec = None
        return spec, link if spec is not None else None

    def fail(self, message: str, **values: Any) -> QueryError:
        return QueryError(self.t.gettext(message, **values))

    def parse(self, raw: Any) -> Filter | None:
        """A ``Filter`` from JSON-like data; ``QueryError`` naming the problem otherwise."""
        if raw is None or raw == []:
            return None
        self._conditions = 0
        if (isinstance(raw, list | tuple) and raw
                and all(isinstance(i, list | tuple | Mapping) for i in raw)):
            self._check_items(raw)
            return Group("and", tuple(self.parse_one(item, 1) for item in raw))
        return self.parse_one(raw)

    def _check_items(self, items: Any) -> None:
        if len(items) > self.limits.max_filter_items:
            raise self.fail(_("A filter list may hold at most {max} items."),
                            max=self.limits.max_filter_items)

    def parse_one(self, raw: Any, depth: int = 0) -> Filter:
        if depth > self.limits.max_filter_depth:
            raise self.fail(_("Filters may be nested at most {max} levels deep."),
                            max=self.limits.max_filter_depth)
        if isinstance(raw, Mapping):
            if len(raw) != 1 or next(iter(raw)) not in ("and", "or", "not"):
                raise self.fail(_("A filter group is {{\"and\": [...]}}, {{\"or\": [...]}} or "
                                  "{{\"not\": ...}}."))
            kind, body = next(iter(raw.items()))
            if kind == "not":
                return Group("not", (self.parse_one(body, depth + 1),))
            if not isinstance(body, list | tuple) or not body:
                raise self.fail(_("\"{kind}\" needs a list of filters."), kind=kind)
            self._check_items(body)
            return Group(kind, tuple(self.parse_one(item, depth + 1) for item in body))
        if (not isinstance(raw, list | tuple) or len(raw) not in (2, 3)
                or not isinstance(raw[0], str)):
            raise self.fail(_("A filter is [field, operator, value]: got {raw}."),
                            raw=str(raw)[:200])
        self._conditions += 1
        if self._conditions > self.limits.max_filter_conditions:
            raise self.fail(_("A filter may hold at most {max} conditions."),
                            max=self.limits.max_filter_conditions)
        return self.condition(raw[0], str(raw[1]).lower(), raw[2] if len(raw) == 3 else None)

    def condition(self, name: str, operator: str, value: Any) -> Condition:
        spec, via = self.field(name)
        if spec is None:
            raise self.fail(_("Cannot filter on unknown field \"{field}\" of {entity}."),
                            field=name, entity=self.entity.name)
        condition = self._condition(spec, name, operator, value)
        return Condition(condition.field, condition.operator, condition.value, via)

    def _condition(self, spec: FieldSpec, name: str, operator: str, value: Any) -> Condition:
        operators = FIELD_TYPES[spec.type].operators
        if operator not in operators:
            raise self.fail(_("Operator \"{op}\" does not apply to field \"{field}\"; use one "
                              "of: {ops}."), op=operator, field=name, ops=", ".join(operators))
        if operator in NO_VALUE:
            return Condition(spec, operator, None)
        if operator in MANY_VALUES:
            if not isinstance(value, list | tuple) or not value:
                raise self.fail(_("\"{op}\" on \"{field}\" needs a list of values."),
                                op=operator, field=name)
            self._check_items(value)
            return Condition(spec, operator, tuple(self.value(spec, v) for v in value))
        if operator == "between":
            if not isinstance(value, list | tuple) or len(value) != 2:
                raise self.fail(_("\"between\" on \"{field}\" needs two values."), field=name)
            return Condition(spec, operator, (self.value(spec, value[0]),
                                              self.value(spec, value[1])))
        if operator in ("like", "has"):
            if not isinstance(value, str) or not value:
                raise self.fail(_("\"{op}\" on \"{field}\" needs a text value."), op=operator,
                                field=name)
            problem = storable_problem(value, self.t)
            if problem:
                raise self.fail(_("Filter on \"{field}\": {problem}"), field=name,
                                problem=problem)
            return Condition(spec, operator, value)
        return Condition(spec, operator, self.value(spec, value))

    def value(self, spec: FieldSpec, raw: Any) -> Any:
        loader = FIELD_TYPES[spec.type].loader(
            FieldSpec(spec.name, spec.type, spec.label, precision=spec.precision,
                      scale=spec.scale, options=spec.options), self.t)
        try:
            return loader.deserialize(raw)
        except ValidationError as exc:
            message = exc.messages[0] if isinstance(exc.messages, list) else str(exc.messages)
            raise self.fail(_("Filter on \"{field}\": {problem} (got {raw})"), field=spec.name,
                            problem=message, raw=raw) from None
