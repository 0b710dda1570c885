"""``officina init``, ``migrate``, ``worker`` and ``run``: set up, migrate and serve an instance."""

from __future__ import annotations

import logging
import re
import secrets

import click

from core.cli.common import closed_after_command, db_option, instance_option, open_instance
from core.cli.output import fail
from core.config import CONFIG_FILE, MAIL_BACKENDS, load_settings, write_default_config
from core.officina import Officina
from core.records.actor import ADMIN_ROLE
from core.storage.migrate import migrate
from core.users import create_user, user_exists

_open = open_instance


@click.command()
@instance_option
@db_option
@click.option("--admin-user", default="admin", show_default=True)
@click.option("--admin-password", envvar="OFFICINA_ADMIN_PASSWORD",
              help="Password of the first administrator ($OFFICINA_ADMIN_PASSWORD); generated "
                   "and printed when not given.")
@click.option("--mail-backend", type=click.Choice(MAIL_BACKENDS), default="smtp",
              show_default=True,
              help="For a new officina.toml: 'file' writes [mail] backend = \"file\", which "
                   "keeps mail in the instance (officina mail list); 'smtp' leaves an SMTP "
                   "example to fill in.")
@click.option("--base-url", default=None,
              help="For a new officina.toml: the address users reach the instance at "
                   "([web] base_url), which mailed links such as password resets use.")
def init(instance: str | None, database_url: str | None, admin_user: str,
         admin_password: str | None, mail_backend: str, base_url: str | None) -> None:
    """Create the instance folder and database, and the first administrator."""
    settings = load_settings(instance, database_url)
    settings.instance.mkdir(parents=True, exist_ok=True)
    existed = (settings.instance / CONFIG_FILE).exists()
    if base_url and not re.fullmatch(r"https?://[^\s/?#]+(/[^\s?#]*)?", base_url):
        fail(f"--base-url {base_url!r} is not an http(s) address such as "
             "https://officina.example.com")
    write_default_config(settings.instance, mail_backend=mail_backend, base_url=base_url)
    if existed and (mail_backend != "smtp" or base_url):
        click.echo(f"{settings.instance / CONFIG_FILE} exists: its [mail] and [web] tables are "
                   "left as they are.")
    settings = load_settings(instance, database_url)
    officina = closed_after_command(Officina.open(settings))
    plan = migrate(officina.database, officina.registry.current().registry)
    click.echo(f"Instance {settings.instance}: {len(plan.safe)} schema change(s) applied.")
    with officina.database.write() as connection:
        if user_exists(connection, admin_user):
            click.echo(f"User '{admin_user}' already exists.")
            return
        generated = admin_password is None
        password = admin_password or secrets.token_urlsafe(12)
        create_user(connection, admin_user, password, roles=(ADMIN_ROLE,),
                    full_name="Administrator", hashing=settings.passwords)
    click.echo(f"Administrator '{admin_user}' created."
               + (f" Password: {password}" if generated else ""))


@click.command("migrate")
@instance_option
@db_option
@click.option("--allow-destructive", is_flag=True,
              help="Confirm changes that lose data (dropped columns or tables, narrower types).")
@click.option("--dry-run", is_flag=True, help="Print the plan; change nothing.")
def migrate_command(instance: str | None, database_url: str | None, allow_destructive: bool,
                    dry_run: bool) -> None:
    """Bring the database in step with the packs and customisations."""
    officina = _open(instance, database_url)
    plan = migrate(officina.database, officina.registry.current().registry,
                   allow_destructive=allow_destructive, dry_run=dry_run)
    for line in plan.describe():
        click.echo(line)
    click.echo("Nothing to do: the database is up to date." if plan.empty else
               ("Plan only (dry run)." if dry_run else "Done."))


@click.command()
@instance_option
@db_option
@click.option("--once", is_flag=True, help="Do what is due now, then exit (for cron and tests).")
@click.option("--poll", default=5.0, show_default=True, help="Seconds between idle passes.")
def worker(instance: str | None, database_url: str | None, once: bool, poll: float) -> None:
    """Fire due timers, run schedules and deliver mail and webhooks."""
    from core.rules.mail import MailSettings
    from core.rules.worker import Worker, WorkerOptions

    officina = _open(instance, database_url)
    mail = officina.settings.mail
    try:
        settings = MailSettings.from_dict(mail, instance=officina.settings.instance) \
            if mail else None
    except ValueError as exc:
        fail(f"{officina.settings.instance / CONFIG_FILE}: {exc}")
    options = WorkerOptions(base_url=str((officina.settings.web or {}).get("base_url") or ""))
    runner = Worker(officina.rules, settings, options,
                    documents=getattr(officina, "documents", None))
    if once:
        report = runner.run_once()
        for error in report.errors:
            click.echo(f"failed: {error}", err=True)
        click.echo(report.counts())
        return
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    click.echo(f"Worker {runner.name} started.")
    try:
        runner.run_forever(poll)
    except KeyboardInterrupt:
        click.echo("Worker stopped.")


@click.command()
@instance_option
@db_option
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", type=click.IntRange(min=1),
              help="gunicorn worker processes (default: 2 per CPU core, plus 1).")
@click.option("--dev", is_flag=True,
              help="Flask's development server instead: one process, reloaded when the code "
                   "changes.")
@click.option("--debug", is_flag=True, help="With --dev: Flask's debug mode and debugger "
                                            "(never on a network others can reach).")
def run(instance: str | None, database_url: str | None, host: str, port: int,
        workers: int | None, dev: bool, debug: bool) -> None:
    """Serve the web application: gunicorn, or Flask's development server with --dev."""
    from core.auth.sessions import SessionPolicy

    settings = load_settings(instance, database_url)
    try:  # a bad timeout is named here, not in a traceback of every worker
        SessionPolicy.from_web_settings(settings.web)
    except ValueError as exc:
        fail(f"{settings.instance / CONFIG_FILE}: {exc}")
    if dev:
        from core.ui.app import create_app

        click.echo(f"Officina (development server) on http://{host}:{port}/")
        create_app(settings).run(host=host, port=port, debug=debug, use_reloader=True)
        return
    if debug:
        raise click.UsageError("--debug needs --dev: gunicorn never runs the debugger.")
    from core.ui.server import ServerOptions, serve

    options = ServerOptions(host=host, port=port, **({"workers": workers} if workers else {}))
    click.echo(f"Officina on http://{host}:{port}/ ({options.workers} gunicorn workers)")
    serve(settings, options)
