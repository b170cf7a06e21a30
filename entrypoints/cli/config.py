"""``lugang settings``: the ``LUGANG_*`` settings this command sees, or their README table."""

from __future__ import annotations

import argparse
from functools import partial
from pathlib import Path

from pydantic import SecretStr

from entrypoints.cli.common import STDOUT, CommandError, Subparsers
from lugang.settings import Settings, environment_variable, markdown_table, with_markdown_table


def _shown(value: object) -> str:
    """A setting's value as printed: secrets hidden, None as ``unset``."""
    if value is None:
        return "unset"
    if isinstance(value, SecretStr):
        return "********"
    return str(value) or "empty"


def _settings(args: argparse.Namespace, settings: Settings) -> int:
    """Print the README table, or every setting with its value and where it came from."""
    if args.markdown == STDOUT:
        print(markdown_table(), end="")
        return 0
    if args.markdown is not None:
        readme = Path(args.markdown)
        try:
            readme.write_text(with_markdown_table(readme.read_text("utf-8")), "utf-8")
        except ValueError as exc:
            raise CommandError(f"{readme}: {exc}") from None
        print(readme)
        return 0
    rows = [
        (
            environment_variable(name),
            _shown(getattr(settings, name)),
            "environment" if name in settings.model_fields_set else "default",
        )
        for name in Settings.model_fields
    ]
    widths = [max(len(row[column]) for row in rows) for column in (0, 1)]
    for variable, value, origin in rows:
        print(f"{variable:<{widths[0]}}  {value:<{widths[1]}}  {origin}")
    return 0


def register(commands: Subparsers, settings: Settings) -> None:
    """Add ``settings``."""
    parser = commands.add_parser(
        "settings",
        help="show the LUGANG_* settings, or print the README's configuration table",
        description="Print every LUGANG_* setting as this command sees it: its value (secrets "
        "hidden) and whether it came from the environment or is the default. Run it where "
        "a worker runs (docker compose exec worker lugang settings) to see what the worker "
        "was given. The settings are the fields of lugang/settings.py; --markdown prints "
        "the table of README.md's Configuration section, generated from them; "
        "'lugang settings --markdown README.md' regenerates it there.",
    )
    parser.add_argument(
        "--markdown",
        nargs="?",
        const=STDOUT,
        metavar="README",
        help="instead, print the README's configuration table (variable, type, default, "
        "meaning), or with README (e.g. README.md) write it between the file's "
        "settings-table markers",
    )
    parser.set_defaults(handler=partial(_settings, settings=settings))
