"""What the hooks return, merged for the parts that use it: field types, checks, entity
fields, actions, pages and widgets. A name two plugins both add is an error naming both."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pluggy

from core.hooks.manager import PackHookError, plugin_manager, plugin_source, results_by_plugin
from core.metadata.field_checks import CHECK_NAME, PackCheck, find_check
from core.metadata.field_type_registration import add_field_type
from core.metadata.field_types import FIELD_TYPES, FieldType
from core.metadata.loader import read_manifests
from core.metadata.pack_contributions import EntityExtension, PackContributions

if TYPE_CHECKING:
    from flask import Blueprint

    from core.records.actor import Actor
    from core.rules.registry_actions import ActionRegistry
    from core.ui.views import Widget


TYPE_NAME = re.compile(r"[a-z][a-z0-9_]{0,62}\Z")


@dataclass(frozen=True)
class PackFieldType:
    """A field type a plugin adds (``officina_field_types``), with its UI facet."""

    source: str  # where it comes from, for messages: the hooks module's file
    field_type: FieldType
    facet: Any  # a core.ui.field_facets.FieldFacet, which the UI checks and registers


def field_types(manager: pluggy.PluginManager) -> list[PackFieldType]:
    """The field types the plugins add, checked: a pair of type and facet each, a name of
    its own (not one of Officina's types, not one another plugin adds)."""
    found: dict[str, PackFieldType] = {}
    for plugin, result in results_by_plugin(manager, "officina_field_types"):
        source = plugin_source(manager, plugin)
        where = f"{source}: officina_field_types"
        if not isinstance(result, list | tuple):
            raise PackHookError(f"{where} returned {type(result).__name__}, not a list of "
                                "(FieldType, FieldFacet) pairs")
        for item in result:
            if not (isinstance(item, tuple) and len(item) == 2
                    and isinstance(item[0], FieldType)):
                raise PackHookError(f"{where}: {item!r:.80} is not a (FieldType, FieldFacet) "
                                    "pair")
            field_type, facet = item
            name = field_type.name
            if not (isinstance(name, str) and TYPE_NAME.fullmatch(name)):
                raise PackHookError(f"{where}: '{name}' is not a field type name: use lower "
                                    "case snake_case")
            if FIELD_TYPES.is_core(name):
                raise PackHookError(f"{where}: '{name}' is already a field type of Officina's")
            if name in found:
                raise PackHookError(f"{where} adds '{name}', which {found[name].source} "
                                    "already adds")
            found[name] = PackFieldType(source, field_type, facet)
    return list(found.values())


def register_field_types(manager: pluggy.PluginManager) -> None:
    """Register the field types the plugins add (once per process: an instance that loads
    the same pack again adds nothing); a different type under a taken name is an error."""
    for added in field_types(manager):
        try:
            add_field_type(added.field_type)
        except ValueError:
            raise PackHookError(
                f"{added.source}: officina_field_types adds '{added.field_type.name}', but "
                "another field type of that name is registered in this process") from None


def load_pack_hooks(pack_names: Sequence[str], search_paths: Sequence[Path],
                    entry_points: bool = True) -> pluggy.PluginManager:
    """The plugin manager of the packs' hooks, loaded from the packs' folders before their
    YAML is read, with the field types they add registered (the YAML is checked against
    them)."""
    manager = plugin_manager(read_manifests(pack_names, search_paths), entry_points)
    register_field_types(manager)
    return manager


def _named(manager: pluggy.PluginManager, hook: str) -> dict[str, tuple[str, Any]]:
    """``{name: (plugin, value)}`` merged from every plugin's ``{name: value}``."""
    merged: dict[str, tuple[str, Any]] = {}
    for plugin, result in results_by_plugin(manager, hook):
        if not isinstance(result, Mapping):
            raise PackHookError(f"{plugin_source(manager, plugin)}: {hook} returned "
                                f"{type(result).__name__}, not a mapping of names")
        for name, value in result.items():
            if name in merged:
                raise PackHookError(f"{plugin_source(manager, plugin)}: {hook} adds "
                                    f"'{name}', which {merged[name][0]} already adds")
            merged[name] = (plugin, value)
    return merged


def field_checks(manager: pluggy.PluginManager) -> dict[str, PackCheck]:
    """The checks the plugins add (``officina_field_checks``), by name."""
    checks = {}
    for name, (plugin, function) in _named(manager, "officina_field_checks").items():
        where = f"{plugin_source(manager, plugin)}: officina_field_checks"
        if not (isinstance(name, str) and CHECK_NAME.fullmatch(name) and "." in name):
            raise PackHookError(f"{where}: '{name}' is not a check name: use <pack>.<check>")
        if find_check(name) is not None:
            raise PackHookError(f"{where}: '{name}' is already a check of Officina's")
        if not callable(function):
            raise PackHookError(f"{where}: '{name}' is not a function")
        checks[name] = PackCheck(name, function)
    return checks


def entity_extensions(manager: pluggy.PluginManager) -> tuple[EntityExtension, ...]:
    """The fields the plugins add to other packs' entities (``officina_extend_entities``)."""
    extensions = []
    for plugin, result in results_by_plugin(manager, "officina_extend_entities"):
        source = plugin_source(manager, plugin)
        if not isinstance(result, Mapping) or not all(
                isinstance(fields, Mapping) for fields in result.values()):
            raise PackHookError(f"{source}: officina_extend_entities must return "
                                "{entity: {field: metadata}}")
        extensions += [EntityExtension(plugin, source, str(entity), fields)
                       for entity, fields in result.items()]
    return tuple(extensions)


def pack_contributions(manager: pluggy.PluginManager) -> PackContributions:
    """Everything the plugins add to the registry build."""
    return PackContributions(checks=field_checks(manager),
                             extensions=entity_extensions(manager))


def register_actions(actions: ActionRegistry, manager: pluggy.PluginManager) -> None:
    """Register the named actions the plugins add (``officina_actions``) in ``actions``."""
    for name, (plugin, function) in _named(manager, "officina_actions").items():
        if actions.get(name) is not None:
            raise PackHookError(f"{plugin_source(manager, plugin)}: officina_actions adds "
                                f"'{name}', which is already registered")
        actions.register(name, function)


def blueprints(manager: pluggy.PluginManager) -> list[Blueprint]:
    """The Flask blueprints the plugins add (``officina_blueprints``), in call order."""
    return [blueprint for _plugin, found in results_by_plugin(manager, "officina_blueprints")
            for blueprint in found]


def dashboard_widgets(manager: pluggy.PluginManager, actor: Actor) -> list[Widget]:
    """The home-page widgets the plugins show ``actor`` (``officina_dashboard_widgets``)."""
    return [widget for _plugin, found in results_by_plugin(
        manager, "officina_dashboard_widgets", actor=actor) for widget in found]
