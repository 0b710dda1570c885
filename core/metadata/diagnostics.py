"""Diagnostics: errors in metadata that name their file, line and key path."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

PathPart = str | int


def format_path(path: Sequence[PathPart]) -> str:
    """Render a key path as ``fields.customer.target`` (list items as ``[2]``)."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(document)"


@dataclass(frozen=True, order=True)
class Diagnostic:
    """One problem in a metadata file."""

    file: str
    line: int
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.path}: {self.message}"


class MetadataError(Exception):
    """Raised when metadata does not validate; carries every diagnostic found."""

    def __init__(self, diagnostics: Iterable[Diagnostic]):
        self.diagnostics = sorted(set(diagnostics))
        super().__init__("\n".join(str(d) for d in self.diagnostics))
