"""Find packs on disk, read their YAML files and check each against its JSON Schema."""

from __future__ import annotations

import copy
import dataclasses
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from jsonschema.exceptions import best_match

from core.metadata.diagnostics import Diagnostic, MetadataError
from core.metadata.patterns import SchemaValidator
from core.metadata.schemas import schema_for
from core.metadata.yaml_quick import parse_yaml_quickly
from core.metadata.yaml_source import SourceDocument, YamlSyntaxError, parse_yaml, read_yaml

BUILTIN_PACKS = Path(__file__).resolve().parents[2] / "packs"
KIND_FOLDERS = {"entities": "entity", "workflows": "workflow", "reports": "report",
                "fixtures": "fixtures", "calendars": "calendar",
                "templates": "document_template"}


@dataclass
class PackSource:
    """The documents of one pack, each checked against its schema."""

    path: Path
    manifest: SourceDocument
    documents: dict[str, list[SourceDocument]] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return str(self.manifest.data.get("name", self.path.name))

    @property
    def depends(self) -> list[str]:
        return list(self.manifest.data.get("depends", []) or [])


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def schema_errors(document: SourceDocument, kind: str) -> list[Diagnostic]:
    """Every way ``document`` breaks the JSON Schema of ``kind``."""
    validator = SchemaValidator(schema_for(kind))
    found = []
    for error in validator.iter_errors(document.data):
        while error.validator in ("oneOf", "anyOf") and error.context:
            error = best_match(error.context)  # the alternative that came closest
        path = list(error.absolute_path)
        if error.validator == "additionalProperties" and "'" in error.message:
            unexpected = error.message.split("'")[1]
            found.append(document.diagnostic([*path, unexpected], f"unknown key '{unexpected}'"))
            continue
        if "propertyNames" in error.schema_path:
            path = [*path, str(error.instance)]
            hint = error.schema.get("description") if isinstance(error.schema, dict) else None
            found.append(document.diagnostic(path, f"'{error.instance}' is not a valid name"
                                             + (f": use {hint}" if hint else "")))
            continue
        if error.validator == "unevaluatedProperties" and "'" in error.message:
            unexpected = error.message.split("'")[1]
            message = f"unknown key '{unexpected}'"
            path = [*path, unexpected]
            found.append(Diagnostic(document.file, document.line_of(path),
                                    ".".join(str(p) for p in path), message))
            continue
        found.append(document.diagnostic(path, error.message))
    return found


# Parsed and checked files by (kind, content digest): a registry is built from the same files
# again and again (every instance, every test, copies of a pack in other folders), and parsing
# dominates. A hit is given the file name it was read under now. Fixtures are read once per
# load and may be large: they are not kept, and are parsed by the quick walk (yaml_quick).
_Parsed = tuple[SourceDocument | None, tuple[Diagnostic, ...]]
_READ_CACHE: dict[tuple[str, str], _Parsed] = {}
READ_CACHE_SIZE = 1024
UNCACHED_KINDS = frozenset({"fixtures"})


def forget_read_files() -> None:
    """Empty the cache of checked files (their schema changed: a field type was added)."""
    _READ_CACHE.clear()


def _read(path: Path, kind: str, diagnostics: list[Diagnostic]) -> SourceDocument | None:
    display = _display(path)
    try:
        content = path.read_bytes()
    except OSError:
        return _parse_and_check(path, display, kind, diagnostics)
    if kind in UNCACHED_KINDS:
        return _parse_and_check(path, display, kind, diagnostics, content)
    key = (kind, hashlib.sha1(content, usedforsecurity=False).hexdigest())
    cached = _READ_CACHE.get(key)
    if cached is not None:
        document, found = cached
        diagnostics.extend(dataclasses.replace(d, file=display) for d in found)
        return None if document is None else dataclasses.replace(
            copy.deepcopy(document), file=display)
    found_now: list[Diagnostic] = []
    document = _parse_and_check(path, display, kind, found_now, content)
    diagnostics.extend(found_now)
    if len(_READ_CACHE) >= READ_CACHE_SIZE:
        _READ_CACHE.clear()
    _READ_CACHE[key] = (copy.deepcopy(document), tuple(found_now))
    return document


def _parse_and_check(path: Path, display: str, kind: str, diagnostics: list[Diagnostic],
                     content: bytes | None = None) -> SourceDocument | None:
    """``path`` (or its ``content`` already read) parsed and checked against its schema."""
    try:
        if content is None:
            document = read_yaml(path, display)
        else:
            try:
                text = content.decode("utf-8")
            except UnicodeDecodeError:
                raise YamlSyntaxError(Diagnostic(display, 1, "(document)",
                                                 "file is not UTF-8 text")) from None
            parse = parse_yaml_quickly if kind in UNCACHED_KINDS else parse_yaml
            document = parse(text, display)
    except YamlSyntaxError as exc:
        diagnostics.append(exc.diagnostic)
        return None
    if not isinstance(document.data, dict):
        diagnostics.append(document.diagnostic([], "expected a mapping of keys to values"))
        return None
    errors = schema_errors(document, kind)
    diagnostics.extend(errors)
    return None if errors else document


