"""An entity's context panel (``context_panel`` in its metadata): what the form shows beside
the fields while a record is entered, worked out by a dry run of the rules.

Each section has a label and either ``fields`` (the record's own, or ``link.field`` of a
linked record: ``machine.labour_warranty_until``) or ``related`` records: those of an entity
whose fields ``match`` the record's (``{machine: machine}``: the machine's other calls),
narrowed by ``filters`` (field to a value or a list of values), shown by ``columns``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from core.metadata.diagnostics import Diagnostic
from core.metadata.names import STANDARD_COLUMNS
from core.metadata.overlay import EntityDraft
from core.metadata.pack_views import value_conditions
from core.metadata.type_groups import family_of

RELATED_LIMIT = 5


@dataclass(frozen=True)
class RelatedRecords:
    """Records of ``entity`` whose ``match`` fields equal the record's, narrowed by
    ``filters``."""

    entity: str
    match: tuple[tuple[str, str], ...]  # (their field, this record's field)
    filters: tuple[tuple[str, Any], ...] = ()
    columns: tuple[str, ...] = ()
    limit: int = RELATED_LIMIT

    def conditions(self, record: Mapping[str, Any]) -> list[list[Any]] | None:
        """The records-service filter for ``record``; None when a matched field is empty."""
        found: list[list[Any]] = []
        for theirs, ours in self.match:
            if record.get(ours) in (None, ""):
                return None
            found.append([theirs, "=", record[ours]])
        return found + value_conditions(self.filters)


@dataclass(frozen=True)
class SimilarRecords:
    """Records of ``entity`` like this one: found by the words of its ``text`` fields in the
    other entity's full-text index, the more words the better, those whose ``boost`` fields
    equal the record's first; narrowed by ``filters``."""

    entity: str
    text: tuple[str, ...]
    boost: tuple[tuple[str, str], ...] = ()  # (their field, this record's field)
    filters: tuple[tuple[str, Any], ...] = ()
    columns: tuple[str, ...] = ()
    limit: int = RELATED_LIMIT


@dataclass(frozen=True)
class PanelSection:
    """One section of a context panel."""

    label: str
    fields: tuple[str, ...] = ()
    related: RelatedRecords | None = field(default=None)
    similar: SimilarRecords | None = field(default=None)


def build_context_panel(data: Any) -> tuple[PanelSection, ...]:
    """The sections of ``context_panel`` metadata."""
    sections = []
    for item in data or ():
        related, similar = item.get("related"), item.get("similar")
        sections.append(PanelSection(
            label=item["label"], fields=tuple(item.get("fields") or ()),
            related=RelatedRecords(
                entity=related["entity"], match=tuple(related["match"].items()),
                filters=tuple((k, tuple(v) if isinstance(v, list) else v)
                              for k, v in (related.get("filters") or {}).items()),
                columns=tuple(related.get("columns") or ()),
                limit=int(related.get("limit", RELATED_LIMIT))) if related else None,
            similar=SimilarRecords(
                entity=similar["entity"], text=tuple(similar["text"]),
                boost=tuple((similar.get("boost") or {}).items()),
                filters=tuple((k, tuple(v) if isinstance(v, list) else v)
                              for k, v in (similar.get("filters") or {}).items()),
                columns=tuple(similar.get("columns") or ()),
                limit=int(similar.get("limit", RELATED_LIMIT))) if similar else None))
    return tuple(sections)


def context_panel_problems(draft: EntityDraft,
                           entities: Mapping[str, EntityDraft]) -> list[Diagnostic]:
    """Panel fields and related records name fields that exist."""
    problems: list[Diagnostic] = []
    own = draft.data["fields"]
    for i, section in enumerate(draft.data.get("context_panel") or ()):
        at = ["context_panel", i]
        for j, name in enumerate(section.get("fields") or ()):
            problems += _path(draft, [*at, "fields", j], name, own, entities)
        similar = section.get("similar")
        if similar:
            problems += _similar(draft, [*at, "similar"], similar, own, entities)
        related = section.get("related")
        if related:
            other = entities.get(related["entity"])
            if other is None:
                problems.append(draft.diagnostic([*at, "related", "entity"],
                                                 f"unknown entity '{related['entity']}'"))
                continue
            theirs = other.data["fields"]
            for name, ours in related["match"].items():
                if name not in theirs:
                    problems.append(draft.diagnostic([*at, "related", "match", name],
                                                     f"'{other.name}' has no field '{name}'"))
                if ours not in own and ours not in STANDARD_COLUMNS:
                    problems.append(draft.diagnostic([*at, "related", "match", name],
                                                     f"unknown field '{ours}' of this entity"))
            for key in ("filters", "columns"):
                names = related.get(key) or ()
                for j, name in enumerate(names):
                    if name not in theirs and name not in STANDARD_COLUMNS:
                        path = [*at, "related", key, name if key == "filters" else j]
                        problems.append(draft.diagnostic(
                            path, f"'{other.name}' has no field '{name}'"))
    return problems


def _similar(draft: EntityDraft, at: list, similar: Mapping[str, Any], own: Mapping[str, Any],
             entities: Mapping[str, EntityDraft]) -> list[Diagnostic]:
    other = entities.get(similar["entity"])
    if other is None:
        return [draft.diagnostic([*at, "entity"], f"unknown entity '{similar['entity']}'")]
    problems = [draft.diagnostic([*at, "text", i], f"unknown field '{name}' of this entity")
                for i, name in enumerate(similar["text"]) if name not in own]
    theirs = other.data["fields"]
    for name, ours in (similar.get("boost") or {}).items():
        if name not in theirs or ours not in own:
            problems.append(draft.diagnostic([*at, "boost", name], f"'{other.name}.{name}' "
                                             f"and this entity's '{ours}' must both exist"))
    for key in ("filters", "columns"):
        for j, name in enumerate(similar.get(key) or ()):
            if name not in theirs and name not in STANDARD_COLUMNS:
                problems.append(draft.diagnostic([*at, key, name if key == "filters" else j],
                                                 f"'{other.name}' has no field '{name}'"))
    if not other.data.get("search_fields") and not other.data.get("title_field"):
        problems.append(draft.diagnostic([*at, "entity"], f"'{other.name}' has no search "
                                         "fields: nothing to find it by"))
    return problems


def _path(draft: EntityDraft, at: list, name: str, own: Mapping[str, Any],
          entities: Mapping[str, EntityDraft]) -> list[Diagnostic]:
    link, _, target_field = name.partition(".")
    if link not in own and link not in STANDARD_COLUMNS:
        return [draft.diagnostic(at, f"unknown field '{link}' of this entity")]
    if not target_field:
        return []
    if link not in own or family_of(own[link]["type"]) != "link":
        return [draft.diagnostic(at, f"'{link}' is not a link field: '{name}' cannot be read")]
    target = entities.get(own[link].get("target", ""))
    if target is not None and target_field not in target.data["fields"] \
            and target_field not in STANDARD_COLUMNS:
        return [draft.diagnostic(at, f"'{target.name}' has no field '{target_field}'")]
    return []
