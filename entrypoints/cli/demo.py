"""``lugang demo``: the whole monitor on the embedded broker."""

from __future__ import annotations

import argparse
from pathlib import Path

from entrypoints import bootstrap
from entrypoints.cli.common import (
    CommandError,
    Subparsers,
    day,
    days_count,
    port_number,
    positive_float,
)
from entrypoints.embedded import BrokerStartError
from lugang.settings import Settings
from lugang.topics import BrokerUnreachable
from producers.showcase import A_DAY_A_MINUTE, HISTORY_DAYS, START


def _demo(args: argparse.Namespace) -> int:
    """The whole monitor on the embedded broker, with a live board."""
    from entrypoints.demo import Plan, run_demo

    try:
        run_demo(
            bootstrap.reference(args.reference),
            args.seconds,
            Plan(args.start, args.history, args.speed),
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
        "broker (Tansu, in memory), a stream worker, and the simulator sending a week of "
        "the plan's traffic at full speed, then the rest at a day a minute, with a live "
        "board of train runs, the last days' 天天班 streaks and missed days, TEU against the "
        "plan, and cold-chain exceptions as they open and close. With LUGANG_INFLUX_URL "
        "and LUGANG_ALERTMANAGER_URL set, the worker writes to InfluxDB and pages too.",
    )
    demo.add_argument(
        "--start",
        type=day,
        default=START,
        help="first simulated day (default: %(default)s; the demo's seed is chosen so that "
        "its first minute from this day shows every kind of thing the monitor does)",
    )
    demo.add_argument(
        "--history",
        type=days_count,
        default=HISTORY_DAYS,
        metavar="DAYS",
        help="days from --start sent at full speed before going live (default: %(default)s)",
    )
    demo.add_argument(
        "--speed",
        type=positive_float,
        default=A_DAY_A_MINUTE,
        help="simulated seconds per second once live (default: %(default)g, a day a minute)",
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
