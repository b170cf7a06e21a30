"""The stream pipeline end to end: Lugang's worker against its framework's and client's
ceilings and a Quix Streams peer, its memory with many active reefers, and how fast a
cold-chain exception pages, in one run.

    .venv/bin/python -m bench.pipeline [--events 1000000] [--profile] [--metrics-cost]

It starts its own servers (a local Apache Kafka, or the one in LUGANG_KAFKA_BOOTSTRAP;
InfluxDB; Alertmanager, whose webhook points at a listener in this process) and stops
them at the end. A simulated 2026 at the scale that gives ``--year-events`` records (cached
under ``${LUGANG_CACHE:-~/.cache/lugang}/bench/``) is published once, its first
``--events``, validated, to
topics of 4 partitions; every throughput figure reads those same topics from the
beginning, each with its own consumer group:

- client ceiling: an aiokafka consumer, ``getmany`` and ``orjson.loads``;
- framework ceiling: a faust agent that only decodes (``bench/peers/bare_faust.py``);
- peer: Quix Streams running the same cold-chain rules (``bench/peers/quix_coldchain.py``);
- end to end, one and two ``lugang worker`` processes with every agent, InfluxDB and
  Alertmanager, measured from their first commit to the last (see ``bench/harness.py``).

Then one worker's peak memory (RSS) with ``--reefers`` active reefers, and the alert
latency (p50, p99) under a steady ``--alert-rate`` events/s. ``--profile`` runs one
worker under cProfile for ``--profile-seconds`` and prints where its time goes.
``--metrics-cost`` runs one worker twice more, not scraped and with its ``/metrics``
scraped every ``--scrape-every`` seconds, and prints what the scrapes cost per event
(``bench/metrics_cost.py``).
Progress goes to stderr, figures to stdout.
"""

from __future__ import annotations

import argparse
import itertools
import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from bench.alerts import AlertLatency, WebhookListener
from bench.harness import (
    BARE_FAUST,
    BARE_LUGANG_FAUST,
    LUGANG_WORKER,
    MachineLoad,
    Servers,
    Throughput,
)
from bench.kafka_target import kafka_bootstrap
from bench.metrics_cost import MetricsCost, metrics_cost
from bench.runs import (
    CATCH_UP_S,
    PARTITIONS,
    STARTED,
    Run,
    aiokafka_ceiling,
    alert_latency,
    describe_load,
    fleet_memory,
    own_topics,
    profile_worker,
    progress,
    publish,
    quix_peer,
    year_recording,
)
from bench.servers import local_server
from lugang.topics import TopicNames
from producers.records import Record, read_recording
from producers.sender import SendSummary

YEAR_EVENTS = 1_000_000
"""The simulated year's records (the traffic's density); a run of fewer ``--events`` takes
its first ones. A year simulated at the smaller scale that gives just ``--events`` records
is lighter traffic, not a shorter run of the same: fewer containers in flight, so less
work an event for the worker (8,300 events/s over 300,000 records of such a year, 7,700
over the first 300,000 of the million-event one), and the short run gave other verdicts
than the long one."""
ONE_WORKER_TARGET = 0.8
TWO_WORKERS_TARGET = 1.5
MEMORY_TARGET_MB = 400.0
ALERT_P99_TARGET_MS = 2000.0
MACHINE_BOUND_BUSY = 0.95
"""The share of the cores busy over a worker run's span from which the report calls the
run bounded by the machine: the cores had no time left for more work, however the workers
shared it (session 25's timelines of two-worker runs: 94–100 % busy each second from the
rebalance to the last partitions; over a whole span 91–97 %, with the start's recovery and
the end, where one worker works alone)."""


@dataclass
class Figures:
    """Everything one run measured (None: the measurement failed)."""

    events: int = 0
    summary: SendSummary | None = None
    publish_s: float = 0.0
    aiokafka: Throughput | None = None
    bare: Throughput | None = None
    bare_lugang: Throughput | None = None
    quix: tuple[Throughput, int] | None = None
    one: tuple[Throughput, float] | None = None
    two: tuple[Throughput, float] | None = None
    fleet: tuple[float, Throughput | None, int] | None = None
    alerts: AlertLatency | None = None
    profile: tuple[Throughput, str] | None = None
    metrics: MetricsCost | None = None
    load_average: tuple[float, float] = (0.0, 0.0)
    """The machine's 1-minute load average when the run started and when it ended:
    other processes competing for the 2 cores slow every figure."""


