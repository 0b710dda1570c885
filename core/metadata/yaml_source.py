"""Read YAML keeping the line of every key and list item, so errors can name it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError

from core.metadata.diagnostics import Diagnostic, PathPart, format_path


@dataclass(frozen=True)
class SourceDocument:
    """A parsed YAML document: plain data plus the line of each key path."""

    file: str
    data: Any
    lines: dict[tuple[PathPart, ...], int] = field(default_factory=dict)

    def line_of(self, path: tuple[PathPart, ...] | list[PathPart]) -> int:
        """Line of ``path``, or of its nearest ancestor that has one."""
        path = tuple(path)
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get((), 1)

    def diagnostic(self, path: tuple[PathPart, ...] | list[PathPart], message: str) -> Diagnostic:
        """A diagnostic located at ``path`` in this document."""
        return Diagnostic(self.file, self.line_of(path), format_path(path), message)


def _plain(node: Any, path: tuple[PathPart, ...], lines: dict) -> Any:
    if isinstance(node, CommentedMap):
        out = {}
        for key, value in node.items():
            key_path = (*path, str(key))
            line, _col = node.lc.key(key)
            lines[key_path] = line + 1
            out[str(key)] = _plain(value, key_path, lines)
        return out
    if isinstance(node, CommentedSeq):
        out_list = []
        for index, value in enumerate(node):
            item_path = (*path, index)
            line, _col = node.lc.item(index)
            lines[item_path] = line + 1
            out_list.append(_plain(value, item_path, lines))
        return out_list
    if isinstance(node, str):
        return str(node)
    return node


def parse_yaml(text: str, file: str) -> SourceDocument:
    """Parse YAML text; raise ``YamlSyntaxError`` with file and line on bad input."""
    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = False
    try:
        node = yaml.load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        problem = exc.problem or exc.context or "invalid YAML"
        raise YamlSyntaxError(Diagnostic(file, line, "(document)", f"YAML: {problem}")) from None
    except Exception as exc:  # ruamel raises a few unmarked errors (e.g. duplicate keys)
        raise YamlSyntaxError(Diagnostic(file, 1, "(document)", f"YAML: {exc}")) from None
    lines: dict[tuple[PathPart, ...], int] = {(): 1}
    data = _plain(node, (), lines)
    return SourceDocument(file=file, data=data, lines=lines)


def read_yaml(path: Path, display_name: str | None = None) -> SourceDocument:
    """Read and parse a YAML file."""
    name = display_name or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise YamlSyntaxError(Diagnostic(name, 1, "(document)", "file is not UTF-8 text")) from None
    return parse_yaml(text, name)


class YamlSyntaxError(Exception):
    """A YAML file could not be parsed."""

    def __init__(self, diagnostic: Diagnostic):
        self.diagnostic = diagnostic
        super().__init__(str(diagnostic))


__all__ = ["SourceDocument", "YamlSyntaxError", "format_path", "parse_yaml", "read_yaml"]
