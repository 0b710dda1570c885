"""The layers of core point down and no modules import each other in a circle.

The contracts are in ``pyproject.toml`` (``[tool.importlinter]``, drawn in docs/architecture.md,
"Layers"); import-linter checks them against the imports of the code as it is.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_import_follows_the_layer_contracts() -> None:
    result = subprocess.run([str(Path(sys.executable).parent / "lint-imports"), "--no-cache"],
                            cwd=ROOT, capture_output=True, text=True, check=False)
    kept = [line for line in result.stdout.splitlines() if line.endswith(" KEPT")]
    assert result.returncode == 0, result.stdout[-4000:]
    assert sorted(kept) == ["Layers point down KEPT", "No import circles KEPT"]
