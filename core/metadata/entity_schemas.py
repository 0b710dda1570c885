"""JSON Schemas of an entity and of its customisation, built from the field-type registry."""

from __future__ import annotations

from typing import Any

from core.i18n_agreement import GENDERS
from core.metadata.field_types import FIELD_TYPES
from core.metadata.schema_fragments import (
    DIALECT,
    LABEL,
    NAME,
    NAMES,
    PERMISSIONS,
    SEARCH_FIELDS,
    SORT,
)

BADGE_COLORS = ("grey", "blue", "teal", "green", "amber", "orange", "red", "purple")

COMMON_FIELD_KEYS: dict[str, Any] = {
    "type": {"enum": sorted(FIELD_TYPES)},
    "label": LABEL,
    "help": {"type": "string"},
    "required": {"type": "boolean"},
    "unique": {"type": "boolean"},
    "default": {},
    "read_only": {"type": "boolean"},
    "user_editable": {"type": "boolean"},
    "fetch_from": {"type": "string", "pattern": "^[a-z][a-z0-9_]*\\.[a-z][a-z0-9_]*$"},
    "badges": {"type": "object", "minProperties": 1, "additionalProperties": {
        "type": "object", "additionalProperties": False,
        "properties": {"color": {"enum": list(BADGE_COLORS)},
                       "icon": {"type": "string", "minLength": 1, "maxLength": 2}}}},
    "link_filter": {"type": "object", "minProperties": 1, "additionalProperties": NAME},
    **{key: {"type": "object", "additionalProperties": False, "required": ["field", "in"],
             "properties": {"field": NAME, "in": {"type": "array", "minItems": 1, "items": {
                 "type": ["string", "boolean", "integer"]}}}}
       for key in ("visible_when", "required_when", "read_only_when")},
    "due": {"anyOf": [{"const": True}, {
        "type": "object", "additionalProperties": False, "required": ["field", "in"],
        "properties": {"field": NAME, "in": {**NAMES, "minItems": 1}}}]},
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


def _context_panel_schema() -> dict[str, Any]:
    choice = {"anyOf": [{"type": ["string", "boolean", "integer"]},
                        {"type": "array", "minItems": 1, "items": {"type": ["string", "integer"]}}]}
    related = {"type": "object", "additionalProperties": False, "required": ["entity", "match"],
               "properties": {"entity": NAME,
                              "match": {"type": "object", "minProperties": 1,
                                        "additionalProperties": NAME},
                              "filters": {"type": "object", "additionalProperties": choice},
                              "columns": NAMES,
                              "limit": {"type": "integer", "minimum": 1, "maximum": 20}}}
    path = {"type": "string", "pattern": "^[a-z][a-z0-9_]*(\\.[a-z][a-z0-9_]*)?$"}
    similar = {"type": "object", "additionalProperties": False, "required": ["entity", "text"],
               "properties": {"entity": NAME, "text": {**NAMES, "minItems": 1},
                              "boost": {"type": "object", "additionalProperties": NAME},
                              "filters": {"type": "object", "additionalProperties": choice},
                              "columns": NAMES,
                              "limit": {"type": "integer", "minimum": 1, "maximum": 20}}}
    section = {"type": "object", "additionalProperties": False, "required": ["label"],
               "properties": {"label": LABEL, "fields": {"type": "array", "items": path},
                              "related": related, "similar": similar}}
    return {"type": "array", "minItems": 1, "items": section,
            "description": "what the form shows beside the fields, by a dry run of the rules"}


def _planner_schema() -> dict[str, Any]:
    return {"type": "object", "additionalProperties": False, "required": ["start", "resource"],
            "description": "a week board of the records, one row per linked resource",
            "properties": {"start": NAME, "duration": NAME, "resource": NAME,
                           "filters": NAMES,
                           "to_plan_sort": {"type": "array", "minItems": 1, "items": SORT}}}


ARTICLE = {"type": "string", "maxLength": 12, "pattern": r"^[^\s{}]+$"}
GRAMMAR = {
    "type": "object",
    "description": "per language: the label's gender and its articles, for messages that "
                   "agree with it",
    "propertyNames": {"type": "string", "pattern": "^[a-z]{2}$"},
    "additionalProperties": {
        "type": "object", "additionalProperties": False, "required": ["gender"],
        "properties": {"gender": {"enum": list(GENDERS)},
                       "article": ARTICLE, "indefinite": ARTICLE}},
}


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
            "grammar": GRAMMAR,
            "description": {"type": "string"},
            "child": {"type": "boolean"},
            "naming": {"type": "string", "pattern": r"\{#+\}"},
            "title_field": NAME,
            "search_fields": SEARCH_FIELDS,
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
            "context_panel": _context_panel_schema(),
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
            "grammar": GRAMMAR,
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

