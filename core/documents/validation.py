"""Check a Word template before it is accepted: a real .docx, valid Jinja, known fields.

Every part docxtpl renders is checked (``core.documents.template_parts``: the body, headers,
footers, footnotes and core properties), and a part declaring a DOCTYPE is refused. Each
problem is one line naming where it is: the part of the .docx (``word/document.xml``,
``word/footnotes.xml``...) and the paragraph, with the text around it.
"""

from __future__ import annotations

import io
import zipfile
import zlib
from collections.abc import Iterator

from docx.opc.exceptions import PackageNotFoundError
from docxtpl import DocxTemplate
from jinja2 import meta, nodes
from jinja2.exceptions import TemplateSyntaxError

from core.documents.context import LINE_FIELDS, STANDARD_FIELDS
from core.documents.render import new_sandbox
from core.documents.template_parts import TemplatePart, doctype_problems, template_parts
from core.documents.values import Formatter
from core.metadata.field_types import traits_of
from core.metadata.specs import EntitySpec, Registry
from core.sandbox import LOOP_FILTER

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
MAX_UNPACKED_BYTES = 100 * 1024 * 1024
CONTEXT_NAMES = frozenset({"record", "label", "image", "today", "now", "language",
                           "range", "namespace", "loop"})
# Filters that hand on the items of a list of lines unchanged (for loops over them).
PASSING_FILTERS = frozenset({"sort", "reverse", "list", "selectattr", "rejectattr", "unique",
                             "select", "reject", LOOP_FILTER})


def package_problems(data: bytes) -> list[str]:
    """Why ``data`` is not a usable .docx (empty when it is one)."""
    if len(data) > MAX_UPLOAD_BYTES:
        return [f"the file is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB"]
    if not zipfile.is_zipfile(io.BytesIO(data)):
        return ["the file is not a Word document (.docx): save it from Word or LibreOffice "
                "as .docx"]
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            if "word/document.xml" not in names or "[Content_Types].xml" not in names:
                return ["the file is a zip archive but not a Word document (.docx)"]
            if sum(i.file_size for i in archive.infolist()) > MAX_UNPACKED_BYTES:
                return ["the document unpacks to more than "
                        f"{MAX_UNPACKED_BYTES // (1024 * 1024)} MB"]
            broken = archive.testzip()
            if broken is not None:
                return [f"the file is damaged ({broken} is corrupt)"]
            doctypes = doctype_problems(archive)
            if doctypes:
                return doctypes
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError) as exc:
        return [f"the file is damaged: {exc}"]
    try:
        DocxTemplate(io.BytesIO(data)).init_docx()
    except (PackageNotFoundError, KeyError, ValueError, zipfile.BadZipFile, OSError) as exc:
        return [f"the Word document cannot be opened: {exc}"]
    except Exception as exc:  # lxml and python-docx raise many kinds on broken XML
        return [f"the Word document cannot be opened: {type(exc).__name__}: {exc}"]
    return []


