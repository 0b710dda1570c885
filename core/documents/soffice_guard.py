"""Guard of one LibreOffice: starts it and kills its whole process tree when told to.

Run by ``core.documents.pdf`` as ``python soffice_guard.py FD[,FD...] -- COMMAND...``, in a
session of its own (so that LibreOffice's ``oosplash`` and ``soffice.bin`` share its process
group), with the read ends of one or more *lifeline* pipes. The processes that need this
LibreOffice (the converter, the UNO bridge) each hold the write end of one; the kernel
closes it when they exit, however they exit, SIGKILL included. The guard then kills every
process of its group and exits, as it does when COMMAND exits (leftovers of a cold
conversion) or when it receives SIGTERM.

Why a guard rather than ``prctl(PR_SET_PDEATHSIG)`` on soffice: the death signal fires when
the *thread* that started the child ends (a web request's thread, so every warm LibreOffice
would die with its first request), and it reaches only the direct child, not the
``soffice.bin`` that ``oosplash`` starts. A pipe closes only with the process, and the group
holds all of LibreOffice. The guard also makes itself a child subreaper, so that a
``soffice.bin`` whose ``oosplash`` died is reparented to it, not to init.

Standard library only: any Python 3 runs it. Linux only (``/proc``, ``prctl``).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import selectors
import signal
import subprocess
import sys

PR_SET_CHILD_SUBREAPER = 36
POLL_SECONDS = 0.2


def _become_subreaper() -> None:
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


def _group_members(group: int) -> list[int]:
    """The other processes of process group ``group`` (from ``/proc/PID/stat``)."""
    members = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as stat:
                fields = stat.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == group:  # state, ppid, pgrp
            members.append(int(entry))
    return members


def kill_group() -> None:
    """SIGKILL every other process of the guard's group, then reap the children."""
    group = os.getpgrp()
    for _attempt in range(50):
        members = _group_members(group)
        if not members:
            break
        for pid in members:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            while os.waitpid(-1, os.WNOHANG)[0]:
                pass
    with contextlib.suppress(ChildProcessError):
        while os.waitpid(-1, 0)[0]:
            pass


def main(argv: list[str]) -> int:
    """Start the command, then wait for a lifeline to close or the command to exit."""
    separator = argv.index("--")
    lifelines = [int(fd) for fd in argv[1].split(",")]
    command = argv[separator + 1:]
    _become_subreaper()
    signal.signal(signal.SIGTERM, lambda *_: (kill_group(), os._exit(143)))
    child = subprocess.Popen(command, close_fds=True)
    with selectors.DefaultSelector() as selector:
        for fd in lifelines:
            selector.register(fd, selectors.EVENT_READ)
        while True:
            for key, _events in selector.select(POLL_SECONDS):
                if not os.read(key.fd, 4096):  # closed: its holder is gone or let go
                    kill_group()
                    return 1
            if child.poll() is not None:
                kill_group()
                return child.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv))
