"""Writing small packs in temporary folders for tests."""

from __future__ import annotations

import textwrap
from pathlib import Path


def write_pack(root: Path, name: str, files: dict[str, str], depends: list[str] | None = None,
               manifest: str | None = None) -> Path:
    """Create pack ``name`` under ``root`` with ``files`` (relative path -> YAML text)."""
    folder = root / name
    folder.mkdir(parents=True, exist_ok=True)
    if manifest is None:
        manifest = f'name: {name}\nversion: "1.0"\n'
        if depends:
            manifest += f"depends: [{', '.join(depends)}]\n"
    (folder / "pack.yaml").write_text(manifest)
    for relative, text in files.items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"))
    return folder
