"""``officina``: set up an instance, check packs, migrate, and read and write records."""

from __future__ import annotations

import logging
import re
import secrets
from pathlib import Path
from typing import Any

import click

from core.cli.common import (
    acting_user,
    closed_after_command,
    db_option,
    instance_option,
    open_instance,
)
from core.cli.documents import documents as documents_group
from core.cli.group import OfficinaGroup
from core.cli.languages import LANGUAGE, require_offered
from core.cli.mail import mail as mail_group
from core.cli.output import fail, parse_json_argument, print_json
from core.cli.tokens import token as token_group
from core.config import CONFIG_FILE, MAIL_BACKENDS, load_settings, write_default_config
from core.metadata.diagnostics import MetadataError
from core.metadata.loader import BUILTIN_PACKS, find_pack_dirs
from core.metadata.registry import load_registry
from core.metadata.yaml_source import YamlSyntaxError, parse_yaml
from core.officina import Officina
from core.records.actor import ADMIN_ROLE, SYSTEM
from core.records.reading import ListQuery
from core.storage.migrate import migrate
from core.users import create_user, user_exists

_open = open_instance
_actor = acting_user


@click.group(cls=OfficinaGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="officina")
def cli() -> None:
    """Officina: a configurable CRM driven by metadata packs."""


cli.add_command(documents_group)
cli.add_command(mail_group)
cli.add_command(token_group)


@cli.command()
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


@cli.group()
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
        registry = load_registry(names, search)
    except MetadataError as exc:
        for diagnostic in exc.diagnostics:
            click.echo(str(diagnostic), err=True)
        fail(f"{len(exc.diagnostics)} error(s).")
    count = len(registry.entities)
    click.echo(f"OK: {', '.join(names)} — {count} {'entity' if count == 1 else 'entities'}.")


@cli.command("migrate")
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


@cli.group()
def records() -> None:
    """Read and write records as JSON (through the records service)."""


as_option = click.option("--as", "username", help="Act as this user (default: the system "
                                                  "user, with administrator rights).")


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
                "offset": page.offset, "rows": page.rows})


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
    print_json(officina.records.get(_actor(officina, username), entity, key))


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
    values = parse_json_argument(data, "DATA")
    print_json(officina.records.create(_actor(officina, username), entity, values))


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
    values = parse_json_argument(data, "DATA")
    print_json(officina.records.update(_actor(officina, username), entity, key, values))


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
    print_json(officina.records.transition(_actor(officina, username), entity, key, name,
                                           version=version))


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


@cli.group()
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


@cli.group()
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


@cli.group()
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


@cli.group()
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


@cli.command()
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


@cli.command()
@instance_option
@db_option
@click.option("--once", is_flag=True, help="Do what is due now, then exit (for cron and tests).")
@click.option("--poll", default=5.0, show_default=True, help="Seconds between idle passes.")
def worker(instance: str | None, database_url: str | None, once: bool, poll: float) -> None:
    """Fire due timers, run schedules and deliver mail and webhooks."""
    from core.rules.mail import MailSettings
    from core.rules.worker import Worker

    officina = _open(instance, database_url)
    mail = officina.settings.mail
    try:
        settings = MailSettings.from_dict(mail, instance=officina.settings.instance) \
            if mail else None
    except ValueError as exc:
        fail(f"{officina.settings.instance / CONFIG_FILE}: {exc}")
    runner = Worker(officina.rules, settings, documents=getattr(officina, "documents", None))
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


@cli.group()
def rules() -> None:
    """Inspect and try workflows."""


@rules.command("list")
@instance_option
@db_option
def rules_list(instance: str | None, database_url: str | None) -> None:
    """Every rule and transition, with its trigger and where it is written."""
    registry = _open(instance, database_url).registry.current().registry
    for workflow in registry.workflows.values():
        machine = workflow.state_machine
        for transition in machine.transitions if machine else ():
            roles = ", ".join(sorted(transition.roles)) or "anyone"
            click.echo(f"{workflow.entity}: transition {transition.name}: "
                       f"{'/'.join(transition.sources)} -> {transition.target} ({roles})")
        for rule in workflow.rules:
            detail = rule.timer or rule.event or rule.cron or rule.transition or ",".join(
                rule.fields)
            state = "" if rule.enabled else " [disabled]"
            click.echo(f"{workflow.entity}: {rule.qualified_name}: on {rule.trigger}"
                       f"{' ' + detail if detail else ''}{state}  ({rule.location})")


@rules.command("set")
@click.argument("file", type=click.File("r", encoding="utf-8"))
@instance_option
@db_option
def rules_set(file: Any, instance: str | None, database_url: str | None) -> None:
    """Store a new or edited workflow (YAML) in the database; every process picks it up."""
    officina = _open(instance, database_url)
    body = file.read()
    try:
        document = parse_yaml(body, file.name)
    except YamlSyntaxError as exc:
        raise MetadataError([exc.diagnostic]) from None
    name = document.data.get("name") if isinstance(document.data, dict) else None
    if not isinstance(name, str):
        fail(f"{file.name}:1: name: a workflow needs a name")
    loaded = officina.registry.save_workflow("admin", name, body)
    click.echo(f"Workflow {name} saved; registry version {loaded.registry.version}.")


