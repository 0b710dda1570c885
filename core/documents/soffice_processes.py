"""The processes of a LibreOffice conversion: started under a guard, killed as a group.

Each soffice runs under ``soffice_guard.py``, in a session of its own. The guard kills its
whole process group when a *lifeline* pipe closes: this process holds the write end, so the
kernel closes it when this process exits in any way, SIGKILL included (see the guard's
docstring for why a pipe and not ``PR_SET_PDEATHSIG``).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

GUARD = Path(__file__).with_name("soffice_guard.py")
STOP_TIMEOUT = 5.0  # seconds to wait for a killed group's guard to be reaped


def kill_group(process: subprocess.Popen | None) -> None:
    """Kill a child started in a session of its own, with everything it started."""
    if process is None:
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=STOP_TIMEOUT)


# The write ends of the lifelines this process holds: a child forked without exec (which
# inherits them) closes them, or a guard would wait for that child too.
_LIFELINES: set[int] = set()


def _close_lifelines_after_fork() -> None:
    for fd in list(_LIFELINES):
        with contextlib.suppress(OSError):
            os.close(fd)
    _LIFELINES.clear()


os.register_at_fork(after_in_child=_close_lifelines_after_fork)


def lifeline_pipe() -> tuple[int, int]:
    """A new lifeline: ``(read_end, write_end)``. The read end goes to a guard; this process
    holds the write end (or passes it to a child) and closes it with ``close_lifeline``. Until
    then a child forked without exec does not inherit it."""
    read_end, write_end = os.pipe()
    _LIFELINES.add(write_end)
    return read_end, write_end


def close_lifeline(write_end: int) -> None:
    """Close a lifeline's write end (once; later calls do nothing)."""
    if write_end in _LIFELINES:
        _LIFELINES.discard(write_end)
        with contextlib.suppress(OSError):
            os.close(write_end)


class Guarded:
    """A command run under ``soffice_guard.py`` in a session of its own, and the lifeline
    whose closing (here, or by the kernel when this process dies) makes the guard kill it."""

    def __init__(self, command: Sequence[str], *, extra_lifelines: Sequence[int] = (),
                 stdout: Any = subprocess.DEVNULL, stderr: Any = subprocess.DEVNULL):
        read_end, self.lifeline = lifeline_pipe()
        lifelines = ",".join(str(fd) for fd in (read_end, *extra_lifelines))
        try:
            self.process = subprocess.Popen(
                [sys.executable, str(GUARD), lifelines, "--", *command],
                stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr,
                pass_fds=(read_end, *extra_lifelines), start_new_session=True)
        except OSError:
            self.release()
            raise
        finally:
            os.close(read_end)

    @property
    def pid(self) -> int:
        return self.process.pid

    def release(self) -> None:
        """Close the lifeline: the guard kills the command's whole process group."""
        close_lifeline(self.lifeline)

    def kill(self) -> None:
        """Kill the guard's group now (guard included) and wait for the guard."""
        self.release()
        kill_group(self.process)
