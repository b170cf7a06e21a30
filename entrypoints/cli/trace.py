"""``lugang trace``: the whole journey of one container, from InfluxDB and Alertmanager
(what it shows: :mod:`dashboards.trace`)."""

from __future__ import annotations

import argparse
import json
import textwrap
from datetime import date, timedelta
from functools import partial
from pathlib import Path
from typing import Final
from urllib.parse import urlsplit

from pydantic import TypeAdapter, ValidationError

from entrypoints import bootstrap
from entrypoints.cli.ack import ALERTMANAGER_FIX, current
from entrypoints.cli.common import CommandError, Subparsers, day
from lugang.contract import EquipmentReference
from lugang.settings import Settings
from streams.sinks.silences import AlertmanagerSilences

DEFAULT_DAYS: Final = 365
"""How far back the trace looks without --from: the box's whole history within a year."""
EXAMPLE: Final = "MSKU9070323"
DESCRIPTION = (
    "Trace one container's whole journey (the cold chain from end to end) on one page, from "
    "the points the worker wrote to InfluxDB (the acknowledgements it recorded among them) "
    "and the acknowledgements in force in Alertmanager: "
    "(1) its moves (gate in, load, discharge, gate out: time, place, direction, train, "
    "corridor, commodity, gross weight); (2) the trains those moves name: departure, arrival "
    "and transit time against the corridor's benchmark; (3) its readings: supply air, return "
    "air and setpoint, the gaps (readings more than the TELEMETRY_GAP time apart) and the "
    "power-off periods; (4) every cold-chain exception: kind, start, end, peak deviation, "
    "duration and who acknowledged it, when and why; (5) per trip (one stay on watch, ending "
    "at gate out at the port, discharge at the far end, or arrival there of the outbound "
    "train it was loaded on): readings, band, time out of band, the largest deviation, "
    "min/max and the mean kinetic temperature (MKT, USP <1079>, with the commodity's "
    "activation energy). Plain text by default, --json for another system, --html FILE for "
    "one self-contained printable page with a chart. Errors (a bad container number, "
    "InfluxDB or Alertmanager unreachable, nothing of that box in the window) are one line "
    "and exit status 1."
)


def equipment_reference(text: str) -> str:
    """The container number, checked as the contract checks it (ISO 6346, check digit).

    Raises:
        CommandError: not a container number.
    """
    try:
        number: str = TypeAdapter(EquipmentReference).validate_python(text)
    except ValidationError as exc:
        reason = exc.errors()[0]["msg"]
        raise CommandError(f"{text!r:.40} is not a container number: {reason}") from None
    return number


def days_of(start: date | None, end: date | None, today: date) -> tuple[date, date]:
    """The local days traced: --from and --to, else the :data:`DEFAULT_DAYS` up to --to
    (else today).

    Raises:
        CommandError: --from after --to.
    """
    last = end or today
    first = start or last - timedelta(days=DEFAULT_DAYS)
    if first > last:
        raise CommandError(f"--from {first} is after --to {last}: nothing to trace")
    return first, last


def _host(url: str) -> str:
    return urlsplit(url).netloc or url


