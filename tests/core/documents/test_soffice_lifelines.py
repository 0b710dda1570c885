"""Lifelines: a child forked without exec while a lifeline is open does not keep it open, so
the guard still sees it close when its holder lets go (as ``PdfConverter`` does with the
lifeline it hands to the UNO bridge)."""

from __future__ import annotations

import os
import select
import signal
import time

from core.documents.soffice_processes import close_lifeline, lifeline_pipe


def test_a_forked_child_does_not_keep_a_lifeline_open() -> None:
    read_end, write_end = lifeline_pipe()
    child = os.fork()
    if child == 0:  # a fork without exec, as multiprocessing's "fork" start method makes
        time.sleep(30)
        os._exit(0)
    try:
        close_lifeline(write_end)
        readable, _w, _x = select.select([read_end], [], [], 5.0)
        assert readable == [read_end], "the lifeline stayed open in the forked child"
        assert os.read(read_end, 1) == b""
        assert os.waitpid(child, os.WNOHANG) == (0, 0)  # the child is still alive
    finally:
        os.kill(child, signal.SIGKILL)
        os.waitpid(child, 0)
        os.close(read_end)


def test_closing_a_lifeline_twice_is_harmless() -> None:
    read_end, write_end = lifeline_pipe()
    close_lifeline(write_end)
    replacement_read, replacement_write = os.pipe()  # may reuse the closed number
    try:
        close_lifeline(write_end)
        os.write(replacement_write, b"x")  # still open: the second close did nothing
        assert os.read(replacement_read, 1) == b"x"
    finally:
        for fd in (read_end, replacement_read, replacement_write):
            os.close(fd)
