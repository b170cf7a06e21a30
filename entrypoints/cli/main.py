"""The ``lugang`` command: the top-level parser, and the one place errors become exit codes.

Each area registers its own subcommands (``register(subparsers, settings)``); the handlers
get the settings and the reference from the composition root (:mod:`entrypoints.bootstrap`).
Errors that a user can fix (an unreachable broker, an unreadable recording, a bad option)
end the command with one line on stderr and exit status 1, never a traceback.
"""

from __future__ import annotations

import argparse
import sys

from entrypoints import bootstrap
from entrypoints.cli import config, contract, dashboards, demo, grafana, produce, report, worker
from entrypoints.cli.common import CommandError, Handler
from lugang import __version__
from lugang.reference import ReferenceConfigError
from lugang.settings import Settings
from lugang.topics import BrokerUnreachable
from producers.records import RecordingError
from producers.sender import DeliveryFailed

# In the order ``lugang --help`` lists them.
AREAS = (demo, produce, worker, report, dashboards, grafana, contract, config)


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
    """Entry point of the ``lugang`` console script."""
    args = build_parser().parse_args(argv)
    handler: Handler = args.handler
    try:
        return handler(args)
    except (
        CommandError,
        BrokerUnreachable,
        RecordingError,
        ReferenceConfigError,
        DeliveryFailed,
    ) as exc:
        print(f"lugang {args.command}: {exc}", file=sys.stderr)
    except OSError as exc:
        print(
            f"lugang {args.command}: {exc.strerror or exc}: {exc.filename or ''}", file=sys.stderr
        )
    except KeyboardInterrupt:
        print(f"lugang {args.command}: interrupted", file=sys.stderr)
    return 1


if __name__ == "__main__":
    raise SystemExit(main())
