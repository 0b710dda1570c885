"""Schema changes on a live PostgreSQL table: bounded lock waits, concurrent indexes,
foreign keys validated after the commit, unfinished work repaired; a unique field added to a
table with rows on both backends."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from core.config import Settings
from core.metadata.loader import BUILTIN_PACKS
from core.metadata.registry import load_registry
from core.officina import Officina
from core.records.actor import SYSTEM
from core.records.errors import RecordValidationError
from core.storage.database import Database
from core.storage.ddl_locks import TableBusy, run_ddl
from core.storage.lock_settings import MigrationLocks
from core.storage.migrate import apply_migration, migrate
from core.storage.online_ddl import SchemaChangeUnfinished
from core.ui.app import create_app
from core.users import create_user
from tests.conftest import Env, open_env
from tests.support.cli import officina
from tests.support.pg_server import PostgresServer
from tests.support.users import FAST_HASHING
from tests.ui.conftest import csrf_token, sign_in

CUSTOMERS = 2_000
QUICK_LOCKS = MigrationLocks(lock_timeout=0.2, lock_attempts=2, retry_pause=0.05)


@pytest.fixture(autouse=True)
def _no_fixtures(packs_dir: Path) -> None:
    """These tests change entities; the demo fixtures would have to follow each change."""
    for path in (packs_dir / "testshop" / "fixtures").glob("*.yaml"):
        path.unlink()


@pytest.fixture
def pg_shop(postgres_server: PostgresServer, packs_dir: Path,
            request: pytest.FixtureRequest) -> Iterator[Env]:
    """The test shop on PostgreSQL with customers in it, migrations waiting 0.2 s per lock."""
    url = postgres_server.create_database(f"live_{request.node.name[:40].lower()}")
    env = open_env(url, ["testshop"], [packs_dir])
    env.database.locks = QUICK_LOCKS
    fill_customers(env, CUSTOMERS)
    yield env
    env.database.dispose()


def fill_customers(env: Env, rows: int) -> None:
    table = env.schema.table("customer")
    now = dt.datetime(2026, 1, 1)
    with env.database.write() as connection:
        connection.execute(table.insert(), [
            {"ref": f"CUS-{i:06d}", "company": f"Company {i}", "city": "Milano",
             "created_at": now, "created_by": "t", "modified_at": now, "modified_by": "t",
             "version": 1} for i in range(rows)])


def add_fields(packs_dir: Path, entity: str, lines: str):
    """Add field lines after ``city`` (customer) or ``subject`` (sale); the new registry."""
    path = packs_dir / "testshop" / "entities" / f"{entity}.yaml"
    text = path.read_text()
    anchor = next(line for line in text.splitlines(keepends=True)
                  if line.startswith(("  city:", "  subject:")))
    path.write_text(text.replace(anchor, anchor + lines))
    return load_registry(["testshop"], [packs_dir])


def columns(database: Database, table: str) -> set[str]:
    with database.read() as connection:
        return {c["name"] for c in sa.inspect(connection).get_columns(table)}


def index_valid(database: Database, name: str) -> bool | None:
    """pg_index.indisvalid of index ``name`` (None when there is no such index)."""
    with database.read() as connection:
        return connection.execute(sa.text(
            "SELECT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "WHERE c.relname = :name"), {"name": name}).scalar()


def constraint_validated(database: Database, name: str) -> bool | None:
    with database.read() as connection:
        return connection.execute(sa.text(
            "SELECT convalidated FROM pg_constraint WHERE conname = :name"),
            {"name": name}).scalar()


def relfilenode(database: Database, table: str) -> int:
    """The table's storage file: a rewrite (ALTER TABLE … with a volatile default) changes it."""
    with database.read() as connection:
        return int(connection.execute(sa.text(
            "SELECT relfilenode FROM pg_class WHERE relname = :t"), {"t": table}).scalar_one())


class Statements:
    """Every statement the database's engine sends, with whether it ran in autocommit."""

    def __init__(self, database: Database):
        self.sent: list[tuple[str, bool]] = []
        self.engine = database.engine
        sa.event.listen(self.engine, "before_cursor_execute", self._record)

    def _record(self, connection, _cursor, statement, _params, _context, _many) -> None:
        autocommit = connection.get_execution_options().get("isolation_level") == "AUTOCOMMIT"
        self.sent.append((" ".join(statement.split()), autocommit))

    def starting(self, prefix: str) -> list[tuple[str, bool]]:
        return [(s, a) for s, a in self.sent if s.startswith(prefix)]

    def close(self) -> None:
        sa.event.remove(self.engine, "before_cursor_execute", self._record)


