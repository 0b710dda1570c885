"""Type-ahead lookups: ``GET /app/<entity>/lookup?q=acme&limit=10``.

Answers JSON ``[{"id": 1, "ref": "CUS-00001", "title": "ACME"}, ...]``: records whose
reference, title field or search fields contain the text, best first (title order), found
through the records service so the reader's permissions, row conditions and hidden fields
apply. 403 (JSON) when the reader may not read the entity.
"""

from __future__ import annotations

from flask import Response, jsonify, request

from core.i18n import _
from core.metadata.field_types import FIELD_TYPES
from core.records.errors import RecordError
from core.records.reading import ListQuery
from core.ui.access import USER, access
from core.ui.context import actor, entity_spec, gettext, officina
from core.ui.views.record_list import can, readable_fields
from core.ui.views.records import records

DEFAULT_LIMIT = 10
MAX_LIMIT = 50
MAX_TEXT = 100


@records.get("/<entity>/lookup")
@access(USER)
def lookup_view(entity: str) -> tuple[Response, int]:
    """Records of ``entity`` matching ``q`` by reference, title or search fields."""
    spec = entity_spec(entity)
    if not can(spec, "read"):
        return jsonify(error="403", message=gettext(_("You may not open this page."))), 403
    text = request.args.get("q", "").strip()[:MAX_TEXT]
    limit = min(max(1, request.args.get("limit", DEFAULT_LIMIT, type=int) or DEFAULT_LIMIT),
                MAX_LIMIT)
    readable = readable_fields(spec)

    def visible(name: str | None) -> bool:
        field = spec.field(name or "")
        return (field is not None and field.stored and "like" in FIELD_TYPES[field.type].operators
                and (readable is None or field.name in readable))

    title = spec.title_field if visible(spec.title_field) else None
    searched = list(dict.fromkeys(n for n in (title, *spec.search_fields)
                                  if n and "." not in n and visible(n)))
    filters: list = []
    if text:
        filters.append({"or": [["ref", "like", text], *([name, "like", text]
                                                         for name in searched)]})
    for key, value in request.args.items():  # narrowed by the form (link_filter): where.x=v
        name = key.removeprefix("where.")
        field = spec.field(name) if key.startswith("where.") else None
        if field is not None and field.stored and (readable is None or name in readable):
            filters.append([name, "=", int(value) if value.isdigit() else value])
    try:
        page = officina().records.list(actor(), spec.name, ListQuery(
            filters=filters or None, sort=(title,) if title else ("ref",), limit=limit,
            fields=(title,) if title else ()))
    except RecordError as exc:
        return jsonify(error="400", message=str(exc)), 400
    found = [{"id": row["id"], "ref": row["ref"],
              "title": str(row.get(title) or row["ref"]) if title else row["ref"]}
             for row in page.rows]
    return jsonify(found), 200


BLUEPRINTS: list = []
