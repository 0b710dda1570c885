"""Fields and entities that Word templates use cannot be removed or renamed from under them.

Before a migration changes the tables (``officina migrate`` after a pack changed, or a
customisation saved or removed), every template in use (the packs' templates and the
administrators' uploads) is read against the registry the migration brings. A field a
template reads that the database holds but the new registry lacks is refused, naming the
template, its file and where in it, and nothing changes; so is an entity that still has
uploaded templates. The check follows what a document sees (``core.documents.context``):
the record's fields, its child lines (``{% for l in record.lines %}{{ l.qty }}``, docxtpl's
``{%tr %}`` rows too) and the fields of linked records (``record.machine.serial_number``).

A renamed entity (``renamed_from``) keeps its uploads: ``templates_follow_migration`` moves
them to the new name once its table is renamed, and records the fields the database now
holds for the next check (``core.documents.known_fields``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from core.documents import store
from core.documents.known_fields import fields_before, record_fields
from core.documents.validation import missing_fields
from core.metadata.diagnostics import Diagnostic, MetadataError
from core.metadata.specs import EntitySpec, Registry


class FieldUsedByTemplate(MetadataError):
    """A field or entity to be removed or renamed is still used by a document template."""


def entity_now(registry: Registry, name: str) -> EntitySpec | None:
    """The entity called ``name``, or the one renamed from ``name``, in ``registry``."""
    return registry.entities.get(name) or next(
        (e for e in registry.entities.values() if e.renamed_from == name), None)


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


def _renamed_to(registry: Registry, owner: str, field: str) -> str | None:
    entity = registry.entities.get(owner)
    return next((spec.name for spec in entity.fields if spec.renamed_from == field), None) \
        if entity is not None else None


def template_field_problems(connection: Connection, registry: Registry) -> list[Diagnostic]:
    """One diagnostic per use, by a template in use, of a field or entity the database holds
    that the migration to ``registry`` would remove or rename (none when nothing goes)."""
    before = fields_before(connection, registry)
    problems = []
    for entity_name, name, language, file, content in _templates(connection, registry):
        entity = entity_now(registry, entity_name)
        if entity is None:
            if entity_name in before.gone_entities:
                problems.append(Diagnostic(
                    file, 1, "(document)",
                    f"entity '{entity_name}' is used by template '{name}' (file {file}): it "
                    "cannot be removed until the template is withdrawn (officina documents "
                    f"restore {entity_name} {name} {language} 0)"))
            continue
        for owner, field, where, paragraph in missing_fields(registry, entity, content):
            if field not in before.fields.get(owner, ()):
                continue  # never a field of the database: the template was wrong already
            renamed = _renamed_to(registry, owner, field)
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
    rename a field or entity that a template in use reads."""
    problems = template_field_problems(connection, registry)
    if problems:
        raise FieldUsedByTemplate(problems)


def templates_follow_migration(connection: Connection, registry: Registry) -> None:
    """After a migration to ``registry``: move the uploads of renamed entities to their new
    name, and record the fields the database now holds."""
    for entity in registry.entities.values():
        if entity.renamed_from and entity.renamed_from not in registry.entities:
            store.move_entity(connection, entity.renamed_from, entity.name)
    record_fields(connection, registry)


class TemplateGuard:
    """The migration guard of document templates (``core.storage.migration_guards``)."""

    def before(self, connection: Connection, registry: Registry) -> None:
        """Refuse a migration that removes what a template reads."""
        refuse_fields_used_by_templates(connection, registry)

    def after(self, connection: Connection, registry: Registry) -> None:
        """Move renamed entities' uploads; record the fields the database holds."""
        templates_follow_migration(connection, registry)
