"""JSON Schemas (Draft 2020-12) for every kind of metadata file.

The entity schema (``entity_schemas``) is built from the field-type registry, so a new field
type is described in one place; the workflow schema is in ``workflow_schema``.
``write_schema_files`` refreshes the copies in ``core/metadata/schemas/`` that editors use; a
test keeps them in step.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from core.i18n import SUPPORTED_LANGUAGES
from core.metadata.entity_schemas import entity_schema, overlay_schema
from core.metadata.schema_fragments import DIALECT, LABEL, NAME, NAMES, SORT
from core.metadata.workflow_schema import workflow_schema

SCHEMA_DIR = Path(__file__).parent / "schemas"


def pack_schema() -> dict[str, Any]:
    """Schema of ``pack.yaml``."""
    return {
        "$schema": DIALECT,
        "$id": "https://officina.dev/schemas/pack.schema.json",
        "title": "Officina pack",
        "type": "object",
        "additionalProperties": False,
        "required": ["name", "version"],
        "properties": {
            "name": NAME,
            "version": {"type": "string", "pattern": r"^\d+\.\d+(\.\d+)?([.-][0-9A-Za-z.]+)?$"},
            "label": LABEL,
            "description": {"type": "string"},
            "depends": NAMES,
            "navigation": {
                "type": "array", "minItems": 1,
                "description": "the menu's sections: a label and the entities under it",
                "items": {"type": "object", "additionalProperties": False,
                          "required": ["label", "entities"],
                          "properties": {"label": LABEL,
                                         "entities": {**NAMES, "minItems": 1}}}},
            "home": {
                "type": "array", "minItems": 1,
                "description": "queues of records on the home page of the roles named",
                "items": {"type": "object", "additionalProperties": False,
                          "required": ["label", "entity"],
                          "properties": {
                              "label": LABEL, "entity": NAME, "roles": NAMES,
                              "filters": {"type": "object", "additionalProperties": {
                                  "anyOf": [{"type": ["string", "boolean", "integer"]},
                                            {"type": "array", "minItems": 1, "items": {
                                                "type": ["string", "integer"]}}]}},
                              "sort": SORT, "columns": NAMES,
                              "limit": {"type": "integer", "minimum": 1, "maximum": 50}}}},
        },
    }


def report_schema() -> dict[str, Any]:
    """Schema of ``reports/*.yaml``: an aggregate over one entity's records."""
    aggregate = {"type": "object", "additionalProperties": False,
                 "required": ["function"],
                 "properties": {"function": {"enum": ["count", "sum", "avg", "min", "max"]},
                                "field": NAME, "label": LABEL}}
    return {
        "$schema": DIALECT,
        "$id": "https://officina.dev/schemas/report.schema.json",
        "title": "Officina report",
        "type": "object",
        "additionalProperties": False,
        "required": ["name", "label", "entity"],
        "properties": {
            "name": NAME,
            "label": LABEL,
            "description": {"type": "string"},
            "entity": NAME,
            "filters": {"type": "array",
                        "items": {"type": "array", "prefixItems": [NAME, {"type": "string"}],
                                  "minItems": 2, "maxItems": 3}},
            "group_by": {"type": "array", "items": NAME, "maxItems": 2, "uniqueItems": True},
            "aggregates": {"type": "array", "items": aggregate, "minItems": 1},
            "columns": NAMES,
            "sort": SORT,
            "chart": {"enum": ["bar", "line", "pie", "none"]},
            "roles": {"type": "array", "items": NAME},
            "group_choices": {"type": "array", "items": NAME, "minItems": 1,
                              "uniqueItems": True},
            "dashboard": {"type": "object", "additionalProperties": False,
                          "properties": {
                              "roles": {"type": "array", "items": NAME},
                              "chart": {"enum": ["bar", "line", "pie", "none"]},
                              "order": {"type": "integer"},
                              "rows": {"type": "integer", "minimum": 1, "maximum": 50}}},
        },
    }


def calendar_schema() -> dict[str, Any]:
    """Schema of ``calendars/*.yaml``: working hours and holidays for business-time clocks."""
    interval = {"type": "string", "pattern": "^\\d{1,2}:\\d{2}-\\d{1,2}:\\d{2}$"}
    day = {"type": "array", "items": interval}
    return {
        "$schema": DIALECT,
        "$id": "https://officina.dev/schemas/calendar.schema.json",
        "title": "Officina business calendar",
        "type": "object",
        "additionalProperties": False,
        "required": ["name", "hours"],
        "properties": {
            "name": NAME,
            "label": LABEL,
            "timezone": {"type": "string"},
            "country": {"type": ["string", "null"], "pattern": "^[A-Z]{2,3}$"},
            "subdivision": {"type": "string"},
            "hours": {"type": "object", "additionalProperties": False,
                      "properties": {d: day for d in ("mon", "tue", "wed", "thu", "fri",
                                                      "sat", "sun")}},
            "holidays": {"type": "array",
                         "description": "extra closures, as dates (YYYY-MM-DD)"},
        },
    }


def fixtures_schema() -> dict[str, Any]:
    """Schema of ``fixtures/*.yaml``: records to load, linked by local keys (``@key``)."""
    step = {"type": "object", "minProperties": 1, "maxProperties": 1,
            "additionalProperties": False,
            "properties": {"transition": NAME,
                           "update": {"type": "object", "minProperties": 1,
                                      "propertyNames": NAME}}}
    record = {"type": "object", "additionalProperties": False, "required": ["entity"],
              "oneOf": [{"required": ["values"]}, {"required": ["find"]}],
              "properties": {"entity": NAME,
                             "key": {"type": "string", "pattern": "^[A-Za-z0-9_.-]+$"},
                             "values": {"type": "object"},
                             "find": {"type": "object", "minProperties": 1,
                                      "propertyNames": NAME},
                             "steps": {"type": "array", "items": step}}}
    user = {"type": "object", "additionalProperties": False, "required": ["username", "roles"],
            "properties": {"username": {"type": "string", "pattern": "^[a-z0-9][a-z0-9._-]*$",
                                        "maxLength": 150},
                           "roles": {**NAMES, "minItems": 1},
                           "language": {"enum": list(SUPPORTED_LANGUAGES)},
                           "full_name": {"type": "string"}, "email": {"type": "string"}}}
    return {
        "$schema": DIALECT,
        "$id": "https://officina.dev/schemas/fixtures.schema.json",
        "title": "Officina fixtures",
        "type": "object",
        "additionalProperties": False,
        "required": ["records"],
        "properties": {"description": {"type": "string"},
                       "users": {"type": "array", "items": user},
                       "records": {"type": "array", "items": record}},
    }


def document_template_schema() -> dict[str, Any]:
    """Schema of ``templates/*.yaml``: a Word template of one entity, per language."""
    return {
        "$schema": DIALECT,
        "$id": "https://officina.dev/schemas/document_template.schema.json",
        "title": "Officina document template",
        "type": "object",
        "additionalProperties": False,
        "required": ["entity", "label", "files"],
        "properties": {
            "entity": NAME,
            "label": LABEL,
            "description": {"type": "string"},
            "files": {"type": "object", "minProperties": 1,
                      "propertyNames": {"type": "string", "pattern": "^[a-z]{2}(_[A-Z]{2})?$",
                                        "description": "a language code such as en or it"},
                      "additionalProperties": {"type": "string",
                                               "pattern": "^[A-Za-z0-9_.-]+\\.docx$"}},
        },
    }



BUILDERS = {
    "pack": pack_schema,
    "entity": entity_schema,
    "report": report_schema,
    "workflow": workflow_schema,
    "calendar": calendar_schema,
    "fixtures": fixtures_schema,
    "overlay": overlay_schema,
    "document_template": document_template_schema,
}


@cache
def schema_for(kind: str) -> dict[str, Any]:
    """The JSON Schema of one kind of metadata file."""
    return BUILDERS[kind]()


def write_schema_files(directory: Path = SCHEMA_DIR) -> list[Path]:
    """Write every schema as ``<kind>.schema.json`` (run after adding a field type)."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for kind in BUILDERS:
        path = directory / f"{kind}.schema.json"
        path.write_text(json.dumps(schema_for(kind), indent=2, sort_keys=True) + "\n")
        written.append(path)
    return written


if __name__ == "__main__":
    for written_path in write_schema_files():
        print(written_path)