@pytest.fixture
def report(pg_shop: Env) -> Iterator[sa.Connection]:
    """A long report: a transaction that has read the customers and is still open, holding
    ACCESS SHARE on their table."""
    connection = pg_shop.database.engine.connect()
    connection.begin()
    connection.execute(sa.text("SELECT count(*) FROM testshop_customer")).scalar()
    yield connection
    connection.close()


def test_a_busy_table_gives_a_clear_error_changes_nothing_and_works_once_free(
        pg_shop: Env, packs_dir: Path, report: sa.Connection) -> None:
    registry = add_fields(packs_dir, "customer",
                          "  buyer: {type: link, target: product}\n")
    with pytest.raises(TableBusy) as busy:
        migrate(pg_shop.database, registry)
    assert busy.value.table == "testshop_customer"
    assert busy.value.attempts == 2
    assert str(busy.value) == (
        "The table testshop_customer is busy (a long report or transaction holds it): the "
        "change was not applied (2 attempt(s)). Try again when it has finished.")
    assert "è occupata" in busy.value.message("it")
    assert "buyer" not in columns(pg_shop.database, "testshop_customer")
    assert index_valid(pg_shop.database, "ix_testshop_customer_buyer") is None
    assert constraint_validated(pg_shop.database,
                                "fk_testshop_customer_buyer_testshop_product") is None
    report.rollback()  # the report ends
    plan = migrate(pg_shop.database, registry)
    assert "add column testshop_customer.buyer" in [s.description for s in plan.safe]
    assert "buyer" in columns(pg_shop.database, "testshop_customer")
    assert migrate(pg_shop.database, registry).empty


def test_each_attempt_waits_for_the_lock_then_pauses_longer(pg_shop: Env, packs_dir: Path,
                                                            report: sa.Connection) -> None:
    pg_shop.database.locks = MigrationLocks(lock_timeout=0.1, lock_attempts=3, retry_pause=0.25)
    registry = add_fields(packs_dir, "customer", "  rating: {type: integer}\n")
    pauses: list[float] = []
    with pytest.raises(TableBusy) as busy:
        run_ddl(pg_shop.database, lambda c: apply_migration(c, registry), sleep=pauses.append)
    assert busy.value.attempts == 3
    assert pauses == [0.25, 0.5]


def test_a_customisation_on_a_busy_table_is_not_saved(pg_shop: Env,
                                                      report: sa.Connection) -> None:
    body = "custom_fields:\n  x_zone: {type: string, length: 10, index: true}\n"
    with pytest.raises(TableBusy):
        pg_shop.store.save_overlay("admin", "customer", body)
    with pg_shop.database.read() as connection:
        assert pg_shop.store.overlays(connection) == {}
        assert pg_shop.store.stored_version(connection) == 0
    assert "x_zone" not in columns(pg_shop.database, "testshop_customer")
    report.rollback()
    loaded, _plan = pg_shop.store.save_overlay("admin", "customer", body)
    assert loaded.registry.version == 1
    assert index_valid(pg_shop.database, "ix_testshop_customer_x_zone") is True


def test_a_field_added_on_the_admin_page_of_a_busy_table_is_refused_with_the_message(
        pg_shop: Env, postgres_server: PostgresServer, packs_dir: Path, tmp_path: Path,
        report: sa.Connection) -> None:
    with pg_shop.database.write() as connection:
        create_user(connection, "anna", "Anna-pw-1", roles=("admin",), language="it",
                    hashing=FAST_HASHING)
    settings = Settings(instance=tmp_path, database_url=pg_shop.database.url,
                        packs=("testshop",), pack_paths=(packs_dir, BUILTIN_PACKS),
                        registry_check_interval=0, passwords=FAST_HASHING)
    app = create_app(settings, {"TESTING": True}, Officina.open(settings, registry=pg_shop.store))
    anna = sign_in(app.test_client(), "anna", "Anna-pw-1")
    form = {"action": "add_field", "name": "x_zone", "type": "string", "label": "Zone",
            "csrf_token": csrf_token(anna, "/admin/customize/customer")}
    refused = anna.post("/admin/customize/customer", data=form)
    assert refused.status_code == 400
    assert ("La tabella testshop_customer è occupata (un report o una transazione lunga la "
            "sta usando)") in refused.get_data(as_text=True)
    assert "Traceback" not in refused.get_data(as_text=True)
    with pg_shop.database.read() as connection:
        assert pg_shop.store.overlays(connection) == {}
    assert "x_zone" not in columns(pg_shop.database, "testshop_customer")
    report.rollback()
    assert anna.post("/admin/customize/customer", data=form).status_code == 302
    assert "x_zone" in columns(pg_shop.database, "testshop_customer")


