"""Document templates of packs: ``templates/<name>.yaml`` next to its ``.docx`` files."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path

from babel import Locale, UnknownLocaleError

from core.metadata.diagnostics import Diagnostic
from core.metadata.loader import PackSource
from core.metadata.specs import DocumentTemplateSpec, EntitySpec
from core.metadata.yaml_source import SourceDocument

TEMPLATE_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


def _known_language(code: str) -> bool:
    try:
        Locale.parse(code)
    except (UnknownLocaleError, ValueError):
        return False
    return True


def _problems(pack: PackSource, document: SourceDocument, name: str,
              entities: Mapping[str, EntitySpec]) -> list[Diagnostic]:
    data = document.data
    problems = []
    if not TEMPLATE_NAME.fullmatch(name) or len(name) > 63:
        problems.append(document.diagnostic([], f"'{name}' is not a valid template name: name "
                                                "the file in lowercase snake_case"))
    entity = entities.get(data["entity"])
    if entity is None:
        problems.append(document.diagnostic(["entity"], f"unknown entity '{data['entity']}'"))
    elif entity.is_child:
        problems.append(document.diagnostic(["entity"], f"'{entity.name}' holds lines of "
                                                        "another entity: print its parent"))
    folder = Path(pack.path) / "templates"
    for language, file in data["files"].items():
        if not _known_language(language):
            problems.append(document.diagnostic(["files", language],
                                                f"unknown language '{language}'"))
        if not (folder / file).is_file():
            problems.append(document.diagnostic(["files", language],
                                                f"file '{file}' is missing from "
                                                f"{pack.name}/templates/"))
    return problems


def build_document_templates(packs: Sequence[PackSource], entities: Mapping[str, EntitySpec]
                             ) -> tuple[dict[str, DocumentTemplateSpec], list[Diagnostic]]:
    """Templates by name (a later pack replaces an earlier one's), and their problems."""
    specs: dict[str, DocumentTemplateSpec] = {}
    problems: list[Diagnostic] = []
    for pack in packs:
        for document in pack.documents.get("document_template", []):
            name = Path(document.file).stem
            found = _problems(pack, document, name, entities)
            problems += found
            if found:
                continue
            folder = Path(pack.path) / "templates"
            data = document.data
            specs[name] = DocumentTemplateSpec(
                name=name, entity=data["entity"], label=data["label"], pack=pack.name,
                files={lang: str((folder / file).resolve())
                       for lang, file in data["files"].items()},
                description=data.get("description", ""), source=document.file)
    return specs, problems
