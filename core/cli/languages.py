"""The languages the command line accepts: those Officina speaks, then those the instance
offers (``[i18n] languages`` in officina.toml)."""

from __future__ import annotations

import click

from core.cli.output import fail
from core.i18n import SUPPORTED_LANGUAGES
from core.officina import Officina

LANGUAGE = click.Choice(list(SUPPORTED_LANGUAGES))


def require_offered(officina: Officina, language: str | None) -> None:
    """Stop with a message when ``language`` is given but the instance does not offer it."""
    offered = officina.settings.languages
    if language is not None and language not in offered:
        fail(f"This instance does not offer '{language}' (it offers "
             f"{', '.join(offered)}: [i18n] languages in officina.toml).")
