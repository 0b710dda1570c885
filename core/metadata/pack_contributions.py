"""What packs add to the metadata through their Python hooks, as plain data.

``core.hooks`` collects it from the packs' hook implementations; the registry build takes it
here without knowing about plugins: field checks by name, and fields a pack adds to another
pack's entity. The added fields are metadata like any other: checked against the entity
JSON Schema and by the same semantic checks, with problems named after the hooks module that
returned them.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from core.metadata.diagnostics import Diagnostic
from core.metadata.field_checks import PackCheck
from core.metadata.loader import schema_errors
from core.metadata.overlay import EntityDraft
from core.metadata.yaml_source import SourceDocument


@dataclass(frozen=True)
class EntityExtension:
    """Fields a pack adds to an entity of another pack (``officina_extend_entities``)."""

    pack: str  # the plugin that returned it: a pack's name, or an entry point's
    source: str  # where it comes from, for diagnostics: the hooks module's file
    entity: str
    fields: Mapping[str, Mapping[str, Any]]


@dataclass(frozen=True)
class PackContributions:
    """Everything the packs' hooks add to the registry build."""

    checks: Mapping[str, PackCheck] = field(default_factory=dict)
    extensions: tuple[EntityExtension, ...] = ()


NO_CONTRIBUTIONS = PackContributions()


def _document(extension: EntityExtension) -> SourceDocument:
    """The extension as an entity document, for the schema and for diagnostics."""
    data = {"name": extension.entity, "label": extension.entity,
            "fields": copy.deepcopy(dict(extension.fields))}
    return SourceDocument(file=f"{extension.source} (officina_extend_entities of "
                               f"{extension.pack})", data=data)


def apply_extensions(drafts: dict[str, EntityDraft],
                     extensions: tuple[EntityExtension, ...]) -> list[Diagnostic]:
    """Add each extension's fields to its entity's draft, in place; return the problems."""
    problems: list[Diagnostic] = []
    for extension in extensions:
        document = _document(extension)
        draft = drafts.get(extension.entity)
        if draft is None:
            problems.append(document.diagnostic([], f"unknown entity '{extension.entity}'"))
            continue
        errors = schema_errors(document, "entity")
        if errors:
            problems += errors
            continue
        fields: dict[str, Any] = draft.data["fields"]
        taken = [name for name in document.data["fields"] if name in fields]
        for name in taken:
            problems.append(document.diagnostic(["fields", name], f"entity '{draft.name}' "
                                                f"already has a field '{name}'"))
        if taken:
            continue
        draft.data = {**draft.data, "fields": {**fields, **document.data["fields"]}}
        draft.extended_fields.update(dict.fromkeys(document.data["fields"], document))
    return problems
