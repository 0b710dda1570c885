"""Visibility: which rules an event would fire and why, and dry runs of edited workflows."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from core.metadata.diagnostics import MetadataError
from core.metadata.loader import schema_errors
from core.metadata.registry import build_registry
from core.metadata.workflow_specs import ActionSpec, Changed, Comparison, Condition, Group
from core.metadata.yaml_source import read_yaml
from core.records.actor import SYSTEM
from core.records.events import RecordEvent
from core.rules.compiler import compile_entity
from core.rules.facts import build_fact
from core.rules.host import RulesHost
from core.storage.tables import build_schema

if TYPE_CHECKING:
    from core.officina import Officina


def describe(condition: Condition | None) -> str:
    """A condition in words, as written."""
    if condition is None:
        return "always"
    if isinstance(condition, Changed):
        return f"{condition.field} changed"
    if isinstance(condition, Group):
        if condition.kind == "not":
            return f"not ({describe(condition.items[0])})"
        joiner = " and " if condition.kind == "all" else " or "
        return "(" + joiner.join(describe(item) for item in condition.items) + ")"
    assert isinstance(condition, Comparison)
    subject = {"field": "", "old": "previous ", "user": "user "}[condition.subject]
    value = condition.value
    if hasattr(value, "anchor"):
        offset = value.offset.total_seconds()
        value = value.anchor + (f" {'+' if offset >= 0 else '-'} {abs(offset):g}s"
                                if offset else "")
    return f"{subject}{condition.path} {condition.op} {value}"


def summarise(action: ActionSpec) -> str:
    """An action in one line."""
    params = action.params
    if isinstance(params, dict):
        inner = ", ".join(f"{k}={v}" for k, v in params.items())
        return f"{action.kind} {inner}"
    return f"{action.kind} {params}"


def _event(kind: str, entity: str, record: dict[str, Any], name: str | None) -> RecordEvent:
    return RecordEvent(kind, entity, record, SYSTEM, old=record,
                       changed=frozenset(k for k in record if not k.startswith("_")),
                       timer=name if kind == "timer" else None,
                       name=name if kind == "event" else None,
                       transition=name if kind == "transition" else None,
                       rule=name if kind == "schedule" else None)


def explain(officina: Officina, entity: str, key: str, kind: str,
            name: str | None) -> Iterator[str]:
    """For one record: each rule of its entity, whether the event would fire it, and why."""
    record = officina.records.get(SYSTEM, entity, key)
    registry = officina.registry.current().registry
    compiled = officina.rules.compiled(registry, entity)
    event = _event(kind, entity, record, name)
    with officina.database.read() as connection:
        fired = set(officina.rules.match(connection, event))
    yield f"{record['ref']} on {kind}{' ' + name if name else ''}:"
    for rule_name, rule in compiled.rules.items():
        verdict = "FIRES" if rule_name in fired else "no"
        trigger = rule.trigger + (f" {rule.timer or rule.event or rule.transition or rule.cron}"
                                  if (rule.timer or rule.event or rule.transition or rule.cron)
                                  else "")
        yield f"  {verdict:5} {rule_name} (on {trigger}; when {describe(rule.condition)})"
        if rule_name in fired:
            for action in rule.actions:
                yield f"          -> {summarise(action)}"
    if not compiled.rules:
        yield "  no rules for this entity"


def dry_run(officina: Officina, path: Path, kind: str, name: str | None,
            limit: int) -> Iterator[str]:
    """Match existing records against the workflow in ``path`` without changing anything."""
    document = read_yaml(path)
    problems = schema_errors(document, "workflow")
    if problems:
        raise MetadataError(problems)
    store = officina.registry
    packs = copy.copy(store.packs)
    target = copy.copy(packs[-1])
    target.documents = {k: [d for d in v if not (k == "workflow" and
                                                  d.data.get("name") == document.data["name"])]
                        for k, v in target.documents.items()}
    target.documents.setdefault("workflow", []).append(document)
    packs[-1] = target
    with officina.database.read() as connection:
        overlays = store.overlays(connection)
    registry = build_registry(packs, overlays, contributions=store.contributions)
    workflow = registry.workflows[document.data["name"]]
    schema = build_schema(registry)
    compiled = compile_entity(registry.entity(workflow.entity), registry)
    compiled.rules = {n: r for n, r in compiled.rules.items()
                      if r.workflow == workflow.name}
    host = RulesHost()
    host.register(compiled.rulesets)
    table = schema.table(workflow.entity)
    tried = would = 0
    now = officina.rules.clock()
    yield f"Dry run of {workflow.name} on {workflow.entity} ({kind}); nothing is changed."
    with officina.database.read() as connection:
        rows = connection.execute(sa.select(table).order_by(table.c.id).limit(limit))
        for row in rows:
            record = dict(row._mapping)
            tried += 1
            fact = build_fact(connection, registry, schema, compiled.plan,
                              _event(kind, workflow.entity, record, name), now)
            for rule_name in host.match(compiled.rulesets, fact):
                rule = compiled.rules.get(rule_name)
                if rule is None:
                    continue
                would += 1
                actions = "; ".join(summarise(a) for a in rule.actions)
                yield f"  {record['ref']}: would run {rule_name}: {actions}"
    yield f"{tried} record(s) tried, {would} rule firing(s) would happen."
