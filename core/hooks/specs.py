"""The hook specifications a pack may implement (documented in docs/packs.md, "Hooks").

Every hook composes: each pack's implementation adds to what the others return, none
replaces another. pluggy calls implementations last registered first; a pack that needs its
contributions before or after the others' marks its implementation
``@hookimpl(tryfirst=True)`` or ``@hookimpl(trylast=True)``. A name two packs both add
(a check, an action, a field) is an error, whatever the order.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from core.hooks import hookspec

if TYPE_CHECKING:
    from collections.abc import Callable

    from flask import Blueprint

    from core.metadata.field_types import FieldType
    from core.records.actor import Actor
    from core.ui.field_facets import FieldFacet
    from core.ui.views import Widget


@hookspec
def officina_field_types() -> list[tuple[FieldType, FieldFacet]]:
    """Field types the pack adds, each with its UI facet (``type: <name>`` in the YAML).

    Arguments: none. Returns a list of ``(FieldType, FieldFacet)`` pairs
    (``core.metadata.field_types``, ``core.ui.field_facets``); a type's name is lower-case
    snake_case and is not one of Officina's types. Called when the instance loads the
    packs' hooks, before their YAML is checked, so the types are valid in every pack's
    entities. The types are the process's: an instance that loads the same pack again
    registers nothing, a different type under a name another pack registered is refused.
    """


@hookspec
def officina_field_checks() -> dict[str, Callable[[str], str]]:
    """Field checks the pack adds, by name (``check: <name>`` on a string field).

    Arguments: none. Returns ``{name: function}``; a name is dotted lower case and starts
    with the pack's name (``mypack.postcode``). The function takes the typed text and returns
    it in its stored form, or raises ``ValueError`` with the message the user is shown
    (looked up in Officina's catalog for the user's language, else as written). Called
    once, when the instance's registry is first built; the names join python-stdnum's
    checks.
    """


@hookspec
def officina_actions() -> dict[str, Callable[..., dict[str, Any] | None]]:
    """Named actions the pack adds, by ``pack.action`` name (``call: {action: <name>}``).

    Arguments: none. Returns ``{name: function}``; the function receives the rule's
    ``ActionContext`` and the rule's ``args`` as keyword arguments, and may return values to
    set on the record (a dict) or None. Called once, when the instance opens.
    """


@hookspec
def officina_extend_entities() -> dict[str, dict[str, dict[str, Any]]]:
    """Fields the pack adds to entities of other packs.

    Arguments: none. Returns ``{entity: {field: field metadata}}``, each field written as it
    would be in the entity's YAML (``{"type": "string", "length": 10}``). The fields are
    checked like the entity's own (JSON Schema, then the semantic checks; problems name the
    pack's hooks module), come after the entity's fields and before an administrator's
    customisation, and are migrated like any field. Called when the registry is built.
    """


@hookspec
def officina_blueprints() -> list[Blueprint]:
    """Flask blueprints of pages the pack adds.

    Arguments: none. Returns a list of ``flask.Blueprint``; each is registered by
    ``create_app`` after Officina's own, so it cannot take an existing URL. A view renders
    the pack's templates from its ``ui/templates/`` folder (searched before the defaults) and
    protects itself with ``core.ui.access.access``. Called once per web application.
    """


@hookspec
def officina_dashboard_widgets(actor: Actor) -> list[Widget]:
    """Blocks the pack adds to the home page of the signed-in user ``actor``.

    Arguments: ``actor``, the signed-in user (roles, language). Returns a list of
    ``core.ui.views.Widget`` (a template to include, a title, its values), only those
    ``actor`` may see; the template is one of the pack's ``ui/templates`` and is rendered
    with autoescape, its values under ``widget.values``. Called on every home page, after
    the report widgets.
    """
