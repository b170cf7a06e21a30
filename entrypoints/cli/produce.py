"""``lugang replay``, ``simulate`` and ``record``: the producers' commands."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from pathlib import Path

from entrypoints import bootstrap
from entrypoints.cli.common import (
    CommandError,
    Subparsers,
    day,
    kafka_options,
    positive_float,
    send_options,
    share,
)
from entrypoints.cli.progress import HELP as PROGRESS_HELP
from entrypoints.cli.progress import Progress, Window
from lugang.reference import Reference
from lugang.settings import Settings
from lugang.topics import TopicNames, ensure_topics, require_broker
from producers.pacing import paced
from producers.records import Record, write_recording
from producers.sender import SendSummary, ValidatingSender, make_producer, verdict
from producers.simulator import SimulationConfig


def _send_all(
    args: argparse.Namespace,
    reference: Reference,
    records: Iterable[tuple[Record, str, str | None]],
) -> int:
    """Create the topics, send (record, source, verdict) triples through a validating
    sender, and print the summary."""
    topics = TopicNames(args.topic_prefix)
    ensure_topics(args.bootstrap, [*topics.inputs, topics.dead_letter], args.partitions)
    sender = ValidatingSender(make_producer(args.bootstrap), topics, reference)
    for record, source, reason in records:
        sender.send_checked(record, source, reason)
    summary = sender.close()
    _print_summary(summary, topics)
    return 0


def _print_summary(summary: SendSummary, topics: TopicNames) -> None:
    print("\n".join(summary.lines()))
    if summary.rejected:
        print(f"rejected records are in the dead-letter topic {topics.dead_letter}")


def _event_time(record: Record) -> int:
    return record.timestamp_ms


def _simulate(args: argparse.Namespace) -> int:
    from producers.simulator import SimulationSummary, simulate

    reference = bootstrap.reference(args.reference)
    rates = {
        name: getattr(args, name)
        for name in SimulationConfig.model_fields
        if name.endswith("_rate")
    }
    # A ValidationError (--end before --start) reaches main, which names the options.
    config = SimulationConfig(
        start=args.start, end=args.end, seed=args.seed, scale=args.scale, **rates
    )
    summary = SimulationSummary()
    try:
        records = simulate(config, reference, summary)
    except ValueError as exc:  # the reference has no targets for a year of the window
        raise CommandError(str(exc)) from None
    tz = reference.home.tz
    progress = Progress("simulate", Window(*config.window_ms(tz)), tz)
    if args.out is not None:
        with args.out.open("wb") as out:
            count = write_recording(progress.track(records, _event_time), out)
        print(f"wrote {count:,} records to {args.out}")
    else:
        paced_records = progress.track(paced(records, args.speed), _event_time)
        checked = ((r, "simulator", verdict(r, reference)) for r in paced_records)
        _send_all(args, reference, checked)
    print(
        "injected: "
        + (", ".join(f"{k} {n}" for k, n in sorted(summary.injected.items())) or "nothing")
    )
    return 0


def _replay(args: argparse.Namespace) -> int:
    from producers.ahead import IN_CHILD_FROM_BYTES, Checker
    from producers.replay import check_recording, replayed_records

    # The child that validates ahead of the producer starts while this process reads the
    # file the first time.
    in_child = args.recording.is_file() and args.recording.stat().st_size >= IN_CHILD_FROM_BYTES
    with Checker(in_child) as checker:
        count = check_recording(args.recording)
        print(f"{args.recording}: {count:,} records, all readable", file=sys.stderr)
        reference = bootstrap.reference(args.reference)
        progress = Progress(f"replay {args.recording.name}", count, reference.home.tz)
        checked = replayed_records(args.recording, args.speed, reference, checker)
        return _send_all(args, reference, progress.track(checked, lambda c: c[0].timestamp_ms))


def _record(args: argparse.Namespace) -> int:
    from producers.recorder import consume_records

    topics = TopicNames(args.topic_prefix)
    require_broker(args.bootstrap)
    # No --reference here: the packaged reference's time zone shows the event times (with
    # their offset, so they are right whatever the port).
    progress = Progress("record", None, bootstrap.reference(None).home.tz)
    records = consume_records(args.bootstrap, topics, args.idle_timeout, not args.follow)
    with args.out.open("wb") as out:
        count = write_recording(progress.track(records, _event_time), out)
    print(f"recorded {count:,} records from {', '.join(topics.inputs)} into {args.out}")
    return 0


def register(commands: Subparsers, settings: Settings) -> None:
    """Add ``replay``, ``simulate`` and ``record``."""
    _register_replay(commands, settings)
    _register_simulate(commands, settings)
    _register_record(commands, settings)


def _register_replay(commands: Subparsers, settings: Settings) -> None:
    replay = commands.add_parser(
        "replay",
        help="publish a JSON Lines recording to Kafka",
        description="Publish a recording (one JSON object a line: topic, key, value, "
        "timestamp) to Kafka. The whole file is read first, so an unreadable or truncated "
        "recording sends nothing. Records go out in file order, keyed by entity id, so each "
        "train's and container's order is kept; invalid records go to the dead-letter topic "
        f"with the reason. {PROGRESS_HELP}",
        epilog="example: lugang replay tests/data/week.jsonl --speed 1440",
    )
    replay.add_argument("recording", type=Path, help="the recording (.jsonl)")
    send_options(replay, settings)
    replay.set_defaults(handler=_replay)


def _register_simulate(commands: Subparsers, settings: Settings) -> None:
    simulate = commands.add_parser(
        "simulate",
        help="generate realistic port operations (seeded) into Kafka or a recording",
        description="Generate train departures and arrivals, container loads and discharges "
        "and reefer readings at the plan's scale (2026: about 500 train runs, 50,000 TEU, "
        "500 reefer TEU a year) for a span of local days, with injected faults at the given "
        "rates. The same seed gives the same stream, byte for byte. Records go to Kafka "
        "(validated; malformed ones to the dead-letter topic) or, with --out, to a recording. "
        + PROGRESS_HELP,
        epilog="examples: lugang simulate --start 2026-03-01 --end 2026-03-07 --speed 1440\n"
        "          lugang simulate --start 2026-01-01 --end 2026-12-31 --out year.jsonl",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    simulate.add_argument("--start", type=day, required=True, help="first local day, YYYY-MM-DD")
    simulate.add_argument("--end", type=day, required=True, help="last local day (inclusive)")
    simulate.add_argument("--seed", type=int, default=0, help="random seed (default: %(default)s)")
    simulate.add_argument(
        "--scale",
        type=positive_float,
        default=1.0,
        help="multiplies the plan's volumes (default: %(default)s)",
    )
    for name, field in SimulationConfig.model_fields.items():
        if name.endswith("_rate"):
            simulate.add_argument(
                f"--{name.replace('_', '-')}",
                type=share,
                default=field.default,
                help=f"{field.description} (default: %(default)s)",
            )
    simulate.add_argument(
        "--out", type=Path, default=None, help="write a recording instead of producing"
    )
    send_options(simulate, settings)
    simulate.set_defaults(handler=_simulate)


def _register_record(commands: Subparsers, settings: Settings) -> None:
    record = commands.add_parser(
        "record",
        help="consume the input topics into a JSON Lines recording",
        description="Consume trains, containers and reefer from the beginning into a "
        "recording that 'lugang replay' can publish again. Stops at the end of what the "
        "topics held when it started, or with --follow when nothing arrives for "
        f"--idle-timeout seconds. {PROGRESS_HELP}",
        epilog="example: lugang record --out capture.jsonl --follow --idle-timeout 60",
    )
    record.add_argument("--out", type=Path, required=True, help="the recording to write")
    record.add_argument(
        "--follow", action="store_true", help="keep recording new records until idle"
    )
    record.add_argument(
        "--idle-timeout",
        type=positive_float,
        default=10.0,
        help="stop after this many seconds without a record (default: %(default)s)",
    )
    kafka_options(record, settings)
    record.set_defaults(handler=_record)