def folder_files(folder: Path) -> list[Path]:
    """The metadata files of a pack folder, in the order they are read (``.yaml``, then
    ``.yml``, each sorted by name)."""
    return sorted(folder.glob("*.yaml")) + sorted(folder.glob("*.yml"))


def read_document(path: Path, kind: str, diagnostics: list[Diagnostic]) -> SourceDocument | None:
    """Read one file of ``kind``, checked against its schema (problems to ``diagnostics``)."""
    return _read(path, kind, diagnostics)


def read_pack(path: Path, diagnostics: list[Diagnostic],
              fixtures: bool = False, documents: bool = True) -> PackSource | None:
    """Read one pack folder; schema errors go to ``diagnostics``.

    Fixtures (demo data, possibly large) are read only when asked for: ``pack validate``
    checks them and ``officina demo`` reads the files it loads. Without ``documents``, only
    the manifest is read.
    """
    manifest_path = path / "pack.yaml"
    if not manifest_path.is_file():
        diagnostics.append(Diagnostic(_display(manifest_path), 1, "(document)",
                                      "pack.yaml is missing: a pack folder needs one"))
        return None
    manifest = _read(manifest_path, "pack", diagnostics)
    if manifest is None:
        return None
    source = PackSource(path=path, manifest=manifest)
    for folder, kind in KIND_FOLDERS.items() if documents else ():
        if kind == "fixtures" and not fixtures:
            continue
        documents = [_read(f, kind, diagnostics) for f in folder_files(path / folder)]
        source.documents[kind] = [d for d in documents if d is not None]
    return source


def find_pack_dirs(search_paths: Iterable[Path]) -> dict[str, Path]:
    """Pack folders found in ``search_paths`` (each a pack or a folder of packs), by name."""
    found: dict[str, Path] = {}
    for root in search_paths:
        candidates = [root] if (root / "pack.yaml").is_file() else sorted(root.glob("*/"))
        for candidate in candidates:
            if (candidate / "pack.yaml").is_file():
                found.setdefault(candidate.name, candidate)
    return found


def read_packs(wanted: Sequence[str], search_paths: Sequence[Path],
               fixtures: bool = False) -> list[PackSource]:
    """Read the packs ``wanted`` and their dependencies, in dependency order (with their
    fixtures if ``fixtures``).

    Raises ``MetadataError`` with every problem found, whatever file it is in.
    """
    packs, diagnostics = _visit_packs(wanted, search_paths, fixtures, documents=True)
    if diagnostics:
        raise MetadataError(diagnostics)
    return packs


def read_manifests(wanted: Sequence[str], search_paths: Sequence[Path]) -> list[PackSource]:
    """The packs ``wanted`` and their dependencies, in dependency order, with their manifests
    only (what loading their hooks needs, before their YAML is checked). A pack that cannot
    be read is left out: ``read_packs`` reports it."""
    return _visit_packs(wanted, search_paths, fixtures=False, documents=False)[0]


def _visit_packs(wanted: Sequence[str], search_paths: Sequence[Path], fixtures: bool,
                 documents: bool) -> tuple[list[PackSource], list[Diagnostic]]:
    available = find_pack_dirs(search_paths)
    diagnostics: list[Diagnostic] = []
    loaded: dict[str, PackSource] = {}
    order: list[str] = []
    visiting: list[str] = []

    def visit(name: str, requested_by: PackSource | None) -> None:
        if name in loaded or name in visiting:
            if name in visiting:
                cycle = " -> ".join([*visiting[visiting.index(name):], name])
                assert requested_by is not None
                diagnostics.append(requested_by.manifest.diagnostic(
                    ["depends"], f"dependency cycle between packs: {cycle}"))
            return
        if name not in available:
            if requested_by is None:
                diagnostics.append(Diagnostic(name, 1, "(pack)", f"pack '{name}' not found in "
                                              + ", ".join(map(str, search_paths))))
            else:
                index = requested_by.depends.index(name)
                diagnostics.append(requested_by.manifest.diagnostic(
                    ["depends", index], f"depends on pack '{name}', which is not installed"))
            return
        source = read_pack(available[name], diagnostics, fixtures, documents)
        if source is None:
            return
        visiting.append(name)
        for dependency in source.depends:
            visit(dependency, source)
        visiting.pop()
        loaded[name] = source
        order.append(name)

    for name in wanted:
        visit(name, None)
    return [loaded[name] for name in order], diagnostics
