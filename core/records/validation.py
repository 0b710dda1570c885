"""Marshmallow schemas generated from entity metadata, one per entity and language."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from marshmallow import RAISE, Schema, ValidationError

from core.i18n import Translator, _
from core.metadata.field_types import FIELD_TYPES
from core.metadata.specs import EntitySpec, FieldSpec


def writable(spec: FieldSpec, trusted: bool = False) -> bool:
    """Whether callers may give this field a value (trusted ones, like rules, set read-only)."""
    return not spec.computed and (trusted or not spec.read_only)


@lru_cache(maxsize=512)
def entity_schema(entity: EntitySpec, language: str, trusted: bool = False,
                  excluded: frozenset[str] = frozenset()) -> Schema:
    """A marshmallow schema of the writable fields of ``entity`` (child tables and
    ``excluded`` fields left out)."""
    t = Translator(language)
    declared: dict[str, Any] = {}
    for spec in entity.stored_fields:
        if not writable(spec, trusted) or spec.name in excluded:
            continue
        loader = FIELD_TYPES[spec.type].loader(spec, t)
        loader.required = spec.required
        declared[spec.name] = loader

    class Meta:
        unknown = RAISE

    schema_class = Schema.from_dict(declared, name=f"{entity.name}_schema")
    schema_class.Meta = Meta  # type: ignore[attr-defined]
    schema = schema_class()
    schema.error_messages = {**schema.error_messages,
                             "unknown": t.gettext(_("Unknown field.")),
                             "type": t.gettext(_("Expected an object of field values."))}
    return schema


def flatten_errors(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """Marshmallow's nested messages as ``{"lines.0.qty": [...]}``."""
    if isinstance(messages, list):
        return {prefix or "_record": [str(m) for m in messages]}
    flat: dict[str, list[str]] = {}
    for key, value in messages.items():
        name = f"{prefix}.{key}" if prefix else str(key)
        flat.update(flatten_errors(value, name))
    return flat


def load(entity: EntitySpec, data: dict[str, Any], language: str,
         partial: bool, trusted: bool = False, by_rules: frozenset[str] = frozenset(),
         fetchable: frozenset[str] = frozenset()
         ) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """Convert and validate ``data``; return the values and the per-field errors.

    ``by_rules`` fields (filled by the rules, not by this caller) are refused like read-only
    ones, with their own message. ``fetchable`` fields may be left empty although required:
    their link will fill them (the caller checks them once it has).
    """
    t = Translator(language)
    errors: dict[str, list[str]] = {}
    for name in data:
        spec = entity.field(name)
        if spec is not None and spec.stored and not writable(spec, trusted):
            errors[name] = [t.gettext(_("This field is read-only."))]
        elif name in by_rules:
            errors[name] = [t.gettext(_("This field is filled by the rules: it cannot be "
                                        "entered."))]
    values = {k: v for k, v in data.items() if k not in errors}
    try:
        loaded = entity_schema(entity, t.language, trusted, by_rules).load(
            values, partial=partial or tuple(fetchable))
    except ValidationError as exc:
        errors.update(flatten_errors(exc.messages))
        loaded = {k: v for k, v in exc.valid_data.items() if k not in errors}
    for name, spec in ((f.name, f) for f in entity.stored_fields):
        if (spec.required and writable(spec) and name in loaded and loaded[name] in (None, "")
                and name not in errors and name not in fetchable):
            errors[name] = [t.gettext(_("A value is required."))]
    return loaded, errors
