"""The list page of an entity: its list columns, with links to each record."""

from __future__ import annotations

from flask import render_template, request

from core.records.reading import ListQuery
from core.ui.access import USER, access
from core.ui.context import actor, entity_spec, officina
from core.ui.views.records import records

PAGE_SIZE = 50


@records.get("/<entity>")
@access(USER)
def list_view(entity: str) -> str:
    """A page of records of ``entity``."""
    spec = entity_spec(entity)
    offset = max(0, request.args.get("offset", 0, type=int))
    page = officina().records.list(actor(), spec.name,
                                   ListQuery(limit=PAGE_SIZE, offset=offset))
    columns = [spec.fields[name] for name in spec.list_columns if name in spec.fields]
    return render_template("list.html", entity=spec, page=page, columns=columns)


BLUEPRINTS: list = []
