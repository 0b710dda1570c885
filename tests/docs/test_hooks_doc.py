"""docs/packs.md documents every pack hook of core/hooks/specs.py, and only those."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

from core.hooks import PROJECT, specs

DOC = Path(__file__).resolve().parents[2] / "docs" / "packs.md"


def _hookspecs() -> dict[str, list[str]]:
    """Each hook specification's name and arguments."""
    return {name: list(inspect.signature(function).parameters)
            for name, function in inspect.getmembers(specs, inspect.isfunction)
            if hasattr(function, f"{PROJECT}_spec")}


def _hooks_section() -> str:
    text = DOC.read_text(encoding="utf-8")
    start = text.index("\n## Hooks\n")
    return text[start:text.index("\n## ", start + 1)]


def test_every_hook_has_its_entry_with_its_arguments() -> None:
    documented = dict(re.findall(r"^### `(officina_\w+)\(([^)]*)\)`$", _hooks_section(),
                                 re.MULTILINE))
    hooks = _hookspecs()
    assert hooks, "no hook specifications found"
    for name, arguments in hooks.items():
        assert name in documented, f"hook {name} has no '### `{name}(...)`' entry in packs.md"
        assert [a.strip() for a in documented[name].split(",") if a.strip()] == arguments
    assert set(documented) == set(hooks)


def test_the_hooks_section_names_only_hooks_that_exist() -> None:
    named = set(re.findall(r"\bofficina_[a-z_]+(?=\()", _hooks_section()))
    assert named <= set(_hookspecs()), named - set(_hookspecs())


def test_every_hook_specification_has_a_docstring() -> None:
    for name in _hookspecs():
        assert (getattr(specs, name).__doc__ or "").strip(), name
