"""``officina rules`` and ``outbox``: inspect, store and try workflows; read the outbox."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from core.cli.common import acting_user, as_option, db_option, instance_option, open_instance
from core.cli.output import fail
from core.metadata.diagnostics import MetadataError
from core.metadata.yaml_source import YamlSyntaxError, parse_yaml

_open = open_instance
_actor = acting_user


@click.group()
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
    from core.records.events import RecordEvent

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


@click.command("outbox")
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
