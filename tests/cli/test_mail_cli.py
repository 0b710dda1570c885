"""``officina init --mail-backend file`` and ``officina mail list | show``, run in-process."""

from __future__ import annotations

import email
import tomllib
from email.policy import default as default_policy
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from core.auth.reset_mail import queue_mail
from core.cli.main import cli
from core.config import MAIL_BACKENDS, load_settings
from core.officina import Officina
from core.rules.mail import BACKENDS, MailSettings, RenderedMail
from core.rules.mail_files import store_mail

PDF = b"%PDF-1.4 " + bytes(range(256))


def officina(*args: str, instance: Path) -> Result:
    """``officina ARGS`` in this process, for the instance folder ``instance``."""
    return CliRunner().invoke(cli, list(args), env={"OFFICINA_INSTANCE": str(instance)},
                              catch_exceptions=False)


def file_instance(folder: Path, mail: str = '[mail]\nbackend = "file"\n') -> Path:
    """An instance folder whose officina.toml has ``mail``: all that ``officina mail`` reads."""
    folder.mkdir()
    (folder / "officina.toml").write_text(f'packs = ["testshop"]\n{mail}')
    return folder


def store(instance: Path, to: list[str], rendered: RenderedMail, attachments=()) -> str:
    settings = load_settings(instance)
    return store_mail(MailSettings.from_dict(settings.mail, instance=instance), to, rendered,
                      attachments)


def test_the_option_offers_the_backends_mail_settings_accept() -> None:
    assert MAIL_BACKENDS == BACKENDS


def test_init_with_the_file_backend_writes_it_into_the_new_settings(tmp_path: Path,
                                                                      packs_dir: Path) -> None:
    folder = tmp_path / "instance"
    result = CliRunner().invoke(
        cli, ["init", "--admin-password", "s3cret-Admin", "--mail-backend", "file"],
        env={"OFFICINA_INSTANCE": str(folder), "OFFICINA_PACK_PATHS": str(packs_dir)},
        catch_exceptions=False)
    assert result.exit_code == 0, result.output
    with (folder / "officina.toml").open("rb") as handle:
        assert tomllib.load(handle)["mail"] == {"backend": "file"}
    listed = officina("mail", "list", instance=folder)
    assert listed.exit_code == 0 and listed.stdout == f"No stored mail in {folder / 'mail'}.\n"
    again = officina("init", "--admin-password", "s3cret-Admin", "--mail-backend", "file",
                     instance=folder)
    assert "officina.toml exists: its [mail] and [web] tables are left as they are." in (
        again.stdout)


def test_the_worker_command_stores_queued_mail_where_mail_list_finds_it(
        tmp_path: Path, packs_dir: Path) -> None:
    folder = tmp_path / "instance"
    env = {"OFFICINA_INSTANCE": str(folder), "OFFICINA_PACK_PATHS": str(packs_dir)}
    runner = CliRunner()
    runner.invoke(cli, ["init", "--admin-password", "s3cret-Admin", "--mail-backend", "file"],
                  env=env, catch_exceptions=False)
    instance = Officina.open(load_settings(folder))
    with instance.database.write() as connection:
        queue_mail(connection, ["ann@example.com"], "Your password", "Choose one here.")
    instance.close()
    worked = runner.invoke(cli, ["worker", "--once"], env=env, catch_exceptions=False)
    assert worked.exit_code == 0, worked.output
    assert worked.stdout == "timers fired: 0, schedules run: 0, delivered: 1, failed: 0\n"
    [line] = runner.invoke(cli, ["mail", "list"], env=env).stdout.splitlines()
    assert line.endswith("  ann@example.com  Your password")


def test_init_leaves_mail_unconfigured_by_default(tmp_path: Path, packs_dir: Path) -> None:
    folder = tmp_path / "instance"
    CliRunner().invoke(cli, ["init", "--admin-password", "s3cret-Admin"],
                       env={"OFFICINA_INSTANCE": str(folder),
                            "OFFICINA_PACK_PATHS": str(packs_dir)}, catch_exceptions=False)
    assert load_settings(folder).mail is None
    assert "# [mail]" in (folder / "officina.toml").read_text()


