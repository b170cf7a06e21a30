"""``lugang demo``: the whole monitor on the embedded broker."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

from entrypoints import bootstrap
from entrypoints.cli.common import CommandError, Subparsers, day, port_number, positive_float
from entrypoints.embedded import BrokerStartError
from lugang.settings import Settings
from lugang.topics import BrokerUnreachable


def _demo(args: argparse.Namespace) -> int:
    """The whole monitor on the embedded broker, with a live board."""
    from entrypoints.demo import run_demo

    try:
        run_demo(
            bootstrap.reference(args.reference),
            args.seconds,
            args.start,
            args.speed,
            args.port,
            reference_path=args.reference,
        )
    except BrokerUnreachable as exc:  # its own broker: LUGANG_KAFKA_BOOTSTRAP is no help
        raise CommandError(
            f"the embedded broker at {exc.bootstrap} stopped answering ({exc.reason})"
        ) from None
    except (BrokerStartError, RuntimeError) as exc:
        raise CommandError(str(exc)) from None
    return 0


def register(commands: Subparsers, settings: Settings) -> None:
    """Add ``demo``."""
    del settings  # the demo configures its own worker
    demo = commands.add_parser(
        "demo",
        help="run the monitor on the embedded broker (no servers needed)",
        description="Run Lugang end to end with no servers: an embedded Kafka-compatible "
        "broker (Tansu, in memory), a stream worker, and the simulator sending the plan's "
        "traffic at a day a minute, with a live board of train runs, 天天班, TEU against "
        "the plan and open cold-chain exceptions. With LUGANG_INFLUX_URL and "
        "LUGANG_ALERTMANAGER_URL set, the worker writes to InfluxDB and pages too.",
    )
    demo.add_argument(
        "--start",
        type=day,
        default=date(2026, 1, 1),
        help="first simulated day (default: %(default)s)",
    )
    demo.add_argument(
        "--speed",
        type=positive_float,
        default=1440,
        help="simulated seconds per second (default: %(default)s, a day a minute)",
    )
    demo.add_argument(
        "--reference",
        type=Path,
        default=None,
        help="reference configuration [env: LUGANG_REFERENCE] (default: the packaged one)",
    )
    demo.add_argument(
        "--port", type=port_number, default=None, help="broker port (default: a free one)"
    )
    demo.add_argument(
        "--seconds",
        type=positive_float,
        default=None,
        help="stop after this many seconds (default: until Ctrl-C)",
    )
    demo.set_defaults(handler=_demo)