@rules.command("remove")
@click.argument("name")
@instance_option
@db_option
def rules_remove(name: str, instance: str | None, database_url: str | None) -> None:
    """Drop the stored version of workflow NAME (the pack's own, if any, applies again)."""
    officina = _open(instance, database_url)
    officina.registry.save_workflow("admin", name, None)
    click.echo(f"Stored workflow {name} removed.")


@rules.command("event")
@click.argument("entity")
@click.argument("key")
@click.argument("name")
@instance_option
@db_option
@as_option
def rules_event(entity: str, key: str, name: str, instance: str | None,
                database_url: str | None, username: str | None) -> None:
    """Post the named event NAME on a record (fires rules with ``on: event``)."""
    from core.rules.events import RecordEvent

    officina = _open(instance, database_url)
    actor = _actor(officina, username)
    with officina.database.write() as connection:
        record = officina.records.get(actor, entity, key, connection=connection)
        officina.rules.emit(connection, RecordEvent("event", entity, record, actor, name=name))
    click.echo(f"Event {name} posted on {record['ref']}.")


@rules.command("log")
@click.option("--entity", help="Only firings on this entity.")
@click.option("--record", "record_id", type=int, help="Only firings on this record id.")
@click.option("--rule", help="Only this rule (workflow.rule).")
@click.option("--limit", default=50, show_default=True)
@instance_option
@db_option
def rules_log(entity: str | None, record_id: int | None, rule: str | None, limit: int,
              instance: str | None, database_url: str | None) -> None:
    """The latest rule firings: when, which rule, on what, for whom, how long."""
    import sqlalchemy as sa

    officina = _open(instance, database_url)
    log = officina.registry.current().schema.system["officina_rule_log"]
    query = sa.select(log).order_by(log.c.id.desc()).limit(limit)
    for column, value in (("entity", entity), ("record_id", record_id), ("rule", rule)):
        if value is not None:
            query = query.where(log.c[column] == value)
    with officina.database.read() as connection:
        for row in connection.execute(query):
            click.echo(f"{row.at:%Y-%m-%d %H:%M:%S}  {row.rule}  {row.event}  "
                       f"{row.entity}:{row.record_id}  by {row.username}  {row.result}  "
                       f"{row.duration_ms:.1f} ms")


@cli.command("outbox")
@click.option("--status", type=click.Choice(["pending", "running", "done", "failed"]),
              help="Only rows in this state.")
@click.option("--limit", default=50, show_default=True)
@instance_option
@db_option
def outbox_command(status: str | None, limit: int, instance: str | None,
                   database_url: str | None) -> None:
    """Mail and webhooks waiting, delivered or failed, with their last error."""
    import sqlalchemy as sa

    officina = _open(instance, database_url)
    outbox = officina.registry.current().schema.system["officina_outbox"]
    query = sa.select(outbox).order_by(outbox.c.id.desc()).limit(limit)
    if status:
        query = query.where(outbox.c.status == status)
    with officina.database.read() as connection:
        for row in connection.execute(query):
            error = f"  last error: {row.last_error}" if row.last_error else ""
            click.echo(f"#{row.id}  {row.kind}  {row.status}  attempts {row.attempts}  "
                       f"rule {row.rule}  {row.entity}:{row.record_id}{error}")


@rules.command("explain")
@click.argument("entity")
@click.argument("key")
@click.option("--event", "kind", default="updated", show_default=True,
              type=click.Choice(["created", "updated", "deleted", "timer", "schedule",
                                 "event", "transition"]))
@click.option("--name", help="The timer, event, transition or schedule rule's name.")
@instance_option
@db_option
def rules_explain(entity: str, key: str, kind: str, name: str | None, instance: str | None,
                  database_url: str | None) -> None:
    """Which rules an event on a record would fire now, and what they would do."""
    from core.rules.explain import explain

    officina = _open(instance, database_url)
    for line in explain(officina, entity, key, kind, name):
        click.echo(line)


@rules.command("dry-run")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--event", "kind", default="updated", show_default=True,
              type=click.Choice(["created", "updated", "timer", "schedule", "event"]))
@click.option("--name", help="The timer, event or schedule rule's name.")
@click.option("--limit", default=1000, show_default=True, help="Records to try at most.")
@instance_option
@db_option
def rules_dry_run(file: str, kind: str, name: str | None, limit: int, instance: str | None,
                  database_url: str | None) -> None:
    """Run a new or edited workflow FILE against existing records, changing nothing."""
    from core.rules.explain import dry_run

    officina = _open(instance, database_url)
    for line in dry_run(officina, Path(file), kind, name, limit):
        click.echo(line)


@cli.command()
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


def main() -> None:
    """Entry point of the console script: ``cli`` in standalone mode (see ``OfficinaGroup``)."""
    cli.main()
