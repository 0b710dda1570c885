"""``officina``: the command group and the console script's entry point.

Each command group lives in its own module: ``instance`` (init, migrate, worker, run), ``packs``
(pack, customize), ``records`` (records, report, files), ``rules`` (rules, outbox), ``users``,
``demo``, ``documents``, ``mail`` and ``tokens``.
"""

from __future__ import annotations

import click

from core.cli.demo import demo
from core.cli.documents import documents as documents_group
from core.cli.group import OfficinaGroup
from core.cli.instance import init, migrate_command, run, worker
from core.cli.mail import mail as mail_group
from core.cli.packs import customize, pack
from core.cli.records import files, records, report
from core.cli.rules import outbox_command, rules
from core.cli.tokens import token as token_group
from core.cli.users import user


@click.group(cls=OfficinaGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="officina")
def cli() -> None:
    """Officina: a configurable CRM driven by metadata packs."""


for command in (init, pack, migrate_command, records, report, customize, files, user, demo,
                worker, rules, outbox_command, run, documents_group, mail_group, token_group):
    cli.add_command(command)


def main() -> None:
    """Entry point of the console script: ``cli`` in standalone mode (see ``OfficinaGroup``)."""
    cli.main()
