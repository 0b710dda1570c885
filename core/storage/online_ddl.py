"""Schema changes on PostgreSQL that keep a live table readable and writable.

In the migration's transaction a foreign key on an existing table is added ``NOT VALID``
(checked for new rows only, no scan under the exclusive lock). After that transaction commits,
on a connection of its own in autocommit mode (``CREATE INDEX CONCURRENTLY`` cannot run in a
transaction), indexes on existing tables are built ``CONCURRENTLY`` and the foreign keys
validated (``VALIDATE CONSTRAINT`` takes a ``SHARE UPDATE EXCLUSIVE`` lock, which neither
readers nor writers wait for). A build that fails or is interrupted leaves an invalid index,
and a constraint not validated stays ``NOT VALID``: the next migration finds both and finishes
the work (``pending_repairs``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from alembic.migration import MigrationContext
from alembic.operations import Operations, ops
from sqlalchemy.dialects.postgresql import pg_catalog as pg
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.schema import ExecutableDDLElement

from core.i18n import Translator, _

if TYPE_CHECKING:
    from core.storage.database import Database


class ValidateConstraint(ExecutableDDLElement):
    """``ALTER TABLE … VALIDATE CONSTRAINT …`` (PostgreSQL), which SQLAlchemy does not have."""

    def __init__(self, table: str, constraint: str):
        self.table = table
        self.constraint = constraint


@compiles(ValidateConstraint, "postgresql")
def _compile_validate(element: ValidateConstraint, compiler: Any, **_kw: Any) -> str:
    quote = compiler.preparer.quote
    return f"ALTER TABLE {quote(element.table)} VALIDATE CONSTRAINT {quote(element.constraint)}"


@dataclass
class BuildIndex:
    """Build an index ``CONCURRENTLY``, first dropping an invalid one of the same name."""

    index: ops.CreateIndexOp
    replace_invalid: bool = False

    def run(self, connection: Connection, operations: Operations) -> None:
        if self.replace_invalid:
            operations.invoke(ops.DropIndexOp(self.index.index_name, self.index.table_name,
                                              if_exists=True, postgresql_concurrently=True))
        operations.invoke(self.index)


@dataclass
class ValidateForeignKey:
    """Check the rows a ``NOT VALID`` foreign key has not checked yet."""

    table: str
    constraint: str

    def run(self, connection: Connection, operations: Operations) -> None:
        connection.execute(ValidateConstraint(self.table, self.constraint))


DeferredOperation = BuildIndex | ValidateForeignKey


def concurrently(operation: ops.CreateIndexOp, replace_invalid: bool = False) -> BuildIndex:
    """``operation`` built ``CONCURRENTLY``, after the migration's transaction."""
    kw = {**operation.kw, "postgresql_concurrently": True}
    return BuildIndex(ops.CreateIndexOp(operation.index_name, operation.table_name,
                                        operation.columns, schema=operation.schema,
                                        unique=operation.unique, **kw), replace_invalid)


def not_valid(operation: ops.CreateForeignKeyOp) -> ops.CreateForeignKeyOp:
    """``operation`` added ``NOT VALID``: enforced for new rows, existing rows checked later."""
    kw = {**operation.kw, "postgresql_not_valid": True}
    return ops.CreateForeignKeyOp(operation.constraint_name, operation.source_table,
                                  operation.referent_table, operation.local_cols,
                                  operation.remote_cols, **kw)


@dataclass(frozen=True)
class Repair:
    """Work an earlier migration left unfinished: an invalid index or an unchecked key."""

    table: str
    name: str
    operation: DeferredOperation
    index: sa.Index | None = None

    @property
    def description(self) -> str:
        if isinstance(self.operation, BuildIndex):
            return f"rebuild invalid index {self.name} on {self.table}"
        return f"validate foreign key {self.name} on {self.table}"


def pending_repairs(connection: Connection, metadata: sa.MetaData) -> list[Repair]:
    """Indexes left invalid and foreign keys left ``NOT VALID`` among ``metadata``'s tables."""
    indexes = {index.name: index for table in metadata.tables.values()
               for index in table.indexes if index.name}
    foreign_keys = {str(fk.name): table.name for table in metadata.tables.values()
                    for fk in table.foreign_key_constraints if fk.name}
    repairs: list[Repair] = []
    invalid = connection.execute(
        sa.select(pg.pg_class.c.relname)
        .select_from(pg.pg_index.join(pg.pg_class, pg.pg_class.c.oid == pg.pg_index.c.indexrelid))
        .where(sa.not_(pg.pg_index.c.indisvalid), pg.pg_table_is_visible(pg.pg_class.c.oid),
               pg.pg_class.c.relname.in_(sorted(indexes)))
        .order_by(pg.pg_class.c.relname)).scalars()
    for name in invalid:
        index = indexes[name]
        table = index.table
        assert table is not None
        operation = ops.CreateIndexOp.from_index(index)
        repairs.append(Repair(table.name, name, concurrently(operation, replace_invalid=True),
                              index))
    unchecked = connection.execute(
        sa.select(pg.pg_constraint.c.conname)
        .where(pg.pg_constraint.c.contype == "f", sa.not_(pg.pg_constraint.c.convalidated),
               pg.pg_table_is_visible(pg.pg_constraint.c.conrelid),
               pg.pg_constraint.c.conname.in_(sorted(foreign_keys)))
        .order_by(pg.pg_constraint.c.conname)).scalars()
    for name in unchecked:
        repairs.append(Repair(foreign_keys[name], name,
                              ValidateForeignKey(foreign_keys[name], name)))
    return repairs


@dataclass(frozen=True)
class Unfinished:
    """A step after the commit that failed, and why."""

    description: str
    error: str


class SchemaChangeUnfinished(Exception):
    """The migration was applied, but building an index or checking a key did not finish."""

    def __init__(self, failures: Sequence[Unfinished]):
        self.failures = list(failures)
        super().__init__(self.message())

    def message(self, language: str = "en") -> str:
        """What is left to do, in ``language``."""
        t = Translator(language)
        lines = [t.gettext(_("The change was applied, but {count} step(s) after it did not "
                             "finish; readers and writers are not affected. Run "
                             "\"officina migrate\" again to finish them:"),
                           count=len(self.failures))]
        lines += [f"  {failure.description}: {failure.error}" for failure in self.failures]
        return "\n".join(lines)


def run_deferred(database: Database, steps: Sequence[tuple[str, DeferredOperation]]) -> None:
    """Run ``(description, operation)`` steps one by one in autocommit mode, after the
    migration's transaction committed; ``SchemaChangeUnfinished`` lists those that failed."""
    if not steps:
        return
    failures: list[Unfinished] = []
    with database.engine.connect() as plain:
        connection = plain.execution_options(isolation_level="AUTOCOMMIT")
        operations = Operations(MigrationContext.configure(connection))
        for description, operation in steps:
            try:
                operation.run(connection, operations)
            except DBAPIError as exc:
                failures.append(Unfinished(description, str(exc.orig).strip().splitlines()[0]))
    if failures:
        raise SchemaChangeUnfinished(failures)
