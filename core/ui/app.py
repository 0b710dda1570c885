"""The Flask application factory of the web UI.

Everything the pages need is wired here once and reached through ``core.ui.context``: the
instance (``app.extensions["officina"]``), sessions and CSRF (``core.ui.security``), the
template helpers (``core.ui.jinja_helpers``) and one blueprint per kind of page. Packs may
override any page template by shipping ``ui/templates/<name>.html``, and add pages through
their hooks (``officina_blueprints``, registered after Officina's own).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask
from jinja2 import ChoiceLoader, FileSystemLoader

from core.config import Settings
from core.hooks import collect
from core.hooks.manager import PackHookError
from core.officina import Officina
from core.ui import jinja_helpers, security
from core.ui.field_facets import FACETS, FieldFacet
from core.ui.template_cache import PAGE_TEMPLATES
from core.ui.views import collect as page_hooks
from core.ui.views import errors


def _pack_template_folders(instance: Officina) -> list[Path]:
    registry = instance.registry.current().registry
    folders = [Path(pack.path) / "ui" / "templates" for pack in reversed(registry.packs)]
    return [folder for folder in folders if folder.is_dir()]


def _register_facets(instance: Officina) -> None:
    """The UI facets of the field types the instance's packs add (``officina_field_types``):
    once per process, as the types are."""
    for added in collect.field_types(instance.hooks):
        name = added.field_type.name
        if not isinstance(added.facet, FieldFacet):
            raise PackHookError(f"{added.source}: officina_field_types: the facet of '{name}' "
                                "is not a core.ui.field_facets.FieldFacet")
        try:
            FACETS.add_once(name, added.facet)
        except ValueError:
            raise PackHookError(f"{added.source}: officina_field_types adds '{name}', but "
                                "another facet of that name is registered") from None


def create_app(settings: Settings, config: dict[str, Any] | None = None,
               instance: Officina | None = None) -> Flask:
    """Build the web application for one instance (``instance``: one already open)."""
    from core.ui.views import load_all

    app = Flask(__name__)
    app.jinja_options = {**app.jinja_options, "bytecode_cache": PAGE_TEMPLATES}
    app.config.update(JSON_SORT_KEYS=False, **(config or {}))
    instance = instance or Officina.open(settings)
    app.extensions["officina"] = instance
    _register_facets(instance)
    security.configure(app, settings)
    jinja_helpers.install(app, page_hooks)
    errors.install(app)
    loaders = [FileSystemLoader(str(f)) for f in _pack_template_folders(instance)]
    if loaders:
        app.jinja_loader = ChoiceLoader([*loaders, app.jinja_loader])
    for blueprint in [*load_all(), *collect.blueprints(instance.hooks)]:
        app.register_blueprint(blueprint)
    return app
