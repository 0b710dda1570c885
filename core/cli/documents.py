"""``officina documents``: render records through Word templates, and manage the templates.

Every command goes through ``Officina.documents`` (the document service): rendering reads the
record as the acting user (``--as``; default the system user), uploads and restores need the
administrator role. Errors are one clear line on standard error and exit code 1.
"""

from __future__ import annotations

from pathlib import Path

import click

from core.cli.common import acting_user, as_option, db_option, instance_option, open_instance
from core.cli.languages import LANGUAGE, require_offered
from core.cli.output import fail, parse_json_argument, print_json
from core.documents.service import DocumentService
from core.i18n import Translator, _
from core.officina import Officina

FORMAT = click.Choice(["docx", "pdf"])


_open = open_instance
_actor = acting_user


def _service(officina: Officina) -> DocumentService:
    return officina.documents


def _entities(officina: Officina, entity: str | None) -> list[str]:
    registry = officina.registry.current().registry
    if entity is not None:
        return [entity]
    return sorted(name for name, spec in registry.entities.items() if not spec.is_child)


@click.group()
def documents() -> None:
    """Word and PDF documents of records, from the packs' and administrators' templates."""


@documents.command("render")
@click.argument("entity")
@click.argument("key")
@click.argument("template")
@click.option("--lang", "language", type=LANGUAGE,
              help="Language of the document (default: the user's).")
@click.option("--format", "fmt", type=FORMAT, default="docx", show_default=True)
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, writable=True),
              help="File to write ('-' writes to standard output).")
@instance_option
@db_option
@as_option
def render(entity: str, key: str, template: str, language: str | None, fmt: str, out: str,
           instance: str | None, database_url: str | None, username: str | None) -> None:
    """Render record KEY (id or reference) of ENTITY with TEMPLATE into a .docx or a PDF."""
    officina = _open(instance, database_url)
    require_offered(officina, language)
    actor = _actor(officina, username)
    document = _service(officina).render(actor, entity, int(key) if key.isdigit() else key,
                                         template, language=language, format=fmt)
    if out == "-":
        click.get_binary_stream("stdout").write(document.data)
        return
    try:
        Path(out).write_bytes(document.data)
    except OSError as exc:
        fail(f"Cannot write {out}: {exc.strerror or exc}")
    click.echo(f"Wrote {out} ({document.filename}, {len(document.data)} bytes).", err=True)


@documents.command("list")
@click.argument("entity", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@instance_option
@db_option
@as_option
def list_templates(entity: str | None, as_json: bool, instance: str | None,
                   database_url: str | None, username: str | None) -> None:
    """The document templates of ENTITY (default: of every entity)."""
    officina = _open(instance, database_url)
    actor = _actor(officina, username)
    service = _service(officina)
    found = [info for name in _entities(officina, entity)
             for info in service.templates_for(actor, name)]
    if as_json:
        print_json([{"entity": t.entity, "name": t.name, "label": t.label,
                     "languages": list(t.languages), "source": t.source,
                     "version": t.version} for t in found])
        return
    if not found:
        click.echo("No document templates." if entity is None else
                   f"No document templates for {entity}.")
        return
    for t in found:
        click.echo(f"{t.entity}\t{t.name}\t{t.label}\t{','.join(t.languages)}\t{t.source}"
                   f"\tversion {t.version}")


@documents.command("upload")
@click.argument("entity")
@click.argument("name")
@click.argument("language", type=LANGUAGE)
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--label", help="Label of the template (English).")
@instance_option
@db_option
@as_option
def upload(entity: str, name: str, language: str, file: str, label: str | None,
           instance: str | None, database_url: str | None, username: str | None) -> None:
    """Upload FILE (.docx) as template NAME of ENTITY in LANGUAGE (checked first)."""
    officina = _open(instance, database_url)
    require_offered(officina, language)
    data = Path(file).read_bytes()
    version = _service(officina).upload(_actor(officina, username), entity, name, language,
                                        data, label=label)
    click.echo(f"Template {entity}/{name} ({language}) uploaded: version {version}.")


@documents.command("versions")
@click.argument("entity")
@click.argument("name")
@click.argument("language", type=LANGUAGE)
@instance_option
@db_option
@as_option
def versions(entity: str, name: str, language: str, instance: str | None,
             database_url: str | None, username: str | None) -> None:
    """The uploaded versions of template NAME of ENTITY in LANGUAGE, newest first."""
    officina = _open(instance, database_url)
    require_offered(officina, language)
    found = _service(officina).versions(_actor(officina, username), entity, name, language)
    if not found:
        click.echo(f"No uploaded versions of {entity}/{name} ({language}): the pack's "
                   "template is in use.")
        return
    for v in found:
        when = f"{v.created_at:%Y-%m-%d %H:%M:%S}" if v.created_at else ""
        click.echo(f"{v.version}\t{when}\t{v.created_by}\t{v.size} bytes"
                   f"{chr(9) + 'active' if v.active else ''}")


@documents.command("restore")
@click.argument("entity")
@click.argument("name")
@click.argument("language", type=LANGUAGE)
@click.argument("version", type=int)
@instance_option
@db_option
@as_option
def restore(entity: str, name: str, language: str, version: int, instance: str | None,
            database_url: str | None, username: str | None) -> None:
    """Make VERSION of template NAME of ENTITY in LANGUAGE the one in use again (0: the
    pack's file; for a template the pack does not ship, 0 withdraws it)."""
    officina = _open(instance, database_url)
    require_offered(officina, language)
    current = _service(officina).restore(_actor(officina, username), entity, name, language,
                                         version)
    click.echo(f"Template {entity}/{name} ({language}): version {version} restored "
               f"(now version {current}).")


@documents.command("batch")
@click.argument("entity")
@click.argument("template")
@click.option("--filter", "filters", help='JSON filters of the records, e.g. '
                                          '\'[["status", "=", "done"]]\' (default: all).')
@click.option("--lang", "language", type=LANGUAGE,
              help="Language of the documents (default: the user's).")
@click.option("--format", "fmt", type=FORMAT, default="pdf", show_default=True)
@click.option("--attach-to", "attach_to", required=True,
              help="Attachment field of ENTITY that receives each record's document.")
@instance_option
@db_option
@as_option
def batch(entity: str, template: str, filters: str | None, language: str | None, fmt: str,
          attach_to: str, instance: str | None, database_url: str | None,
          username: str | None) -> None:
    """Queue TEMPLATE for every record of ENTITY matching --filter; officina worker renders
    them and stores each in the record's --attach-to field."""
    from core.documents.batch import queue_batch

    officina = _open(instance, database_url)
    require_offered(officina, language)
    actor = _actor(officina, username)
    _service(officina)
    count = queue_batch(officina, actor, entity, template,
                        filters=parse_json_argument(filters, "--filter") if filters else None,
                        language=language, format=fmt, attach_to=attach_to)
    t = Translator(actor.language)
    click.echo(t.gettext(_("Queued {count} documents of {entity} with {template}: officina "
                           "worker renders them."), count=count, entity=entity,
                         template=template))
