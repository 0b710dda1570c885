"""Cell formatting of list pages, prepared once per column for a request.

A list draws every cell through ``display(value, field)``; looking the locale, option labels,
currency and time zone up again for each cell is most of a page's cost. ``prepared_display``
picks each column's formatter once (money with its currency's pattern, symbol and digits in
place: ``formatting.money_formatter``), and ``record_urls`` builds each entity's detail URL
once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from core.metadata.field_types import traits_of
from core.metadata.specs import FieldSpec
from core.ui import context
from core.ui.field_facets import value_formatter
from core.ui.jinja_helpers import display as display_any

SENTINEL_ID = 987654321


def prepared_display(fields: Iterable[FieldSpec]) -> Callable[[Any, FieldSpec], str]:
    """``display`` for the cells of ``fields`` (others are formatted as ``display`` does)."""
    locale = context.locale()
    timezone = context.officina().settings.timezone
    formatters: dict[str, Callable[[Any], str]] = {}
    for field in fields:
        options = (dict(context.labels().option_choices(field))
                   if traits_of(field).family == "choice" else None)
        formatters[field.name] = value_formatter(
            field.type, locale, currency=field.currency or "EUR", timezone=timezone,
            options_labels=options)

    def display(value: Any, field: FieldSpec) -> str:
        formatter = formatters.get(field.name)
        return formatter(value) if formatter is not None else display_any(value, field)

    return display


def record_urls(build: Callable[[str, int], str]) -> Callable[[str, int], str]:
    """``build(entity, id)`` worked out once per entity: its URL around the id."""
    parts: dict[str, tuple[str, str] | None] = {}

    def url(entity: str, record_id: int) -> str:
        if entity not in parts:
            sample = build(entity, SENTINEL_ID)
            head, found, tail = sample.partition(str(SENTINEL_ID))
            parts[entity] = (head, tail) if found and str(SENTINEL_ID) not in tail else None
        split = parts[entity]
        if split is None or isinstance(record_id, bool) or not isinstance(record_id, int):
            return build(entity, record_id)
        return f"{split[0]}{record_id}{split[1]}"

    return url
