"""The ``lugang`` command: every subcommand lives here, each a thin call into its module.

Errors that a user can fix (an unreachable broker, an unreadable recording, a bad option)
end the command with one line on stderr and exit status 1, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterable
from datetime import date
from pathlib import Path

from kafka.errors import KafkaError
from pydantic import SecretStr

from lugang import __version__
from lugang.embedded import BrokerStartError
from lugang.reference import ReferenceConfigError, load_reference
from lugang.settings import Settings
from lugang.topics import BrokerUnreachable, TopicNames, ensure_topics, require_broker
from producers.pacing import Progress, paced
from producers.records import Record, RecordingError, write_recording
from producers.sender import DeliveryFailed, SendSummary, ValidatingSender, make_producer
from producers.simulator import SimulationConfig


class CommandError(Exception):
    """A failure the user can act on; its message is printed as it is."""


def _demo(args: argparse.Namespace) -> int:
    """The whole monitor on the embedded broker, with a live board."""
    from lugang.demo import run_demo

    try:
        run_demo(load_reference(args.reference), args.seconds, args.start, args.speed, args.port)
    except (BrokerStartError, RuntimeError) as exc:
        raise CommandError(str(exc)) from None
    return 0


def _send_all(args: argparse.Namespace, records: Iterable[tuple[Record, str]]) -> int:
    """Create the topics, send (record, source) pairs through a validating sender, and
    print the summary."""
    topics = TopicNames(args.topic_prefix)
    try:
        ensure_topics(args.bootstrap, [*topics.inputs, topics.dead_letter], args.partitions)
        sender = ValidatingSender(
            make_producer(args.bootstrap), topics, load_reference(args.reference)
        )
        for record, source in records:
            sender.send(record, source)
        summary = sender.close()
    except KafkaError as exc:
        raise CommandError(
            f"Kafka at {args.bootstrap} failed: {exc!r}; is the broker running? "
            "(set --bootstrap or LUGANG_KAFKA_BOOTSTRAP)"
        ) from None
    _print_summary(summary, topics)
    return 0


def _print_summary(summary: SendSummary, topics: TopicNames) -> None:
    print("\n".join(summary.lines()))
    if summary.rejected:
        print(f"rejected records are in the dead-letter topic {topics.dead_letter}")


def _simulate(args: argparse.Namespace) -> int:
    from producers.simulator import SimulationSummary, simulate

    rates = {
        name: getattr(args, name)
        for name in SimulationConfig.model_fields
        if name.endswith("_rate")
    }
    try:
        config = SimulationConfig(
            start=args.start, end=args.end, seed=args.seed, scale=args.scale, **rates
        )
        summary = SimulationSummary()
        records = simulate(config, load_reference(args.reference), summary)
    except ValueError as exc:
        raise CommandError(str(exc).splitlines()[0]) from None
    if args.out is not None:
        with args.out.open("wb") as out:
            count = write_recording(Progress("simulate").track(records), out)
        print(f"wrote {count:,} records to {args.out}")
    else:
        paced_records = Progress("simulate").track(paced(records, args.speed))
        _send_all(args, ((record, "simulator") for record in paced_records))
    print(
        "injected: "
        + (", ".join(f"{k} {n}" for k, n in sorted(summary.injected.items())) or "nothing")
    )
    return 0


def _replay(args: argparse.Namespace) -> int:
    from producers.replay import check_recording, replayed_records

    count = check_recording(args.recording)
    print(f"{args.recording}: {count:,} records, all readable", file=sys.stderr)
    return _send_all(args, replayed_records(args.recording, args.speed))


def _record(args: argparse.Namespace) -> int:
    from producers.pacing import Progress
    from producers.recorder import consume_records

    topics = TopicNames(args.topic_prefix)
    require_broker(args.bootstrap)
    try:
        records = consume_records(args.bootstrap, topics, args.idle_timeout, not args.follow)
        with args.out.open("wb") as out:
            count = write_recording(Progress("record").track(records), out)
    except KafkaError as exc:
        raise CommandError(f"Kafka at {args.bootstrap} failed: {exc!r}") from None
    print(f"recorded {count:,} records from {', '.join(topics.inputs)} into {args.out}")
    return 0


def _worker(args: argparse.Namespace) -> int:
    """Run a stream worker until it is stopped (SIGINT/SIGTERM)."""
    from faust import Worker

    from streams.app import DAY_FACTS, create_monitor
    from streams.sinks import build_sinks

    settings = Settings()
    reference = load_reference(args.reference)
    topics = TopicNames(settings.topic_prefix)
    # The worker subscribes to the input topics: create them now rather than ignore them.
    ensure_topics(
        settings.kafka_bootstrap, [*topics.inputs, topics.dead_letter], settings.topic_partitions
    )
    ensure_topics(settings.kafka_bootstrap, [topics.name(DAY_FACTS)], 1)
    metrics, alerts = build_sinks(settings)
    monitor = create_monitor(settings, reference, metrics, alerts)
    # faust creates missing changelog topics as it starts, and a partition assignment made
    # before the broker lists one leaves that table out: a worker then waits forever for
    # its global tables to recover. So they are created first.
    for name, partitions in monitor.changelog_topics().items():
        ensure_topics(settings.kafka_bootstrap, [name], partitions, compact=True)
    print(
        f"Lugang worker {settings.app_id}: Kafka {settings.kafka_bootstrap}, "
        f"InfluxDB {settings.influx_url or 'off'}, "
        f"Alertmanager {settings.alertmanager_url or 'off'}, "
        f"status on http://{settings.web_host}:{settings.web_port}/status",
        flush=True,
    )
    Worker(monitor.app, loglevel=args.loglevel).execute_from_commandline()
    return 0


def _report(args: argparse.Namespace) -> int:
    """Print the figures of a day from a worker's /status, or write the HTML report."""
    if args.html is not None:
        from dashboards.report.command import html_report_command
        from dashboards.report.data import ReportError

        try:
            token = Settings().influx_token.get_secret_value()
            return html_report_command(args, load_reference(args.reference), token)
        except ReportError as exc:
            raise CommandError(str(exc)) from None
    import requests

    from dashboards.text_report import render_text

    url = f"{args.url.rstrip('/')}/status"
    try:
        response = requests.get(url, params={"date": args.date.isoformat()}, timeout=10)
        response.raise_for_status()
    except requests.RequestException as exc:
        raise CommandError(
            f"cannot read {url}: {exc}; is a worker running? (lugang worker)"
        ) from None
    body = response.json()
    print(
        json.dumps(body, ensure_ascii=False, indent=2)
        if args.json
        else render_text(body, load_reference(args.reference))
    )
    return 0


