"""Compiled page templates shared by every application of the process.

Each Flask application compiles its own templates; a process that creates several (tests, a
reloading server, several instances) would compile the same source again each time. Jinja's
bytecode cache keys a template by its name and a checksum of its source, so an edited or
pack-overridden template is compiled afresh.
"""

from __future__ import annotations

import threading

from jinja2 import BytecodeCache
from jinja2.bccache import Bucket

MAX_TEMPLATES = 2048


class ProcessBytecodeCache(BytecodeCache):
    """Jinja bytecode kept in this process's memory."""

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def load_bytecode(self, bucket: Bucket) -> None:
        code = self._code.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: Bucket) -> None:
        with self._lock:
            if len(self._code) >= MAX_TEMPLATES:
                self._code.clear()
            self._code[bucket.key] = bucket.bytecode_to_string()

    def clear(self) -> None:
        with self._lock:
            self._code.clear()


PAGE_TEMPLATES = ProcessBytecodeCache()
