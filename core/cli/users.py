"""``officina user``: local users."""

from __future__ import annotations

import click

from core.cli.common import db_option, instance_option, open_instance
from core.cli.languages import LANGUAGE, require_offered
from core.cli.output import fail
from core.users import create_user, user_exists

_open = open_instance


@click.group()
def user() -> None:
    """Local users."""


@user.command("add")
@click.argument("username")
@click.option("--role", "roles", multiple=True, help="A role (repeat for several).")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--language", type=LANGUAGE, default=None,
              help="The user's language (default: the instance's first).")
@click.option("--email", default="", help="Address for mail sent by rules.")
@click.option("--name", "full_name", default="", help="Full name.")
@instance_option
@db_option
def user_add(username: str, roles: tuple[str, ...], password: str, language: str | None,
             email: str, full_name: str, instance: str | None, database_url: str | None) -> None:
    """Add a local user."""
    officina = _open(instance, database_url)
    require_offered(officina, language)
    language = language or officina.settings.languages[0]
    with officina.database.write() as connection:
        if user_exists(connection, username):
            fail(f"User '{username}' already exists.")
        create_user(connection, username, password, roles=roles, language=language,
                    email=email, full_name=full_name, hashing=officina.settings.passwords)
    click.echo(f"User '{username}' added.")
