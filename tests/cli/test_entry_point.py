"""How ``officina`` ends: messages, exit codes and connections, in-process and as the console
script. The other CLI tests run in-process (``tests.support.cli``); these few run the installed
program too, so the entry point itself stays covered and both ways are shown to agree."""

from __future__ import annotations

import json
import time
from pathlib import Path

import psycopg
import pytest

import core.cli.instance
from tests.support.cli import new_instance, officina, officina_script


def test_the_console_script_prints_what_the_group_prints_in_process() -> None:
    script = officina_script("--help")
    assert script == officina("--help")
    for command in ("init", "records", "demo", "worker"):
        assert f"  {command}" in script.stdout
    usage = officina_script("records", "get", "customer", check=False)
    assert usage == officina("records", "get", "customer", check=False)
    assert usage.returncode == 2 and usage.stdout == ""
    assert usage.stderr.splitlines() == ["Usage: officina records get [OPTIONS] ENTITY KEY",
                                         "Try 'officina records get --help' for help.", "",
                                         "Error: Missing argument 'KEY'."]


def test_the_console_script_sets_up_an_instance_and_writes_a_record(tmp_path: Path,
                                                                    packs_dir: Path) -> None:
    folder = tmp_path / "instance"
    folder.mkdir()
    (folder / "officina.toml").write_text('packs = ["testshop"]\n')
    env = {"OFFICINA_INSTANCE": str(folder), "OFFICINA_PACK_PATHS": str(packs_dir)}
    assert "Administrator 'admin' created." in officina_script(
        "init", "--admin-password", "s3cret-Admin", env=env).stdout
    created = json.loads(officina_script("records", "create", "customer", "-", env=env,
                                         stdin='{"company": "ACME"}').stdout)
    assert created["ref"] == "CUS-00001"
    assert json.loads(officina("records", "get", "customer", "CUS-00001", env=env).stdout)[
        "company"] == "ACME"


def test_a_database_error_is_one_clear_line_either_way(tmp_path: Path) -> None:
    env = {"OFFICINA_INSTANCE": str(tmp_path / "never-initialised")}
    script = officina_script("records", "list", "customer", env=env, check=False)
    assert script == officina("records", "list", "customer", env=env, check=False)
    assert script.returncode == 1 and script.stdout == ""
    assert script.stderr == ("Database error: unable to open database file. Is the database "
                             "reachable and initialised (officina init)?\n")


def test_an_unexpected_error_is_one_line_with_exit_code_70(
        monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_args: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(core.cli.instance, "_open", broken)
    failed = officina("migrate", check=False)
    assert (failed.returncode, failed.stdout) == (70, "")
    assert failed.stderr == ("Internal error: RuntimeError: boom (set OFFICINA_DEBUG=1 for "
                             "details)\n")
    with pytest.raises(RuntimeError, match="boom"):  # a developer's traceback
        officina("migrate", env={"OFFICINA_DEBUG": "1"})


def test_commands_release_their_database_connections(tmp_path: Path, packs_dir: Path,
                                                     postgres_server) -> None:
    url = postgres_server.create_database("cli_connections")
    env = {**new_instance(tmp_path, packs_dir, "testshop"), "OFFICINA_DATABASE_URL": url}
    officina("init", "--admin-password", "pw", env=env)
    officina("records", "create", "customer", '{"company": "ACME"}', env=env)
    officina("records", "get", "customer", "nobody", env=env, check=False)  # and on errors
    with psycopg.connect(host="127.0.0.1", port=postgres_server.port, user="postgres",
                         dbname="postgres", autocommit=True) as admin:
        # A backend leaves pg_stat_activity a moment after its client closed the connection
        # (later on a loaded machine): wait for that, never for a connection still open.
        deadline = time.monotonic() + 10
        while True:
            held = admin.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s",
                                 ("cli_connections",)).fetchone()
            if held == (0,) or time.monotonic() > deadline:
                break
            time.sleep(0.05)
    assert held == (0,)
