"""Blueprints of the web UI, one module per kind of page."""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import import_module

from flask import Blueprint

# Each module exposes its blueprints in ``BLUEPRINTS``; add new page modules here. A module
# may also define ``navigation_items()``, ``login_links()`` and ``dashboard_widgets()``, each
# returning a list of ``NavItem`` (or of widgets for the dashboard), which the base and home
# templates show.
MODULES = ("home", "auth", "api", "records", "record_list", "record_detail", "files",
           "account", "account_sessions", "admin", "admin_metadata", "lookup", "reports",
           "record_form", "documents", "admin_documents", "admin_mail", "planner",
           "tokens", "pack_widgets", "notifications", "bulk_actions", "search")


@dataclass(frozen=True)
class NavItem:
    """A link shown in the menu or under the sign-in form."""

    label: str
    url: str


@dataclass(frozen=True)
class Widget:
    """A block of the home dashboard: a template to include and its values."""

    template: str
    title: str
    values: dict = field(default_factory=dict)


def collect(hook: str) -> list:
    """Everything the page modules return from their ``hook`` function, in module order."""
    items: list = []
    for name in MODULES:
        provider = getattr(import_module(f"core.ui.views.{name}"), hook, None)
        if provider is not None:
            items.extend(provider())
    return items


def load_all() -> list[Blueprint]:
    """Every blueprint of the UI, in registration order."""
    blueprints: list[Blueprint] = []
    for name in MODULES:
        module = import_module(f"core.ui.views.{name}")
        blueprints.extend(module.BLUEPRINTS)
    return blueprints
