"""The cost of new argon2id password hashes: the ``[passwords]`` table of officina.toml.

A stored hash carries the parameters it was made with, so verifying costs what hashing cost
then; these settings decide what new hashes (new users, changed and reset passwords) cost.
Production keeps argon2-cffi's defaults; a test instance may choose the cheapest ones.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from functools import cache
from typing import Any

import argon2
from argon2 import PasswordHasher


@dataclass(frozen=True)
class PasswordHashing:
    """Argon2id parameters: passes over memory, KiB of memory, lanes."""

    time_cost: int = argon2.DEFAULT_TIME_COST
    memory_cost: int = argon2.DEFAULT_MEMORY_COST
    parallelism: int = argon2.DEFAULT_PARALLELISM

    def __post_init__(self) -> None:
        for name in ("time_cost", "memory_cost", "parallelism"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"passwords settings: {name} must be a positive whole number, "
                                 f"not {value!r}")
        if self.memory_cost < 8 * self.parallelism:
            raise ValueError("passwords settings: memory_cost must be at least 8 KiB per lane "
                             f"({8 * self.parallelism} for parallelism {self.parallelism})")

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> PasswordHashing:
        """Parameters from a ``[passwords]`` table; ``ValueError`` names an unknown key."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"passwords settings: unknown key(s) {', '.join(unknown)} "
                             f"(known: {', '.join(sorted(known))})")
        return cls(**values)

    @property
    def hasher(self) -> PasswordHasher:
        """The argon2id hasher of these parameters (one per process and parameters)."""
        return _hasher(self)

    def hash(self, password: str) -> str:
        """A new argon2id hash of ``password``."""
        return self.hasher.hash(password)


PRODUCTION_HASHING = PasswordHashing()


@cache
def _hasher(hashing: PasswordHashing) -> PasswordHasher:
    return PasswordHasher(time_cost=hashing.time_cost, memory_cost=hashing.memory_cost,
                          parallelism=hashing.parallelism)
