"""The home-page widgets the enabled packs' hooks add (``officina_dashboard_widgets``)."""

from __future__ import annotations

from flask import Blueprint

from core.hooks import collect
from core.ui.context import actor, officina
from core.ui.views import Widget

BLUEPRINTS: list[Blueprint] = []  # a pack's own pages come from officina_blueprints


def dashboard_widgets() -> list[Widget]:
    """The packs' widgets for the signed-in user, after the report widgets."""
    return collect.dashboard_widgets(officina().hooks, actor())
