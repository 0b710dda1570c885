"""``officina demo``: load the packs' demo fixtures and the demo users they name."""

from __future__ import annotations

import secrets

import click

from core.cli.common import db_option, instance_option, open_instance
from core.records.actor import SYSTEM

_open = open_instance


@click.command()
@click.option("--pack", "pack_name", default=None, help="Pack whose demo data to load "
              "(default: every enabled pack).")
@click.option("--users-password", envvar="OFFICINA_DEMO_PASSWORD", default=None,
              help="Password of the demo users the fixtures create ($OFFICINA_DEMO_PASSWORD); "
                   "generated and printed when not given.")
@instance_option
@db_option
def demo(pack_name: str | None, users_password: str | None, instance: str | None,
         database_url: str | None) -> None:
    """Load packs' demo fixtures (each file once), and the demo users they name."""
    from core.fixtures import load_fixtures
    from core.users import usernames

    officina = _open(instance, database_url)
    names = [pack_name] if pack_name else [p.name for p in officina.registry.current()
                                           .registry.packs]
    password = users_password or secrets.token_urlsafe(9)
    with officina.database.read() as connection:
        before = set(usernames(connection))
    try:
        for name in names:
            files = load_fixtures(officina, name, SYSTEM, users_password=password)
            click.echo(f"{name}: " + (f"loaded {', '.join(files)}" if files else
                                      "demo data already loaded"))
    finally:  # a later pack's failure must not hide the password of users already made
        with officina.database.read() as connection:
            added = sorted(set(usernames(connection)) - before)
        if added:
            click.echo(f"Demo users: {', '.join(added)}"
                       + (f" (password: {password})" if users_password is None else ""))
