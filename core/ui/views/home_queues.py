"""The role home page's queues (``home`` in pack.yaml): for each queue of the user's roles,
how many records wait and the first of them, read through the records service."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from flask import url_for
from markupsafe import Markup

from core.metadata.pack_views import HomeQueue
from core.records.errors import RecordError
from core.records.reading import ListQuery
from core.ui.column_format import prepared_display, record_urls
from core.ui.context import actor, labels, may, officina, registry
from core.ui.list_cells import Column, row_cells
from core.ui.list_query import list_field
from core.ui.views.record_list import column_label, readable_fields, record_url


@dataclass(frozen=True)
class QueueView:
    """A queue as the home page shows it."""

    label: str
    total: int
    columns: list[Column]
    rows: list[Markup]  # each row's cells
    list_url: str


def my_queues() -> list[QueueView]:
    """The queues of the signed-in user's roles (every queue for an administrator) on
    entities they may read."""
    user = actor()
    shown = []
    for pack in registry().packs:
        for queue in pack.home:
            if (user.is_admin or user.roles & queue.roles) and may(queue.entity, "read"):
                view = _view(queue)
                if view is not None:
                    shown.append(view)
    return shown


def _view(queue: HomeQueue) -> QueueView | None:
    spec = registry().entity(queue.entity)
    readable = readable_fields(spec)
    names = queue.columns or (("ref", spec.title_field) if spec.title_field else ("ref",))
    fields = [f for f in (list_field(spec, n, readable) for n in names) if f is not None]
    try:
        page = officina().records.list(actor(), spec.name, ListQuery(
            filters=queue.conditions(), sort=(queue.sort,) if queue.sort else (),
            limit=queue.limit, fields=tuple(f.name for f in fields if f.name != "id")))
    except RecordError:  # a filter on a field the user may not read: not their queue
        return None
    linked = {"ref", spec.title_field}
    columns = [Column(f, column_label(spec, f), None, None, f.name in linked) for f in fields]
    draw = row_cells(spec, columns, prepared_display(fields), record_urls(record_url))
    url = url_for("records.list_view", entity=spec.name) + "?" + urlencode(
        queue.list_arguments())
    return QueueView(labels().gettext(queue.label), page.total, columns,
                     [draw(row) for row in page.rows], url)
