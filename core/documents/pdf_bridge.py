"""The warm pair of the PDF converter: a listening soffice and the UNO bridge that drives it."""

from __future__ import annotations

import contextlib
import os
import selectors
import subprocess
import time

from core.documents.soffice_processes import Guarded, kill_group

STOP_TIMEOUT = 5.0


class Bridge:
    """The warm pair: a listening soffice (under its guard) and the UNO bridge that drives it."""

    def __init__(self, soffice: Guarded, bridge: subprocess.Popen):
        self.soffice = soffice
        self.bridge = bridge
        self._buffer = b""

    def alive(self) -> bool:
        return self.soffice.process.poll() is None and self.bridge.poll() is None

    def send(self, line: str) -> None:
        assert self.bridge.stdin is not None
        self.bridge.stdin.write(line.encode() + b"\n")
        self.bridge.stdin.flush()

    def read_line(self, deadline: float) -> str | None:
        """The bridge's next line; ``None`` if it closed stdout; ``TimeoutError`` at deadline."""
        assert self.bridge.stdout is not None
        fd = self.bridge.stdout.fileno()
        with selectors.DefaultSelector() as selector:
            selector.register(fd, selectors.EVENT_READ)
            while b"\n" not in self._buffer:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not selector.select(remaining):
                    raise TimeoutError
                chunk = os.read(fd, 65536)
                if not chunk:
                    return None
                self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        return line.decode(errors="replace")

    def stop(self, *, politely: bool = True) -> None:
        """Ask LibreOffice to quit (unless not ``politely``: a stuck one is killed at once),
        then make sure every process of both is gone."""
        if politely and self.alive():
            with contextlib.suppress(OSError, ValueError):
                self.send("quit")
                self.bridge.stdin.close()  # type: ignore[union-attr]
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.soffice.process.wait(timeout=STOP_TIMEOUT)
        self.soffice.kill()
        kill_group(self.bridge)
        for stream in (self.bridge.stdin, self.bridge.stdout):
            with contextlib.suppress(OSError, ValueError, AttributeError):
                stream.close()  # type: ignore[union-attr]

