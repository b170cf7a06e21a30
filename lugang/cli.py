"""The ``lugang`` command: every subcommand lives here, each a thin call into its module."""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import tempfile
import threading
from pathlib import Path

from lugang import __version__
from lugang.embedded import BrokerStartError, tansu_broker


def _demo(args: argparse.Namespace) -> int:
    """Start the embedded broker and keep it up until Ctrl-C (or --seconds)."""
    log = Path(tempfile.gettempdir()) / "lugang-demo" / "tansu.log"
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        with tansu_broker(log, port=args.port) as bootstrap:
            print(f"Lugang demo: embedded Tansu broker ready on {bootstrap} (log {log}).")
            print("The stream processor and live board are not built yet: only the broker runs.")
            until = "Ctrl-C" if args.seconds is None else f"{args.seconds:g} s"
            print(f"Running until {until}.", flush=True)
            with contextlib.suppress(KeyboardInterrupt):
                stop.wait(args.seconds)
    except BrokerStartError as exc:
        print(f"lugang demo: {exc}", file=sys.stderr)
        return 1
    print("Lugang demo stopped.")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``lugang`` and its subcommands."""
    parser = argparse.ArgumentParser(
        prog="lugang",
        description="Lugang (陆港): live operations monitor for the trains and cold chain of "
        "Huaihua International Land Port.",
        epilog="Run 'lugang COMMAND --help' for the options of one command.",
    )
    parser.add_argument("--version", action="version", version=f"lugang {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = commands.add_parser(
        "demo",
        help="run the monitor on the embedded broker (no servers needed)",
        description="Run Lugang end to end on an embedded Kafka-compatible broker (Tansu, in "
        "memory). For now this starts the broker only and prints that it is ready.",
    )
    demo.add_argument("--port", type=int, default=None, help="broker port (default: a free one)")
    demo.add_argument(
        "--seconds",
        type=float,
        default=None,
        help="stop after this many seconds (default: until Ctrl-C)",
    )
    demo.set_defaults(handler=_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``lugang`` console script."""
    args = build_parser().parse_args(argv)
    code: int = args.handler(args)
    return code


if __name__ == "__main__":
    raise SystemExit(main())
