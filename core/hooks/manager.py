"""One plugin manager per instance: the enabled packs' ``hooks.py`` and installed plugins.

A pack folder may hold a ``hooks.py`` module next to its ``pack.yaml``; it is loaded from
its path (not imported as a package, not left in ``sys.modules``), once per instance, and
only for the packs the instance enables (with their dependencies). Installed distributions
add plugins through the ``officina.plugins`` entry-point group. Packs are trusted code that
the administrator installs, not metadata an administrator edits in the UI (docs/security.md).
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

import pluggy

from core.hooks import PROJECT, specs
from core.metadata.loader import PackSource

HOOKS_MODULE = "hooks.py"
ENTRY_POINT_GROUP = "officina.plugins"


class PackHookError(Exception):
    """A pack's hooks module that cannot be loaded or does not follow the specifications."""


def load_hooks_module(pack_name: str, path: Path) -> ModuleType:
    """The pack's hooks module at ``path``, executed in a fresh module object.

    The module is in ``sys.modules`` only while it runs (what ``dataclasses`` and ``typing``
    look up as the module is defined), so that each instance has its own.
    """
    name = f"officina_pack_hooks.{pack_name}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise PackHookError(f"{path}: cannot be loaded as a Python module")
    module = importlib.util.module_from_spec(spec)
    previous = sys.modules.get(name)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    finally:
        if previous is None:
            sys.modules.pop(name, None)
        else:
            sys.modules[name] = previous
    return module


def plugin_manager(packs: Sequence[PackSource], entry_points: bool = True
                   ) -> pluggy.PluginManager:
    """A new plugin manager with the hooks of ``packs`` (in dependency order, each under its
    pack's name) and, if ``entry_points``, of the installed ``officina.plugins``."""
    manager = pluggy.PluginManager(PROJECT)
    manager.add_hookspecs(specs)
    for pack in packs:
        path = Path(pack.path) / HOOKS_MODULE
        if path.is_file():
            try:
                manager.register(load_hooks_module(pack.name, path), name=pack.name)
            except pluggy.PluginValidationError as exc:
                raise PackHookError(f"{path}: {exc}") from None
    if entry_points:
        manager.load_setuptools_entrypoints(ENTRY_POINT_GROUP)
    try:
        manager.check_pending()  # a hook implementation whose name no specification has
    except pluggy.PluginValidationError as exc:
        raise PackHookError(str(exc)) from None
    return manager


def plugin_source(manager: pluggy.PluginManager, name: str) -> str:
    """Where plugin ``name`` comes from, for messages: its module's file, else its name."""
    plugin = manager.get_plugin(name)
    return str(getattr(plugin, "__file__", None) or name)


def results_by_plugin(manager: pluggy.PluginManager, hook: str,
                      **arguments: Any) -> list[tuple[str, Any]]:
    """``(plugin name, result)`` of every implementation of ``hook``, in pluggy's call order
    (``tryfirst`` first, then the last registered first); None results are left out."""
    caller = getattr(manager.hook, hook)
    results = []
    for impl in reversed(caller.get_hookimpls()):
        if impl.hookwrapper or impl.wrapper:
            continue  # these hooks collect data: a wrapper has nothing to wrap
        result = impl.function(**{name: arguments[name] for name in impl.argnames})
        if result is not None:
            results.append((impl.plugin_name, result))
    return results
