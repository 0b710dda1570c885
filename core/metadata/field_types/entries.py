"""The core's field types, one entry each."""

from __future__ import annotations

import sqlalchemy as sa

from core.metadata.field_checks import CHECK_NAME
from core.metadata.field_types import conversions as convert
from core.metadata.field_types import loaders as load
from core.metadata.field_types import traits as kind
from core.metadata.field_types.base import COMPARISON, EQUALITY, TEXTUAL, FieldType
from core.metadata.specs import FieldSpec


def _numeric_bytes(spec: FieldSpec) -> int:
    return 8 + 2 * ((spec.precision or 18) + 3) // 4


def string_bytes(spec: FieldSpec) -> int:
    """The bytes a string of the field's length takes in a row, at worst."""
    # PostgreSQL keeps short strings inline (4 bytes per character at worst) and moves long
    # ones out of the row, leaving an 18-byte pointer.
    return min(4 + 4 * (spec.length or 255), 2000) if (spec.length or 255) < 500 else 18


_S = {"type": "string"}
_LEN = {"length": {"type": "integer", "minimum": 1, "maximum": 10000}}
_TEXT_LEN = {"length": {"type": "integer", "minimum": 1, "maximum": 1_000_000}}
_NUM = {"min": {"type": "number"}, "max": {"type": "number"}}
_TARGET = {"target": {"type": "string", "pattern": "^[a-z][a-z0-9_]*$"}}
_PATTERN = {"pattern": _S}
_CHECK = {"check": {"type": "string", "pattern": CHECK_NAME.pattern,
                    "description": "a python-stdnum module that validates the value, e.g. "
                                   "it.iva, eu.vat, it.codicefiscale, iban"}}
_OPTIONS = {"options": {"type": "array", "minItems": 1, "uniqueItems": True,
                        "items": {"type": "string", "pattern": "^[A-Za-z0-9_.-]{1,64}$"}}}

CORE_TYPES: tuple[FieldType, ...] = (
    FieldType("string", lambda s: sa.String(s.length or 255), load.string_loader, TEXTUAL,
              {**_LEN, **_PATTERN, **_CHECK}, string_bytes, kind.TEXT),
    FieldType("text", lambda s: sa.Text(), load.text_loader, TEXTUAL,
              {**_PATTERN, **_TEXT_LEN}, lambda s: 18, kind.LONG_TEXT),
    FieldType("integer", lambda s: sa.BigInteger(), load.integer_loader, COMPARISON, _NUM,
              lambda s: 8, kind.WHOLE_NUMBER, convert.WHOLE),
    FieldType("decimal", lambda s: sa.Numeric(s.precision or 18, s.scale or 0),
              load.decimal_loader, COMPARISON,
              {**_NUM, "precision": {"type": "integer", "minimum": 1, "maximum": 38},
               "scale": {"type": "integer", "minimum": 0, "maximum": 18}}, _numeric_bytes,
              kind.NUMBER, convert.DECIMAL),
    FieldType("money", lambda s: sa.Numeric(load.MONEY_PRECISION, load.MONEY_SCALE),
              load.money_loader, COMPARISON,
              {**_NUM, "currency": {"type": "string", "pattern": "^[A-Z]{3}$"}},
              _numeric_bytes, kind.MONEY, convert.DECIMAL),
    FieldType("boolean", lambda s: sa.Boolean(create_constraint=False), load.boolean_loader,
              EQUALITY, {}, lambda s: 1, kind.FLAG, convert.FLAG),
    FieldType("date", lambda s: sa.Date(), load.date_loader, COMPARISON, {}, lambda s: 4,
              kind.DAY, convert.DAY),
    FieldType("datetime", lambda s: sa.DateTime(), load.datetime_loader, COMPARISON, {},
              lambda s: 8, kind.MOMENT, convert.MOMENT),
    FieldType("duration", lambda s: sa.BigInteger(), load.duration_loader, COMPARISON, _NUM,
              lambda s: 8, kind.DURATION, convert.WHOLE),
    FieldType("select", lambda s: sa.String(64), load.select_loader, EQUALITY, _OPTIONS,
              lambda s: 68, kind.ONE_CHOICE),
    FieldType("multiselect", lambda s: sa.Text(), load.multiselect_loader,
              ("has", "is null", "is not null"), _OPTIONS, lambda s: 18, kind.MANY_CHOICES,
              convert.CHOICES),
    FieldType("link", lambda s: sa.BigInteger(), load.link_loader, EQUALITY, _TARGET,
              lambda s: 8, kind.LINK, convert.WHOLE),
    FieldType("table", None, load.table_loader, (), _TARGET, lambda s: 0, kind.TABLE,
              convert.STRUCTURED),
    FieldType("email", lambda s: sa.String(s.length or 254), load.email_loader, TEXTUAL, _LEN,
              string_bytes, kind.TEXT),
    FieldType("phone", lambda s: sa.String(40), load.phone_loader, TEXTUAL, _PATTERN,
              lambda s: 164, kind.TEXT),
    FieldType("url", lambda s: sa.String(s.length or 2000), load.url_loader, TEXTUAL, _LEN,
              string_bytes, kind.TEXT),
    FieldType("attachment", lambda s: sa.String(300), load.file_loader, EQUALITY, {},
              lambda s: 18, kind.FILE),
    FieldType("image", lambda s: sa.String(300), load.file_loader, EQUALITY,
              {"signature": {"type": "boolean"}}, lambda s: 18, kind.IMAGE),
)
