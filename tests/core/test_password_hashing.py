"""Password hashing cost: production keeps argon2's default cost, an instance may set its own."""

from __future__ import annotations

from pathlib import Path

import pytest
from argon2 import extract_parameters

from core.config import load_settings
from core.password_hashing import PRODUCTION_HASHING, PasswordHashing
from core.users import hash_password


def test_an_instance_without_settings_hashes_at_production_cost(tmp_path: Path) -> None:
    settings = load_settings(tmp_path)
    assert settings.passwords == PRODUCTION_HASHING
    parameters = extract_parameters(hash_password("Carla-pw-1", settings.passwords))
    assert (parameters.time_cost, parameters.memory_cost, parameters.parallelism) == (
        3, 65536, 4)
    assert hash_password("Carla-pw-1").startswith("$argon2id$")


def test_the_passwords_table_sets_the_cost_of_new_hashes(tmp_path: Path) -> None:
    (tmp_path / "officina.toml").write_text(
        "[passwords]\ntime_cost = 1\nmemory_cost = 8\nparallelism = 1\n")
    settings = load_settings(tmp_path)
    stored = hash_password("Carla-pw-1", settings.passwords)
    parameters = extract_parameters(stored)
    assert (parameters.time_cost, parameters.memory_cost, parameters.parallelism) == (1, 8, 1)
    # A hash is checked at the cost it was made with, whatever the settings are now.
    assert PRODUCTION_HASHING.hasher.verify(stored, "Carla-pw-1")


@pytest.mark.parametrize(("table", "message"), [
    ("time_cost = 0", "time_cost must be a positive whole number, not 0"),
    ("memory_cost = 16\nparallelism = 4", "memory_cost must be at least 8 KiB per lane (32"),
    ("rounds = 2", "unknown key(s) rounds (known: memory_cost, parallelism, time_cost)"),
    ('time_cost = "3"', "time_cost must be a positive whole number, not '3'"),
])
def test_bad_settings_name_the_key(tmp_path: Path, table: str, message: str) -> None:
    (tmp_path / "officina.toml").write_text(f"[passwords]\n{table}\n")
    with pytest.raises(ValueError, match=r"^passwords settings: ") as error:
        load_settings(tmp_path)
    assert message in str(error.value)


def test_hashers_are_made_once_per_cost() -> None:
    cheap = PasswordHashing(time_cost=1, memory_cost=8, parallelism=1)
    assert cheap.hasher is PasswordHashing(1, 8, 1).hasher
    assert cheap.hasher is not PRODUCTION_HASHING.hasher
