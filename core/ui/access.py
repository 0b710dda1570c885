"""Who may reach a view: every endpoint declares it, and a request hook enforces it.

An endpoint without a declaration is refused (403), so a forgotten decorator fails closed;
``tests/ui/test_routes.py`` walks the URL map and fails on any undeclared endpoint.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import Flask

View = TypeVar("View", bound=Callable)

PUBLIC = "public"    # anyone, signed in or not (login page, health check, static files)
USER = "user"        # any signed-in user; the records service checks entity permissions
ADMIN = "admin"      # users with the admin role
API = "api"          # the JSON API authenticates each request itself (HTTP Basic)
LEVELS = (PUBLIC, USER, ADMIN, API)


def access(level: str) -> Callable[[View], View]:
    """Declare who may reach the decorated view."""
    if level not in LEVELS:
        raise ValueError(f"unknown access level {level!r}")

    def declare(view: View) -> View:
        view.officina_access = level  # type: ignore[attr-defined]
        return view

    return declare


def endpoint_access(app: Flask, endpoint: str | None) -> str | None:
    """The declared access level of ``endpoint`` (``static`` is public), or None."""
    if endpoint is None:
        return None
    if endpoint == "static" or endpoint.endswith(".static"):
        return PUBLIC
    view = app.view_functions.get(endpoint)
    return getattr(view, "officina_access", None)