class _FieldChecker:
    """Walks a template's syntax tree and reports fields its entities do not have."""

    def __init__(self, registry: Registry, part: TemplatePart):
        self.registry = registry
        self.part = part
        self.problems: list[str] = []
        self.missing: list[tuple[str, str, str, int]] = []  # (entity, field, where, paragraph)

    def entity_of(self, node: nodes.Node, scope: dict[str, tuple[str, EntitySpec]]
                  ) -> tuple[str, EntitySpec] | None:
        """``("record", spec)`` or ``("lines", spec)`` for expressions over records."""
        if isinstance(node, nodes.Name):
            return scope.get(node.name)
        if isinstance(node, nodes.Filter) and node.node is not None and \
                node.name in PASSING_FILTERS:
            return self.entity_of(node.node, scope)
        name = None
        if isinstance(node, nodes.Getattr):
            name = node.attr
        elif isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const) and \
                isinstance(node.arg.value, str):
            name = node.arg.value
        if name is None:
            return None
        base = self.entity_of(node.node, scope)
        if base is None or base[0] != "record":
            return None
        entity, line = base[1], base[1].is_child
        spec = entity.field(name)
        if spec is None:
            if name not in (LINE_FIELDS if line else STANDARD_FIELDS):
                where = self.part.where(node.lineno)
                self.missing.append((entity.name, name, where, max(node.lineno - 1, 1)))
                self.problems.append(f"{where}: {entity.name} has no field '{name}'")
            return None
        if traits_of(spec).family == "link" and spec.target in self.registry.entities:
            return ("record", self.registry.entity(spec.target))
        if traits_of(spec).family == "table" and spec.target in self.registry.entities:
            return ("lines", self.registry.entity(spec.target))
        return None

    def walk(self, node: nodes.Node, scope: dict[str, tuple[str, EntitySpec]]) -> None:
        """Check every expression under ``node``; loops and ``set`` bind names to records."""
        if isinstance(node, nodes.For):
            self.walk(node.iter, scope)
            inner = dict(scope)
            found = self.entity_of(node.iter, scope)
            if found is not None and found[0] == "lines" and isinstance(node.target, nodes.Name):
                inner[node.target.name] = ("record", found[1])
            for child in [*node.body, *node.else_]:
                self.walk(child, inner)
            if node.test is not None:
                self.walk(node.test, inner)
            return
        if isinstance(node, nodes.Assign) and isinstance(node.target, nodes.Name):
            self.walk(node.node, scope)
            found = self.entity_of(node.node, scope)
            if found is not None:
                scope[node.target.name] = found
            return
        if isinstance(node, nodes.Getattr | nodes.Getitem):
            self.entity_of(node, scope)  # checks each field along the chain
            base: nodes.Node = node
            while isinstance(base, nodes.Getattr | nodes.Getitem):
                if isinstance(base, nodes.Getitem):
                    self.walk(base.arg, scope)
                base = base.node
            if not isinstance(base, nodes.Name):
                self.walk(base, scope)
            return
        for child in node.iter_child_nodes():
            self.walk(child, scope)


def _syntax_problems(registry: Registry, entity: EntitySpec,
                     part: TemplatePart) -> Iterator[str]:
    env = new_sandbox(Formatter("en"))
    try:
        tree = env.parse(part.xml)
    except TemplateSyntaxError as exc:
        yield f"{part.where(exc.lineno)}: syntax error: {exc.message}"
        return
    unknown_filters = [f"{part.where(node.lineno)}: unknown filter '{node.name}'"
                       for node in tree.find_all(nodes.Filter) if node.name not in env.filters]
    if not unknown_filters:  # finding names compiles the template, which needs its filters
        unknown = sorted(meta.find_undeclared_variables(tree) - CONTEXT_NAMES)
        if unknown:
            yield f"{part.name}: unknown name(s) {', '.join(unknown)}: a document knows " \
                  "record, label, image, today, now and language"
    yield from unknown_filters
    checker = _FieldChecker(registry, part)
    checker.walk(tree, {"record": ("record", entity)})
    yield from dict.fromkeys(checker.problems)


def missing_fields(registry: Registry, entity: EntitySpec, data: bytes
                   ) -> list[tuple[str, str, str, int]]:
    """``(entity, field, where, paragraph)`` for each field the template ``data`` of ``entity`` uses
    that ``registry`` does not have; parts that do not parse are passed over."""
    if package_problems(data):
        return []
    missing = []
    for part in template_parts(data):
        try:
            tree = new_sandbox(Formatter("en")).parse(part.xml)
        except TemplateSyntaxError:
            continue
        checker = _FieldChecker(registry, part)
        checker.walk(tree, {"record": ("record", entity)})
        missing += checker.missing
    return missing


def template_problems(registry: Registry, entity: EntitySpec, data: bytes) -> list[str]:
    """Every reason ``data`` cannot serve as a template of ``entity`` ([] when it can)."""
    problems = package_problems(data)
    if problems:
        return problems
    for part in template_parts(data):
        problems += _syntax_problems(registry, entity, part)
    return problems
