"""The ``officina`` group's class: every error ends as a clear message and an exit code.

The translation lives in the group's ``main``, which both the console script
(``core.cli.main:main``) and ``click.testing.CliRunner`` call in standalone mode, so a command
run in-process (the tests) prints, exits and hides tracebacks exactly as the installed script.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import Any

import click
from sqlalchemy.exc import OperationalError, ProgrammingError

from core.cli.output import fail
from core.metadata.diagnostics import MetadataError
from core.records.errors import RecordError
from core.storage.ddl_locks import TableBusy
from core.storage.migrate import MigrationRefused
from core.storage.online_ddl import SchemaChangeUnfinished

INTERNAL_ERROR = 70  # EX_SOFTWARE: a bug, not a mistake of the caller
DEBUG_ENV = "OFFICINA_DEBUG"


class OfficinaGroup(click.Group):
    """A group whose standalone ``main`` turns each known error into one clear message."""

    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None,
             complete_var: str | None = None, standalone_mode: bool = True,
             **extra: Any) -> Any:
        """Run the command line and exit: 0, or the error's code with its message on stderr.

        Click exceptions print as click prints them; metadata, migration, record and database
        errors as one line (diagnostics one per line); anything else as "Internal error" with
        exit code 70, or as a traceback when ``OFFICINA_DEBUG`` is set. Without standalone
        mode this is click's own ``main``: exceptions reach the caller.
        """
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, False, **extra)
        try:
            code = super().main(args, prog_name, complete_var, False, **extra)
        except click.exceptions.Abort:
            fail("Aborted.")
        except click.ClickException as exc:
            exc.show()
            sys.exit(exc.exit_code)
        except MetadataError as exc:
            for diagnostic in exc.diagnostics:
                click.echo(str(diagnostic), err=True)
            fail(f"{len(exc.diagnostics)} error(s) in the metadata.")
        except MigrationRefused as exc:
            fail(str(exc))
        except (TableBusy, SchemaChangeUnfinished) as exc:
            fail(exc.message())
        except RecordError as exc:
            fail(exc.describe())
        except (OperationalError, ProgrammingError) as exc:
            fail(f"Database error: {exc.orig}. Is the database reachable and initialised "
                 "(officina init)?")
        except Exception as exc:
            if os.environ.get(DEBUG_ENV):
                raise
            fail(f"Internal error: {type(exc).__name__}: {exc} (set {DEBUG_ENV}=1 for details)",
                 INTERNAL_ERROR)
        # Not standalone, click returns the code of a ``ctx.exit(code)`` (or a command's
        # return value, which ours never give).
        sys.exit(code if isinstance(code, int) else 0)
