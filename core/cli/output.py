"""Printing results and errors for the command line: JSON out, one-line errors, no tracebacks."""

from __future__ import annotations

import json
import sys
from typing import Any, NoReturn

import click

from core.json_encoding import to_json


def print_json(value: Any) -> None:
    """Print ``value`` as indented JSON."""
    click.echo(to_json(value, indent=2, ensure_ascii=False))


def fail(message: str, code: int = 1) -> NoReturn:
    """Print ``message`` on standard error and exit with ``code``."""
    click.echo(message, err=True)
    sys.exit(code)


def parse_json_argument(text: str, what: str) -> Any:
    """Parse a JSON argument (``-`` reads standard input); a clear error when it is not JSON."""
    if text == "-":
        text = sys.stdin.read()
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise click.BadParameter(f"{what} is not valid JSON: {exc.msg} at line {exc.lineno}, "
                                 f"column {exc.colno}") from None
