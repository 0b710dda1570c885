"""Merge an administrator's customisation (the overlay) over a pack's entity, as pure data.

The merge is deterministic: labels and the list, layout and permissions blocks are
replaced; custom fields (named ``x_...``) are added after the pack's fields; a pack field's
presentation keys are overridden; select options given in an overlay are appended to the
pack's, never removed.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from core.metadata.diagnostics import Diagnostic, PathPart
from core.metadata.yaml_source import SourceDocument

REPLACED_KEYS = ("label", "plural", "grammar", "list", "layout", "permissions")


@dataclass
class EntityDraft:
    """An entity's merged data, and where each part of it came from."""

    pack: str
    data: dict[str, Any]
    document: SourceDocument
    overlay: SourceDocument | None = None
    overlaid_keys: set[str] = field(default_factory=set)
    custom_fields: set[str] = field(default_factory=set)
    # fields another pack's hooks added (core/metadata/pack_contributions.py), and where from
    extended_fields: dict[str, SourceDocument] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return str(self.data["name"])

    def diagnostic(self, path: list[PathPart], message: str) -> Diagnostic:
        """A diagnostic in whichever document (pack file, hooks or overlay) holds ``path``."""
        if len(path) > 1 and path[0] == "fields" and path[1] in self.extended_fields:
            return self.extended_fields[str(path[1])].diagnostic(path, message)
        if self.overlay is not None and path:
            if path[0] == "fields" and len(path) > 1 and path[1] in self.custom_fields:
                return self.overlay.diagnostic(["custom_fields", *path[1:]], message)
            if path[0] in self.overlaid_keys:
                return self.overlay.diagnostic(path, message)
        return self.document.diagnostic(path, message)


def merge_overlay(draft: EntityDraft, overlay: SourceDocument) -> list[Diagnostic]:
    """Apply ``overlay`` to ``draft`` in place; return the problems found (draft unchanged then)."""
    problems: list[Diagnostic] = []
    data = copy.deepcopy(draft.data)
    changes: dict[str, Any] = overlay.data
    overlaid = {key for key in REPLACED_KEYS if key in changes}
    for key in overlaid:
        data[key] = copy.deepcopy(changes[key])
    fields_data: dict[str, Any] = data["fields"]
    renamed = {spec.get("renamed_from"): name for name, spec in fields_data.items()
               if spec.get("renamed_from")}
    for name, override in (changes.get("fields") or {}).items():
        name = renamed.get(name, name)  # the customisation names the field's old name
        if name not in fields_data:
            problems.append(overlay.diagnostic(["fields", name],
                                               f"entity '{draft.name}' has no field '{name}'"))
            continue
        target = fields_data[name]
        for key, value in override.items():
            if key == "options":
                target["options"] = list(target.get("options", [])) + [
                    o for o in value if o not in target.get("options", [])]
            else:
                target[key] = copy.deepcopy(value)
    custom = changes.get("custom_fields") or {}
    for name, spec in custom.items():
        if name in fields_data:
            problems.append(overlay.diagnostic(["custom_fields", name],
                                               f"field '{name}' already exists"))
            continue
        fields_data[name] = copy.deepcopy(spec)
    if problems:
        return problems
    draft.data = data
    draft.overlay = overlay
    draft.overlaid_keys = overlaid
    draft.custom_fields = set(custom)
    return []
