"""Named actions that packs register (``call: {action: pack.name}``), in one documented place.

A pack that truly needs Python registers functions under its own prefix: through its hooks
(``officina_actions``, core/hooks; ``Officina.open`` registers them), in code with
``ActionRegistry.register``, or through the ``officina.actions`` entry-point group (the entry
point's name is the action's name, its object the function). A function receives the
``ActionContext`` and the rule's ``args`` as keyword arguments, and may return values to set
on the record (a dict) or None.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib.metadata import entry_points
from typing import Any

NamedAction = Callable[..., dict[str, Any] | None]
ENTRY_POINT_GROUP = "officina.actions"


class ActionRegistry:
    """Named actions by ``pack.action`` name."""

    def __init__(self) -> None:
        self._actions: dict[str, NamedAction] = {}

    def register(self, name: str, function: NamedAction) -> None:
        """Register ``function`` as ``name``; a name registers once."""
        if name in self._actions:
            raise ValueError(f"action '{name}' is already registered")
        self._actions[name] = function

    def load_entry_points(self) -> None:
        """Register the actions installed packages declare."""
        for point in entry_points(group=ENTRY_POINT_GROUP):
            if point.name not in self._actions:
                self.register(point.name, point.load())

    def get(self, name: str) -> NamedAction | None:
        """The action registered as ``name``."""
        return self._actions.get(name)

    def names(self) -> list[str]:
        """Every registered name."""
        return sorted(self._actions)
