"""Build the flat fact for an event, carrying only what the entity's rules look at."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from core.metadata.specs import Registry
from core.records.events import RecordEvent
from core.records.pending import release
from core.rules.conditions import FactPlan, fact_value, key_of
from core.storage.tables import Schema


def _linked(connection: Connection, registry: Registry, schema: Schema, entity: str,
            record: dict[str, Any], paths: set[str]) -> dict[str, Any]:
    """Values of ``link.field`` paths: one query per link followed."""
    by_link: dict[str, list[str]] = {}
    for path in paths:
        link, _, name = path.partition(".")
        if name:
            by_link.setdefault(link, []).append(name)
    values: dict[str, Any] = {}
    spec = registry.entity(entity)
    for link, names in by_link.items():
        target_id = record.get(link)
        if target_id is None:
            continue
        target = spec.field(link).target or ""  # type: ignore[union-attr]
        release(connection, target, target_id, names)  # held values are written first
        table = schema.table(target)
        row = connection.execute(sa.select(*(table.c[n] for n in names))
                                 .where(table.c.id == target_id)).first()
        if row is not None:
            values.update({f"{link}.{n}": v for n, v in zip(names, row, strict=True)})
    return values


def build_fact(connection: Connection, registry: Registry, schema: Schema, plan: FactPlan,
               event: RecordEvent, now: dt.datetime) -> dict[str, Any]:
    """The fact to match for ``event``: values the plan needs, triggers and the clock."""
    record = dict(event.record)
    values = {p: record.get(p) for p in plan.record_paths if "." not in p}
    values.update(_linked(connection, registry, schema, event.entity, record,
                          plan.record_paths))
    fact: dict[str, Any] = {"_now": fact_value(now), "t__kind": event.kind,
                            "u__name": event.actor.username}
    for key, value in (("t__transition", event.transition), ("t__timer", event.timer),
                       ("t__event", event.name), ("t__rule", event.rule)):
        if value:
            fact[key] = value
    for path, value in values.items():
        converted = fact_value(value)
        if converted is not None:
            fact[key_of("field", path)] = converted
    old = event.old or {}
    for name in plan.old_fields:
        converted = fact_value(old.get(name))
        if converted is not None:
            fact[key_of("old", name)] = converted
    for name in plan.changed_fields:
        fact[f"c__{name}"] = name in event.changed
    for role in plan.roles:
        fact[f"u__role__{role}"] = role in event.actor.roles
    sources = {"field": {**values}, "old": old, "user": {"username": event.actor.username}}
    for predicate in plan.predicates:
        value = sources[predicate.subject].get(predicate.path)
        fact[predicate.key] = bool(value is not None and predicate.pattern.search(str(value)))
    return fact
