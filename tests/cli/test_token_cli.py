"""``officina token``: create (secret printed once), list (never the secret) and revoke."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.config import load_settings
from core.ui.app import create_app
from tests.support.cli import new_instance, officina


@pytest.fixture
def instance(tmp_path: Path, packs_dir: Path) -> dict[str, str]:
    """An initialised test shop instance with vera, a viewer of customers."""
    env = new_instance(tmp_path, packs_dir, "testshop")
    officina("user", "add", "vera", "--role", "viewer", "--password", "pw-Vera-1", env=env)
    return env


def _api_status(env: dict[str, str], secret: str) -> int:
    app = create_app(load_settings(env["OFFICINA_INSTANCE"]), {"TESTING": True})
    try:
        return app.test_client().get("/api/customer", headers={
            "Authorization": f"Bearer {secret}"}).status_code
    finally:
        app.extensions["officina"].close()


def test_token_create_list_and_revoke(instance: dict[str, str],
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OFFICINA_PACK_PATHS", instance["OFFICINA_PACK_PATHS"])
    created = officina("token", "create", "vera", "--name", "reporting", "--scope",
                       "customer=read", "--days", "30", env=instance)
    shown = json.loads(created.stdout)
    secret = shown["token"]
    assert secret.startswith("ofc_") and shown["scopes"] == {"customer": "read"}
    assert shown["expires_at"] and "not stored" in created.stderr
    assert _api_status(instance, secret) == 200
    listed = officina("token", "list", "vera", env=instance).stdout
    assert secret not in listed
    [entry] = json.loads(listed)
    assert entry["prefix"] == secret[:12] and entry["name"] == "reporting"
    assert entry["active"] is True and entry["last_used_at"] is not None
    revoked = officina("token", "revoke", str(entry["id"]), env=instance)
    assert "revoked" in revoked.stdout
    assert _api_status(instance, secret) == 401
    assert json.loads(officina("token", "list", env=instance).stdout)[0]["active"] is False


def test_token_create_names_what_is_wrong(instance: dict[str, str]) -> None:
    bad_level = officina("token", "create", "vera", "--name", "x", "--scope", "customer=all",
                         env=instance, check=False)
    assert bad_level.returncode == 2 and '"customer" must be "read" or "write"' in bad_level.stderr
    unknown = officina("token", "create", "vera", "--name", "x", "--scope", "nothing=read",
                       env=instance, check=False)
    assert unknown.returncode == 1 and "No such entity: nothing" in unknown.stderr
    nobody = officina("token", "create", "nobody", "--name", "x", "--scope", "*",
                      env=instance, check=False)
    assert nobody.returncode == 1 and "username: No active user" in nobody.stderr
    assert officina("token", "create", "vera", "--name", "x", env=instance,
                    check=False).returncode == 2  # no scope at all
    missing = officina("token", "revoke", "99", env=instance, check=False)
    assert missing.returncode == 1 and "No such API token" in missing.stderr
    assert json.loads(officina("token", "list", env=instance).stdout) == []
