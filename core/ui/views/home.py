"""The home page and the health check."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, render_template

from core.ui.access import PUBLIC, USER, access
from core.ui.context import registry
from core.ui.views.home_queues import my_queues

home_pages = Blueprint("home", __name__)


@home_pages.get("/")
@access(USER)
def home() -> str:
    """The signed-in user's start page."""
    return render_template("home.html", registry=registry(), queues=my_queues())


@home_pages.get("/health")
@access(PUBLIC)
def health() -> Response:
    """Liveness: the database answers and the registry loads."""
    current = registry()
    return jsonify(status="ok", registry_version=current.version,
                   entities=len(current.entities))


BLUEPRINTS = [home_pages]
