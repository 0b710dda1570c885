"""Fields that Word templates use cannot be removed or renamed from under them.

Before a migration changes the tables (``officina migrate`` after a pack changed, or a
customisation saved or removed), the columns it would drop or rename are compared with the
fields every template in use reads: the packs' templates and the administrators' uploads.
A field still used is refused, naming the template, its file and where in it, and nothing
changes; change or remove the template first.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from core.documents import store
from core.documents.validation import missing_fields
from core.metadata.diagnostics import Diagnostic, MetadataError
from core.metadata.names import CHILD_COLUMNS, STANDARD_COLUMNS
from core.metadata.specs import Registry


class FieldUsedByTemplate(MetadataError):
    """A field to be removed or renamed is still used by a document template."""


def fields_going(connection: Connection, registry: Registry) -> dict[str, dict[str, str | None]]:
    """By entity, the columns a migration to ``registry`` would drop (``None``) or rename
    (to the new name): those of its table that are no field of the entity any more."""
    inspector = sa.inspect(connection)
    tables = set(inspector.get_table_names())
    going: dict[str, dict[str, str | None]] = {}
    for entity in registry.entities.values():
        table = entity.table_name
        former = f"{entity.pack}_{entity.renamed_from}" if entity.renamed_from else None
        if table not in tables and former in tables:
            table = former
        if table not in tables:
            continue
        columns = {column["name"] for column in inspector.get_columns(table)}
        fields = {spec.name for spec in entity.stored_fields}
        renamed: dict[str, str | None] = {
            spec.renamed_from: spec.name for spec in entity.stored_fields
            if spec.renamed_from in columns and spec.name not in columns}
        dropped = columns - fields - set(renamed) - set(STANDARD_COLUMNS) - set(CHILD_COLUMNS)
        gone = {**dict.fromkeys(sorted(dropped)), **renamed}
        if gone:
            going[entity.name] = gone
    return going


def _templates(connection: Connection, registry: Registry
               ) -> Iterator[tuple[str, str, str, str, bytes]]:
    """(entity, template, language, file, content) of every template in use."""
    uploaded: set[tuple[str, str]] = set()
    if sa.inspect(connection).has_table(store.TABLE.name):
        for upload in store.active_uploads(connection):
            content = store.active_content(connection, upload.entity, upload.name,
                                           upload.language)
            if content is not None:
                uploaded.add((upload.name, upload.language))
                yield (upload.entity, upload.name, upload.language,
                       f"uploaded version {upload.version} ({upload.language})", content)
    for spec in registry.document_templates.values():
        for language, file in spec.files.items():
            path = Path(file)
            if (spec.name, language) not in uploaded and path.is_file():
                yield spec.entity, spec.name, language, str(path), path.read_bytes()


def template_field_problems(connection: Connection, registry: Registry) -> list[Diagnostic]:
    """One diagnostic per use, by a template in use, of a field the migration to
    ``registry`` would remove or rename (none when no field goes)."""
    going = fields_going(connection, registry)
    if not going:
        return []
    problems = []
    for entity_name, name, _language, file, content in _templates(connection, registry):
        entity = registry.entities.get(entity_name)
        if entity is None:
            continue
        for owner, field, where, paragraph in missing_fields(registry, entity, content):
            if field not in going.get(owner, {}):
                continue
            renamed = going[owner][field]
            change = f"renamed to '{renamed}'" if renamed else "removed"
            part, _, place = where.partition(", ")
            problems.append(Diagnostic(
                file, paragraph, part,
                f"field '{field}' of {owner} is used by template '{name}' (file {file}"
                f"{', ' + place if place else ''}): it cannot be {change} until the "
                "template no longer uses it"))
    return problems


def refuse_fields_used_by_templates(connection: Connection, registry: Registry) -> None:
    """Raise ``FieldUsedByTemplate`` when the migration to ``registry`` would remove or
    rename a field that a template in use reads."""
    problems = template_field_problems(connection, registry)
    if problems:
        raise FieldUsedByTemplate(problems)