def _verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else ("met" if ok else "MISSED")


def report(figures: Figures, args: argparse.Namespace, failures: dict[str, str]) -> None:
    """Print the figures as a table, the details behind them and the targets missed."""
    lines = _input_lines(figures)
    throughput, one_ok, two_ok = _throughput_lines(figures)
    latency, memory_ok, alert_ok = _latency_lines(figures, args)
    lines += throughput + latency + _detail_lines(figures, args, failures)
    missed = [
        name
        for name, ok in [
            ("one worker", one_ok),
            ("two workers", two_ok),
            ("memory", memory_ok),
            ("alert latency", alert_ok),
        ]
        if ok is False
    ]
    lines.append("")
    lines.append(
        "targets: all met"
        if not missed and not failures
        else f"targets missed: {', '.join(missed) or 'none'}"
        + (f"; failed measurements: {len(failures)}" if failures else "")
        + ("" if args.profile or not missed else " (run with --profile for where time goes)")
    )
    print("\n".join(lines), flush=True)


def _input_lines(figures: Figures) -> list[str]:
    """The title and what went into the topics."""
    summary = figures.summary
    sent = summary.sent if summary else None
    lines = ["", f"Lugang pipeline benchmark ({PARTITIONS} partitions, local Apache Kafka)"]
    if sent is not None and summary is not None:
        mix = ", ".join(
            f"{kind} {sent[kind]:,} ({sent[kind] / sent.total():.1%})" for kind in sorted(sent)
        )
        lines.append(
            f"input: {sent.total():,} events in the topics ({mix}); "
            f"{summary.rejected.total():,} of the recording's {figures.events:,} records "
            f"rejected by validation; published in {figures.publish_s:.0f} s "
            f"({figures.events / figures.publish_s:,.0f} records/s through ValidatingSender)"
        )
    return lines


def _throughput_lines(figures: Figures) -> tuple[list[str], bool | None, bool | None]:
    """The throughput table, and whether one and two workers met their targets."""
    lines: list[str] = []
    bare = figures.bare.rate if figures.bare else None

    def ratio(rate: float | None) -> str:
        return f"{rate / bare:.2f}" if rate and bare else "-"

    rows: list[tuple[str, str, str, str, str]] = []

    def add(
        what: str, through: Throughput | None, target: str = "", ok: bool | None = None
    ) -> None:
        rate = through.rate if through else None
        shown = f"{rate:,.0f}" if rate else "failed"
        rows.append((what, shown, ratio(rate), target, _verdict(ok) if target else ""))

    add("client ceiling: aiokafka getmany + orjson.loads", figures.aiokafka)
    add("framework ceiling: bare faust agent, decode only", figures.bare)
    add("  the same on Lugang's faust fetch loop and take", figures.bare_lugang)
    add("peer: Quix Streams, same cold-chain rules*", figures.quix[0] if figures.quix else None)
    one = figures.one[0] if figures.one else None
    two = figures.two[0] if figures.two else None
    one_ok = None if not (one and bare) else one.rate / bare >= ONE_WORKER_TARGET
    add("end to end, one worker", one, f">= {ONE_WORKER_TARGET:.2f} x bare faust", one_ok)
    two_ratio = two.rate / one.rate if two and one else None
    two_ok = None if two_ratio is None else two_ratio >= TWO_WORKERS_TARGET
    shown_ratio = f" ({two_ratio:.2f})" if two_ratio is not None else ""
    add(
        "end to end, two workers",
        two,
        f">= {TWO_WORKERS_TARGET:.1f} x one worker{shown_ratio}",
        two_ok,
    )
    lines += ["", f"{'throughput':<52} {'events/s':>10} {'x bare':>7}  {'target':<28} result"]
    lines += [f"{a:<52} {b:>10} {c:>7}  {d:<28} {e}" for a, b, c, d, e in rows]

    return lines, one_ok, two_ok


