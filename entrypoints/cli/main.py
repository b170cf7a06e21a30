"""The ``lugang`` command: the top-level parser, and the one place errors become exit codes.

Each area registers its own subcommands (``register(subparsers, settings)``); the handlers
get the settings and the reference from the composition root (:mod:`entrypoints.bootstrap`).
Errors that a user can fix (an unreachable server, an unreadable recording, a bad
``LUGANG_*`` value) end the command with one line on stderr and exit status 1, a usage
error with 2, Ctrl-C with 130, never a traceback (:mod:`entrypoints.cli.failures`).
"""

from __future__ import annotations

import argparse
import sys

from pydantic import ValidationError

from entrypoints import bootstrap
from entrypoints.cli import (
    ack,
    config,
    contract,
    dashboards,
    demo,
    failures,
    grafana,
    produce,
    report,
    trace,
    worker,
)
from entrypoints.cli.common import Handler
from lugang import __version__
from lugang.settings import Settings

# In the order ``lugang --help`` lists them.
AREAS = (demo, produce, worker, report, ack, trace, dashboards, grafana, contract, config)


def build_parser(settings: Settings | None = None) -> argparse.ArgumentParser:
    """The argument parser of ``lugang`` and its subcommands."""
    settings = settings or bootstrap.settings()
    parser = argparse.ArgumentParser(
        prog="lugang",
        description="Lugang (陆港): live operations monitor for the trains and cold chain of "
        "an inland land port; the port, its corridors and targets come from the reference "
        "configuration.",
        epilog="Run 'lugang COMMAND --help' for the options of one command.",
    )
    parser.add_argument("--version", action="version", version=f"lugang {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for area in AREAS:
        area.register(commands, settings)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``lugang`` console script; what failures print and which exit
    status they give is :mod:`entrypoints.cli.failures`'s."""
    try:
        return _run(argv)
    except KeyboardInterrupt:
        print("lugang: interrupted", file=sys.stderr)
        return failures.EXIT_INTERRUPTED


def _run(argv: list[str] | None) -> int:
    try:
        settings = bootstrap.settings()
    except ValidationError as exc:  # a bad LUGANG_* value, before the parser can be built
        print(f"lugang: {failures.settings_message(exc)}", file=sys.stderr)
        return failures.EXIT_ERROR
    args = build_parser(settings).parse_args(argv)  # a usage error exits with 2
    handler: Handler = args.handler
    try:
        return handler(args)
    except Exception as exc:
        message = failures.describe(exc, args)
        if message is None:
            raise
        print(f"lugang {args.command}: {message}", file=sys.stderr)
        return failures.EXIT_ERROR


if __name__ == "__main__":
    raise SystemExit(main())