def test_migrate_on_a_busy_table_prints_the_message_without_traceback(
        tmp_path: Path, packs_dir: Path, postgres_server: PostgresServer) -> None:
    url = postgres_server.create_database("live_cli")
    folder = tmp_path / "instance"
    folder.mkdir()
    (folder / "officina.toml").write_text(
        f'database_url = "{url}"\npacks = ["testshop"]\n[migrations]\n'
        "lock_timeout = 0.2\nlock_attempts = 2\nretry_pause = 0.05\n")
    env = {"OFFICINA_INSTANCE": str(folder), "OFFICINA_PACK_PATHS": str(packs_dir)}
    officina("init", "--admin-password", "s3cret-Admin", env=env)
    add_fields(packs_dir, "customer", "  rating: {type: integer, index: true}\n")
    engine = sa.create_engine(url)
    try:
        with engine.connect() as holder:
            holder.execute(sa.text("LOCK TABLE testshop_customer IN ACCESS SHARE MODE"))
            refused = officina("migrate", env=env, check=False)
            holder.rollback()
        assert refused.returncode == 1
        assert refused.stderr.strip() == (
            "The table testshop_customer is busy (a long report or transaction holds it): "
            "the change was not applied (2 attempt(s)). Try again when it has finished.")
        done = officina("migrate", env=env).stdout
        assert "apply: create index ix_testshop_customer_rating on testshop_customer " \
               "(after the commit)" in done
    finally:
        engine.dispose()


def test_an_index_on_a_live_table_is_built_concurrently_and_is_valid(pg_shop: Env,
                                                                    packs_dir: Path) -> None:
    registry = add_fields(packs_dir, "customer", "  rating: {type: integer, index: true}\n")
    sent = Statements(pg_shop.database)
    try:
        plan = migrate(pg_shop.database, registry)
    finally:
        sent.close()
    assert [s.description for s in plan.after_commit] == [
        "create index ix_testshop_customer_rating on testshop_customer"]
    assert sent.starting("CREATE INDEX") == [
        ("CREATE INDEX CONCURRENTLY ix_testshop_customer_rating ON testshop_customer (rating)",
         True)]
    assert index_valid(pg_shop.database, "ix_testshop_customer_rating") is True
    assert migrate(pg_shop.database, registry).empty


def test_a_link_field_adds_its_key_not_valid_then_validates_it_without_a_rewrite(
        pg_shop: Env, packs_dir: Path) -> None:
    registry = add_fields(packs_dir, "customer", "  buyer: {type: link, target: product}\n")
    storage = relfilenode(pg_shop.database, "testshop_customer")
    sent = Statements(pg_shop.database)
    try:
        migrate(pg_shop.database, registry)
    finally:
        sent.close()
    name = "fk_testshop_customer_buyer_testshop_product"
    assert sent.starting("ALTER TABLE testshop_customer ADD CONSTRAINT") == [
        (f"ALTER TABLE testshop_customer ADD CONSTRAINT {name} FOREIGN KEY(buyer) REFERENCES "
         "testshop_product (id) NOT VALID", False)]
    assert sent.starting("ALTER TABLE testshop_customer VALIDATE") == [
        (f"ALTER TABLE testshop_customer VALIDATE CONSTRAINT {name}", True)]
    assert constraint_validated(pg_shop.database, name) is True
    assert index_valid(pg_shop.database, "ix_testshop_customer_buyer") is True
    assert relfilenode(pg_shop.database, "testshop_customer") == storage  # no rewrite
    with pytest.raises(IntegrityError), pg_shop.database.write() as connection:
        connection.execute(sa.text("UPDATE testshop_customer SET buyer = 999 WHERE id = 1"))