def _latency_lines(
    figures: Figures, args: argparse.Namespace
) -> tuple[list[str], bool | None, bool | None]:
    """The latency and memory table, and whether memory and alert latency met their targets."""
    lines: list[str] = []
    peak = figures.fleet[0] if figures.fleet else None
    memory_ok = None if peak is None else peak <= MEMORY_TARGET_MB
    alerts = figures.alerts
    p50 = alerts.percentile_ms(50) if alerts and alerts.latencies_s else None
    p99 = alerts.percentile_ms(99) if alerts and alerts.latencies_s else None
    alert_ok = (
        None if p99 is None or alerts is None else p99 < ALERT_P99_TARGET_MS and not alerts.missing
    )
    lines += ["", f"{'latency and memory':<52} {'value':>18}  {'target':<20} result"]
    lines.append(
        f"{f'peak RSS, one worker, {args.reefers:,} active reefers':<52} "
        f"{f'{peak:,.0f} MB' if peak is not None else 'failed':>18}  "
        f"{f'<= {MEMORY_TARGET_MB:.0f} MB':<20} {_verdict(memory_ok)}"
    )
    shown = f"{p50:,.0f} / {p99:,.0f} ms" if p50 is not None and p99 is not None else "failed"
    lines.append(
        f"{f'alert latency p50 / p99 at {args.alert_rate:,.0f} events/s':<52} {shown:>18}  "
        f"{f'p99 < {ALERT_P99_TARGET_MS / 1000:g} s':<20} {_verdict(alert_ok)}"
    )

    return lines, memory_ok, alert_ok


def _cores_allow(cpu_us: float, load: MachineLoad, cores: int) -> float:
    """Events/s the machine's ``cores`` allow at a run's CPU an event: its workers' own
    ``cpu_us`` and its servers' (``load``)."""
    return cores / (cpu_us + load.servers_us()) * 1e6


def _ceiling_lines(one: Throughput | None, two: Throughput | None = None) -> list[str]:
    """What the machine allows workers at the one-worker run's CPU an event (its own and
    the local Kafka's and InfluxDB's): the cores' time over that cost. Two workers on a
    machine whose cores one worker and its servers nearly fill cannot make 1.5× its rate,
    however they share the work; whether ``two`` did fill them is said too."""
    cores = os.cpu_count() or 1
    bound = []
    if two and two.span_busy is not None and two.span_busy >= MACHINE_BOUND_BUSY:
        bound = [
            f"  two workers were bounded by the machine: its cores {two.span_busy:.0%} busy "
            "over their span (workers, Kafka and InfluxDB together)"
        ]
        if two.cpu_us and two.load and one:
            allowed = _cores_allow(two.cpu_us, two.load, cores)
            bound.append(
                f"  at two workers' own CPU an event ({two.cpu_us:.0f} µs, and "
                f"{two.load.servers_us():.0f} µs of Kafka and InfluxDB) its {cores} cores "
                f"allow {allowed:,.0f} events/s, {allowed / one.rate:.2f}× one worker"
            )
    if not (one and one.cpu_us and one.load):
        return bound
    servers = one.load.servers_us()
    ceiling = _cores_allow(one.cpu_us, one.load, cores)
    return [
        *bound,
        f"  the machine's ceiling at one worker's CPU an event ({one.cpu_us:.0f} µs, and "
        f"{servers:.0f} µs of Kafka and InfluxDB): {ceiling:,.0f} events/s on its {cores} "
        f"cores, {ceiling / one.rate:.2f}× one worker (two workers' target: "
        f"{TWO_WORKERS_TARGET:.1f}×)",
    ]


