"""``officina mail``: read the messages the file mail backend kept in the instance."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

import click

from core.cli.common import instance_option
from core.cli.output import fail
from core.config import CONFIG_FILE, Settings, load_settings
from core.rules.mail_files import (
    SUFFIX,
    MailNotFound,
    list_mail,
    mail_folder,
    mail_ids,
    raw_mail,
    read_mail,
)


@click.group()
def mail() -> None:
    """Mail kept in the instance by the file backend ([mail] backend = "file")."""


def stored_mail_folder(settings: Settings) -> Path:
    """The instance's mail folder; exits with the reason when its mail is not stored."""
    config = settings.instance / CONFIG_FILE
    try:
        folder = mail_folder(settings)
    except ValueError as exc:
        fail(f"{config}: {exc}")
    if folder is not None:
        return folder
    if not settings.mail:
        fail(f"{config} has no [mail] table, so mail is neither sent nor stored; add [mail] "
             'backend = "file" to keep it in the instance.')
    fail(f"{config}: mail is sent through the SMTP server {settings.mail.get('host')}, not "
         'stored; set backend = "file" in [mail] to keep it in the instance.')


@mail.command("list")
@instance_option
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True)
def mail_list(instance: str | None, limit: int) -> None:
    """The stored messages, newest first: id, date, recipients and subject, one per line."""
    settings = load_settings(instance)
    folder = stored_mail_folder(settings)
    zone = ZoneInfo(settings.timezone)
    messages = list_mail(folder, limit)
    if not messages:
        click.echo(f"No stored mail in {folder}.")
        return
    for message in messages:
        click.echo(f"{message.id}  {message.date.astimezone(zone):%Y-%m-%d %H:%M}  "
                   f"{message.to}  {message.subject}")
    older = len(mail_ids(folder)) - len(messages)
    if older > 0:
        click.echo(f"{older} older message(s) not shown: raise --limit to see them.", err=True)


@mail.command("show")
@click.argument("mail_id", metavar="ID")
@instance_option
@click.option("--raw", is_flag=True, help="Print the stored .eml file as it is.")
def mail_show(mail_id: str, instance: str | None, raw: bool) -> None:
    """Message ID (as `officina mail list` prints it): its headers, text and attachments."""
    settings = load_settings(instance)
    folder = stored_mail_folder(settings)
    mail_id = mail_id.removesuffix(SUFFIX)
    try:
        if raw:
            click.echo(raw_mail(folder, mail_id), nl=False)  # bytes: written as they are
            return
        detail = read_mail(folder, mail_id)
    except MailNotFound:
        fail(f"No stored message {mail_id} in {folder}.")
    for name, value in detail.headers:
        click.echo(f"{name}: {value}")
    click.echo()
    click.echo(detail.text.rstrip("\n") if detail.text is not None else "(no text part)")
    if detail.has_html:
        click.echo("\n(The message also has an HTML version: --raw prints it.)")
    if detail.attachments:
        click.echo("\nAttachments:")
        for item in detail.attachments:
            click.echo(f"  {item.filename}  {item.content_type}  {item.size} bytes")
