"""Bring a database in step with the registry through Alembic's comparison and operations.

Additive changes (new table, column or index, a wider type) are applied; declared renames
(``renamed_from``) are applied first so they keep their data; destructive changes (a dropped
table or column, a narrower type) are refused with what would be lost unless confirmed.

On PostgreSQL a migration runs in two parts so that a live table stays readable: one
transaction that waits at most ``lock_timeout`` for each lock and is retried
(``core.storage.ddl_locks``), then, after it commits, the steps marked ``after_commit``:
indexes on existing tables built ``CONCURRENTLY`` and foreign keys validated
(``core.storage.online_ddl``). ``migrate`` does both; a caller of ``apply_migration`` runs
``finish_migration`` once its transaction has committed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from alembic.autogenerate import produce_migrations
from alembic.migration import MigrationContext
from alembic.operations import Operations, ops
from sqlalchemy.engine import Connection

from core.metadata.specs import Registry
from core.storage import online_ddl
from core.storage.database import Database
from core.storage.ddl_locks import busy_table, run_ddl
from core.storage.fulltext import ensure_indexes
from core.storage.migration_guards import MigrationGuard
from core.storage.tables import Schema, build_schema

MANAGED_TABLES_KEY = "managed_tables"


@dataclass
class Step:
    """One change to the database, described for people."""

    description: str
    operation: Any = None
    table: str | None = None
    loss: str | None = None
    after_commit: bool = False  # run by ``finish_migration``, outside the transaction


@dataclass
class MigrationPlan:
    """What ``migrate`` would do: renames, then safe steps; destructive ones need consent."""

    renames: list[Step] = field(default_factory=list)
    safe: list[Step] = field(default_factory=list)
    destructive: list[Step] = field(default_factory=list)
    blocked: list[Step] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.renames or self.safe or self.destructive or self.blocked)

    @property
    def after_commit(self) -> list[Step]:
        """The steps ``finish_migration`` runs once the transaction has committed."""
        return [s for s in self.safe if s.after_commit]

    def describe(self) -> list[str]:
        """One line per step."""
        lines = [f"rename: {s.description}" for s in self.renames]
        lines += [f"apply: {s.description}" + (" (after the commit)" if s.after_commit else "")
                  for s in self.safe]
        lines += [f"DESTRUCTIVE: {s.description}: {s.loss}" for s in self.destructive]
        lines += [f"REFUSED: {s.description}: {s.loss}" for s in self.blocked]
        return lines


class MigrationRefused(Exception):
    """A migration would lose data and was not confirmed, or cannot be applied."""

    def __init__(self, plan: MigrationPlan, reason: str):
        self.plan = plan
        super().__init__(reason + "\n" + "\n".join(plan.describe()))


def managed_tables(connection: Connection, schema: Schema) -> set[str]:
    """Tables this engine created (recorded in the database), whether or not still defined."""
    state = schema.system["officina_state"]
    inspector = sa.inspect(connection)
    if not inspector.has_table(state.name):
        return set()
    value = connection.execute(sa.select(state.c.value).where(
        state.c.key == MANAGED_TABLES_KEY)).scalar()
    return set(json.loads(value)) if value else set()


def _record_managed(connection: Connection, schema: Schema) -> None:
    state = schema.system["officina_state"]
    names = json.dumps(sorted(t for t in schema.metadata.tables))
    updated = connection.execute(state.update().where(state.c.key == MANAGED_TABLES_KEY)
                                 .values(value=names))
    if updated.rowcount == 0:
        connection.execute(state.insert().values(key=MANAGED_TABLES_KEY, value=names))


def _renames(connection: Connection, registry: Registry, schema: Schema) -> list[Step]:
    inspector = sa.inspect(connection)
    existing = set(inspector.get_table_names())
    steps = []
    for entity in registry.entities.values():
        old_table = None
        if entity.renamed_from:
            old_table = f"{entity.pack}_{entity.renamed_from}"
        table_now = entity.table_name
        if old_table and old_table in existing and table_now not in existing:
            steps.append(Step(f"table {old_table} -> {table_now}",
                              ops.RenameTableOp(old_table, table_now), table_now))
            columns = {c["name"] for c in inspector.get_columns(old_table)}
        elif table_now in existing:
            columns = {c["name"] for c in inspector.get_columns(table_now)}
        else:
            continue
        for spec in entity.stored_fields:
            if spec.renamed_from and spec.renamed_from in columns and spec.name not in columns:
                steps.append(Step(f"column {table_now}.{spec.renamed_from} -> {spec.name}",
                                  ops.AlterColumnOp(table_now, spec.renamed_from,
                                                    modify_name=spec.name), table_now))
    return steps


def _flatten(operations: Iterable[ops.MigrateOperation]) -> list[tuple[str | None, Any]]:
    flat: list[tuple[str | None, Any]] = []
    for operation in operations:
        if isinstance(operation, ops.ModifyTableOps):
            flat += [(operation.table_name, sub) for sub in operation.ops]
        else:
            flat.append((getattr(operation, "table_name", None), operation))
    return flat


def _count(connection: Connection, table: str, condition: sa.ColumnElement[bool]) -> int:
    tbl = sa.table(table)
    return int(connection.execute(sa.select(sa.func.count()).select_from(tbl).where(condition))
               .scalar() or 0)


def _type_change(connection: Connection, table: str, op: ops.AlterColumnOp) -> tuple[bool, str]:
    """Whether an altered type keeps every value, and if not, what would be lost."""
    old, new = op.existing_type, op.modify_type
    column = sa.column(op.column_name)
    if isinstance(old, sa.String) and isinstance(new, sa.String):
        old_len = old.length or 10**9
        new_len = new.length or 10**9
        if new_len >= old_len:
            return True, ""
        longer = _count(connection, table, sa.func.length(column) > new_len)
        return False, (f"narrows {table}.{op.column_name} from {old_len} to {new_len} "
                       f"characters; {longer} value(s) are longer and would be cut")
    if isinstance(old, sa.Numeric) and isinstance(new, sa.Numeric) and not isinstance(
            old, sa.Float):
        old_p, old_s = old.precision or 38, old.scale or 0
        new_p, new_s = new.precision or 38, new.scale or 0
        if new_s >= old_s and new_p - new_s >= old_p - old_s:
            return True, ""
        return False, (f"narrows {table}.{op.column_name} from ({old_p},{old_s}) to "
                       f"({new_p},{new_s}); values may be rounded or refused")
    if isinstance(old, sa.Integer) and isinstance(new, sa.BigInteger):
        return True, ""
    filled = _count(connection, table, column.is_not(None))
    return False, (f"changes {table}.{op.column_name} from {old} to {new}; {filled} value(s) "
                   "would be converted or lost")


def _classify(connection: Connection, plan: MigrationPlan, table: str | None, op: Any) -> None:
    if isinstance(op, ops.CreateTableOp):
        plan.safe.append(Step(f"create table {op.table_name}", op, op.table_name))
    elif isinstance(op, ops.DropTableOp):
        rows = _count(connection, op.table_name, sa.true())
        plan.destructive.append(Step(f"drop table {op.table_name}", op, op.table_name,
                                     f"{rows} row(s) would be deleted"))
    elif isinstance(op, ops.AddColumnOp):
        # Its index comes as a CreateIndexOp of its own: the column must not create it too.
        column = op.column._copy()
        column.index = column.unique = None
        op = ops.AddColumnOp(op.table_name, column, schema=op.schema)
        plan.safe.append(Step(f"add column {table}.{op.column.name}", op, table))
    elif isinstance(op, ops.DropColumnOp):
        assert table is not None
        filled = _count(connection, table, sa.column(op.column_name).is_not(None))
        plan.destructive.append(Step(f"drop column {table}.{op.column_name}", op, table,
                                     f"{filled} value(s) would be lost"))
    elif isinstance(op, ops.AlterColumnOp) and op.modify_type is not None:
        assert table is not None
        keeps, loss = _type_change(connection, table, op)
        step = Step(f"change type of {table}.{op.column_name} to {op.modify_type}", op, table,
                    loss or None)
        (plan.safe if keeps else plan.destructive).append(step)
    elif isinstance(op, ops.CreateIndexOp) and op.unique:
        duplicates = _duplicates(connection, op.table_name,
                                 [getattr(c, "name", str(c)) for c in op.columns])
        step = Step(f"create unique index {op.index_name} on {op.table_name}", op,
                    op.table_name)
        if duplicates:
            step.loss = f"{duplicates} value(s) are repeated: make them unique first"
            plan.blocked.append(step)
        else:
            plan.safe.append(step)
    else:
        table = table or getattr(op, "table_name", None)
        described = {ops.CreateIndexOp: "create index", ops.DropIndexOp: "drop index",
                     ops.CreateTableCommentOp: "label (comment) of table",
                     ops.AlterColumnOp: "label (comment) of column",
                     ops.CreateForeignKeyOp: "create foreign key",
                     ops.DropConstraintOp: "drop constraint"}
        name = described.get(type(op), type(op).__name__.removesuffix("Op"))
        label = getattr(op, "index_name", None) or getattr(op, "column_name", None) or ""
        plan.safe.append(Step(f"{name} {label} on {table}".replace("  ", " "), op, table))


def _duplicates(connection: Connection, table: str, columns: list[str]) -> int:
    """How many values repeat in ``columns``; 0 for a new table or a column still to add
    (it will hold only NULLs, which a unique index lets repeat)."""
    inspector = sa.inspect(connection)
    if not inspector.has_table(table):
        return 0
    if not set(columns) <= {c["name"] for c in inspector.get_columns(table)}:
        return 0
    cols = [sa.column(c) for c in columns]
    grouped = (sa.select(*cols).select_from(sa.table(table))
               .where(sa.and_(*(c.is_not(None) for c in cols)))
               .group_by(*cols).having(sa.func.count() > 1).subquery())
    return int(connection.execute(sa.select(sa.func.count()).select_from(grouped)).scalar() or 0)


def _comparison(connection: Connection, schema: Schema, managed: set[str]) -> list:
    wanted = set(schema.metadata.tables)

    def include(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
        if type_ == "table":
            return name in wanted or name in managed
        return True

    context = MigrationContext.configure(connection, opts={
        "compare_type": True, "include_object": include,
        "render_as_batch": True})
    script = produce_migrations(context, schema.metadata)
    return _flatten(script.upgrade_ops.ops)


def plan_migration(connection: Connection, registry: Registry) -> MigrationPlan:
    """What it takes to bring the database in step with ``registry`` (renames not yet applied)."""
    schema = build_schema(registry)
    plan = MigrationPlan(renames=_renames(connection, registry, schema))
    if plan.renames:
        return plan  # the comparison is meaningful only once renames are applied
    existing = set(sa.inspect(connection).get_table_names())
    for table, op in _comparison(connection, schema, managed_tables(connection, schema)):
        _classify(connection, plan, table, op)
    if connection.dialect.name == "postgresql":
        _go_online(plan, existing)
        _plan_repairs(connection, plan, schema)
    return plan


def _go_online(plan: MigrationPlan, existing: set[str]) -> None:
    """On PostgreSQL: indexes on tables that already exist are built concurrently after the
    commit, and foreign keys on them added ``NOT VALID`` and validated after the commit."""
    for step in list(plan.safe):
        op = step.operation
        if isinstance(op, ops.CreateIndexOp) and op.table_name in existing:
            step.operation = online_ddl.concurrently(op)
            step.after_commit = True
        elif isinstance(op, ops.CreateForeignKeyOp) and op.source_table in existing:
            step.operation = online_ddl.not_valid(op)
            name = str(op.constraint_name)
            plan.safe.append(Step(f"validate foreign key {name} on {op.source_table}",
                                  online_ddl.ValidateForeignKey(op.source_table, name),
                                  op.source_table, after_commit=True))


def _plan_repairs(connection: Connection, plan: MigrationPlan, schema: Schema) -> None:
    """Finish what an earlier migration left undone after its commit (PostgreSQL)."""
    for repair in online_ddl.pending_repairs(connection, schema.metadata):
        step = Step(repair.description, repair.operation, repair.table, after_commit=True)
        if repair.index is not None and repair.index.unique:
            duplicates = _duplicates(connection, repair.table,
                                     [c.name for c in repair.index.columns])
            if duplicates:
                step.loss = f"{duplicates} value(s) are repeated: make them unique first"
                plan.blocked.append(step)
                continue
        plan.safe.append(step)


def _apply(connection: Connection, steps: list[Step], batch: bool) -> None:
    """Run the steps that belong in the transaction: tables first, then the rest by table."""
    operations = Operations(MigrationContext.configure(connection))
    steps = [s for s in steps if not s.after_commit]
    by_table: dict[str | None, list[Step]] = {}
    for step in steps:
        by_table.setdefault(step.table, []).append(step)
    for step in steps:
        if isinstance(step.operation, ops.CreateTableOp | ops.RenameTableOp | ops.DropTableOp):
            with busy_table(step.table):
                operations.invoke(step.operation)
    dropped = {s.table for s in steps if isinstance(s.operation, ops.DropTableOp)}
    for table, table_steps in by_table.items():
        if table in dropped:
            continue  # its indexes went with it
        rest = [s.operation for s in table_steps if not isinstance(
            s.operation, ops.CreateTableOp | ops.RenameTableOp | ops.DropTableOp)]
        if not rest:
            continue
        with busy_table(table):
            if batch and table is not None:
                with operations.batch_alter_table(table) as batch_operations:
                    for operation in rest:
                        batch_operations.invoke(operation)
            else:
                for operation in rest:
                    operations.invoke(operation)


def apply_migration(connection: Connection, registry: Registry,
                    allow_destructive: bool = False, dry_run: bool = False,
                    guards: Sequence[MigrationGuard] = ()) -> MigrationPlan:
    """Bring the database behind ``connection`` in step with ``registry``; return what was done.

    Raises ``MigrationRefused`` (changing nothing, once the caller rolls back) when a step
    would lose data and ``allow_destructive`` is false, or cannot be applied to the data.
    Steps marked ``after_commit`` are left to ``finish_migration``, which the caller runs
    once its transaction has committed. Each of ``guards`` may refuse first, and follows
    the change after.
    """
    for guard in guards:
        guard.before(connection, registry)
    done = MigrationPlan()
    for _round in range(2):
        plan = plan_migration(connection, registry)
        if dry_run:
            plan = _whole_plan(connection, registry, plan)
        _refuse_losses(plan, allow_destructive)
        if dry_run:
            return plan
        if plan.renames:
            _apply(connection, plan.renames, connection.dialect.name == "sqlite")
            done.renames += plan.renames
            continue
        _apply(connection, plan.safe + plan.destructive, connection.dialect.name == "sqlite")
        done.safe += plan.safe
        done.destructive += plan.destructive
        break
    schema = build_schema(registry)
    _record_managed(connection, schema)
    ensure_indexes(connection, registry, schema)  # full-text search: new or changed indexes
    for guard in guards:
        guard.after(connection, registry)
    return done


def _refuse_losses(plan: MigrationPlan, allow_destructive: bool) -> None:
    if plan.blocked or (plan.destructive and not allow_destructive):
        reason = ("refused: these changes cannot be applied to the data present"
                  if plan.blocked else
                  "refused: these changes would lose data; run again with "
                  "--allow-destructive to confirm")
        raise MigrationRefused(plan, reason)


def _whole_plan(connection: Connection, registry: Registry, plan: MigrationPlan) -> MigrationPlan:
    """The dry run's plan: the renames and what would follow them, found by applying the
    renames in a savepoint that is rolled back (the comparison needs them in place)."""
    if not plan.renames:
        return plan
    savepoint = connection.begin_nested()
    try:
        _apply(connection, plan.renames, connection.dialect.name == "sqlite")
        rest = plan_migration(connection, registry)
    finally:
        savepoint.rollback()
    return MigrationPlan(renames=plan.renames + rest.renames, safe=rest.safe,
                         destructive=rest.destructive, blocked=rest.blocked)


def finish_migration(database: Database, plan: MigrationPlan) -> None:
    """Run the plan's ``after_commit`` steps (PostgreSQL: concurrent index builds, foreign key
    validation), each in autocommit mode; ``SchemaChangeUnfinished`` names those that failed,
    which the next migration finds and runs again."""
    online_ddl.run_deferred(database, [(s.description, s.operation) for s in plan.after_commit])


def migrate(database: Database, registry: Registry, allow_destructive: bool = False,
            dry_run: bool = False) -> MigrationPlan:
    """Migrate in one transaction of its own (see ``apply_migration``), waiting a bounded
    time for locks and trying again (``TableBusy`` if the tables stay busy); then finish."""
    plan = run_ddl(database, lambda connection: apply_migration(
        connection, registry, allow_destructive, dry_run, database.migration_guards))
    if not dry_run:
        finish_migration(database, plan)
    return plan
