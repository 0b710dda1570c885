"""``officina run``: gunicorn with workers from the core count, or Flask's reloader with --dev."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from flask import Flask

from core.cli.main import cli
from core.config import Settings, load_settings
from core.ui import server as server_module
from core.ui.security import SECRET_FILE, secret_key
from core.ui.server import OfficinaServer, ServerOptions, default_workers
from tests.ui.test_wsgi import _free_port, _wait_for

OFFICINA = str(Path(sys.executable).with_name("officina"))


@pytest.fixture
def instance(tmp_path: Path, packs_dir: Path) -> dict[str, str]:
    """An initialised instance running the test shop pack; the environment that reaches it."""
    folder = tmp_path / "instance"
    folder.mkdir()
    (folder / "officina.toml").write_text('packs = ["testshop"]\n')
    env = {"OFFICINA_INSTANCE": str(folder), "OFFICINA_PACK_PATHS": str(packs_dir)}
    result = CliRunner().invoke(cli, ["init", "--admin-password", "s3cret-Admin"], env=env,
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return env


def invoke(*args: str, env: dict[str, str]) -> Result:
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


@pytest.fixture
def started(monkeypatch) -> list[OfficinaServer]:
    """gunicorn applications ``officina run`` would start; none is actually run."""
    servers: list[OfficinaServer] = []
    monkeypatch.setattr(OfficinaServer, "run", lambda self: servers.append(self))
    return servers


def test_two_workers_per_core_plus_one(monkeypatch) -> None:
    assert [default_workers(cores) for cores in (1, 2, 8)] == [3, 5, 17]
    monkeypatch.setattr(os, "cpu_count", lambda: 4)
    assert ServerOptions().workers == 9
    monkeypatch.setattr(os, "cpu_count", lambda: None)  # unknown: as for one core
    assert ServerOptions().workers == 3


def test_the_gunicorn_application_takes_its_configuration_from_the_options(
        instance: dict[str, str], monkeypatch) -> None:
    for name, value in instance.items():
        monkeypatch.setenv(name, value)
    settings = load_settings()
    server = OfficinaServer(settings, ServerOptions(host="0.0.0.0", port=8123, workers=4))
    assert server.cfg.bind == ["0.0.0.0:8123"]
    assert server.cfg.workers == 4
    assert server.cfg.preload_app is False  # each worker creates its own app
    assert server.cfg.accesslog == "-"
    if "control_socket_disable" in server.cfg.settings:  # no socket shared by all instances
        assert server.cfg.control_socket_disable is True
    assert ServerOptions(host="::1", port=8123).bind == "[::1]:8123"
    app = server.load()
    assert isinstance(app, Flask)
    assert app.extensions["officina"].settings == settings


def test_officina_run_serves_through_gunicorn_with_workers_from_the_core_count(
        instance: dict[str, str], started: list[OfficinaServer], monkeypatch) -> None:
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    result = invoke("run", "--port", "8123", env=instance)
    assert result.exit_code == 0, result.output
    assert result.stdout == "Officina on http://127.0.0.1:8123/ (5 gunicorn workers)\n"
    [server] = started
    assert (server.cfg.workers, server.cfg.bind) == (5, ["127.0.0.1:8123"])
    assert server.settings.instance == Path(instance["OFFICINA_INSTANCE"])
    chosen = invoke("run", "--workers", "2", "--host", "0.0.0.0", env=instance)
    assert "(2 gunicorn workers)" in chosen.stdout
    assert (started[1].cfg.workers, started[1].cfg.bind) == (2, ["0.0.0.0:8000"])
    assert invoke("run", "--workers", "0", env=instance).exit_code == 2


def test_the_master_checks_the_instance_and_closes_its_connections_before_forking(
        instance: dict[str, str], started: list[OfficinaServer], monkeypatch) -> None:
    opened = []
    create = server_module.create_app

    def spy(settings: Settings) -> Flask:
        app = create(settings)
        opened.append(app.extensions["officina"].database.engine)
        return app

    monkeypatch.setattr(server_module, "create_app", spy)
    invoke("run", env=instance)
    [engine] = opened  # the check; the workers' apps come after the fork
    assert engine.pool.checkedin() == 0  # no connection left to cross the fork
    assert (Path(instance["OFFICINA_INSTANCE"]) / SECRET_FILE).stat().st_size > 0


@pytest.mark.parametrize(("args", "debug"), [((), False), (("--debug",), True)])
def test_dev_uses_flasks_reloader_and_debug_only_when_asked(
        instance: dict[str, str], monkeypatch, args: tuple[str, ...], debug: bool) -> None:
    runs: list[dict] = []
    monkeypatch.setattr(Flask, "run", lambda self, **options: runs.append(options))
    monkeypatch.setattr(OfficinaServer, "run", lambda self: pytest.fail("gunicorn started"))
    result = invoke("run", "--dev", "--port", "8124", *args, env=instance)
    assert result.exit_code == 0, result.output
    assert runs == [{"host": "127.0.0.1", "port": 8124, "debug": debug, "use_reloader": True}]
    assert result.stdout.startswith("Officina (development server) on http://127.0.0.1:8124/")


def test_debug_without_dev_is_refused(instance: dict[str, str]) -> None:
    result = invoke("run", "--debug", env=instance)
    assert result.exit_code == 2
    assert "--debug needs --dev" in result.output


def test_workers_starting_together_share_one_signing_key(tmp_path: Path) -> None:
    settings = Settings(instance=tmp_path / "instance", database_url="sqlite://")
    keys: list[str] = []
    threads = [threading.Thread(target=lambda: keys.append(secret_key(settings)))
               for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(keys) == 8 and len(set(keys)) == 1 and len(keys[0]) >= 64
    path = tmp_path / "instance" / SECRET_FILE
    assert path.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in path.parent.iterdir()] == [SECRET_FILE]  # no temporary left


@pytest.mark.slow
def test_officina_run_answers_through_gunicorn_and_stops_cleanly(
        instance: dict[str, str]) -> None:
    port = _free_port()
    server = subprocess.Popen([OFFICINA, "run", "--port", str(port), "--workers", "2"],
                              env={**os.environ, **instance}, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_for(f"{base}/health", server)
        import urllib.request

        login = urllib.request.urlopen(f"{base}/login", timeout=10).read().decode()
        assert re.search(r'name="csrf_token" value="[^"]+"', login)
        assert "Sign in" in login
    finally:
        server.send_signal(signal.SIGTERM)
        out, err = server.communicate(timeout=30)
    assert server.returncode == 0, err
    assert out.startswith(f"Officina on http://127.0.0.1:{port}/ (2 gunicorn workers)")
    assert "Booting worker" in err and "Traceback" not in err
    assert "Control socket" not in err
    assert len(set(re.findall(r"Booting worker with pid: (\d+)", err))) == 2
