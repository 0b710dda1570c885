"""Each field type has a UI facet under its name, and no facet is without a type."""

from __future__ import annotations

import pytest

from core.metadata.field_types import FIELD_TYPES
from core.ui.field_facets import CELLS, FACETS, FILTERS, FieldFacet, show_text
from core.ui.form_fields import TEXT_INPUT


def test_every_type_has_a_facet_and_every_facet_a_type() -> None:
    assert set(FACETS) == set(FIELD_TYPES)


def test_facets_name_known_filters_and_cells() -> None:
    assert all(f.filter is None or f.filter in FILTERS for f in FACETS.values())
    assert all(f.cell in CELLS for f in FACETS.values())
    with pytest.raises(ValueError, match="unknown cell"):
        FieldFacet(TEXT_INPUT, show_text, cell="sparkline")


def test_list_filters_follow_the_facets() -> None:
    filters = {name: facet.filter for name, facet in FACETS.items()}
    assert filters == {
        "string": "text", "text": "text", "email": "text", "phone": "text", "url": "text",
        "integer": "number_range", "decimal": "number_range", "money": "number_range",
        "duration": "number_range", "date": "date_range", "datetime": "date_range",
        "boolean": "boolean", "select": "choice", "multiselect": "choice", "link": "link",
        "attachment": None, "image": None, "table": None}
