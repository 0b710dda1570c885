"""``officina run``: the web application under gunicorn (its custom-application API).

The application is created in each worker, never preloaded in the master and forked: a
SQLite connection must not cross a fork (SQLite's own rule), and neither should pooled
PostgreSQL connections, the rules host's matching state or the document converter's
LibreOffice processes. Before forking, the master opens the instance once, which fails with
a clear message when it cannot start (an unmigrated database, a broken pack), creates the
session signing key, and leaves the imported modules and parsed pack files in memory for the
workers to inherit; it then closes its database connections. Each worker so builds its own
app, engine and registry in a fraction of a second. Workers share only the database and the
instance folder, as with ``gunicorn core.ui.wsgi:app``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from flask import Flask
from gunicorn.app.base import BaseApplication

from core.config import Settings
from core.ui.app import create_app


def default_workers(cores: int | None = None) -> int:
    """gunicorn's advice: two workers per CPU core, plus one."""
    return 2 * (cores or os.cpu_count() or 1) + 1


@dataclass(frozen=True)
class ServerOptions:
    """Where gunicorn listens and how many workers it runs."""

    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = field(default_factory=default_workers)

    @property
    def bind(self) -> str:
        """``host:port`` as gunicorn reads it (an IPv6 address in brackets)."""
        host = f"[{self.host}]" if ":" in self.host and not self.host.startswith("[") \
            else self.host
        return f"{host}:{self.port}"


class OfficinaServer(BaseApplication):
    """gunicorn serving one instance; its settings come only from ``ServerOptions``."""

    def __init__(self, settings: Settings, options: ServerOptions):
        self.settings = settings
        self.options = options
        super().__init__(prog="officina run")

    def load_config(self) -> None:
        """Set gunicorn's configuration (no gunicorn.conf.py, no $GUNICORN_CMD_ARGS)."""
        assert self.cfg is not None
        self.cfg.set("bind", [self.options.bind])
        self.cfg.set("workers", self.options.workers)
        self.cfg.set("preload_app", False)  # each worker creates its app: see the docstring
        self.cfg.set("accesslog", "-")
        # A worker's first PDF starts LibreOffice (up to a minute on a busy host, see
        # core/documents/pdf.py) before converting (up to another): gunicorn's 30 s default
        # would kill the worker in the middle of that request.
        self.cfg.set("timeout", 180)
        self.cfg.set("proc_name", "officina")
        if "control_socket_disable" in self.cfg.settings:  # gunicorn 25.1 and later
            # Its control socket has one path per user ($XDG_RUNTIME_DIR or ~/.gunicorn), which
            # two instances on one machine would fight over; officina run needs none.
            self.cfg.set("control_socket_disable", True)

    def load(self) -> Flask:
        """The application of one worker, created after the fork."""
        return create_app(self.settings)


def check_instance(settings: Settings) -> None:
    """Open the instance as a worker will, then close its connections (before forking)."""
    app = create_app(settings)
    app.extensions["officina"].close()


def serve(settings: Settings, options: ServerOptions) -> None:
    """Check the instance, then serve it until gunicorn is stopped (Ctrl-C, SIGTERM)."""
    check_instance(settings)
    OfficinaServer(settings, options).run()
