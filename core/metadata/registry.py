"""Build the one immutable registry from packs (in dependency order) and the overlay."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from pathlib import Path

from core.metadata.access import permission_problems
from core.metadata.build import build_entity
from core.metadata.diagnostics import Diagnostic, MetadataError
from core.metadata.document_templates import build_document_templates
from core.metadata.kind_checks import calendar_documents, kind_problems
from core.metadata.loader import PackSource, read_packs, schema_errors
from core.metadata.overlay import EntityDraft, merge_overlay
from core.metadata.pack_contributions import (
    NO_CONTRIBUTIONS,
    PackContributions,
    apply_extensions,
)
from core.metadata.pack_views import navigation_of, pack_view_problems, queues_of
from core.metadata.semantic import check_entities, check_pack_documents, check_packs
from core.metadata.specs import PackSpec, Registry
from core.metadata.workflows import build_workflows
from core.metadata.write_authority import system_fields, user_editable_problems
from core.metadata.yaml_source import SourceDocument, YamlSyntaxError, parse_yaml


def overlay_file_name(entity: str) -> str:
    """How an overlay is named in diagnostics."""
    return f"<customisation of {entity}>"


def _parse_stored(text: str, file: str, kind: str,
                  problems: list[Diagnostic]) -> SourceDocument | None:
    """A document kept in the database, parsed and checked against its schema (or None)."""
    try:
        document = parse_yaml(text, file)
    except YamlSyntaxError as exc:
        problems.append(exc.diagnostic)
        return None
    if document.data is None:
        return None
    if not isinstance(document.data, dict):
        problems.append(document.diagnostic([], "expected a mapping of keys to values"))
        return None
    errors = schema_errors(document, kind)
    problems += errors
    return None if errors else document


def _apply_overlays(drafts: dict[str, EntityDraft],
                    overlays: Mapping[str, str]) -> list[Diagnostic]:
    problems: list[Diagnostic] = []
    for entity, text in sorted(overlays.items()):
        document = _parse_stored(text, overlay_file_name(entity), "overlay", problems)
        if document is None:
            continue
        target = drafts.get(entity) or next(
            (d for d in drafts.values() if d.data.get("renamed_from") == entity), None)
        if target is None:
            problems.append(document.diagnostic([], f"unknown entity '{entity}'"))
            continue
        problems += merge_overlay(target, document)
    return problems


def _content_hash(packs: Sequence[PackSource], drafts: dict[str, EntityDraft]) -> str:
    """A digest of what the registry is built from: the manifests and each entity's merged
    data with the pack that defines it (its table is named after that pack)."""
    payload = {"packs": [p.manifest.data for p in packs],
               "entities": {name: [d.pack, sorted(d.custom_fields), d.data]
                            for name, d in sorted(drafts.items())}}
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def workflow_file_name(name: str) -> str:
    """How a workflow stored in the database is named in diagnostics."""
    return f"<workflow {name}>"


def _stored_workflows(packs: Sequence[PackSource], stored: Mapping[str, str]
                      ) -> tuple[list[tuple[str, SourceDocument]], list[Diagnostic]]:
    """Pack workflows, with those stored in the database replacing or adding to them."""
    problems: list[Diagnostic] = []
    documents = {doc.data["name"]: (pack.name, doc) for pack in packs
                 for doc in pack.documents.get("workflow", [])}
    for name, text in sorted(stored.items()):
        document = _parse_stored(text, workflow_file_name(name), "workflow", problems)
        if document is None:
            continue
        if document.data.get("name") != name:
            problems.append(document.diagnostic(["name"],
                                                f"the workflow is stored as '{name}'"))
            continue
        pack = documents[name][0] if name in documents else packs[-1].name
        documents[name] = (pack, document)
    return list(documents.values()), problems


def build_registry(packs: Sequence[PackSource], overlays: Mapping[str, str] | None = None,
                   version: int = 0, workflows: Mapping[str, str] | None = None,
                   contributions: PackContributions = NO_CONTRIBUTIONS) -> Registry:
    """Merge, check and freeze; raise ``MetadataError`` listing every problem.

    ``contributions``: what the packs' hooks add (fields to other packs' entities, applied
    before the administrator's customisations; field checks).
    """
    problems = check_packs(packs)
    drafts: dict[str, EntityDraft] = {}
    listed: list[EntityDraft] = []
    for pack in packs:
        for document in pack.documents.get("entity", []):
            draft = EntityDraft(pack=pack.name, data=document.data, document=document)
            listed.append(draft)
            drafts.setdefault(draft.name, draft)
    problems += apply_extensions(drafts, contributions.extensions)
    problems += _apply_overlays(drafts, overlays or {})
    problems += check_entities(listed, contributions.checks)
    problems += check_pack_documents(packs, drafts)
    problems += pack_view_problems(packs, drafts)
    if problems:
        raise MetadataError(problems)
    pack_specs = tuple(
        PackSpec(name=p.name, version=str(p.manifest.data["version"]),
                 description=p.manifest.data.get("description", ""),
                 depends=tuple(p.depends), path=str(p.path),
                 label=p.manifest.data.get("label", p.name),
                 navigation=navigation_of(p.manifest.data), home=queues_of(p.manifest.data))
        for p in packs)
    entities = {name: build_entity(draft, contributions.checks)
                for name, draft in drafts.items()}
    for name, draft in drafts.items():
        problems += permission_problems(draft, entities[name], entities)
    calendars = calendar_documents(packs)
    problems += kind_problems(packs)
    documents, stored_problems = _stored_workflows(packs, workflows or {})
    specs, workflow_problems = build_workflows(documents, entities, mail_template_names(packs),
                                               frozenset(calendars))
    problems += stored_problems + workflow_problems
    problems += user_editable_problems(drafts, entities, specs)
    templates, template_problems = build_document_templates(packs, entities)
    problems += template_problems
    if problems:
        raise MetadataError(problems)
    return Registry(packs=pack_specs, entities=entities,
                    content_hash=_content_hash(packs, drafts), version=version,
                    workflows=specs, calendars=calendars, document_templates=templates,
                    system_fields=system_fields(entities, specs))


def mail_template_names(packs: Sequence[PackSource]) -> frozenset[str]:
    """Names of the mail templates the packs ship (``templates/mail/<name>.yaml``)."""
    return frozenset(path.stem for pack in packs
                     for path in (pack.path / "templates" / "mail").glob("*.yaml"))


def load_registry(pack_names: Sequence[str], search_paths: Sequence[Path],
                  overlays: Mapping[str, str] | None = None, version: int = 0) -> Registry:
    """Read the named packs from disk (fixtures included, to check them) and build their
    registry."""
    return build_registry(read_packs(pack_names, search_paths, fixtures=True), overlays,
                          version)
