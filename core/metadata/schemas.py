"""JSON Schemas (Draft 2020-12) for every kind of metadata file.

The entity schema is built from the field-type registry, so a new field type is described in
one place. ``write_schema_files`` refreshes the copies in ``core/metadata/schemas/`` that
editors use; a test keeps them in step.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from core.metadata.field_types import FIELD_TYPES

SCHEMA_DIR = Path(__file__).parent / "schemas"
DIALECT = "https://json-schema.org/draft/2020-12/schema"
NAME = {"type": "string", "pattern": "^[a-z][a-z0-9_]*$", "maxLength": 63,
        "description": "a lowercase snake_case name of at most 63 characters"}
NAMES = {"type": "array", "items": NAME, "uniqueItems": True}
FIELD_PATH = {"type": "string", "pattern": "^[a-z][a-z0-9_]*(\\.[a-z][a-z0-9_]*)*$",
              "maxLength": 200,
              "description": "a field name, or table.field for a field of a child table's "
                             "lines"}
FIELD_PATHS = {"type": "array", "items": FIELD_PATH, "uniqueItems": True}
LABEL = {"type": "string", "minLength": 1, "maxLength": 200}
ACTION_LIST = {"type": "array", "uniqueItems": True,
               "items": {"enum": ["read", "create", "update", "delete", "export"]}}
ROLE_ACCESS = {  # a list of actions, or a mapping with actions and restrictions
    "if": {"type": "array"}, "then": ACTION_LIST,
    "else": {"type": "object", "additionalProperties": False, "required": ["actions"],
             "properties": {
                 "actions": ACTION_LIST,
                 "where": {"type": ["object", "array"], "minProperties": 1, "minItems": 1,
                           "description": "a row condition: {field: value} or list filters; "
                                          "$user is the acting username"},
                 "read_only": FIELD_PATHS,
                 "hidden": FIELD_PATHS}}}
PERMISSIONS = {"type": "object",
               "propertyNames": {"type": "string", "pattern": r"^(\*|[a-z][a-z0-9_]*)$"},
               "additionalProperties": ROLE_ACCESS}
SORT = {"type": "string", "pattern": "^-?[a-z][a-z0-9_]*$"}

COMMON_FIELD_KEYS: dict[str, Any] = {
    "type": {"enum": sorted(FIELD_TYPES)},
    "label": LABEL,
    "help": {"type": "string"},
    "required": {"type": "boolean"},
    "unique": {"type": "boolean"},
    "default": {},
    "read_only": {"type": "boolean"},
    "user_editable": {"type": "boolean"},
    "index": {"type": "boolean"},
    "computed": {"type": "string", "minLength": 1},
    "renamed_from": NAME,
}


def field_schema() -> dict[str, Any]:
    """Schema of one field: common keys plus the keys of its type."""
    branches = [
        {"if": {"properties": {"type": {"const": name}}},
         "then": {"properties": field_type.schema,
                  **({"required": ["target"]} if "target" in field_type.schema else {}),
                  **({"required": ["options"]} if "options" in field_type.schema else {})}}
        for name, field_type in FIELD_TYPES.items()
    ]
    common = {**COMMON_FIELD_KEYS, "type": {"enum": sorted(FIELD_TYPES)}}  # packs add types
    return {"type": "object", "required": ["type"], "properties": common,
            "allOf": branches, "unevaluatedProperties": False}


def _layout_schema() -> dict[str, Any]:
    section = {"type": "object", "additionalProperties": False, "required": ["columns"],
               "properties": {"label": LABEL,
                              "columns": {"type": "array", "minItems": 1,
                                          "items": {"type": "array", "items": NAME}}}}
    tab = {"type": "object", "additionalProperties": False, "required": ["label", "sections"],
           "properties": {"label": LABEL,
                          "sections": {"type": "array", "minItems": 1, "items": section}}}
    return {"type": "object", "additionalProperties": False,
            "properties": {"tabs": {"type": "array", "minItems": 1, "items": tab},
                           "sections": {"type": "array", "minItems": 1, "items": section}}}


def _list_schema() -> dict[str, Any]:
    return {"type": "object", "additionalProperties": False,
            "properties": {"columns": NAMES, "filters": NAMES, "sort": SORT}}


def _planner_schema() -> dict[str, Any]:
    return {"type": "object", "additionalProperties": False, "required": ["start", "resource"],
            "description": "a week board of the records, one row per linked resource",
            "properties": {"start": NAME, "duration": NAME, "resource": NAME,
                           "filters": NAMES}}


def entity_schema() -> dict[str, Any]:
    """Schema of ``entities/*.yaml``."""
    return {
        "$schema": DIALECT,
        "$id": "https://officina.dev/schemas/entity.schema.json",
        "title": "Officina entity",
        "type": "object",
        "additionalProperties": False,
        "required": ["name", "label", "fields"],
        "properties": {
            "name": NAME,
            "label": LABEL,
            "plural": LABEL,
            "description": {"type": "string"},
            "child": {"type": "boolean"},
            "naming": {"type": "string", "pattern": r"\{#+\}"},
            "title_field": NAME,
            "search_fields": NAMES,
            "renamed_from": NAME,
            "fields": {"type": "object", "minProperties": 1,
                       "propertyNames": NAME,
                       "additionalProperties": field_schema()},
            "list": _list_schema(),
            "layout": _layout_schema(),
            "indexes": {"type": "array",
                        "description": "composite indexes, each a list of fields in order",
                        "items": {"type": "array", "items": NAME, "minItems": 2,
                                  "uniqueItems": True}},
            "unique": {"type": "array",
                       "description": "groups of fields whose values together no two records "
                                      "share, e.g. [[item, serial_number]]",
                       "items": {"type": "array", "items": NAME, "minItems": 2,
                                 "uniqueItems": True}},
            "permissions": PERMISSIONS,
            "planner": _planner_schema(),
        },
    }


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


OPERATORS = ("eq", "ne", "lt", "le", "gt", "ge", "in", "contains", "matches", "before",
             "after", "is")
DURATION = {"type": "string", "pattern": r"^\s*\d+\s*[smhdw](\s*\d+\s*[smhdw])*\s*$"}
EXPRESSION = {"type": "string", "pattern": "^=",
              "description": "an expression: '=' then Jinja2 expression syntax"}
RELATIVE_TIME = {"type": "string", "minLength": 1,
                 "description": "now, a date field, or either plus/minus a duration: "
                                "'now + 2h', 'due_at - 30m'"}
MESSAGE = {"anyOf": [{"type": "string"},
                     {"type": "object", "additionalProperties": {"type": "string"},
                      "propertyNames": {"pattern": "^[a-z]{2}$"}}]}
RECIPIENTS = {"type": "array", "minItems": 1, "items": {"type": "string", "minLength": 1}}


def _condition_schema() -> dict[str, Any]:
    comparison = {"type": "object", "additionalProperties": False,
                  "minProperties": 2, "maxProperties": 2,
                  "properties": {"field": {"type": "string"}, "old": {"type": "string"},
                                 "user": {"enum": ["username", "role"]},
                                 **{op: {} for op in OPERATORS}}}
    changed = {"type": "object", "additionalProperties": False, "required": ["changed"],
               "properties": {"changed": NAME}}
    group = {"type": "object", "additionalProperties": False, "minProperties": 1,
             "maxProperties": 1,
             "properties": {"all": {"type": "array", "minItems": 1,
                                    "items": {"$ref": "#/$defs/condition"}},
                            "any": {"type": "array", "minItems": 1,
                                    "items": {"$ref": "#/$defs/condition"}},
                            "not": {"$ref": "#/$defs/condition"}}}
    is_group = {"anyOf": [{"required": ["all"]}, {"required": ["any"]}, {"required": ["not"]}]}
    return {"type": "object", "if": is_group, "then": group,
            "else": {"if": {"required": ["changed"]}, "then": changed, "else": comparison}}


def _action_schema() -> dict[str, Any]:
    actions = {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/action"}}
    one = {
        "set": {"type": "object", "minProperties": 1, "propertyNames": NAME},
        "create": {"type": "object", "additionalProperties": False,
                   "required": ["entity", "values"],
                   "properties": {"entity": NAME, "values": {"type": "object"},
                                  "unless_exists": {**NAMES, "minItems": 1}}},
        "update": {"type": "object", "additionalProperties": False,
                   "required": ["entity", "id", "values"],
                   "properties": {"entity": NAME, "id": {"type": ["string", "integer"]},
                                  "values": {"type": "object", "minProperties": 1}}},
        "for_each": {"type": "object", "additionalProperties": False,
                     "required": ["in", "as", "do"],
                     "properties": {"in": EXPRESSION, "as": NAME, "do": actions}},
        "lock": {"type": "object", "additionalProperties": False,
                 "required": ["entity", "id", "as", "do"],
                 "properties": {"entity": NAME, "id": {"type": ["string", "integer"]},
                                "as": NAME, "do": actions}},
        "if": {"type": "object", "additionalProperties": False, "required": ["test", "do"],
               "properties": {"test": EXPRESSION, "do": actions, "else": actions}},
        "transition": NAME,
        "start_timer": {"type": "object", "additionalProperties": False,
                        "required": ["name", "at"],
                        "properties": {"name": NAME, "at": RELATIVE_TIME,
                                       "business_hours": {"type": "boolean"}}},
        "cancel_timer": NAME,
        "send_mail": {"type": "object", "additionalProperties": False,
                      "required": ["template", "to"],
                      "properties": {"template": NAME, "to": RECIPIENTS}},
        "notify": {"type": "object", "additionalProperties": False,
                   "required": ["to", "message"],
                   "properties": {"to": RECIPIENTS, "message": MESSAGE}},
        "webhook": {"type": "object", "additionalProperties": False, "required": ["url"],
                    "properties": {"url": {"type": "string", "pattern": "^https?://"},
                                   "secret": {"type": "string"},
                                   "payload": {"type": "object"}}},
        "call": {"type": "object", "additionalProperties": False, "required": ["action"],
                 "properties": {"action": {"type": "string",
                                           "pattern": "^[a-z][a-z0-9_]*\\.[a-z][a-z0-9_.]*$"},
                                "args": {"type": "object"}}},
        "refuse": MESSAGE,
        "render_document": {
            "type": "object", "additionalProperties": False, "required": ["template"],
            "anyOf": [{"required": ["attach_to"]}, {"required": ["mail"]}],
            "properties": {"template": NAME, "language": {"type": "string", "minLength": 2},
                           "format": {"enum": ["pdf", "docx"]}, "attach_to": NAME,
                           "mail": {"type": "object", "additionalProperties": False,
                                    "required": ["template", "to"],
                                    "properties": {"template": NAME, "to": RECIPIENTS}}}},
    }
    return {"type": "object", "minProperties": 1, "maxProperties": 1,
            "additionalProperties": False, "properties": one}


def workflow_schema() -> dict[str, Any]:
    """Schema of ``workflows/*.yaml``: a state machine and event-condition-action rules."""
    actions = {"type": "array", "items": {"$ref": "#/$defs/action"}}
    transition = {"type": "object", "additionalProperties": False,
                  "required": ["name", "from", "to"],
                  "properties": {"name": NAME, "label": LABEL,
                                 "from": {"type": "array", "minItems": 1, "items": NAME},
                                 "to": NAME, "roles": NAMES,
                                 "when": {"$ref": "#/$defs/condition"}, "do": actions}}
    machine = {"type": "object", "additionalProperties": False,
               "required": ["field", "states", "transitions"],
               "properties": {"field": NAME, "initial": NAME,
                              "states": {"type": "array", "minItems": 2, "items": NAME,
                                         "uniqueItems": True},
                              "transitions": {"type": "array", "minItems": 1,
                                              "items": transition},
                              "on_enter": {"type": "object", "propertyNames": NAME,
                                           "additionalProperties": actions},
                              "on_leave": {"type": "object", "propertyNames": NAME,
                                           "additionalProperties": actions}}}
    rule = {"type": "object", "additionalProperties": False, "required": ["name", "on", "do"],
            "properties": {"name": NAME, "label": LABEL, "description": {"type": "string"},
                           "on": {"enum": ["created", "updated", "deleted", "transition",
                                           "timer", "schedule", "event"]},
                           "fields": NAMES, "transition": NAME, "timer": NAME,
                           "event": NAME, "cron": {"type": "string", "minLength": 9},
                           "enabled": {"type": "boolean"},
                           "when": {"$ref": "#/$defs/condition"}, "do": actions}}
    return {
        "$schema": DIALECT,
        "$id": "https://officina.dev/schemas/workflow.schema.json",
        "title": "Officina workflow",
        "type": "object",
        "additionalProperties": False,
        "required": ["name", "entity"],
        "properties": {
            "name": NAME,
            "label": LABEL,
            "description": {"type": "string"},
            "entity": NAME,
            "calendar": NAME,
            "state_machine": machine,
            "rules": {"type": "array", "items": rule},
        },
        "$defs": {"condition": _condition_schema(), "action": _action_schema()},
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
                           "language": {"enum": ["en", "it"]},
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


def overlay_schema() -> dict[str, Any]:
    """Schema of an administrator's customisation of one entity (stored in the database)."""
    override = {"type": "object", "additionalProperties": False,
                "properties": {"label": LABEL, "help": {"type": "string"},
                               "required": {"type": "boolean"},
                               "read_only": {"type": "boolean"},
                               "user_editable": {"type": "boolean"}, "default": {},
                               "options": {"type": "array", "items": {"type": "string"}}}}
    return {
        "$schema": DIALECT,
        "$id": "https://officina.dev/schemas/overlay.schema.json",
        "title": "Officina customisation of one entity",
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "label": LABEL,
            "plural": LABEL,
            "custom_fields": {"type": "object",
                              "propertyNames": {
                                  "type": "string", "pattern": "^x_[a-z0-9_]+$", "maxLength": 63,
                                  "description": "x_ followed by lowercase letters, digits "
                                                 "or underscores"},
                              "additionalProperties": field_schema()},
            "fields": {"type": "object", "propertyNames": NAME,
                       "additionalProperties": override},
            "list": _list_schema(),
            "layout": _layout_schema(),
            "permissions": PERMISSIONS,
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
