"""The JSON Schemas shipped for editors are valid Draft 2020-12 and match the engine's."""

from __future__ import annotations

import json

import pytest
from jsonschema import Draft202012Validator

from core.metadata.field_types import FIELD_TYPES
from core.metadata.schemas import BUILDERS, SCHEMA_DIR, schema_for


@pytest.mark.parametrize("kind", sorted(BUILDERS))
def test_shipped_schema_is_valid_and_current(kind: str) -> None:
    shipped = json.loads((SCHEMA_DIR / f"{kind}.schema.json").read_text())
    Draft202012Validator.check_schema(shipped)
    assert shipped == json.loads(json.dumps(schema_for(kind))), (
        f"{kind}.schema.json is stale: run python -m core.metadata.schemas")


def test_entity_schema_knows_every_field_type() -> None:
    types = schema_for("entity")["properties"]["fields"]["additionalProperties"]
    assert sorted(types["properties"]["type"]["enum"]) == sorted(FIELD_TYPES)