def test_an_interrupted_concurrent_build_is_repaired_by_the_next_migration(
        pg_shop: Env, packs_dir: Path) -> None:
    registry = add_fields(packs_dir, "customer", "  rating: {type: integer, index: true}\n")
    # An open repeatable-read transaction elsewhere: the concurrent build waits for it to end.
    old_snapshot = pg_shop.database.engine.connect().execution_options(
        isolation_level="REPEATABLE READ")
    old_snapshot.begin()
    old_snapshot.execute(sa.text("SELECT count(*) FROM testshop_product")).scalar()
    outcome: list[BaseException] = []

    def run() -> None:
        try:
            migrate(pg_shop.database, registry)
        except BaseException as exc:  # handed to the test's thread
            outcome.append(exc)

    migration = threading.Thread(target=run)
    migration.start()
    try:
        with pg_shop.database.engine.connect() as admin:
            pid = None
            for _ in range(200):  # the build starts, then waits for the old transaction
                pid = admin.execute(sa.text(
                    "SELECT pid FROM pg_stat_activity WHERE query LIKE 'CREATE INDEX "
                    "CONCURRENTLY%' AND wait_event_type = 'Lock'")).scalar()
                admin.rollback()
                if pid or not migration.is_alive():
                    break
                time.sleep(0.05)
            assert pid, "the concurrent build never waited"
            admin.execute(sa.select(sa.func.pg_cancel_backend(pid)))  # as Ctrl-C would
            admin.commit()
        migration.join(30)
    finally:
        old_snapshot.close()
    assert len(outcome) == 1 and isinstance(outcome[0], SchemaChangeUnfinished)
    assert "create index ix_testshop_customer_rating on testshop_customer" in str(outcome[0])
    assert "officina migrate" in str(outcome[0])
    assert "rating" in columns(pg_shop.database, "testshop_customer")  # the commit stands
    assert index_valid(pg_shop.database, "ix_testshop_customer_rating") is False
    plan = migrate(pg_shop.database, registry)
    assert [s.description for s in plan.safe] == [
        "rebuild invalid index ix_testshop_customer_rating on testshop_customer"]
    assert index_valid(pg_shop.database, "ix_testshop_customer_rating") is True
    assert migrate(pg_shop.database, registry).empty


def test_a_key_left_not_valid_is_validated_by_the_next_migration(pg_shop: Env,
                                                                 packs_dir: Path) -> None:
    name = "fk_testshop_customer_buyer_testshop_product"
    registry = add_fields(packs_dir, "customer", "  buyer: {type: link, target: product}\n")
    with pg_shop.database.migrating() as connection:  # a migration cut off after its commit
        apply_migration(connection, registry)
    assert constraint_validated(pg_shop.database, name) is False
    plan = migrate(pg_shop.database, registry)
    assert [s.description for s in plan.safe] == [
        "create index ix_testshop_customer_buyer on testshop_customer",
        f"validate foreign key {name} on testshop_customer"]
    assert constraint_validated(pg_shop.database, name) is True


def test_a_unique_field_can_be_added_to_a_table_with_rows(shop: Env, packs_dir: Path) -> None:
    fill_customers(shop, 50)
    registry = add_fields(packs_dir, "customer", "  code: {type: string, length: 10, "
                                                 "unique: true}\n")
    plan = migrate(shop.database, registry)
    assert "create unique index ix_testshop_customer_code on testshop_customer" in [
        s.description for s in plan.safe]
    assert not plan.blocked
    assert "code" in columns(shop.database, "testshop_customer")
    shop.store._packs = None  # this process re-reads the pack, as a restart would
    shop.store._loaded = None
    shop.service.create(SYSTEM, "customer", {"company": "A", "code": "K1"})
    with pytest.raises(RecordValidationError) as taken:
        shop.service.create(SYSTEM, "customer", {"company": "B", "code": "K1"})
    assert "code" in taken.value.field_errors
    with pytest.raises(IntegrityError), shop.database.write() as connection:
        connection.execute(sa.text("UPDATE testshop_customer SET code = 'K1' "
                                   "WHERE company = 'Company 7'"))
    assert migrate(shop.database, registry).empty


def test_lock_settings_are_read_and_checked() -> None:
    assert MigrationLocks.from_dict({"lock_timeout": 2, "lock_attempts": 3}) == MigrationLocks(
        lock_timeout=2.0, lock_attempts=3, retry_pause=1.0)
    with pytest.raises(ValueError, match="unknown key"):
        MigrationLocks.from_dict({"timeout": 2})
    with pytest.raises(ValueError, match="lock_timeout must be more than 0"):
        MigrationLocks.from_dict({"lock_timeout": 0})
    with pytest.raises(ValueError, match="lock_attempts must be a number"):
        MigrationLocks.from_dict({"lock_attempts": "5"})
    assert MigrationLocks(lock_timeout=0.5, lock_attempts=3, retry_pause=1.0).total_wait == 4.5
