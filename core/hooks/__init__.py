"""Pack hooks: the Python a pack adds to its metadata, through pluggy.

A pack's ``hooks.py`` (or an installed distribution's ``officina.plugins`` entry point)
implements the hooks specified in ``core.hooks.specs``, marking each with ``hookimpl``. Every
instance holds its own plugin manager (``Officina.hooks``, built in ``core.hooks.manager``);
nothing is registered process-wide but the field types packs add (``officina_field_types``),
which the process's instances share. Hooks are documented in docs/packs.md ("Hooks").
"""

from __future__ import annotations

import pluggy

PROJECT = "officina"
hookimpl = pluggy.HookimplMarker(PROJECT)
hookspec = pluggy.HookspecMarker(PROJECT)

__all__ = ["PROJECT", "hookimpl", "hookspec"]
