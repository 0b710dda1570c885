"""JSON Schema of a workflow: its state machine, rules, conditions and actions."""

from __future__ import annotations

from typing import Any

from core.metadata.schema_fragments import DIALECT, LABEL, NAME, NAMES

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

