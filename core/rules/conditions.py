"""Conditions compiled to durable-rules expressions over flat facts (no eval).

A fact is a flat JSON object: ``r__<field>`` (the record, ``r__<link>__<field>`` through one
link), ``o__<field>`` (previous values), ``c__<field>`` (changed, true/false), ``u__name`` and
``u__role__<role>`` (the acting user), ``p__<n>`` (text predicates evaluated in Python with
``re``), ``_now`` and ``t__*`` (the trigger). Dates and times are epoch seconds.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from core.metadata.timeexpr import RelativeTime
from core.metadata.workflow_specs import Changed, Comparison, Condition, Group

EPOCH = dt.datetime(1970, 1, 1)
FLIP = {"lt": "$gte", "le": "$gt", "gt": "$lte", "ge": "$lt"}
DIRECT = {"lt": "$lt", "le": "$lte", "gt": "$gt", "ge": "$gte"}


def fact_value(value: Any) -> Any:
    """A value as facts hold it: numbers for dates, times and decimals; None when empty."""
    if value is None or value == "" or value == []:
        return None
    if isinstance(value, dt.datetime):
        return (value - EPOCH).total_seconds()
    if isinstance(value, dt.date):
        return (dt.datetime.combine(value, dt.time()) - EPOCH).total_seconds()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, list | tuple):
        return ",".join(str(v) for v in value)
    return value


def key_of(subject: str, path: str) -> str:
    """The fact key of a record field (``field``), previous value (``old``) or user attribute."""
    prefix = {"field": "r__", "old": "o__", "user": "u__"}[subject]
    return prefix + path.replace(".", "__")


@dataclass(frozen=True)
class Predicate:
    """A text test done in Python before matching: ``key`` is true when it holds."""

    key: str
    subject: str
    path: str
    pattern: re.Pattern[str]


@dataclass
class FactPlan:
    """What facts of one entity must carry for its rules."""

    record_paths: set[str] = field(default_factory=set)
    old_fields: set[str] = field(default_factory=set)
    changed_fields: set[str] = field(default_factory=set)
    roles: set[str] = field(default_factory=set)
    predicates: list[Predicate] = field(default_factory=list)


class ConditionCompiler:
    """Compiles conditions of one entity, recording in ``plan`` what facts need."""

    def __init__(self, field_types: dict[str, str], plan: FactPlan):
        self.types = field_types  # path -> field type, for converting constants
        self.plan = plan

    def compile(self, condition: Condition | None, negated: bool = False) -> dict[str, Any]:
        """A durable-rules expression for ``condition`` (or its negation)."""
        if condition is None:
            return {"$nex": {"_never": 1}} if negated else {"$ex": {"_now": 1}}
        if isinstance(condition, Group):
            return self._group(condition, negated)
        if isinstance(condition, Changed):
            self.plan.changed_fields.add(condition.field)
            return {f"c__{condition.field}": not negated}
        return self._comparison(condition, negated)

    def _group(self, group: Group, negated: bool) -> dict[str, Any]:
        if group.kind == "not":
            return self.compile(group.items[0], not negated)
        conjunction = (group.kind == "all") != negated  # De Morgan
        parts = [self.compile(item, negated) for item in group.items]
        return {"$and" if conjunction else "$or": parts}

    def _note(self, comparison: Comparison) -> str:
        if comparison.subject == "field":
            self.plan.record_paths.add(comparison.path)
        elif comparison.subject == "old":
            self.plan.old_fields.add(comparison.path)
            self.plan.record_paths.add(comparison.path)
        return key_of(comparison.subject, comparison.path)

    def constant(self, path: str, value: Any) -> Any:
        kind = self.types.get(path)
        if isinstance(value, str) and kind == "date":
            return fact_value(dt.date.fromisoformat(value))
        if isinstance(value, str) and kind == "datetime":
            return fact_value(dt.datetime.fromisoformat(value))
        return fact_value(value)

    def _comparison(self, c: Comparison, negated: bool) -> dict[str, Any]:
        if c.subject == "user" and c.path == "role":
            roles = c.value if isinstance(c.value, list) else [c.value]
            self.plan.roles.update(roles)
            want = (c.op != "ne") != negated
            parts = [{f"u__role__{role}": want} for role in roles]
            return parts[0] if len(parts) == 1 else {"$or" if want else "$and": parts}
        key = "u__name" if c.subject == "user" else self._note(c)
        if c.op in ("contains", "matches"):
            pattern = re.escape(c.value) if c.op == "contains" else c.value
            predicate = Predicate(f"p__{len(self.plan.predicates)}", c.subject, c.path,
                                  re.compile(pattern, re.IGNORECASE if c.op == "contains"
                                             else 0))
            self.plan.predicates.append(predicate)
            return {predicate.key: not negated}
        if c.op == "is":
            present = (c.value == "set") != negated
            return {"$ex" if present else "$nex": {key: 1}}
        if c.op in ("eq", "ne"):
            equal = (c.op == "eq") != negated
            value = self.constant(c.path, c.value)
            if value is None:
                return {"$nex" if equal else "$ex": {key: 1}}
            return {key: value} if equal else {"$or": [{"$neq": {key: value}},
                                                       {"$nex": {key: 1}}]}
        if c.op == "in":
            options = [{key: self.constant(c.path, v)} for v in c.value]
            if not negated:
                return {"$or": options}
            return {"$or": [{"$and": [{"$neq": {key: self.constant(c.path, v)}}
                                      for v in c.value]}, {"$nex": {key: 1}}]}
        if c.op in ("before", "after"):
            bound = self._moment(c.value)
            op = "lt" if c.op == "before" else "gt"
            return self._ordered(key, op, bound, negated)
        return self._ordered(key, c.op, self.constant(c.path, c.value), negated)

    @staticmethod
    def _ordered(key: str, op: str, bound: Any, negated: bool) -> dict[str, Any]:
        if not negated:
            return {DIRECT[op]: {key: bound}}
        return {"$or": [{FLIP[op]: {key: bound}}, {"$nex": {key: 1}}]}

    def _moment(self, relative: RelativeTime) -> Any:
        seconds = relative.offset.total_seconds()
        if relative.anchor == "now":
            anchor: dict[str, Any] = {"$m": "_now"}
        else:
            self.plan.record_paths.add(relative.anchor)
            anchor = {"$m": key_of("field", relative.anchor)}
        return {"$add": {"$l": anchor, "$r": seconds}} if seconds else anchor
