"""SELECT statements built once per registry version and reused with bound parameters.

Building a statement with its link-title subqueries costs more than running it on a small
table, and the records service reads the same shapes over and over (the record a rule
looks at, its lines). The cache holds the statements of one registry (a new registry, after
a customisation, starts an empty cache) and stays small: it is emptied past ``LIMIT``
shapes (statements that depend on the reader are keyed by the actor).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

T = TypeVar("T")
LIMIT = 4096


class StatementCache:
    """Statements (or anything built from the registry) by key, for one registry at a time."""

    def __init__(self) -> None:
        self._owner: Any = None
        self._built: dict[Hashable, Any] = {}
        self._lock = threading.Lock()

    def get(self, registry: object, key: Hashable, build: Callable[[], T]) -> T:
        """What ``build()`` gives for ``key`` under ``registry``, built on first use."""
        with self._lock:
            if self._owner is not registry:
                self._owner, self._built = registry, {}
            found = self._built.get(key)
        if found is None:
            found = build()
            with self._lock:
                if self._owner is registry:
                    if len(self._built) >= LIMIT:
                        self._built.clear()
                    self._built[key] = found
        return found
