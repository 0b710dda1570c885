"""What a document template sees: read-only views of records, read as the acting user.

``record`` is a ``RecordView`` of the printed record; its fields are plain values (see
``core.documents.values``), its child tables lists of views (one per line), its links views
of the linked records, read lazily through the records service as the same user (so row
conditions and hidden fields apply) up to ``MAX_LINK_DEPTH`` links away. An empty link, or
one to a record the user may not read, is an empty view: false in ``{% if %}``, printed
as nothing, and each of its fields empty, so ``record.machine.customer.name`` prints
nothing rather than failing when the machine is not set. A view holds no service,
connection or database object a template could reach: the sandbox asks it for fields
through ``lookup`` and nothing else.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from jinja2.exceptions import UndefinedError

from core.documents.values import Choice, Duration, FileRef, Money
from core.i18n_metadata import MetadataTranslator
from core.metadata.field_types import traits_of
from core.metadata.specs import EntitySpec, FieldSpec, Registry
from core.records.actor import Actor
from core.records.errors import NotFound, PermissionDenied
from core.records.service import RecordsService

MAX_LINK_DEPTH = 3  # links followed from the printed record: job -> machine -> customer -> ...
MAX_LINKED_RECORDS = 500  # distinct linked records one document may read
STANDARD_FIELDS = ("id", "ref", "version", "created_at", "created_by", "modified_at",
                   "modified_by")
LINE_FIELDS = ("id", "idx")


class LinkReader:
    """Reads linked records through the records service as the actor, once each."""

    def __init__(self, records: RecordsService, actor: Actor, registry: Registry,
                 translator: MetadataTranslator):
        self._records = records
        self._actor = actor
        self._registry = registry
        self._translator = translator
        self._cache: dict[tuple[str, int], RecordView | None] = {}

    def view(self, entity: str, key: int | None, depth: int) -> RecordView:
        """The linked record as a view; an empty view when there is none or the actor may
        not read it."""
        if depth > MAX_LINK_DEPTH:
            raise UndefinedError(f"links are followed at most {MAX_LINK_DEPTH} deep")
        if key is None:
            return self.empty(entity, depth)
        cache_key = (entity, int(key))
        if cache_key not in self._cache:
            if len(self._cache) >= MAX_LINKED_RECORDS:
                raise UndefinedError(f"a document may read at most {MAX_LINKED_RECORDS} "
                                     "linked records")
            try:
                data = self._records.get(self._actor, entity, int(key))
            except (NotFound, PermissionDenied):
                self._cache[cache_key] = None
            else:
                self._cache[cache_key] = RecordView(self._registry.entity(entity), data, self,
                                                    depth)
        return self._cache[cache_key] or self.empty(entity, depth)

    def empty(self, entity: str, depth: int) -> RecordView:
        """A view of no record of ``entity``: false, printed as nothing, fields empty."""
        return RecordView(self._registry.entity(entity), {}, self, depth, empty=True)

    def option_label(self, spec: FieldSpec, value: str) -> str:
        """A select option's label in the document's language."""
        return self._translator.translate_option(spec, value)


class RecordView:
    """One record (or line) as a template sees it: ``view.field`` and nothing more."""

    __slots__ = ("_data", "_depth", "_empty", "_entity", "_line", "_reader")

    def __init__(self, entity: EntitySpec, data: Mapping[str, Any], reader: LinkReader,
                 depth: int = 0, line: bool = False, empty: bool = False):
        self._entity = entity
        self._data = data
        self._reader = reader
        self._depth = depth
        self._line = line
        self._empty = empty

    def lookup(self, name: str) -> Any:
        """The value of field ``name`` (None when empty or hidden from the actor)."""
        spec = self._entity.field(name)
        if spec is None:
            if name in (LINE_FIELDS if self._line else STANDARD_FIELDS):
                return self._data.get(name)
            raise UndefinedError(f"{self._entity.name} has no field '{name}'")
        # a field hidden from the actor, or one of an empty view, is empty
        return self._value(spec, self._data.get(name))

    def _value(self, spec: FieldSpec, value: Any) -> Any:
        kind = traits_of(spec)
        if kind.family == "table":
            child = self._reader._registry.entity(spec.target or "")
            return [RecordView(child, line, self._reader, self._depth, line=True)
                    for line in value or []]
        if kind.family == "link":
            return self._reader.view(spec.target or "", value, self._depth + 1)
        if value is None:
            return None
        if kind.currency:
            return Money(value, spec.currency or "EUR")
        if kind.numeric and not kind.whole and not isinstance(value, Decimal):
            return Decimal(str(value))
        if kind.elapsed:
            return Duration(value)
        if kind.family == "choice" and not kind.multiple:
            return Choice(str(value), self._reader.option_label(spec, str(value)))
        if kind.multiple:
            return [Choice(v, self._reader.option_label(spec, v)) for v in value]
        if kind.file:
            return FileRef(str(value), spec.label)
        return value

    def title(self) -> str:
        """How the record prints: its title field, else its reference."""
        field = self._entity.title_field
        value = self._data.get(field) if field else None
        return str(value if value not in (None, "") else self._data.get("ref") or "")

    def __bool__(self) -> bool:
        return not self._empty

    def __str__(self) -> str:
        return self.title()

    def __html__(self) -> str:
        from markupsafe import escape

        return str(escape(self.title()))
