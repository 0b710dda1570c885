"""Running ``officina`` in tests: in this process through click's ``CliRunner``, or, for the few
tests of the console script itself, as the installed program.

In-process, a call costs the command's own work only: no Python start-up, no imports, and the
packs' files parsed once per test process (``core.metadata.loader``'s read cache, keyed by
content). The group's ``main`` translates errors for both (``core.cli.group``), so stdout,
stderr and the exit code are the same either way; each command closes the database
connections it opened (``core.cli.common.closed_after_command``).
"""

from __future__ import annotations

import os
import subprocess
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path

from click.testing import CliRunner

from core.cli.main import cli

PROGRAM = "officina"
SCRIPT = str(Path(sys.executable).parent / PROGRAM)
# Help text wraps as click wraps it for a process whose output is no terminal (80 columns less
# its margin of 2); CliRunner would otherwise force 80.
PIPE_WIDTH = 78


@dataclass(frozen=True)
class Ran:
    """What one ``officina`` call printed and how it exited (as ``CompletedProcess`` names it)."""

    args: tuple[str, ...]
    stdout: str
    stderr: str
    returncode: int


def _check(ran: Ran, check: bool, cause: BaseException | None = None) -> Ran:
    """No traceback ever; with ``check``, exit code 0 (the message says what went wrong)."""
    assert "Traceback" not in ran.stderr, ran.stderr
    if check and ran.returncode != 0:
        detail = "".join(traceback.format_exception(cause)) if cause is not None else ""
        raise AssertionError(f"officina {' '.join(ran.args)} exited {ran.returncode}:\n"
                             f"{ran.stderr}{detail}")
    return ran


def officina(*args: str, env: dict[str, str] | None = None, stdin: str | None = None,
             check: bool = True) -> Ran:
    """``officina ARGS`` in this process, with ``env`` added to the environment for the call.

    An exception that escapes the command (not a ``SystemExit``: with ``OFFICINA_DEBUG`` set,
    or not an ``Exception``) is raised again here, with its traceback. When ``check`` fails,
    the error the command turned into its message (if any) is shown with its traceback too.
    """
    result = CliRunner().invoke(cli, list(args), input=stdin, env=env, prog_name=PROGRAM,
                                terminal_width=PIPE_WIDTH)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        result.exception.add_note(f"raised by: officina {' '.join(args)}\n"
                                  f"stdout: {result.stdout}\nstderr: {result.stderr}")
        raise result.exception
    cause = result.exception.__context__ if result.exception is not None else None
    return _check(Ran(tuple(args), result.stdout, result.stderr, result.exit_code), check,
                  cause)


def officina_script(*args: str, env: dict[str, str] | None = None, stdin: str | None = None,
                    check: bool = True, timeout: float = 120) -> Ran:
    """``officina ARGS`` as the installed console script, in a process of its own."""
    done = subprocess.run([SCRIPT, *args], capture_output=True, text=True, input=stdin,
                          env={**os.environ, **(env or {})}, timeout=timeout)
    return _check(Ran(tuple(args), done.stdout, done.stderr, done.returncode), check)


def new_instance(tmp_path: Path, packs_dir: Path, pack: str) -> dict[str, str]:
    """An initialised instance running ``pack``; the environment that reaches it."""
    folder = tmp_path / "instance"
    folder.mkdir()
    (folder / "officina.toml").write_text(f'packs = ["{pack}"]\n')
    env = {"OFFICINA_INSTANCE": str(folder), "OFFICINA_PACK_PATHS": str(packs_dir)}
    officina("init", "--admin-password", "s3cret-Admin", env=env)
    return env