def _grafana(args: argparse.Namespace) -> int:
    """Push the dashboards to, or add annotations in, a running Grafana."""
    from dashboards.grafana import commands
    from dashboards.grafana.errors import GrafanaError

    try:
        if args.grafana_command == "annotate":
            return commands.annotate_command(args, load_reference(None))
        return commands.push_command(args)
    except GrafanaError as exc:
        raise CommandError(str(exc)) from None


def _grafana_options(parser: argparse.ArgumentParser, settings: Settings) -> None:
    parser.add_argument(
        "--url",
        default=settings.grafana_url,
        help="Grafana's base URL; http://USER:PASSWORD@HOST:PORT logs in without a token "
        "[env: LUGANG_GRAFANA_URL] (default: %(default)s)",
    )
    parser.add_argument(
        "--token",
        type=SecretStr,
        default=settings.grafana_token,
        help="a service-account token of that Grafana with the Editor role (Administration > "
        "Users and access > Service accounts > Add token); prefer the variable, as a command "
        "line is visible to other users [env: LUGANG_GRAFANA_TOKEN] (default: none)",
    )


def _dashboards(args: argparse.Namespace) -> int:
    """Generate the Grafana dashboards and provisioning files."""
    from dashboards.build import HERE, build_all

    reference = load_reference(args.reference) if args.reference else None
    for path in build_all(args.out or HERE, reference):
        print(path)
    return 0


def _speed(text: str) -> float | None:
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


def _kafka_options(parser: argparse.ArgumentParser, settings: Settings) -> None:
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


