"""A throw-away PostgreSQL server: its own data directory, socket folder and port.

Used by the test suite and the benchmarks. Debian's server binaries refuse to run as root,
so when the tests run as root the server runs as the ``postgres`` system user.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql


def _bin_dir() -> Path:
    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if Path(candidate, "initdb").exists():
            return Path(candidate)
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    raise RuntimeError("PostgreSQL server binaries not found: install Debian's 'postgresql' "
                       "package (make test does this)")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class PostgresServer:
    """A running server; ``url(dbname)`` gives a SQLAlchemy URL for one of its databases."""

    directory: Path
    port: int
    bin_dir: Path
    as_user: str | None

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        command = list(args)
        if self.as_user:
            command = ["runuser", "-u", self.as_user, "--", *command]
        return subprocess.run(command, check=check, capture_output=True, text=True)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        """Create an empty database and return its URL."""
        with psycopg.connect(host="127.0.0.1", port=self.port, user="postgres",
                             dbname="postgres", autocommit=True) as admin:
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return self.url(name)

    def halt(self) -> None:
        """Stop the server at once (as a crash would), keeping its data for ``resume``."""
        self._run(str(self.bin_dir / "pg_ctl"), "-D", str(self.directory / "data"), "-m",
                  "immediate", "stop", check=False)

    def resume(self) -> None:
        """Start a halted server again, on the same port with the same data."""
        self._run(str(self.bin_dir / "pg_ctl"), "-D", str(self.directory / "data"), "-l",
                  str(self.directory / "log"), "-w", "start")

    def stop(self) -> None:
        self.halt()
        shutil.rmtree(self.directory, ignore_errors=True)


def start_postgres(settings: dict[str, str] | None = None) -> PostgresServer:
    """Initialise and start a server in a new temporary folder, on a free port."""
    bin_dir = _bin_dir()
    directory = Path(tempfile.mkdtemp(prefix="officina-pg-"))
    as_user = "postgres" if os.geteuid() == 0 else None
    if as_user:
        shutil.chown(directory, as_user)
    server = PostgresServer(directory, _free_port(), bin_dir, as_user)
    data = directory / "data"
    server._run(str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust",
                "-E", "UTF8", "--no-locale")
    options = {"listen_addresses": "127.0.0.1", "port": str(server.port),
               "unix_socket_directories": str(directory), "fsync": "off",
               "synchronous_commit": "off", "full_page_writes": "off",
               "max_connections": "100", **(settings or {})}
    with (data / "postgresql.auto.conf").open("a") as conf:
        for key, value in options.items():
            conf.write(f"{key} = '{value}'\n")
    server._run(str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(directory / "log"), "-w",
                "start")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", server.port)) == 0:
                return server
        time.sleep(0.1)
    server.stop()
    raise RuntimeError("PostgreSQL did not start")
