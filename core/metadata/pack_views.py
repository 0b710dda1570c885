"""What a pack declares about how its entities are presented: navigation sections and the
role home pages' queues (``navigation`` and ``home`` in ``pack.yaml``).

A queue is a short list of one entity's records that a role works through ("New calls",
"Interventions to verify"): its ``filters`` map fields to a value or a list of values (any
of them), so that the same queue reads as a records-service filter and as the list page's
URL that shows it whole.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from core.metadata.diagnostics import Diagnostic
from core.metadata.field_types import FIELD_TYPES
from core.metadata.loader import PackSource
from core.metadata.names import STANDARD_COLUMNS
from core.metadata.overlay import EntityDraft
from core.metadata.type_groups import family_of

QUEUE_LIMIT = 10  # rows a queue shows unless it says otherwise
FILTER_FAMILIES = ("choice", "flag", "link")  # what a queue's filters may compare


def value_conditions(pairs: Iterable[tuple[str, Any]]) -> list[list[Any]]:
    """Fields to a value, or a list of values (any of them), as records-service filter
    conditions: how queues, related and similar records in metadata narrow their records."""
    return [[name, "in", list(value)] if isinstance(value, (list, tuple)) else [name, "=", value]
            for name, value in pairs]


@dataclass(frozen=True)
class NavSection:
    """A group of the menu: a label and the entities under it, in order."""

    label: str
    entities: tuple[str, ...]


@dataclass(frozen=True)
class HomeQueue:
    """One queue of a role home page."""

    label: str
    entity: str
    roles: frozenset[str]
    filters: Mapping[str, Any]
    sort: str | None = None
    columns: tuple[str, ...] = ()
    limit: int = QUEUE_LIMIT

    def conditions(self) -> list[list[Any]]:
        """The queue as records-service filter conditions."""
        return value_conditions(self.filters.items())

    def list_arguments(self) -> list[tuple[str, str]]:
        """The queue as the list page's query (``f.status=new``; yes/no for booleans)."""
        pairs: list[tuple[str, str]] = []
        for name, value in self.filters.items():
            for item in value if isinstance(value, (list, tuple)) else [value]:
                text = ("yes" if item else "no") if isinstance(item, bool) else str(item)
                pairs.append((f"f.{name}", text))
        if self.sort:
            pairs.append(("sort", self.sort))
        return pairs


def navigation_of(manifest: Mapping[str, Any]) -> tuple[NavSection, ...]:
    """A pack's menu sections."""
    return tuple(NavSection(s["label"], tuple(s["entities"]))
                 for s in manifest.get("navigation") or ())


def queues_of(manifest: Mapping[str, Any]) -> tuple[HomeQueue, ...]:
    """A pack's home page queues."""
    return tuple(HomeQueue(label=q["label"], entity=q["entity"],
                           roles=frozenset(q.get("roles") or ()),
                           filters=dict(q.get("filters") or {}), sort=q.get("sort"),
                           columns=tuple(q.get("columns") or ()),
                           limit=int(q.get("limit", QUEUE_LIMIT)))
                 for q in manifest.get("home") or ())


def pack_view_problems(packs: Iterable[PackSource],
                       entities: Mapping[str, EntityDraft]) -> list[Diagnostic]:
    """Menu sections and queues name entities, fields and options that exist."""
    problems: list[Diagnostic] = []
    for pack in packs:
        manifest = pack.manifest
        for i, section in enumerate(manifest.data.get("navigation") or ()):
            for j, name in enumerate(section["entities"]):
                problems += _entity(manifest, ["navigation", i, "entities", j], name, entities)
        for i, queue in enumerate(manifest.data.get("home") or ()):
            problems += _queue(manifest, i, queue, entities)
    return problems


def _entity(manifest: Any, path: list, name: str,
            entities: Mapping[str, EntityDraft]) -> list[Diagnostic]:
    draft = entities.get(name)
    if draft is None:
        return [manifest.diagnostic(path, f"unknown entity '{name}'")]
    if draft.data.get("child"):
        return [manifest.diagnostic(path, f"'{name}' is a child entity: it has no list "
                                    "of its own")]
    return []


def _queue(manifest: Any, index: int, queue: Mapping[str, Any],
           entities: Mapping[str, EntityDraft]) -> list[Diagnostic]:
    at = ["home", index]
    problems = _entity(manifest, [*at, "entity"], queue["entity"], entities)
    if problems:
        return problems
    fields = entities[queue["entity"]].data["fields"]
    for name, value in (queue.get("filters") or {}).items():
        spec = fields.get(name)
        if spec is None or family_of(spec["type"]) not in FILTER_FAMILIES \
                or FIELD_TYPES[spec["type"]].traits.multiple:
            problems.append(manifest.diagnostic([*at, "filters", name],
                                                f"'{name}' is not an option, yes/no or "
                                                f"link field of '{queue['entity']}'"))
            continue
        for item in value if isinstance(value, list) else [value]:
            if family_of(spec["type"]) == "choice" and item not in spec.get("options", ()):
                problems.append(manifest.diagnostic(
                    [*at, "filters", name], f"'{item}' is not an option of '{name}'"))
            if family_of(spec["type"]) == "flag" and not isinstance(item, bool):
                problems.append(manifest.diagnostic([*at, "filters", name],
                                                    f"'{name}' is yes/no: write true or false"))
    for key, names in (("sort", [queue["sort"]] if queue.get("sort") else []),
                       ("columns", queue.get("columns") or [])):
        for j, name in enumerate(names):
            bare = name.lstrip("-")
            if bare not in fields and bare not in STANDARD_COLUMNS:
                path = [*at, key] if key == "sort" else [*at, key, j]
                problems.append(manifest.diagnostic(
                    path, f"unknown field '{bare}' of entity '{queue['entity']}'"))
    return problems
