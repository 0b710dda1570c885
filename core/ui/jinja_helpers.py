"""Functions and filters the UI templates use: translation, labels and formatting."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from flask import Flask, g

from core.formatting import as_locale, format_file_size
from core.metadata.field_types import traits_of
from core.metadata.specs import EntitySpec, FieldSpec
from core.ui import context
from core.ui.field_facets import format_value
from core.ui.sessions import current_session


def display(value: Any, field: FieldSpec) -> str:
    """``value`` of ``field`` as text for the request's locale (options translated)."""
    options = None
    if traits_of(field).family == "choice":
        options = dict(context.labels().option_choices(field))
    return format_value(value, field.type, context.locale(), currency=field.currency or "EUR",
                        timezone=context.officina().settings.timezone, options_labels=options)


def file_size(size: int) -> str:
    """A size in bytes for the request's locale (``37,5 kB``)."""
    return format_file_size(size, as_locale(context.locale()))


def unread_notices() -> int:
    """The signed-in user's unread notices (the header's bell), counted by the sign-in
    check in its own query."""
    signed_in = current_session() if g.get("actor") is not None else None
    return signed_in.unread_notices if signed_in is not None else 0


def link_where(entity: EntitySpec, field: FieldSpec) -> str:
    """A link's filter for its type-ahead: the target's field -> the id of the form input
    (of ``entity``'s form) whose value it must equal."""
    def input_id(name: str) -> str:
        other = entity.field(name)
        linked = other is not None and traits_of(other).family == "link"
        return f"f-{name}-value" if linked else f"f-{name}"
    return json.dumps({theirs: input_id(ours) for theirs, ours in field.link_filter})


def navigation() -> list[tuple[str, list[EntitySpec]]]:
    """The entities the signed-in user may read, for the menu: in the sections the packs
    declare (``navigation`` in pack.yaml), then the others grouped by pack."""
    actor = g.get("actor")
    if actor is None:
        return []
    registry = context.registry()

    def readable(entity: EntitySpec | None) -> bool:
        return entity is not None and not entity.is_child and context.may(entity.name, "read")

    groups: list[tuple[str, list[EntitySpec]]] = []
    placed: set[str] = set()
    for pack in registry.packs:
        for section in pack.navigation:
            entities = [registry.entities[n] for n in section.entities
                        if readable(registry.entities.get(n))]
            placed.update(section.entities)
            if entities:
                groups.append((context.labels().gettext(section.label), entities))
    for pack in registry.packs:
        entities = [e for e in registry.entities.values()
                    if e.pack == pack.name and e.name not in placed and readable(e)]
        if entities:
            groups.append((context.labels().gettext(pack.label or pack.name), entities))
    return groups


def install(app: Flask, collect: Callable[[str], list[Any]]) -> None:
    """Make the helpers available in every template; ``collect`` gathers what the page
    modules offer for a hook (menu items, login links, dashboard widgets)."""
    app.jinja_env.globals.update(
        _=context.gettext,
        pgettext=context.pgettext,
        ngettext=context.ngettext,
        offered_language_names=context.language_names,
        label=lambda text: context.labels().gettext(text),
        entity_label=lambda entity: context.labels().entity_label(entity),
        entity_message=lambda message, entity, **values: context.labels().entity_message(
            message, entity, **values),
        entity_plural=lambda entity: context.labels().entity_plural(entity),
        field_label=lambda field: context.labels().field_label(field),
        field_help=lambda field: context.labels().field_help(field),
        display=display,
        file_size=file_size,
        link_where=link_where,
        unread_notices=unread_notices,
        traits=traits_of,
        navigation=navigation,
        current_language=context.language,
        signed_in=lambda: g.get("actor"),
        extra_navigation=lambda: collect("navigation_items") if g.get("actor") else [],
        login_links=lambda: collect("login_links"),
        dashboard_widgets=lambda: collect("dashboard_widgets") if g.get("actor") else [],
    )