def _trace(args: argparse.Namespace, settings: Settings) -> int:
    from dashboards.trace.data import read_trace, window

    number = equipment_reference(args.equipment_reference)
    reference = bootstrap.reference(args.reference)
    if not args.influx_url:
        raise CommandError(
            "no InfluxDB to read the journey from: set --influx-url or LUGANG_INFLUX_URL"
        )
    first, last = days_of(args.from_, args.to, reference.home.today())
    start, end = window(first, last, reference.home.tz)
    database, _, retention = args.influx_bucket.partition("/")
    source = f"InfluxDB {_host(args.influx_url)} database {database}"
    acks = None
    if args.alertmanager_url:
        silences = AlertmanagerSilences(args.alertmanager_url, ALERTMANAGER_FIX)
        acks = current(silences, args.app_id)
        source += f"; Alertmanager {_host(args.alertmanager_url)}"
    else:
        source += "; no Alertmanager URL: acknowledgements not read"
    trace = read_trace(
        args.influx_url,
        database,
        number,
        start,
        end,
        reference,
        acks,
        retention=retention or None,
        token=settings.influx_token.get_secret_value() or None,
        source=source,
    )
    if args.json:
        print(json.dumps(trace.to_json(), ensure_ascii=False, indent=2))
    elif args.html is not None:
        from dashboards.trace.page import render_html

        target: Path = args.html
        target.write_text(render_html(trace), encoding="utf-8")
        print(f"wrote the trace of {number} from {first} to {last} to {target}")
    else:
        from dashboards.trace.text import render_text

        print(render_text(trace))
    return 0


def register(commands: Subparsers, settings: Settings) -> None:
    """Add ``trace``."""
    trace = commands.add_parser(
        "trace",
        help="one container's whole journey: moves, trains, temperatures, exceptions, trips",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=textwrap.fill(DESCRIPTION, 79),
        epilog="examples:\n"
        f"  lugang trace {EXAMPLE}\n"
        f"  lugang trace {EXAMPLE} --from 2026-03-01 --to 2026-03-31 --json\n"
        f"  lugang trace {EXAMPLE} --html trace.html",
    )
    trace.add_argument(
        "equipment_reference",
        metavar="EQUIPMENT_REFERENCE",
        help=f"the container number (ISO 6346, with its check digit), e.g. {EXAMPLE}",
    )
    trace.add_argument(
        "--from",
        dest="from_",
        type=day,
        default=None,
        metavar="DATE",
        help="the first local day (YYYY-MM-DD, the port's time zone) (default: "
        f"{DEFAULT_DAYS} days before --to: the box's whole history within a year)",
    )
    trace.add_argument(
        "--to",
        type=day,
        default=None,
        metavar="DATE",
        help="the last local day, included (default: today in the port's time zone)",
    )
    output = trace.add_mutually_exclusive_group()
    output.add_argument(
        "--json",
        action="store_true",
        help="print the trace as JSON (equipment_reference, from, to, moves, trains, "
        "readings, gaps, power_off, exceptions, trips, acknowledgements)",
    )
    output.add_argument(
        "--html",
        type=Path,
        default=None,
        metavar="FILE",
        help="write one self-contained HTML page (a chart of supply and return air and "
        "setpoint against the band, with gaps, power-off and moves marked; the timeline, "
        "exceptions and trips; printable on A4) to FILE",
    )
    trace.add_argument(
        "--influx-url",
        default=settings.influx_url,
        help="InfluxDB with the worker's points [env: LUGANG_INFLUX_URL] "
        f"(default: {settings.influx_url or 'unset'})",
    )
    trace.add_argument(
        "--influx-bucket",
        default=settings.influx_bucket,
        help="database/retention policy (2.x: the bucket's v1 mapping) "
        "[env: LUGANG_INFLUX_BUCKET] (default: %(default)s)",
    )
    trace.add_argument(
        "--alertmanager-url",
        default=settings.alertmanager_url,
        help="Alertmanager's base URL, whose silences say who acknowledged an exception "
        "[env: LUGANG_ALERTMANAGER_URL] (default: "
        f"{settings.alertmanager_url or 'unset: no acknowledgements, and the output says so'})",
    )
    trace.add_argument(
        "--app-id",
        default=settings.app_id,
        help="the pipeline whose acknowledgements are read: its app id [env: LUGANG_APP_ID] "
        "(default: %(default)s)",
    )
    trace.add_argument(
        "--reference",
        type=Path,
        default=None,
        help="reference configuration: the port's time zone, home location, commodities "
        "(band, activation energy) [env: LUGANG_REFERENCE] (default: the packaged one)",
    )
    trace.set_defaults(handler=partial(_trace, settings=settings))
