"""``officina pack`` and ``customize``: check packs, and an administrator's customisations."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from core.cli.common import db_option, instance_option, open_instance
from core.cli.output import fail
from core.hooks.collect import load_pack_hooks, pack_contributions
from core.hooks.manager import PackHookError
from core.metadata.diagnostics import MetadataError
from core.metadata.loader import BUILTIN_PACKS, find_pack_dirs, read_packs
from core.metadata.registry import build_registry

_open = open_instance


@click.group()
def pack() -> None:
    """Work with packs."""


@pack.command("validate")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, file_okay=False))
def pack_validate(paths: tuple[str, ...]) -> None:
    """Check packs (their folders) and print every error as FILE:LINE: key: message."""
    folders = [Path(p) for p in paths]
    names = []
    for folder in folders:
        found = find_pack_dirs([folder])
        if not found:
            fail(f"{folder}/pack.yaml:1: (document): no pack.yaml here: a pack folder needs one")
        names += list(found)
    search = [*folders, *(f.parent for f in folders), BUILTIN_PACKS]
    try:
        hooks = load_pack_hooks(names, search)  # first: they may add the YAML's field types
        packs = read_packs(names, search, fixtures=True)
        registry = build_registry(packs, contributions=pack_contributions(hooks))
    except PackHookError as exc:
        fail(str(exc))
    except MetadataError as exc:
        for diagnostic in exc.diagnostics:
            click.echo(str(diagnostic), err=True)
        fail(f"{len(exc.diagnostics)} error(s).")
    count = len(registry.entities)
    click.echo(f"OK: {', '.join(names)} — {count} {'entity' if count == 1 else 'entities'}.")


@click.group()
def customize() -> None:
    """An administrator's customisations of entities (custom fields, labels, layouts)."""


@customize.command("set")
@click.argument("entity")
@click.argument("file", type=click.File("r", encoding="utf-8"))
@instance_option
@db_option
@click.option("--allow-destructive", is_flag=True)
def customize_set(entity: str, file: Any, instance: str | None, database_url: str | None,
                  allow_destructive: bool) -> None:
    """Replace ENTITY's customisation with FILE (YAML) and migrate."""
    officina = _open(instance, database_url)
    loaded, plan = officina.registry.save_overlay("admin", entity, file.read(),
                                                  allow_destructive)
    for line in plan.describe():
        click.echo(line)
    click.echo(f"Customisation of {entity} saved; registry version {loaded.registry.version}.")


@customize.command("show")
@click.argument("entity")
@instance_option
@db_option
def customize_show(entity: str, instance: str | None, database_url: str | None) -> None:
    """Print ENTITY's customisation."""
    officina = _open(instance, database_url)
    with officina.database.read() as connection:
        click.echo(officina.registry.overlays(connection).get(entity, "# none"))


@customize.command("remove")
@click.argument("entity")
@instance_option
@db_option
@click.option("--allow-destructive", is_flag=True,
              help="Confirm dropping the custom fields' columns and their data.")
def customize_remove(entity: str, instance: str | None, database_url: str | None,
                     allow_destructive: bool) -> None:
    """Remove ENTITY's customisation."""
    officina = _open(instance, database_url)
    officina.registry.save_overlay("admin", entity, None, allow_destructive)
    click.echo(f"Customisation of {entity} removed.")