def _send_options(parser: argparse.ArgumentParser, settings: Settings) -> None:
    _kafka_options(parser, settings)
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
        "against (default: the packaged Huaihua reference.toml)",
    )
    parser.add_argument(
        "--speed",
        type=_speed,
        default=None,
        help="max (default: as fast as possible), realtime, or a time factor: 1440 plays a "
        "day of event time in a minute",
    )


def build_parser(settings: Settings | None = None) -> argparse.ArgumentParser:
    """The argument parser of ``lugang`` and its subcommands."""
    settings = settings or Settings()
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
        description="Run Lugang end to end with no servers: an embedded Kafka-compatible "
        "broker (Tansu, in memory), a stream worker, and the simulator sending the plan's "
        "traffic at a day a minute, with a live board of train runs, 天天班, TEU against "
        "the plan and open cold-chain exceptions. With LUGANG_INFLUX_URL and "
        "LUGANG_ALERTMANAGER_URL set, the worker writes to InfluxDB and pages too.",
    )
    demo.add_argument(
        "--start",
        type=date.fromisoformat,
        default=date(2026, 1, 1),
        help="first simulated day (default: %(default)s)",
    )
    demo.add_argument(
        "--speed",
        type=float,
        default=1440,
        help="simulated seconds per second (default: %(default)s, a day a minute)",
    )
    demo.add_argument("--reference", type=Path, default=None, help="reference configuration")
    demo.add_argument("--port", type=int, default=None, help="broker port (default: a free one)")
    demo.add_argument(
        "--seconds",
        type=float,
        default=None,
        help="stop after this many seconds (default: until Ctrl-C)",
    )
    demo.set_defaults(handler=_demo)

    replay = commands.add_parser(
        "replay",
        help="publish a JSON Lines recording to Kafka",
        description="Publish a recording (one JSON object a line: topic, key, value, "
        "timestamp) to Kafka. The whole file is read first, so an unreadable or truncated "
        "recording sends nothing. Records go out in file order, keyed by entity id, so each "
        "train's and container's order is kept; invalid records go to the dead-letter topic "
        "with the reason.",
        epilog="example: lugang replay tests/data/week.jsonl --speed 1440",
    )
    replay.add_argument("recording", type=Path, help="the recording (.jsonl)")
    _send_options(replay, settings)
    replay.set_defaults(handler=_replay)

    simulate = commands.add_parser(
        "simulate",
        help="generate realistic port operations (seeded) into Kafka or a recording",
        description="Generate train departures and arrivals, container loads and discharges "
        "and reefer readings at the plan's scale (2026: about 500 train runs, 50,000 TEU, "
        "500 reefer TEU a year) for a span of local days, with injected faults at the given "
        "rates. The same seed gives the same stream, byte for byte. Records go to Kafka "
        "(validated; malformed ones to the dead-letter topic) or, with --out, to a recording.",
        epilog="examples: lugang simulate --start 2026-03-01 --end 2026-03-07 --speed 1440\n"
        "          lugang simulate --start 2026-01-01 --end 2026-12-31 --out year.jsonl",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    simulate.add_argument(
        "--start", type=date.fromisoformat, required=True, help="first local day, YYYY-MM-DD"
    )
    simulate.add_argument(
        "--end", type=date.fromisoformat, required=True, help="last local day (inclusive)"
    )
    simulate.add_argument("--seed", type=int, default=0, help="random seed (default: %(default)s)")
    simulate.add_argument(
        "--scale",
        type=float,
        default=1.0,
        help="multiplies the plan's volumes (default: %(default)s)",
    )
    for name, field in SimulationConfig.model_fields.items():
        if name.endswith("_rate"):
            simulate.add_argument(
                f"--{name.replace('_', '-')}",
                type=float,
                default=field.default,
                help=f"{field.description} (default: %(default)s)",
            )
    simulate.add_argument(
        "--out", type=Path, default=None, help="write a recording instead of producing"
    )
    _send_options(simulate, settings)
    simulate.set_defaults(handler=_simulate)

    record = commands.add_parser(
        "record",
        help="consume the input topics into a JSON Lines recording",
        description="Consume trains, containers and reefer from the beginning into a "
        "recording that 'lugang replay' can publish again. Stops at the end of what the "
        "topics held when it started, or with --follow when nothing arrives for "
        "--idle-timeout seconds.",
        epilog="example: lugang record --out capture.jsonl --follow --idle-timeout 60",
    )
    record.add_argument("--out", type=Path, required=True, help="the recording to write")
    record.add_argument(
        "--follow", action="store_true", help="keep recording new records until idle"
    )
    record.add_argument(
        "--idle-timeout",
        type=float,
        default=10.0,
        help="stop after this many seconds without a record (default: %(default)s)",
    )
    _kafka_options(record, settings)
    record.set_defaults(handler=_record)

    worker = commands.add_parser(
        "worker",
        help="run a stream worker (counts, 天天班, TEU, cold-chain exceptions)",
        description="Run a faust worker that consumes trains, containers and reefer, keeps "
        "daily counts and each container's cold-chain state in tables, writes InfluxDB "
        "(when LUGANG_INFLUX_URL is set), pages through Alertmanager (when "
        "LUGANG_ALERTMANAGER_URL is set) and serves /status. Workers with the same "
        "LUGANG_APP_ID share the partitions. Configured by LUGANG_* variables: see README.",
    )
    worker.add_argument("--reference", type=Path, default=None, help="reference configuration")
    worker.add_argument(
        "--loglevel", default="warning", help="worker log level (default: %(default)s)"
    )
    worker.set_defaults(handler=_worker)

    report = commands.add_parser(
        "report",
        help="print a day's figures against the plan, from a running worker",
        description="Print the day, month-to-date and year-to-date train runs and TEU against "
        "the plan's pro-rata targets, 天天班 per service group and open cold-chain "
        "exceptions, as a running worker's /status reports them.",
    )
    report.add_argument(
        "--date", type=date.fromisoformat, required=True, help="the local day, YYYY-MM-DD"
    )
    report.add_argument("--json", action="store_true", help="print the /status JSON")
    report.add_argument(
        "--url",
        default=f"http://{settings.web_host}:{settings.web_port}",
        help="a worker's web address [env: LUGANG_WEB_HOST, LUGANG_WEB_PORT] "
        "(default: %(default)s)",
    )
    report.add_argument(
        "--html",
        type=Path,
        default=None,
        metavar="FILE",
        help="write the month- or year-to-date evaluation pack (train runs, 天天班, TEU per "
        "category, reefer TEU, transit times and cold-chain exceptions against the plan, with "
        "charts) to FILE as one self-contained HTML page",
    )
    report.add_argument(
        "--period",
        choices=("month", "year"),
        default="year",
        help="with --html: month to date or year to date, ending on --date (default: %(default)s)",
    )
    report.add_argument(
        "--influx-url",
        default=settings.influx_url,
        help="with --html: InfluxDB with the worker's points, for the daily series, transit "
        "times and exceptions [env: LUGANG_INFLUX_URL] (default: %(default)s; unset: the page "
        "has the /status figures only and says so)",
    )
    report.add_argument(
        "--influx-bucket",
        default=settings.influx_bucket,
        help="with --html: database/retention policy (2.x: the bucket's v1 mapping) "
        "[env: LUGANG_INFLUX_BUCKET] (default: %(default)s)",
    )
    report.add_argument(
        "--reference", type=Path, default=None, help="with --html: reference configuration"
    )
    report.set_defaults(handler=_report)

    dashboards_parser = commands.add_parser(
        "dashboards",
        help="generate the Grafana dashboards and provisioning files",
        description="Regenerate dashboards/json/*.json and dashboards/provisioning/ from the "
        "code (dashboards/*.py) and the reference configuration. A unit test fails when the "
        "committed files differ from what this writes.",
    )
    dashboards_actions = dashboards_parser.add_subparsers(
        dest="dashboards_command", required=True, metavar="ACTION"
    )
    build = dashboards_actions.add_parser(
        "build", help="write the dashboards and provisioning files"
    )
    build.add_argument(
        "--out",
        type=Path,
        default=None,
        metavar="DIR",
        help="output folder (default: the project's dashboards/)",
    )
    build.add_argument(
        "--reference", type=Path, default=None, help="reference configuration (default: packaged)"
    )
    build.set_defaults(handler=_dashboards)

    grafana_parser = commands.add_parser(
        "grafana",
        help="push the dashboards to a running Grafana, or annotate it from InfluxDB",
        description="Talk to a running Grafana through its HTTP API, as a service account "
        "with the Editor role (--token). 'push' uploads the dashboards; 'annotate' adds train "
        "departures and cold-chain exception openings read from InfluxDB as annotations. "
        "Run 'lugang grafana ACTION --help' for the options of one action.",
    )
    grafana_actions = grafana_parser.add_subparsers(
        dest="grafana_command", required=True, metavar="ACTION"
    )
    push = grafana_actions.add_parser(
        "push",
        help="upload the dashboards into the folder 'Lugang 陆港'",
        description="Upload every *.json dashboard of --dashboards into the Grafana folder "
        "--folder (created when missing). A dashboard replaces the one with the same uid "
        "(overwrite), so run it again after changing the files. All files are read first: "
        "one that is not a dashboard with a uid and a title uploads nothing. Prints each "
        "dashboard's URL.",
        epilog="example: LUGANG_GRAFANA_TOKEN=glsa_... lugang grafana push --url "
        "http://grafana.example:3000",
    )
    push.add_argument(
        "--dashboards",
        type=Path,
        default=None,
        metavar="DIR",
        help="folder of dashboard JSON files (default: the project's dashboards/json)",
    )
    push.add_argument(
        "--folder",
        default=None,
        help="title of the Grafana folder to put them in (default: Lugang 陆港, uid lugang)",
    )
    _grafana_options(push, settings)
    push.set_defaults(handler=_grafana)

    annotate = grafana_actions.add_parser(
        "annotate",
        help="add train departures and cold-chain exception openings as annotations",
        description="Read the train departures ('transit' points, at departure) and the "
        "cold-chain exception openings ('coldchain_exception' points, at the start) of the "
        "local days --from to --to from InfluxDB, and add each to Grafana as an annotation "
        "tagged lugang plus train, departure, CORRIDOR or coldchain, exception, KIND. An "
        "annotation Grafana already has (same time and text) is skipped, so running it "
        "again adds nothing twice. A dashboard shows them with an annotation query on the "
        "'-- Grafana --' data source, filtered by the tag lugang.",
        epilog="example: lugang grafana annotate --from 2026-03-01 --to 2026-03-31 --dry-run",
    )
    annotate.add_argument(
        "--from",
        dest="start",
        type=date.fromisoformat,
        required=True,
        metavar="DATE",
        help="first local day (Asia/Shanghai), YYYY-MM-DD",
    )
    annotate.add_argument(
        "--to",
        dest="end",
        type=date.fromisoformat,
        required=True,
        metavar="DATE",
        help="last local day (inclusive), YYYY-MM-DD",
    )
    annotate.add_argument(
        "--dashboard",
        default=None,
        metavar="UID",
        help="tie the annotations to this dashboard only (default: organisation "
        "annotations, shown by every dashboard that asks for the tag lugang)",
    )
    annotate.add_argument(
        "--influx-url",
        default=settings.influx_url,
        metavar="URL",
        help="InfluxDB to read them from [env: LUGANG_INFLUX_URL] (default: "
        + (settings.influx_url or "none").replace("%", "%%")
        + ")",
    )
    annotate.add_argument(
        "--bucket",
        dest="influx_bucket",
        default=settings.influx_bucket,
        metavar="DATABASE/RP",
        help="database/retention policy to read [env: LUGANG_INFLUX_BUCKET] (default: %(default)s)",
    )
    annotate.add_argument(
        "--dry-run",
        action="store_true",
        help="print the annotations instead of sending them (no Grafana needed)",
    )
    _grafana_options(annotate, settings)
    annotate.set_defaults(handler=_grafana, influx_token=settings.influx_token)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``lugang`` console script."""
    args = build_parser().parse_args(argv)
    handler: Callable[[argparse.Namespace], int] = args.handler
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
