"""The ``[migrations]`` settings: how long a schema change waits for a table's lock."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any


@dataclass(frozen=True)
class MigrationLocks:
    """How long a schema change waits for a table's lock (the ``[migrations]`` settings).

    ``lock_timeout`` (seconds) is also the longest a reader can wait behind a change that is
    itself waiting; ``lock_attempts`` transactions are tried, ``retry_pause`` seconds apart
    at first, the pause doubling after each attempt.
    """

    lock_timeout: float = 0.5
    lock_attempts: int = 5
    retry_pause: float = 1.0

    def __post_init__(self) -> None:
        if not 0 < self.lock_timeout <= 600:
            raise ValueError("migrations settings: lock_timeout must be more than 0 and at "
                             f"most 600 seconds, not {self.lock_timeout}")
        if not 1 <= self.lock_attempts <= 100:
            raise ValueError("migrations settings: lock_attempts must be from 1 to 100, not "
                             f"{self.lock_attempts}")
        if not 0 <= self.retry_pause <= 600:
            raise ValueError("migrations settings: retry_pause must be from 0 to 600 seconds, "
                             f"not {self.retry_pause}")

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> MigrationLocks:
        """Settings from a ``[migrations]`` table; ``ValueError`` names a wrong key or value."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"migrations settings: unknown key(s) {', '.join(unknown)} "
                             f"(known: {', '.join(sorted(known))})")
        converted: dict[str, Any] = {}
        for key, value in values.items():
            wanted = int if key == "lock_attempts" else float
            if isinstance(value, bool) or not isinstance(value, int | float) or (
                    wanted is int and not isinstance(value, int)):
                raise ValueError(f"migrations settings: {key} must be a number, not {value!r}")
            converted[key] = wanted(value)
        return cls(**converted)

    @property
    def total_wait(self) -> float:
        """The longest the attempts wait altogether, pauses included (seconds)."""
        pauses = sum(self.retry_pause * 2 ** n for n in range(self.lock_attempts - 1))
        return self.lock_attempts * self.lock_timeout + pauses


DEFAULT_LOCKS = MigrationLocks()
