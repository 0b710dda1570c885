"""Reading documentation pages in tests: sections by heading, documented keys."""

from __future__ import annotations

import re


def markdown_sections(text: str, level: int = 2) -> dict[str, str]:
    """The sections of one heading level (2 for ``##``), by heading text.

    A section runs until the next heading of the same or a higher level; lines inside fenced
    blocks (YAML comments start with ``#`` too) are never headings.
    """
    found: dict[str, str] = {}
    current = None
    fenced = False
    for line in text.splitlines():
        if line.startswith("```"):
            fenced = not fenced
        heading = re.match(r"(#+) (.*)", line) if not fenced else None
        if heading and len(heading[1]) <= level:
            current = heading[2].strip() if len(heading[1]) == level else None
            if current is not None:
                found[current] = ""
        elif current is not None:
            found[current] += line + "\n"
    return found


def documented(key: str, text: str) -> bool:
    """Whether ``key`` appears in ``text`` as code (`` `key` ``)."""
    return f"`{key}`" in text
