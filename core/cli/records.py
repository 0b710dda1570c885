"""``officina records``, ``report`` and ``files``: records as JSON, reports, stored files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from core.cli.common import acting_user, as_option, db_option, instance_option, open_instance
from core.cli.output import fail, parse_json_argument, print_json
from core.officina import Officina
from core.records.json_values import record_json, values_from_json
from core.records.reading import ListQuery

_open = open_instance
_actor = acting_user


def _out(officina: Officina, entity: str, record: dict[str, Any]) -> dict[str, Any]:
    """``record`` with each field's value as its type writes it in JSON (as the API does)."""
    return record_json(officina.registry.current().registry, entity, record)


def _in(officina: Officina, entity: str, data: str) -> Any:
    """DATA's field values as their types read JSON (as the API does)."""
    values = parse_json_argument(data, "DATA")
    if not isinstance(values, dict):
        return values  # the records service refuses it
    return values_from_json(officina.registry.current().registry, entity, values)


@click.group()
def records() -> None:
    """Read and write records as JSON (through the records service)."""


@records.command("list")
@click.argument("entity")
@instance_option
@db_option
@as_option
@click.option("--filter", "filters", help='JSON filters, e.g. \'[["status", "=", "new"]]\'.')
@click.option("--search", help="Text to find in the entity's search fields.")
@click.option("--sort", help="Comma-separated fields; '-' before a field sorts descending.")
@click.option("--fields", help="Comma-separated fields to return.")
@click.option("--limit", type=int, default=50, show_default=True)
@click.option("--offset", type=int, default=0, show_default=True)
@click.option("--exact-count", is_flag=True, help="Count every match, however many.")
def records_list(entity: str, instance: str | None, database_url: str | None,
                 username: str | None, filters: str | None, search: str | None,
                 sort: str | None, fields: str | None, limit: int, offset: int,
                 exact_count: bool) -> None:
    """List records of ENTITY."""
    officina = _open(instance, database_url)
    query = ListQuery(
        filters=parse_json_argument(filters, "--filter") if filters else None,
        search=search, sort=tuple(s for s in (sort or "").split(",") if s),
        fields=tuple(f for f in fields.split(",") if f) if fields else None,
        limit=limit, offset=offset, exact_count=exact_count)
    page = officina.records.list(_actor(officina, username), entity, query)
    print_json({"total": page.total, "total_exact": page.total_exact, "limit": page.limit,
                "offset": page.offset, "rows": [_out(officina, entity, r) for r in page.rows]})


@records.command("get")
@click.argument("entity")
@click.argument("key")
@instance_option
@db_option
@as_option
def records_get(entity: str, key: str, instance: str | None, database_url: str | None,
                username: str | None) -> None:
    """Print one record of ENTITY by id or reference."""
    officina = _open(instance, database_url)
    print_json(_out(officina, entity, officina.records.get(_actor(officina, username), entity,
                                                           key)))


@records.command("create")
@click.argument("entity")
@click.argument("data", default="-")
@instance_option
@db_option
@as_option
def records_create(entity: str, data: str, instance: str | None, database_url: str | None,
                   username: str | None) -> None:
    """Create a record of ENTITY from DATA (JSON; '-' or nothing reads standard input)."""
    officina = _open(instance, database_url)
    values = _in(officina, entity, data)
    print_json(_out(officina, entity, officina.records.create(_actor(officina, username),
                                                              entity, values)))


@records.command("update")
@click.argument("entity")
@click.argument("key")
@click.argument("data", default="-")
@instance_option
@db_option
@as_option
def records_update(entity: str, key: str, data: str, instance: str | None,
                   database_url: str | None, username: str | None) -> None:
    """Change a record from DATA (JSON with the "version" you read)."""
    officina = _open(instance, database_url)
    values = _in(officina, entity, data)
    print_json(_out(officina, entity, officina.records.update(_actor(officina, username),
                                                              entity, key, values)))


@records.command("transition")
@click.argument("entity")
@click.argument("key")
@click.argument("name")
@click.option("--version", type=int, help="Refuse if the record changed since this version.")
@instance_option
@db_option
@as_option
def records_transition(entity: str, key: str, name: str, version: int | None,
                       instance: str | None, database_url: str | None,
                       username: str | None) -> None:
    """Take the workflow transition NAME on a record (roles and conditions apply)."""
    officina = _open(instance, database_url)
    print_json(_out(officina, entity, officina.records.transition(
        _actor(officina, username), entity, key, name, version=version)))


@records.command("delete")
@click.argument("entity")
@click.argument("key")
@click.option("--version", type=int, help="Refuse if the record changed since this version.")
@instance_option
@db_option
@as_option
def records_delete(entity: str, key: str, version: int | None, instance: str | None,
                   database_url: str | None, username: str | None) -> None:
    """Delete a record of ENTITY (and its lines)."""
    officina = _open(instance, database_url)
    officina.records.delete(_actor(officina, username), entity, key, version=version)
    click.echo(f"Deleted {entity} {key}.")


@click.group()
def report() -> None:
    """Run the reports of the installed packs."""


@report.command("run")
@click.argument("name")
@instance_option
@db_option
@as_option
@click.option("--filter", "filters", help='Extra JSON filters, e.g. \'[["status", "=", "new"]]\'.')
def report_run(name: str, instance: str | None, database_url: str | None,
               username: str | None, filters: str | None) -> None:
    """Run report NAME and print its columns, rows and totals as JSON."""
    import dataclasses

    from core.reports import load_reports, run_report

    officina = _open(instance, database_url)
    reports = load_reports(officina.records.registry.current().registry)
    if name not in reports:
        fail(f"Unknown report '{name}'; known: {', '.join(sorted(reports)) or 'none'}.")
    result = run_report(officina.records, _actor(officina, username), reports[name],
                        parse_json_argument(filters, "--filter") if filters else None)
    print_json({"report": name, "columns": [dataclasses.asdict(c) for c in result.columns],
                "rows": result.rows, "totals": result.totals})


@click.group()
def files() -> None:
    """Files for attachment and image fields."""


@files.command("add")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@instance_option
@db_option
def files_add(path: str, instance: str | None, database_url: str | None) -> None:
    """Store a file and print the key to put in an attachment or image field."""
    officina = _open(instance, database_url)
    assert officina.records.files is not None
    key = officina.records.files.put(Path(path).read_bytes(), Path(path).name)
    print_json({"key": key})
