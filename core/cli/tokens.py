"""``officina token``: personal API tokens of local users, created, listed and revoked."""

from __future__ import annotations

import datetime as dt

import click

from core.auth.api_tokens import create_token, list_tokens, revoke_token
from core.cli.common import db_option, instance_option, open_instance
from core.cli.output import print_json
from core.records.token_scopes import EVERY_ENTITY, WRITE, ScopeError, TokenScopes

CLI_USER = "cli"  # who created or revoked a token, as the token table records it


def parse_scopes(values: tuple[str, ...]) -> TokenScopes:
    """``--scope`` options (``ENTITY=read``, ``ENTITY=write``, ``*=read`` or ``*``) as scopes."""
    if not values:
        raise click.BadParameter("give at least one --scope (e.g. --scope customer=read, or "
                                 "--scope '*' for everything the user may do)",
                                 param_hint="--scope")
    pairs: dict[str, str] = {}
    for value in values:
        name, equals, level = value.partition("=")
        pairs[name.strip()] = level.strip() if equals else WRITE
    try:
        return TokenScopes.parse(EVERY_ENTITY if pairs == {EVERY_ENTITY: WRITE} else pairs)
    except ScopeError as exc:
        raise click.BadParameter(str(exc), param_hint="--scope") from None


@click.group()
def token() -> None:
    """Personal API tokens (Authorization: Bearer ...) for the JSON API."""


@token.command("create")
@click.argument("username")
@click.option("--name", required=True, help="What the token is for (shown in lists).")
@click.option("--scope", "scopes", multiple=True, metavar="ENTITY=read|write",
              help="Entity the token may read or write (repeat; '*' means every entity).")
@click.option("--days", type=click.IntRange(min=1, max=36_500),
              help="Expire after this many days (default: never).")
@instance_option
@db_option
def token_create(username: str, name: str, scopes: tuple[str, ...], days: int | None,
                 instance: str | None, database_url: str | None) -> None:
    """Create a token acting as USERNAME and print it: the secret is shown only this once."""
    officina = open_instance(instance, database_url)
    parsed = parse_scopes(scopes)
    entities = [e.name for e in officina.registry.current().registry.entities.values()
                if not e.is_child]
    expires = (dt.datetime.now(dt.UTC) + dt.timedelta(days=days)) if days else None
    with officina.database.write() as connection:
        secret, info = create_token(connection, username, name, parsed, created_by=CLI_USER,
                                    entities=entities, expires_at=expires)
    print_json({"token": secret, **info.as_dict()})
    click.echo("Keep the token now: it is not stored and cannot be shown again.", err=True)


@token.command("list")
@click.argument("username", required=False)
@instance_option
@db_option
def token_list(username: str | None, instance: str | None, database_url: str | None) -> None:
    """The tokens of USERNAME (everyone's without it), newest first: never their secrets."""
    officina = open_instance(instance, database_url)
    with officina.database.read() as connection:
        print_json([info.as_dict() for info in list_tokens(connection, username)])


@token.command("revoke")
@click.argument("token_id", type=int)
@instance_option
@db_option
def token_revoke(token_id: int, instance: str | None, database_url: str | None) -> None:
    """Revoke the token TOKEN_ID (its "id" in the list): it stops working at once."""
    officina = open_instance(instance, database_url)
    with officina.database.write() as connection:
        info = revoke_token(connection, token_id, CLI_USER)
    click.echo(f"Token {info.id} ({info.prefix}…, {info.name}) of {info.username} revoked.")