def test_mail_list_prints_one_line_per_message_newest_first(tmp_path: Path) -> None:
    instance = file_instance(tmp_path / "instance")
    first = store(instance, ["cora@example.com"], RenderedMail("Ticket TCK-00001 is late", "x"))
    second = store(instance, ["Ann <ann@example.com>", "bo@example.com"],
                   RenderedMail("Il ticket TCK-00002 è in ritardo", "y"))
    result = officina("mail", "list", instance=instance)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(f"{second}  20") and lines[1].startswith(f"{first}  20")
    assert lines[0].endswith("  Ann <ann@example.com>, bo@example.com  "
                             "Il ticket TCK-00002 è in ritardo")
    assert lines[1].endswith("  cora@example.com  Ticket TCK-00001 is late")
    limited = officina("mail", "list", "--limit", "1", instance=instance)
    assert limited.stdout.splitlines() == lines[:1]
    assert limited.stderr == "1 older message(s) not shown: raise --limit to see them.\n"


def test_mail_show_prints_headers_text_and_attachments(tmp_path: Path) -> None:
    instance = file_instance(tmp_path / "instance")
    mail_id = store(instance, ["client@example.org"],
                    RenderedMail("Rapporto JOB-7", "Gentile cliente,\nin allegato il rapporto.\n",
                                 "<p>in allegato</p>"),
                    [("rapporto.pdf", PDF, "application/pdf")])
    result = officina("mail", "show", mail_id, instance=instance)
    assert result.exit_code == 0, result.output
    head, _blank, rest = result.stdout.partition("\n\n")
    headers = dict(line.split(": ", 1) for line in head.splitlines())
    assert headers["From"] == "Officina <officina@localhost>"
    assert headers["To"] == "client@example.org" and headers["Subject"] == "Rapporto JOB-7"
    assert {"Date", "Message-ID"} <= set(headers) and "Content-Type" not in headers
    assert rest.startswith("Gentile cliente,\nin allegato il rapporto.\n")
    assert "(The message also has an HTML version: --raw prints it.)" in rest
    assert rest.endswith(f"Attachments:\n  rapporto.pdf  application/pdf  {len(PDF)} bytes\n")
    by_file_name = officina("mail", "show", f"{mail_id}.eml", instance=instance)
    assert by_file_name.stdout == result.stdout
    raw = officina("mail", "show", mail_id, "--raw", instance=instance)
    assert raw.stdout_bytes == (instance / "mail" / f"{mail_id}.eml").read_bytes()
    message = email.message_from_bytes(raw.stdout_bytes, policy=default_policy)
    assert [p.get_content() for p in message.iter_attachments()] == [PDF]


def test_mail_show_of_an_unknown_message_fails_clearly(tmp_path: Path) -> None:
    instance = file_instance(tmp_path / "instance")
    result = officina("mail", "show", "20261124-103700-123456-1a2b3c4d", instance=instance)
    assert result.exit_code == 1
    assert result.stderr == (f"No stored message 20261124-103700-123456-1a2b3c4d in "
                             f"{instance / 'mail'}.\n")


@pytest.mark.parametrize(("mail", "says"), [
    ("", "has no [mail] table, so mail is neither sent nor stored; add [mail] backend = "
         '"file" to keep it in the instance.'),
    ('[mail]\nhost = "smtp.example.com"\nsender = "crm@example.com"\n',
     "mail is sent through the SMTP server smtp.example.com, not stored; set backend = "
     '"file" in [mail] to keep it in the instance.'),
    ('[mail]\nbackend = "files"\n', "[mail]: backend must be one of smtp, file, not 'files'"),
])
def test_mail_commands_say_why_nothing_is_stored(tmp_path: Path, mail: str, says: str) -> None:
    instance = file_instance(tmp_path / "instance", mail)
    for command in (["mail", "list"], ["mail", "show", "20261124-103700-123456-1a2b3c4d"]):
        result = officina(*command, instance=instance)
        assert result.exit_code == 1
        assert result.stderr.startswith(str(instance / "officina.toml"))
        assert says in result.stderr
        assert result.stdout == ""
