"""The ``officina`` command as scripts and integrators use it: JSON in and out, clear errors."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

from tests.support.cli import new_instance, officina
from tests.support.packs import write_pack


@pytest.fixture
def instance(tmp_path: Path, packs_dir: Path) -> dict[str, str]:
    """An initialised instance running the test shop pack."""
    return new_instance(tmp_path, packs_dir, "testshop")


def test_help_lists_every_command() -> None:
    out = officina("--help").stdout
    for command in ("init", "pack", "migrate", "records", "demo", "run", "customize", "user",
                    "files"):
        assert f"  {command}" in out
    assert "list" in officina("records", "--help").stdout


def test_pack_validate_prints_file_line_errors_and_fails(tmp_path: Path) -> None:
    write_pack(tmp_path, "broken", {"entities/a.yaml": """
        name: thing
        label: Thing
        fields:
          owner: {type: link, target: person}
          size: {type: huge}
        """})
    result = officina("pack", "validate", str(tmp_path / "broken"), check=False)
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert any(line.endswith("broken/entities/a.yaml:5: fields.size.type: 'huge' is not one of "
                             "['attachment', 'boolean', 'date', 'datetime', 'decimal', "
                             "'duration', 'email', 'image', 'integer', 'link', 'money', "
                             "'multiselect', 'phone', 'select', 'string', 'table', 'text', "
                             "'url']") for line in lines), lines
    assert lines[-1] == "1 error(s)."


def test_pack_validate_accepts_the_shipped_packs(packs_dir: Path) -> None:
    assert "OK: service" in officina("pack", "validate", "packs/service").stdout
    assert "OK: testshop" in officina("pack", "validate", str(packs_dir / "testshop")).stdout


def test_records_round_trip_as_json(instance: dict[str, str]) -> None:
    created = json.loads(officina("records", "create", "customer",
                                  '{"company": "ACME", "city": "Milano"}', env=instance).stdout)
    assert created["ref"] == "CUS-00001" and created["created_by"] == "system"
    product = json.loads(officina("records", "create", "product", "-", env=instance,
                                  stdin='{"title": "Bolt", "price": "1.5"}').stdout)
    sale = json.loads(officina("records", "create", "sale", env=instance, stdin=json.dumps({
        "subject": "Order", "customer": "CUS-00001",
        "lines": [{"product": product["ref"], "quantity": 2, "unit_price": "1.5"}]})).stdout)
    assert sale["total"] == "3.00" and sale["lines"][0]["amount"] == "3.00"
    assert sale["_titles"]["customer"] == "ACME"
    got = json.loads(officina("records", "get", "customer", "CUS-00001", env=instance).stdout)
    assert got["company"] == "ACME"
    updated = json.loads(officina("records", "update", "customer", "CUS-00001",
                                  '{"city": "Roma", "version": 1}', env=instance).stdout)
    assert (updated["city"], updated["version"]) == ("Roma", 2)
    listed = json.loads(officina("records", "list", "customer", "--filter",
                                 '[["city", "=", "Roma"]]', "--fields", "company",
                                 env=instance).stdout)
    assert listed["total"] == 1 and listed["rows"][0]["company"] == "ACME"
    stale = officina("records", "update", "customer", "1", '{"city": "X", "version": 1}',
                     env=instance, check=False)
    assert stale.returncode == 1 and "was changed by system since you opened it" in stale.stderr
    in_use = officina("records", "delete", "customer", "CUS-00001", env=instance, check=False)
    assert in_use.returncode == 1 and "still used by 1 sales" in in_use.stderr
    officina("records", "delete", "sale", sale["ref"], env=instance)
    officina("records", "delete", "customer", "CUS-00001", env=instance)
    missing = officina("records", "get", "customer", "CUS-00001", env=instance, check=False)
    assert missing.returncode == 1 and 'No customer "CUS-00001" exists.' in missing.stderr


def test_bad_input_gets_a_clear_message_and_changes_nothing(instance: dict[str, str]) -> None:
    bad_json = officina("records", "create", "customer", "{company: 1}", env=instance,
                        check=False)
    assert bad_json.returncode == 2 and "DATA is not valid JSON" in bad_json.stderr
    invalid = officina("records", "create", "customer", '{"kind": "vip"}', env=instance,
                       check=False)
    assert invalid.returncode == 1
    assert "company: A value is required." in invalid.stderr
    assert "kind: Must be one of: retail, wholesale." in invalid.stderr
    bad_filter = officina("records", "list", "customer", "--filter", '[["colour", "=", 1]]',
                          env=instance, check=False)
    assert bad_filter.returncode == 1 and 'unknown field "colour"' in bad_filter.stderr
    listed = json.loads(officina("records", "list", "customer", env=instance).stdout)
    assert listed["total"] == 0


def test_acting_as_a_user_applies_their_permissions(instance: dict[str, str]) -> None:
    officina("user", "add", "vera", "--role", "viewer", "--password", "pw-Vera-1",
             env=instance)
    denied = officina("records", "create", "customer", '{"company": "X"}', "--as", "vera",
                      env=instance, check=False)
    assert denied.returncode == 1 and "You may not create customers." in denied.stderr
    assert json.loads(officina("records", "list", "customer", "--as", "vera",
                               env=instance).stdout)["total"] == 0


def test_demo_loads_once(instance: dict[str, str]) -> None:
    first = officina("demo", env=instance).stdout
    assert "loaded" in first and "10-demo.yaml" in first
    assert "already loaded" in officina("demo", env=instance).stdout
    sales = json.loads(officina("records", "list", "sale", env=instance).stdout)
    assert sales["total"] == 1 and sales["rows"][0]["total"] == "5.00"


def test_init_generates_a_password_when_none_is_given(tmp_path: Path) -> None:
    env = {"OFFICINA_INSTANCE": str(tmp_path / "fresh")}
    out = officina("init", env={**env, "OFFICINA_ADMIN_PASSWORD": ""}).stdout
    assert "Administrator 'admin' created. Password: " in out
    assert "already exists" in officina("init", env=env).stdout


def test_init_sets_the_base_url_mailed_links_use(tmp_path: Path) -> None:
    folder = tmp_path / "fresh"
    env = {"OFFICINA_INSTANCE": str(folder), "OFFICINA_ADMIN_PASSWORD": "s3cret-Admin"}
    refused = officina("init", "--base-url", "crm.example.com", env=env, check=False)
    assert refused.returncode == 1 and not folder.joinpath("officina.toml").exists()
    assert "--base-url 'crm.example.com' is not an http(s) address" in refused.stderr
    officina("init", "--base-url", "https://crm.example.com/officina", env=env)
    with (folder / "officina.toml").open("rb") as handle:
        assert tomllib.load(handle)["web"] == {"base_url": "https://crm.example.com/officina"}


def test_migrate_refuses_destructive_changes_until_confirmed(instance: dict[str, str],
                                                             packs_dir: Path) -> None:
    officina("records", "create", "product", '{"title": "Bolt", "price": "2"}', env=instance)
    path = packs_dir / "testshop" / "entities" / "product.yaml"
    path.write_text(path.read_text().replace("  price: {type: money, min: 0}\n", ""))
    (packs_dir / "testshop" / "fixtures" / "10-demo.yaml").unlink()
    refused = officina("migrate", env=instance, check=False)
    assert refused.returncode == 1
    assert "drop column testshop_product.price: 1 value(s) would be lost" in refused.stderr
    assert "drop column" in officina("migrate", "--dry-run", "--allow-destructive",
                                     env=instance).stdout
    officina("migrate", "--allow-destructive", env=instance)
    assert "up to date" in officina("migrate", env=instance).stdout


def test_customize_adds_a_field_from_the_command_line(instance: dict[str, str],
                                                      tmp_path: Path) -> None:
    overlay = tmp_path / "customer.yaml"
    overlay.write_text("custom_fields:\n  x_rating: {type: integer, min: 1, max: 5}\n")
    assert "registry version 1" in officina("customize", "set", "customer", str(overlay),
                                            env=instance).stdout
    created = json.loads(officina("records", "create", "customer",
                                  '{"company": "A", "x_rating": 4}', env=instance).stdout)
    assert created["x_rating"] == 4
    overlay.write_text("custom_fields:\n  rating: {type: integer}\n")
    refused = officina("customize", "set", "customer", str(overlay), env=instance, check=False)
    assert refused.returncode == 1 and "'rating' is not a valid name" in refused.stderr


def test_database_url_from_the_environment(instance: dict[str, str], postgres_server,
                                           packs_dir: Path) -> None:
    url = postgres_server.create_database("cli_env")
    env = {**instance, "OFFICINA_DATABASE_URL": url}
    officina("init", "--admin-password", "pw", env=env)
    officina("records", "create", "customer", '{"company": "On PostgreSQL"}', env=env)
    listed = json.loads(officina("records", "list", "customer", env=env).stdout)
    assert [r["company"] for r in listed["rows"]] == ["On PostgreSQL"]
    sqlite_side = json.loads(officina("records", "list", "customer", env=instance).stdout)
    assert sqlite_side["total"] == 0


def test_report_run_prints_groups_and_totals(instance: dict[str, str]) -> None:
    officina("demo", env=instance)
    result = json.loads(officina("report", "run", "sales_by_status", env=instance).stdout)
    assert result["rows"][0]["status"] == "draft"
    assert result["totals"]["Count"] == 1
    unknown = officina("report", "run", "nothing", env=instance, check=False)
    assert unknown.returncode == 1 and "Unknown report 'nothing'" in unknown.stderr


def test_run_refuses_a_session_timeout_that_is_not_a_positive_number(tmp_path: Path) -> None:
    config = tmp_path / "officina.toml"
    config.write_text('packs = ["testshop"]\n[web]\nsession_idle_minutes = 0\n')
    result = officina("run", env={"OFFICINA_INSTANCE": str(tmp_path)}, check=False)
    assert result.returncode == 1
    assert result.stderr.strip() == (f"{config}: [web] session_idle_minutes must be a positive "
                                     "number, not 0")
