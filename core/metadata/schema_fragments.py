"""Pieces that the JSON Schemas of several metadata kinds share: names, labels, permissions."""

from __future__ import annotations

DIALECT = "https://json-schema.org/draft/2020-12/schema"
NAME = {"type": "string", "pattern": "^[a-z][a-z0-9_]*$", "maxLength": 63,
        "description": "a lowercase snake_case name of at most 63 characters"}
NAMES = {"type": "array", "items": NAME, "uniqueItems": True}
FIELD_PATH = {"type": "string", "pattern": "^[a-z][a-z0-9_]*(\\.[a-z][a-z0-9_]*)*$",
              "maxLength": 200,
              "description": "a field name, or table.field for a field of a child table's "
                             "lines"}
FIELD_PATHS = {"type": "array", "items": FIELD_PATH, "uniqueItems": True}
SEARCH_FIELD = {"type": "string", "pattern": "^[a-z][a-z0-9_]*(\\.[a-z][a-z0-9_]*)?$",
                "maxLength": 127,
                "description": "a field name, or link.field for a field of the record a link "
                               "field points to"}
SEARCH_FIELDS = {"type": "array", "items": SEARCH_FIELD, "uniqueItems": True}
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