def _detail_lines(
    figures: Figures, args: argparse.Namespace, failures: dict[str, str]
) -> list[str]:
    """The details behind the tables, and the failed measurements."""
    lines: list[str] = []
    one = figures.one[0] if figures.one else None
    two = figures.two[0] if figures.two else None
    alerts = figures.alerts
    lines = ["", "details:"]
    for name, through in [
        ("aiokafka", figures.aiokafka),
        ("bare faust", figures.bare),
        ("bare faust on Lugang's fetch loop and take", figures.bare_lugang),
        ("one worker", one),
        ("two workers", two),
    ]:
        if through:
            cpu = "" if through.cpu_us is None else f", CPU {through.cpu_us:,.0f} µs an event"
            load = "" if through.load is None else f"; {describe_load(through.load)}"
            if through.span_busy is not None:
                load += f"; the cores {through.span_busy:.0%} busy over its span"
            wait = (
                ""
                if through.longest_wait_s is None
                else f"; the longest wait for a commit {through.longest_wait_s:.1f} s"
            )
            tail = (
                ""
                if through.own_tail_s is None
                else f"; its own topics read to their end {through.own_tail_s:.1f} s after "
                "its inputs"
            )
            lines.append(
                f"  {name}: {through.events:,} events in {through.seconds:.1f} s"
                f"{cpu}{load}{wait}{tail}"
            )
    lines += _ceiling_lines(one, two)
    if figures.bare and figures.bare.cpu_us and one and one.cpu_us:
        lines.append(
            f"  CPU an event, one worker ÷ bare faust: {one.cpu_us / figures.bare.cpu_us:.2f} "
            "(each process's whole life over the events of its input; the rate ratio's "
            "steadier cousin: waiting does not count)"
        )
    if figures.quix:
        quix, decisions = figures.quix
        lines.append(
            f"  Quix: {quix.events:,} reefer and container events in {quix.seconds:.1f} s, "
            f"{decisions:,} exceptions opened or closed"
        )
        lines.append(
            "  * Quix: validation and the pure state machine (step/with_context) with "
            "per-container State; no reordering within the lateness, counts, InfluxDB or alerts"
        )
    if figures.one and figures.two:
        lines.append(
            f"  peak RSS over the year: one worker {figures.one[1]:,.0f} MB, "
            f"two workers {figures.two[1]:,.0f} MB together"
        )
    if figures.fleet:
        _, through, events = figures.fleet
        rate = f" at {through.rate:,.0f} events/s" if through else ""
        lines.append(
            f"  fleet: {events:,} events ({args.reefers:,} loads, {args.readings} readings "
            f"each){rate}"
        )
    if alerts:
        paged = alerts.latencies_s
        spread = (
            f" (min {paged[0] * 1000:,.0f} ms, max {paged[-1] * 1000:,.0f} ms)" if paged else ""
        )
        lines.append(f"  alerts: {len(paged)} of {alerts.injected} excursions paged{spread}")
        lines.append(
            f"  alerts: the feed sent {alerts.feed_rate:,.0f} events/s from "
            f"{args.alert_reefers:,} reefers; worker lag when it stopped: "
            f"{alerts.lag_at_end:,} events, all committed "
            + (
                f"{alerts.caught_up_s:.1f} s later"
                if alerts.caught_up_s is not None
                else f"not within {CATCH_UP_S:g} s"
            )
        )
        lines.append(
            "  alerts: latency from the readings that show and settle an excursion (sent "
            "together) to the webhook; live, a page also waits the allowed lateness of event "
            "time after the reading that shows it"
        )
    start_load, end_load = figures.load_average
    lines.append(
        f"  machine: {os.cpu_count()} cores, 1-min load average {start_load:.2f} at the start, "
        f"{end_load:.2f} at the end of the measurements"
    )
    for what, why in failures.items():
        first, *rest = why.splitlines() or [""]
        lines.append(f"  failed: {what}: {first}")
        lines += [f"    {line}" for line in rest]  # a stall's report (bench/diagnosis.py)

    return lines


