"""The command line accepts the languages the instance offers (``[i18n] languages``)."""

from __future__ import annotations

from pathlib import Path

from tests.support.cli import new_instance, officina


def test_a_user_gets_only_a_language_the_instance_offers(tmp_path: Path,
                                                         packs_dir: Path) -> None:
    env = new_instance(tmp_path, packs_dir, "testshop")
    config = Path(env["OFFICINA_INSTANCE"]) / "officina.toml"
    config.write_text(config.read_text() + '\n[i18n]\nlanguages = ["en"]\n')
    refused = officina("user", "add", "vera", "--role", "viewer", "--password", "pw-Vera-1",
                       "--language", "it", env=env, check=False)
    assert refused.returncode == 1
    assert "This instance does not offer 'it' (it offers en" in refused.stderr
    assert "User 'vera' added." in officina(
        "user", "add", "vera", "--role", "viewer", "--password", "pw-Vera-1", "--language",
        "en", env=env).stdout
