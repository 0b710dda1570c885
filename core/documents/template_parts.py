"""The parts of a Word template that docxtpl renders, and the XML no part may hold.

docxtpl renders the main document, every header and footer, the footnotes and the core
properties (title, subject, author...). Each is checked as the Jinja text docxtpl makes of
it, one paragraph per line. No XML part of the package may declare a DOCTYPE: a document
type is how entity expansion ("billion laughs") and external entities (XXE) get in, and
Word never writes one. Parts are read with lxml with entities and the network off.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass

from docxtpl import DocxTemplate
from lxml import etree

FOOTNOTES_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.footnotes+xml"
# The core properties docxtpl renders as templates (DocxTemplate.render_properties).
RENDERED_PROPERTIES = ("author", "comments", "identifier", "language", "subject", "title")
DOCTYPE = re.compile(rb"<!\s*DOCTYPE", re.IGNORECASE)


@dataclass(frozen=True)
class TemplatePart:
    """The patched XML (or text) docxtpl renders for one part, and the part's name."""

    name: str
    xml: str

    def snippet(self, lineno: int) -> str:
        """The text of paragraph ``lineno`` (docxtpl puts one paragraph per line)."""
        lines = self.xml.splitlines()
        text = re.sub(r"<[^>]+>", "", lines[lineno - 1]) if 0 < lineno <= len(lines) else ""
        return " ".join(text.split())[:120]

    def where(self, lineno: int | None) -> str:
        """``word/document.xml, paragraph 3: «text»``."""
        if lineno is None:
            return self.name
        snippet = self.snippet(lineno)
        where = f"{self.name}, paragraph {max(lineno - 1, 1)}"
        return f"{where}: «{snippet}»" if snippet else where


def _safe_parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                           huge_tree=False)


def doctype_problems(archive: zipfile.ZipFile) -> list[str]:
    """One problem per XML part of ``archive`` that declares a DOCTYPE."""
    problems = []
    for info in archive.infolist():
        if not info.filename.endswith((".xml", ".rels")):
            continue
        data = archive.read(info)
        declared = bool(DOCTYPE.search(data))
        if not declared:
            try:  # another encoding (UTF-16): let lxml read it, expanding nothing
                root = etree.fromstring(data, _safe_parser())
                declared = bool(root.getroottree().docinfo.doctype)
            except etree.XMLSyntaxError:
                pass  # not well-formed: python-docx refuses it when the package opens
        if declared:
            problems.append(f"{info.filename}: the part declares a DOCTYPE, which Word "
                            "documents never need and which can expand entities: save the "
                            "document again from Word or LibreOffice")
    return problems


def template_parts(data: bytes) -> list[TemplatePart]:
    """Every part docxtpl renders, as it renders them (one paragraph per line)."""
    tpl = DocxTemplate(io.BytesIO(data))
    tpl.init_docx()

    def prepared(xml: str) -> str:
        return re.sub(r"<w:p([ >])", r"\n<w:p\1", tpl.patch_xml(xml))

    parts = [TemplatePart("word/document.xml", prepared(tpl.get_xml()))]
    for uri in (tpl.HEADER_URI, tpl.FOOTER_URI):
        for _key, part in tpl.get_headers_footers(uri):
            parts.append(TemplatePart(str(part.partname).lstrip("/"),
                                      prepared(tpl.get_part_xml(part))))
    for part in tpl.docx.part.package.parts:
        if part.content_type == FOOTNOTES_TYPE:
            blob = part.blob.decode("utf-8") if isinstance(part.blob, bytes) else part.blob
            parts.append(TemplatePart(str(part.partname).lstrip("/"), prepared(blob)))
    properties = tpl.docx.core_properties
    for name in RENDERED_PROPERTIES:
        value = getattr(properties, name) or ""
        if "{" in value:
            parts.append(TemplatePart(f"docProps/core.xml ({name})", value))
    return parts