def run(args: argparse.Namespace) -> None:
    figures = Figures(events=args.events)
    start_load = os.getloadavg()[0]
    with ExitStack() as stack:
        work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="lugang-pipeline-")))
        listener = WebhookListener()
        stack.callback(listener.close)
        progress("servers: starting Kafka, InfluxDB and Alertmanager")
        bootstrap = stack.enter_context(kafka_bootstrap())
        influx = stack.enter_context(local_server("influxdb", work))
        alertmanager = stack.enter_context(
            local_server("alertmanager", work, {"LUGANG_ALERTMANAGER_WEBHOOK_URL": listener.url})
        )
        bench = Run(Servers(bootstrap, influx, alertmanager), work, listener)
        progress(f"servers: Kafka {bootstrap}, InfluxDB {influx}, Alertmanager {alertmanager}")

        recording = year_recording(max(args.events, args.year_events), args.seed)

        def records() -> Iterator[Record]:
            """The first ``--events`` records of the year."""
            return itertools.islice(read_recording(recording), args.events)

        year = bench.topics("year")
        progress(f"publishing {args.events:,} records to {year.prefix}* (validated)")
        started = time.monotonic()
        figures.summary = publish(bootstrap, year, records())
        figures.publish_s = time.monotonic() - started
        progress(f"published {figures.summary.sent.total():,} in {figures.publish_s:.0f} s")

        followed = own_topics(year)

        def own_copy(name: str) -> tuple[TopicNames, list[str]]:
            """The year again on topics of its own, and the worker's own topics: a worker run
            writes its points, pages and day facts to topics named after its inputs, which
            a later worker run on the same inputs would read too (relaying, counting and
            paging the earlier run's output again, slower and larger than alone)."""
            topics = bench.topics(name)
            progress(f"publishing the year again to {topics.prefix}* for a run of its own")
            publish(bootstrap, topics, records())
            return topics, own_topics(topics)

        figures.aiokafka = bench.attempt(
            "client ceiling (aiokafka)",
            lambda: aiokafka_ceiling(bootstrap, year),
        )
        bare = bench.attempt(
            "framework ceiling (bare faust)",
            lambda: bench.rate("bare-faust", BARE_FAUST, 1, year),
        )
        figures.bare = bare[0] if bare else None
        bare_lugang = bench.attempt(
            "framework ceiling on Lugang's faust workarounds",
            lambda: bench.rate("bare-lugang-faust", BARE_LUGANG_FAUST, 1, year),
        )
        figures.bare_lugang = bare_lugang[0] if bare_lugang else None
        figures.quix = bench.attempt("peer (Quix Streams)", lambda: quix_peer(bench, year))
        figures.one = bench.attempt(
            "end to end, one worker",
            lambda: bench.rate("one-worker", LUGANG_WORKER, 1, year, followed),
        )
        figures.two = bench.attempt(
            "end to end, two workers",
            lambda: bench.rate("two-workers", LUGANG_WORKER, 2, *own_copy("year-two")),
        )
        figures.fleet = bench.attempt(
            f"peak memory ({args.reefers:,} reefers)",
            lambda: fleet_memory(bench, args.reefers, args.readings),
        )
        figures.alerts = bench.attempt(
            f"alert latency ({args.alert_rate:,.0f} events/s)",
            lambda: alert_latency(
                bench, args.alert_rate, args.alert_reefers, args.excursions, args.spacing
            ),
        )
        if args.metrics_cost:
            figures.metrics = bench.attempt(
                f"/metrics cost (scraped every {args.scrape_every:g} s)",
                lambda: metrics_cost(bench, own_copy, args.scrape_every),
            )
        if args.profile:
            figures.profile = bench.attempt(
                "profile of one worker",
                lambda: profile_worker(bench, own_copy("year-profile")[0], args.profile_seconds),
            )
        figures.load_average = (start_load, os.getloadavg()[0])
        report(figures, args, bench.failures)
        if figures.metrics:
            print("\n".join(figures.metrics.lines()), flush=True)
        if figures.profile:
            through, text = figures.profile
            print(
                f"\nprofile of one worker over {through.seconds:.0f} s "
                f"({through.rate:,.0f} events/s under cProfile):\n{text}"
            )
        progress("stopping servers")
    progress(f"finished in {time.monotonic() - STARTED:.0f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--events", type=int, default=1_000_000, help="records published (1,000,000)"
    )
    parser.add_argument(
        "--year-events",
        type=int,
        default=YEAR_EVENTS,
        help=f"records of the simulated year whose first --events are published ({YEAR_EVENTS:,})",
    )
    parser.add_argument("--seed", type=int, default=7, help="simulation seed (7)")
    parser.add_argument("--reefers", type=int, default=10_000, help="active reefers (10,000)")
    parser.add_argument("--readings", type=int, default=6, help="readings per reefer (6)")
    parser.add_argument("--alert-rate", type=float, default=2000, help="events/s (2,000)")
    parser.add_argument(
        "--alert-reefers", type=int, default=500, help="reefers sending that feed (500)"
    )
    parser.add_argument("--excursions", type=int, default=200, help="excursions (200)")
    parser.add_argument("--spacing", type=float, default=0.2, help="s between excursions (0.2)")
    parser.add_argument("--profile", action="store_true", help="profile one worker too")
    parser.add_argument(
        "--profile-seconds", type=float, default=60, help="profiled processing time (60)"
    )
    parser.add_argument(
        "--metrics-cost", action="store_true", help="measure what /metrics costs per event"
    )
    parser.add_argument(
        "--scrape-every", type=float, default=1.0, help="s between scrapes of /metrics (1)"
    )
    args = parser.parse_args()
    run(args)


if __name__ == "__main__":
    main()
