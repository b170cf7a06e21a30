"""What the subcommands share: the user-facing error, the handler type, Kafka options."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeAlias

from lugang.settings import Settings

Handler: TypeAlias = Callable[[argparse.Namespace], int]
# What ArgumentParser.add_subparsers returns; typeshed gives that class no public name.
Subparsers: TypeAlias = "argparse._SubParsersAction[Any]"  # noqa: SLF001


STDOUT = "-"
"""The file name that means standard output, as in ``--json-schema -``."""


class CommandError(Exception):
    """A failure the user can act on; its message is printed as it is."""


def speed(text: str) -> float | None:
    """``max`` (as fast as possible), ``realtime`` (1) or a factor such as 1440."""
    if text == "max":
        return None
    if text == "realtime":
        return 1.0
    try:
        factor = float(text)
    except ValueError:
        factor = 0.0
    if not factor > 0:
        raise argparse.ArgumentTypeError("use max, realtime or a positive factor like 1440")
    return factor


def kafka_options(parser: argparse.ArgumentParser, settings: Settings) -> None:
    """``--bootstrap`` and ``--topic-prefix``."""
    parser.add_argument(
        "--bootstrap",
        default=settings.kafka_bootstrap,
        help="Kafka bootstrap servers [env: LUGANG_KAFKA_BOOTSTRAP] (default: %(default)s)",
    )
    parser.add_argument(
        "--topic-prefix",
        default=settings.topic_prefix,
        help="prefix of the topic names trains, containers, reefer, deadletter "
        "[env: LUGANG_TOPIC_PREFIX] (default: none)",
    )


def send_options(parser: argparse.ArgumentParser, settings: Settings) -> None:
    """The Kafka options plus ``--partitions``, ``--reference`` and ``--speed``."""
    kafka_options(parser, settings)
    parser.add_argument(
        "--partitions",
        type=int,
        default=settings.topic_partitions,
        help="partitions of topics created when missing [env: LUGANG_TOPIC_PARTITIONS] "
        "(default: %(default)s)",
    )
    parser.add_argument(
        "--reference",
        type=Path,
        default=None,
        help="reference configuration (corridors, places, targets, commodities) to validate "
        "against (default: the packaged reference.toml)",
    )
    parser.add_argument(
        "--speed",
        type=speed,
        default=None,
        help="max (default: as fast as possible), realtime, or a time factor: 1440 plays a "
        "day of event time in a minute",
    )
