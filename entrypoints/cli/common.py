"""What the subcommands share: the user-facing error, the handler type, the types of
options (argparse refuses an impossible value as a usage error, exit status 2), Kafka
options."""

from __future__ import annotations

import argparse
import math
import re
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any, TypeAlias, TypeVar

from lugang.settings import Settings

Handler: TypeAlias = Callable[[argparse.Namespace], int]
# What ArgumentParser.add_subparsers returns; typeshed gives that class no public name.
Subparsers: TypeAlias = "argparse._SubParsersAction[Any]"  # noqa: SLF001
N = TypeVar("N", int, float)


STDOUT = "-"
"""The file name that means standard output, as in ``--json-schema -``."""


class CommandError(Exception):
    """A failure the user can act on; its message is printed as it is."""


def _number(text: str, kind: Callable[[str], N], what: str) -> N:
    try:
        value = kind(text)
    except ValueError:
        value = None
    if value is None or not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{text!r} is not {what}")
    return value


def _bounded(text: str, kind: Callable[[str], N], what: str, ok: Callable[[N], bool], no: str) -> N:
    """``text`` as a ``kind`` (else: not ``what``) that ``ok`` accepts (else: ``text`` ``no``)."""
    value = _number(text, kind, what)
    if not ok(value):
        raise argparse.ArgumentTypeError(f"{text} {no}")
    return value


def positive_float(text: str) -> float:
    """A number above 0 (a factor, a number of seconds)."""
    return _bounded(text, float, "a number", lambda v: v > 0, "is not above 0")


def positive_int(text: str) -> int:
    """A whole number from 1 (a count)."""
    return _bounded(text, int, "a whole number", lambda v: v >= 1, "is less than 1")


def days_count(text: str) -> int:
    """A number of days, 0 to 366 (a year at most)."""
    days = "is not a number of days from 0 to 366"
    return _bounded(text, int, "a whole number", lambda v: 0 <= v <= 366, days)


def port_number(text: str) -> int:
    """A TCP port, 1 to 65535."""
    port = "is not a port number (1 to 65535)"
    return _bounded(text, int, "a port number", lambda v: 1 <= v <= 65535, port)


def share(text: str) -> float:
    """A share from 0 to 1 (a rate of injected faults)."""
    return _bounded(text, float, "a number", lambda v: 0 <= v <= 1, "is not a share from 0 to 1")


def day(text: str) -> date:
    """A day, YYYY-MM-DD."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a day YYYY-MM-DD") from None


_DURATION = re.compile(r"(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?")
_DURATION_UNITS = ("weeks", "days", "hours", "minutes", "seconds")


def duration(text: str) -> timedelta:
    """A length of time as Alertmanager's tools write it: whole numbers of weeks, days,
    hours, minutes and seconds, largest first, such as ``30m``, ``2h``, ``1d`` or ``1h30m``."""
    match = _DURATION.fullmatch(text.strip().lower())
    if match is None or not any(match.groups()):
        raise argparse.ArgumentTypeError(f"{text!r} is not a duration such as 30m, 2h, 1d or 1h30m")
    amounts = {unit: int(n) for unit, n in zip(_DURATION_UNITS, match.groups(), strict=True) if n}
    length = timedelta(**amounts)
    if length <= timedelta(0):
        raise argparse.ArgumentTypeError(f"{text} is not above 0")
    return length


def speed(text: str) -> float | None:
    """``max`` (as fast as possible), ``realtime`` (1) or a factor such as 1440."""
    if text == "max":
        return None
    if text == "realtime":
        return 1.0
    try:
        return positive_float(text)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(
            "use max, realtime or a positive factor like 1440"
        ) from None


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
        type=positive_int,
        default=settings.topic_partitions,
        help="partitions of topics created when missing [env: LUGANG_TOPIC_PARTITIONS] "
        "(default: %(default)s)",
    )
    parser.add_argument(
        "--reference",
        type=Path,
        default=None,
        help="reference configuration (corridors, places, targets, commodities) to validate "
        "against [env: LUGANG_REFERENCE] (default: the packaged reference.toml)",
    )
    parser.add_argument(
        "--speed",
        type=speed,
        default=None,
        help="max (default: as fast as possible), realtime, or a time factor: 1440 plays a "
        "day of event time in a minute",
    )
