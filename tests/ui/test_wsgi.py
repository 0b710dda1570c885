"""Production serving: gunicorn with several workers over one instance on either database."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path
from urllib.parse import urlencode

import pytest

from tests.cli.test_cli import new_instance, officina

GUNICORN = str(Path(sys.executable).with_name("gunicorn"))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for(url: str, process: subprocess.Popen, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stderr.read() if process.stderr else ""
        try:
            urllib.request.urlopen(url, timeout=10)
            return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer in {seconds} s")


@pytest.mark.slow
def test_gunicorn_workers_share_sessions_and_the_database(
        tmp_path: Path, packs_dir: Path, database_url: str) -> None:
    env = new_instance(tmp_path, packs_dir, "testshop")
    env["OFFICINA_DATABASE_URL"] = database_url
    officina("init", "--admin-password", "s3cret-Admin", env=env)
    officina("migrate", env=env)
    port = _free_port()
    server = subprocess.Popen(
        [GUNICORN, "--workers", "3", "--bind", f"127.0.0.1:{port}", "--no-control-socket",
         "core.ui.wsgi:app"],
        env={**__import__("os").environ, **env}, stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_for(f"{base}/health", server)
        browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
        form = browser.open(f"{base}/login").read().decode()
        token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
        body = urlencode({"username": "admin", "password": "s3cret-Admin",
                          "csrf_token": token}).encode()
        home = browser.open(f"{base}/login", data=body).read().decode()
        assert "Customers" in home
        # Each request may land on another worker: the session and the data are shared.
        pages = [browser.open(f"{base}/app/customer").read().decode() for _ in range(6)]
        assert all("<h1>Customers</h1>" in page for page in pages)
    finally:
        server.terminate()
        server.wait(timeout=20)
