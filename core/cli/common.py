"""Options and helpers shared by the ``officina`` command groups."""

from __future__ import annotations

import click

from core.config import load_settings
from core.officina import Officina
from core.records.actor import SYSTEM, Actor
from core.users import actor_for

instance_option = click.option("--instance", type=click.Path(file_okay=False),
                               help="Instance folder (default: $OFFICINA_INSTANCE or ./instance).")
db_option = click.option("--db", "database_url",
                         help="Database URL (default: $OFFICINA_DATABASE_URL, else SQLite in "
                              "the instance folder).")
as_option = click.option("--as", "username", help="Act as this user (default: the system "
                                                  "user, with administrator rights).")


def open_instance(instance: str | None, database_url: str | None) -> Officina:
    """The instance named by the ``--instance`` and ``--db`` options, closed with the command."""
    return closed_after_command(Officina.open(load_settings(instance, database_url)))


def closed_after_command(officina: Officina) -> Officina:
    """``officina``, whose database connections are released when the running command ends.

    A process exiting closes them anyway; a command invoked in-process (tests, through
    ``CliRunner``) must not leave connections open, nor SQLite files or PostgreSQL databases
    held, after it returns.
    """
    context = click.get_current_context(silent=True)
    if context is not None:
        context.call_on_close(officina.close)
    return officina


def acting_user(officina: Officina, username: str | None) -> Actor:
    """The user named by ``--as``, or the system user (administrator rights)."""
    if not username:
        return SYSTEM
    with officina.database.read() as connection:
        return actor_for(connection, username)
