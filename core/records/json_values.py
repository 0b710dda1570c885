"""A record's values to and from JSON, each through its field type's conversion: what the
JSON API answers and what an API body or a fixture sends.

Keys that are not fields of the entity (``id``, ``version``, ``_titles``, ...) pass as they
are; a child table's lines are converted field by field with the child entity's types.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from core.metadata.field_types import FieldType, field_type_of, traits_of
from core.metadata.specs import FieldSpec, Registry

Convert = Callable[[FieldType, Any], Any]


def _to_json(field_type: FieldType, value: Any) -> Any:
    return field_type.to_json(value)


def _from_json(field_type: FieldType, value: Any) -> Any:
    return field_type.json_input(value)


def _convert(registry: Registry, entity: str, values: Mapping[str, Any],
             convert: Convert) -> dict[str, Any]:
    spec = registry.entities.get(entity)
    if spec is None:
        return dict(values)  # the records service says the entity is unknown
    return {name: _value(registry, spec.field(name), value, convert)
            for name, value in values.items()}


def _value(registry: Registry, field: FieldSpec | None, value: Any, convert: Convert) -> Any:
    if field is None or value is None:
        return value
    if traits_of(field).family == "table" and field.target and isinstance(value, list):
        return [_convert(registry, field.target, line, convert)
                if isinstance(line, Mapping) else line for line in value]
    return convert(field_type_of(field), value)


def record_json(registry: Registry, entity: str, record: Mapping[str, Any]) -> dict[str, Any]:
    """``record`` of ``entity`` as the JSON API writes it: each field's ``to_json``."""
    return _convert(registry, entity, record, _to_json)


def values_from_json(registry: Registry, entity: str,
                     values: Mapping[str, Any]) -> dict[str, Any]:
    """Values of ``entity`` sent as JSON (an API body, a fixture) as the records service
    takes them: each field's ``json_input`` (its type's field validates them after)."""
    return _convert(registry, entity, values, _from_json)
