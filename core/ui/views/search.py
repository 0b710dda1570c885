"""The search of the header: ``GET /app/search?q=...``.

Each entity the user may read is searched through the records service (its full-text index,
the reader's row conditions and hidden fields), and the best few records of each are shown
under the entity's name, with a link to its list filtered by the same text when there are
more. A search too long, or one the database cannot compare, is a 400 naming the search.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Blueprint, render_template, request

from core.metadata.specs import EntitySpec
from core.records.errors import QueryError
from core.records.reading import ListQuery
from core.ui.access import USER, access
from core.ui.context import actor, may, officina, registry

PER_ENTITY = 5  # records shown under each entity

search_pages = Blueprint("search", __name__, url_prefix="/app")


@dataclass(frozen=True)
class Group:
    """The records of one entity a search found: the best ones, and how many in all."""

    entity: EntitySpec
    rows: list[dict[str, Any]]
    total: int
    total_exact: bool

    @property
    def more(self) -> bool:
        """Whether the entity has more matches than those shown."""
        return self.total > len(self.rows)


def title_of(entity: EntitySpec, row: dict[str, Any]) -> str:
    """What names a found record: its title (when the reader sees it), else its reference."""
    value = row.get(entity.title_field) if entity.title_field else None
    return str(value) if value not in (None, "") else str(row["ref"])


def search_groups(text: str) -> list[Group]:
    """The matches of ``text`` in every entity the signed-in user may read, entity by
    entity in the menu's order (``QueryError`` for a search the records service refuses)."""
    groups = []
    for entity in registry().entities.values():
        if entity.is_child or not may(entity.name, "read"):
            continue
        page = officina().records.list(actor(), entity.name,
                                       ListQuery(search=text, limit=PER_ENTITY))
        if page.rows:
            groups.append(Group(entity, page.rows, page.total, page.total_exact))
    return groups


@search_pages.get("/search")
@access(USER)
def search_view() -> tuple[str, int]:
    """The records matching ``q``, grouped by entity, best first."""
    text = request.args.get("q", "").strip()
    groups: list[Group] = []
    error, status = None, 200
    if text:
        try:
            groups = search_groups(text)
        except QueryError as exc:
            error, status = str(exc), 400
    return render_template("search.html", text=text, groups=groups, error=error,
                           title_of=title_of), status


BLUEPRINTS = [search_pages]
