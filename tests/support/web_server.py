"""A real Officina web server for browser tests: a fresh instance served on a loopback port.

``start_web_server`` creates an instance folder (settings, migrated database, demo data of
its packs, users), builds the application with ``core.ui.app.create_app`` exactly as
``officina run`` does (TESTING off, so CSRF tokens and the sign-in check are really
enforced) and serves it with werkzeug's threaded server in a background thread. It returns
once ``/health`` answers; ``WebServer.stop()`` shuts the server down and closes the database.
"""

from __future__ import annotations

import threading
import time
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from core.config import Settings
from core.fixtures import load_fixtures
from core.metadata.loader import BUILTIN_PACKS
from core.officina import Officina
from core.records.actor import SYSTEM
from core.storage.migrate import migrate
from core.ui.app import create_app
from core.users import create_user
from tests.support.users import FAST_HASHING


class _QuietHandler(WSGIRequestHandler):
    """Werkzeug's request handler without a log line per request (errors are still logged)."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        if str(code).startswith("5"):
            super().log_request(code, size)


@dataclass(frozen=True)
class TestUser:
    """A local user the server is started with."""

    __test__ = False  # not a pytest test class

    username: str
    password: str
    roles: tuple[str, ...] = ()
    language: str = "en"


@dataclass
class WebServer:
    """A running server: its address, its instance's settings and the way to stop it."""

    url: str
    settings: Settings
    users: dict[str, TestUser]
    server: BaseWSGIServer
    thread: threading.Thread
    officina: Officina = field(repr=False)

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join(timeout=10)
        self.server.server_close()
        self.officina.close()
        self.server.app.extensions["officina"].close()

    def password(self, username: str) -> str:
        return self.users[username].password


def prepare_instance(folder: Path, packs: Iterable[str], pack_paths: Iterable[Path], *,
                     database_url: str | None = None, users: Iterable[TestUser] = (),
                     demo: bool = True,
                     seed: Callable[[Officina], None] | None = None) -> Settings:
    """Create, migrate and fill an instance, as ``officina init``, ``migrate`` and ``demo`` do.

    ``seed(officina)`` may add records of its own after the packs' demo data.
    """
    folder.mkdir(parents=True, exist_ok=True)
    settings = Settings(
        instance=folder,
        database_url=database_url or f"sqlite:///{(folder / 'officina.sqlite3').resolve()}",
        packs=tuple(packs), pack_paths=(*pack_paths, BUILTIN_PACKS),
        registry_check_interval=0, passwords=FAST_HASHING)
    officina = Officina.open(settings)
    try:
        migrate(officina.database, officina.registry.current().registry)
        with officina.database.write() as connection:
            for user in users:
                create_user(connection, user.username, user.password, roles=user.roles,
                            language=user.language, hashing=FAST_HASHING)
        if demo:
            for pack in settings.packs:
                load_fixtures(officina, pack, SYSTEM)
        if seed is not None:
            seed(officina)
    finally:
        officina.close()
    return settings


def wait_until_healthy(url: str, timeout: float = 30.0) -> None:
    """Poll ``url + /health`` until it answers 200, or fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=5) as response:
                if response.status == 200:
                    return
        except OSError as exc:
            last_error = exc
        time.sleep(0.05)
    raise RuntimeError(f"The test web server at {url} did not answer /health: {last_error}")


def start_web_server(folder: Path, packs: Iterable[str], pack_paths: Iterable[Path], *,
                     database_url: str | None = None, users: Iterable[TestUser] = (),
                     demo: bool = True, seed: Callable[[Officina], None] | None = None,
                     host: str = "127.0.0.1") -> WebServer:
    """Prepare an instance in ``folder`` and serve it on a free port of ``host``."""
    users = list(users)
    settings = prepare_instance(folder, packs, pack_paths, database_url=database_url,
                                users=users, demo=demo, seed=seed)
    app = create_app(settings, {"TESTING": False})
    server = make_server(host, 0, app, threaded=True, request_handler=_QuietHandler)
    url = f"http://{host}:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, name="officina-test-web",
                              daemon=True)
    thread.start()
    try:
        wait_until_healthy(url)
    except Exception:
        server.shutdown()
        server.server_close()
        raise
    return WebServer(url=url, settings=settings, users={u.username: u for u in users},
                     server=server, thread=thread, officina=Officina.open(settings))
