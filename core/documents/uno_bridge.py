"""Bridge to a running LibreOffice: converts documents to PDF over UNO, one line at a time.

Run by ``core.documents.pdf`` with Debian's system Python (``/usr/bin/python3``, which can
import ``uno`` from ``python3-uno``; the project's virtualenv cannot), as a long-lived child:

    /usr/bin/python3 uno_bridge.py PIPE_NAME SOFFICE_PID

It connects to the ``soffice --accept="pipe,name=PIPE_NAME;urp;"`` instance started by its
parent (retrying while LibreOffice starts), prints ``ready``, then answers each request line
on stdin with exactly one line on stdout:

    convert<TAB>INPUT_PATH<TAB>OUTPUT_PATH   ->  ok  |  error<TAB>open|store<TAB>DETAIL
    quit                                     ->  (terminates LibreOffice and exits)

SOFFICE_PID is LibreOffice's guard (``soffice_guard.py``), whose process group holds
LibreOffice. When stdin closes or the parent process goes away, the bridge kills that group
so no soffice outlives the process that wanted it; if the bridge itself is killed, the guard
sees the lifeline the bridge inherited close and does the same. This file imports nothing
from Officina: it runs outside the virtualenv.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import time
from pathlib import Path

CONNECT_TIMEOUT = 60.0
WORD_FILTER = "MS Word 2007 XML"
PDF_FILTER = "writer_pdf_Export"


def _reply(line: str) -> None:
    sys.stdout.write(line.replace("\n", " ") + "\n")
    sys.stdout.flush()


def _kill_soffice(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


def _watch_parent(parent: int, soffice_pid: int) -> None:
    """Kill LibreOffice and exit if the parent dies while a conversion blocks the main thread."""
    while True:
        time.sleep(1.0)
        if os.getppid() != parent:
            _kill_soffice(soffice_pid)
            os._exit(1)


def _props(**values):
    import uno  # only importable with the system Python

    result = []
    for name, value in values.items():
        prop = uno.createUnoStruct("com.sun.star.beans.PropertyValue")
        prop.Name = name
        prop.Value = value
        result.append(prop)
    return tuple(result)


def _connect(pipe: str, deadline: float):
    import uno

    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext(
        "com.sun.star.bridge.UnoUrlResolver", local)
    url = f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext"
    while True:
        try:
            context = resolver.resolve(url)
            break
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
    return context.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", context)


class OpenFailed(Exception):
    """LibreOffice could not load the file: damaged, or not what its filter expects."""


def _convert(desktop, source: str, target: str) -> None:
    try:
        document = desktop.loadComponentFromURL(
            Path(source).resolve().as_uri(), "_blank", 0,
            _props(Hidden=True, ReadOnly=True, FilterName=WORD_FILTER, MacroExecutionMode=0,
                   UpdateDocMode=0))
    except Exception as error:
        raise OpenFailed(_describe(error)) from error
    if document is None:
        raise OpenFailed("no document was loaded")
    try:
        document.storeToURL(Path(target).resolve().as_uri(), _props(FilterName=PDF_FILTER))
    finally:
        try:
            document.close(True)
        except Exception:
            document.dispose()


def _describe(error: Exception) -> str:
    return f"{type(error).__name__}: {getattr(error, 'Message', '') or error}"


def main(argv: list[str]) -> int:
    """Serve conversion requests until ``quit`` or the end of stdin."""
    pipe, soffice_pid = argv[1], int(argv[2])
    threading.Thread(target=_watch_parent, args=(os.getppid(), soffice_pid),
                     daemon=True).start()
    try:
        desktop = _connect(pipe, time.monotonic() + CONNECT_TIMEOUT)
    except Exception as error:
        _reply(f"error\t{type(error).__name__}: {error}")
        _kill_soffice(soffice_pid)
        return 1
    _reply("ready")
    for line in sys.stdin:
        parts = line.rstrip("\n").split("\t")
        if parts[0] == "quit":
            break
        if parts[0] != "convert" or len(parts) != 3:
            _reply(f"error\tunknown request {parts[0]!r}")
            continue
        try:
            _convert(desktop, parts[1], parts[2])
        except OpenFailed as error:
            _reply(f"error\topen\t{error}")
        except Exception as error:
            _reply(f"error\tstore\t{_describe(error)}")
        else:
            _reply("ok")
    else:  # stdin closed: the parent is gone or gave up on us
        _kill_soffice(soffice_pid)
        return 0
    with contextlib.suppress(Exception):
        desktop.terminate()  # the parent waits for LibreOffice to exit, then kills its group
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
