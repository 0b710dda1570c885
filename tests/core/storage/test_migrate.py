"""Migrations through Alembic's comparison: additive changes applied, data kept, losses refused."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from core.metadata.registry import load_registry
from core.records.actor import SYSTEM
from core.storage.database import Database
from core.storage.migrate import MigrationRefused, migrate
from tests.conftest import Env, open_env

ROWS = 100_000


@pytest.fixture(autouse=True)
def _no_fixtures(packs_dir: Path) -> None:
    """These tests change entities; the demo fixtures would have to follow each change."""
    for path in (packs_dir / "testshop" / "fixtures").glob("*.yaml"):
        path.unlink()


def registry_of(packs_dir: Path):
    return load_registry(["testshop"], [packs_dir])


def edit(packs_dir: Path, entity: str, old: str, new: str) -> None:
    path = packs_dir / "testshop" / "entities" / f"{entity}.yaml"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def columns(database: Database, table: str) -> dict[str, sa.types.TypeEngine]:
    with database.read() as connection:
        return {c["name"]: c["type"] for c in sa.inspect(connection).get_columns(table)}


def fill_customers(env: Env, rows: int) -> None:
    table = env.schema.table("customer")
    now = dt.datetime(2026, 1, 1)
    with env.database.write() as connection:
        for start in range(0, rows, 10_000):
            connection.execute(table.insert(), [
                {"ref": f"CUS-{i:06d}", "company": f"Company {i}", "city": "Milano",
                 "created_at": now, "created_by": "t", "modified_at": now, "modified_by": "t",
                 "version": 1} for i in range(start, min(rows, start + 10_000))])


def count_rows(database: Database, table: str, where: str | None = None) -> int:
    t = sa.table(table)
    statement = sa.select(sa.func.count()).select_from(t)
    if where:
        statement = statement.where(sa.column(where).is_not(None))
    with database.read() as connection:
        return int(connection.execute(statement).scalar_one())


def test_first_migration_creates_tables_and_second_finds_nothing(shop: Env) -> None:
    tables = set(sa.inspect(shop.database.engine).get_table_names())
    assert {"testshop_customer", "testshop_sale", "testshop_sale_line",
            "testshop_sale_line_note", "officina_audit"} <= tables
    assert migrate(shop.database, shop.store.current().registry).empty


def test_links_are_foreign_keys_with_indexes_and_lines_have_parent_and_order(shop: Env) -> None:
    inspector = sa.inspect(shop.database.engine)
    sale_fks = inspector.get_foreign_keys("testshop_sale")
    assert [(fk["constrained_columns"], fk["referred_table"]) for fk in sale_fks] == [
        (["customer"], "testshop_customer")]
    assert sale_fks[0]["name"] == "fk_testshop_sale_customer_testshop_customer"
    assert "ix_testshop_sale_customer" in {i["name"] for i in inspector.get_indexes(
        "testshop_sale")}
    line_columns = {c["name"] for c in inspector.get_columns("testshop_sale_line")}
    assert {"parent_id", "idx", "product", "quantity"} <= line_columns
    table = shop.schema.table("sale")
    now = dt.datetime(2026, 1, 1)
    with pytest.raises(IntegrityError), shop.database.write() as connection:
        connection.execute(table.insert().values(
            ref="X", subject="x", customer=999, created_at=now, created_by="t",
            modified_at=now, modified_by="t", version=1))


def test_adding_a_field_to_a_populated_table_keeps_every_row(shop: Env, packs_dir: Path) -> None:
    fill_customers(shop, ROWS)
    edit(packs_dir, "customer", "  city: {type: string, length: 40}\n",
         "  city: {type: string, length: 40}\n  rating: {type: integer, index: true}\n")
    plan = migrate(shop.database, registry_of(packs_dir))
    assert [s.description for s in plan.safe] == [
        "add column testshop_customer.rating",
        "create index ix_testshop_customer_rating on testshop_customer"]
    assert count_rows(shop.database, "testshop_customer") == ROWS
    assert count_rows(shop.database, "testshop_customer", "company") == ROWS
    assert "rating" in columns(shop.database, "testshop_customer")
    assert migrate(shop.database, registry_of(packs_dir)).empty


def test_new_entity_new_index_and_wider_string(shop: Env, packs_dir: Path) -> None:
    (packs_dir / "testshop" / "entities" / "shelf.yaml").write_text(
        "name: shelf\nlabel: Shelf\nfields:\n  code: {type: string, length: 10}\n")
    edit(packs_dir, "customer", "company: {type: string, length: 60,",
         "company: {type: string, length: 120, index: true,")
    fill_customers(shop, 3)
    plan = migrate(shop.database, registry_of(packs_dir))
    done = [s.description for s in plan.safe]
    assert "create table testshop_shelf" in done
    assert "create index ix_testshop_customer_company on testshop_customer" in done
    assert any(d.startswith("change type of testshop_customer.company") for d in done)
    assert columns(shop.database, "testshop_customer")["company"].length == 120
    assert count_rows(shop.database, "testshop_customer") == 3
    assert migrate(shop.database, registry_of(packs_dir)).empty


def test_new_select_option_needs_no_ddl_and_is_accepted(shop: Env, packs_dir: Path) -> None:
    edit(packs_dir, "customer", "options: [retail, wholesale]", "options: [retail, wholesale, vip]")
    assert migrate(shop.database, registry_of(packs_dir)).empty
    shop.store._packs = None  # this process re-reads the pack, as a restart would
    shop.store._loaded = None
    created = shop.service.create(SYSTEM, "customer", {"company": "V", "kind": "vip"})
    assert created["kind"] == "vip"


def test_renamed_field_keeps_its_data(shop: Env, packs_dir: Path) -> None:
    fill_customers(shop, 5)
    edit(packs_dir, "customer", "  city: {type: string, length: 40}",
         "  town: {type: string, length: 40, renamed_from: city}")
    edit(packs_dir, "customer", "search_fields: [company, city]", "search_fields: [company, town]")
    edit(packs_dir, "customer", "columns: [company, city, kind]", "columns: [company, town, kind]")
    plan = migrate(shop.database, registry_of(packs_dir))
    assert [s.description for s in plan.renames] == [
        "column testshop_customer.city -> town"]
    assert not plan.destructive
    with shop.database.read() as connection:
        towns = connection.execute(sa.text("SELECT town FROM testshop_customer")).scalars().all()
    assert towns == ["Milano"] * 5
    assert migrate(shop.database, registry_of(packs_dir)).empty


def test_renamed_entity_keeps_its_rows(shop: Env, packs_dir: Path) -> None:
    shop.service.create(SYSTEM, "product", {"title": "Bolt", "price": "1.20"})
    path = packs_dir / "testshop" / "entities" / "product.yaml"
    path.write_text(path.read_text().replace("name: product\n",
                                             "name: article\nrenamed_from: product\n"))
    edit(packs_dir, "sale_line", "target: product", "target: article")
    edit(packs_dir, "sale_line", "  product:", "  article:")
    edit(packs_dir, "sale_line", "  article:", "  article: {type: link, target: article, "
         "required: true, renamed_from: product}\n  old_unused:")
    text = (packs_dir / "testshop" / "entities" / "sale_line.yaml").read_text()
    text = text.replace("  old_unused: {type: link, target: article, required: true}\n", "")
    (packs_dir / "testshop" / "entities" / "sale_line.yaml").write_text(text)
    plan = migrate(shop.database, registry_of(packs_dir))
    assert "table testshop_product -> testshop_article" in [s.description for s in plan.renames]
    with shop.database.read() as connection:
        titles = connection.execute(sa.text("SELECT title FROM testshop_article")).scalars().all()
    assert titles == ["Bolt"]
    assert migrate(shop.database, registry_of(packs_dir)).empty


def test_dropping_a_field_is_refused_with_what_would_be_lost(shop: Env, packs_dir: Path) -> None:
    fill_customers(shop, 7)
    edit(packs_dir, "customer", "  city: {type: string, length: 40}\n", "")
    edit(packs_dir, "customer", "search_fields: [company, city]", "search_fields: [company]")
    edit(packs_dir, "customer", "columns: [company, city, kind]", "columns: [company, kind]")
    with pytest.raises(MigrationRefused) as refused:
        migrate(shop.database, registry_of(packs_dir))
    assert "drop column testshop_customer.city: 7 value(s) would be lost" in str(refused.value)
    assert "--allow-destructive" in str(refused.value)
    assert "city" in columns(shop.database, "testshop_customer")
    migrate(shop.database, registry_of(packs_dir), allow_destructive=True)
    assert "city" not in columns(shop.database, "testshop_customer")
    assert count_rows(shop.database, "testshop_customer") == 7


def test_narrowing_a_string_is_refused_and_counts_long_values(shop: Env,
                                                             packs_dir: Path) -> None:
    fill_customers(shop, 4)  # "Company 0" .. "Company 3": 9 characters
    edit(packs_dir, "customer", "company: {type: string, length: 60,",
         "company: {type: string, length: 8,")
    with pytest.raises(MigrationRefused) as refused:
        migrate(shop.database, registry_of(packs_dir))
    assert ("narrows testshop_customer.company from 60 to 8 characters; 4 value(s) are longer "
            "and would be cut") in str(refused.value)
    assert columns(shop.database, "testshop_customer")["company"].length == 60


def test_making_a_field_unique_over_duplicates_is_refused(shop: Env, packs_dir: Path) -> None:
    fill_customers(shop, 3)  # all in Milano
    edit(packs_dir, "customer", "city: {type: string, length: 40}",
         "city: {type: string, length: 40, unique: true}")
    with pytest.raises(MigrationRefused) as refused:
        migrate(shop.database, registry_of(packs_dir))
    assert "1 value(s) are repeated: make them unique first" in str(refused.value)


def test_dry_run_changes_nothing(shop: Env, packs_dir: Path) -> None:
    edit(packs_dir, "customer", "  city: {type: string, length: 40}\n",
         "  city: {type: string, length: 40}\n  zone: {type: string, length: 10}\n")
    plan = migrate(shop.database, registry_of(packs_dir), dry_run=True)
    assert [s.description for s in plan.safe] == ["add column testshop_customer.zone"]
    assert "zone" not in columns(shop.database, "testshop_customer")


def test_dry_run_shows_what_follows_a_rename_and_changes_nothing(
        shop: Env, packs_dir: Path) -> None:
    fill_customers(shop, 3)
    edit(packs_dir, "customer", "  city: {type: string, length: 40}\n",
         "  town: {type: string, length: 40, renamed_from: city}\n"
         "  zone: {type: string, length: 10}\n")
    edit(packs_dir, "customer", "search_fields: [company, city]", "search_fields: [company, town]")
    edit(packs_dir, "customer", "columns: [company, city, kind]", "columns: [company, town, kind]")
    plan = migrate(shop.database, registry_of(packs_dir), dry_run=True)
    lines = plan.describe()
    assert lines[0] == "rename: column testshop_customer.city -> town"
    assert "apply: add column testshop_customer.zone" in lines[1:]
    after = columns(shop.database, "testshop_customer")
    assert "city" in after and "town" not in after and "zone" not in after
    assert count_rows(shop.database, "testshop_customer", where="city") == 3
    done = migrate(shop.database, registry_of(packs_dir))
    assert done.describe() == plan.describe()


def test_dry_run_refuses_a_loss_that_follows_a_rename(shop: Env, packs_dir: Path) -> None:
    fill_customers(shop, 4)
    edit(packs_dir, "customer", "  city: {type: string, length: 40}\n",
         "  town: {type: string, length: 3, renamed_from: city}\n")
    edit(packs_dir, "customer", "search_fields: [company, city]", "search_fields: [company, town]")
    edit(packs_dir, "customer", "columns: [company, city, kind]", "columns: [company, town, kind]")
    with pytest.raises(MigrationRefused) as refused:
        migrate(shop.database, registry_of(packs_dir), dry_run=True)
    lines = refused.value.plan.describe()
    assert lines[0] == "rename: column testshop_customer.city -> town"
    assert [line for line in lines[1:] if "testshop_customer.town" in line
            and ("DESTRUCTIVE" in line or "REFUSED" in line)], lines
    assert "city" in columns(shop.database, "testshop_customer")


def test_migrating_a_fresh_database_twice_in_other_processes_is_idempotent(
        database_url: str, packs_dir: Path) -> None:
    first = open_env(database_url, ["testshop"], [packs_dir])
    second = open_env(database_url, ["testshop"], [packs_dir])
    assert migrate(second.database, second.store.current().registry).empty
    first.database.dispose()
    second.database.dispose()


def test_composite_indexes_declared_in_metadata(shop: Env, packs_dir: Path) -> None:
    path = packs_dir / "testshop" / "entities" / "customer.yaml"
    path.write_text(path.read_text() + "indexes:\n  - [city, kind, company]\n")
    plan = migrate(shop.database, registry_of(packs_dir))
    assert [s.description for s in plan.safe] == [
        "create index ix_testshop_customer_city_kind_company on testshop_customer"]
    indexes = {i["name"]: i["column_names"] for i in sa.inspect(shop.database.engine)
               .get_indexes("testshop_customer")}
    assert indexes["ix_testshop_customer_city_kind_company"] == ["city", "kind", "company"]
    assert migrate(shop.database, registry_of(packs_dir)).empty
