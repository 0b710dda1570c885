"""Users in tests: hashed at argon2's lowest cost (production keeps its own, see
core/password_hashing.py); the hash is still a real argon2id hash, checked as in production."""

from __future__ import annotations

from core.password_hashing import PasswordHashing

FAST_HASHING = PasswordHashing(time_cost=1, memory_cost=8, parallelism=1)
