"""The measurements of ``bench.pipeline``, one function each: publishing the simulated
year, the client's and the framework's ceilings, the Quix Streams peer, one and two
``lugang worker`` processes (through :class:`Run`), a worker's memory with many active
reefers, the alert latency and the profile of one worker. ``bench.pipeline`` runs them
in order and reports their figures.
"""

from __future__ import annotations

import asyncio
import io
import itertools
import json
import os
import pstats
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TypeVar

import orjson
import requests
from aiokafka import AIOKafkaConsumer
from aiokafka import TopicPartition as AioTopicPartition

from bench.alerts import AlertLatency, WebhookListener, background, run_feed
from bench.harness import (
    LUGANG_WORKER,
    PROFILED_WORKER,
    BenchFailure,
    GroupWatch,
    MachineLoad,
    MachineProbe,
    MetricsProbe,
    PeakMemory,
    Servers,
    Throughput,
    WorkerProcess,
    measure_consumption,
    topic_partitions,
    wait_stable,
    worker_env,
)
from bench.servers import ROOT
from bench.synthetic import active_fleet, check_shapes, container_number, excursion
from lugang.reference import default_reference
from lugang.topics import TopicNames, ensure_topics
from producers.records import Record, write_recording
from producers.sender import SendSummary, ValidatingSender, make_producer
from producers.simulator import SimulationConfig, simulate
from streams.app import OWN_TOPIC_KINDS

PARTITIONS = 4
RECORDS_PER_SCALE_YEAR = 286_000
"""Records the simulator makes for 2026 at scale 1 (1,145,662 at scale 4, seed 7)."""
SCALE_MARGIN = 1.08
"""Simulate a little more than asked, then keep the first ``--events`` records."""
PROJECT_CODE = r"/(lugang|producers|streams)/"
"""Lugang's own code, under the repository (the profile's third list)."""

T = TypeVar("T")
STARTED = time.monotonic()
CATCH_UP_S = 30.0
"""How long after the alert feed stops the worker may take to commit all of it."""
"""When the benchmark started (this module's import), for the progress stamps."""


def progress(message: str) -> None:
    """One progress line on stderr, stamped with the time since the benchmark started."""
    print(f"[pipeline {time.monotonic() - STARTED:6.0f} s] {message}", file=sys.stderr, flush=True)


def cache_dir() -> Path:
    """``deploy/local/common.sh``'s cache folder, plus ``bench``."""
    default = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "lugang"
    return Path(os.environ.get("LUGANG_CACHE", default)) / "bench"


def year_recording(events: int, seed: int) -> Path:
    """The first ``events`` records of 2026 simulated at the scale that makes at least
    that many; written once, then reused from the cache."""
    scale = round(events / RECORDS_PER_SCALE_YEAR * SCALE_MARGIN, 2)
    path = cache_dir() / f"year-2026-seed{seed}-scale{scale:g}-{events}.jsonl"
    if path.exists():
        progress(f"recording: {path} (cached)")
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    progress(f"recording: simulating 2026 at scale {scale:g} (seed {seed}) into {path}")
    config = SimulationConfig(
        start=date(2026, 1, 1), end=date(2026, 12, 31), seed=seed, scale=scale
    )
    partial = path.with_suffix(".partial")
    with partial.open("wb") as out:
        written = write_recording(
            itertools.islice(simulate(config, default_reference()), events), out
        )
    if written < events:
        partial.unlink()
        raise SystemExit(f"the simulation gave {written:,} records, fewer than {events:,}")
    partial.rename(path)
    return path


def create_topics(bootstrap: str, topics: TopicNames) -> None:
    """The input and dead-letter topics, as ``lugang replay`` creates them: kept for ever
    (the recording's Kafka timestamps are its event times, months old, which the default
    7-day retention would delete within minutes), their segments rolled by size only
    (:data:`lugang.topics.SEGMENT_MS`: rolled by event time, a year published in seconds
    lay in weekly segments, and the bare agents waited on fetches)."""
    ensure_topics(bootstrap, [*topics.inputs, topics.dead_letter], PARTITIONS)


def publish(bootstrap: str, topics: TopicNames, records: Iterable[Record]) -> SendSummary:
    """Validate and produce records as ``lugang replay`` does (ValidatingSender)."""
    create_topics(bootstrap, topics)
    sender = ValidatingSender(make_producer(bootstrap), topics, default_reference())
    for number, record in enumerate(records, start=1):
        sender.send(record, f"bench:{number}")
    return sender.close()


@dataclass
class Run:
    """One benchmark run: its servers, its folder, the webhook listener, the names of its
    topics, groups and databases (unique per run), and the measurements that failed."""

    servers: Servers
    work: Path
    listener: WebhookListener
    run_id: str = field(default_factory=lambda: f"b{uuid.uuid4().hex[:6]}")
    failures: dict[str, str] = field(default_factory=dict)

    def topics(self, name: str) -> TopicNames:
        return TopicNames(f"{self.run_id}.{name}.")

    def influx_database(self, name: str) -> str:
        """A fresh InfluxDB database for one measurement (each writes the same points)."""
        database = f"{self.run_id}_{name}".replace("-", "_")
        response = requests.post(
            f"{self.servers.influx_url}/query",
            data={"q": f"CREATE DATABASE {database}"},
            timeout=30,
        )
        response.raise_for_status()
        return database

    def attempt(self, what: str, measure: Callable[[], T]) -> T | None:
        """Run one measurement; on failure say why and carry on with the others."""
        progress(f"{what}: starting")
        try:
            result = measure()
        except Exception as exc:  # one failed figure must not lose the others
            progress(f"{what}: FAILED: {exc}")
            self.failures[what] = str(exc) or repr(exc)
            return None
        progress(f"{what}: done")
        return result

    def workers(
        self,
        name: str,
        command: Sequence[str],
        count: int,
        topics: TopicNames,
        followers: Sequence[str] = (),
        probe: MetricsProbe | None = None,
    ) -> tuple[Throughput | None, float]:
        """Throughput of ``count`` worker processes of one app id over ``topics`` (None
        if they were done before a rate could be measured), and their summed peak RSS (MB);
        ``probe`` scrapes their ``/metrics`` and reads their CPU time."""
        app_id = f"{self.run_id}-{name}"
        database = self.influx_database(name)
        watch = GroupWatch(self.servers.bootstrap, app_id, topics.inputs, followers)
        processes: list[WorkerProcess] = []
        memory: PeakMemory | None = None
        probe = probe or MetricsProbe(None)  # at least the CPU time they used
        machine = MachineProbe(self.servers)
        try:
            for index in range(count):
                folder = self.work / f"{name}-{index}"
                env = worker_env(self.servers, topics.prefix, app_id, folder, database)
                processes.append(WorkerProcess(f"{name} #{index}", command, env, folder))
            memory = PeakMemory(processes)
            probe.start(processes)
            throughput = measure_consumption(
                watch, processes, count, timeout=180 + watch.total / 1000
            )
        finally:
            peak = memory.stop() if memory else 0.0
            probe.stop()
            for process in processes:
                process.stop()
            watch.close()
        load = machine.stop(watch.total)
        if throughput:
            cpu_us = probe.cpu_s / watch.total * 1e6
            throughput = replace(throughput, cpu_us=cpu_us, load=load)
            progress(
                f"{name}: {throughput.events:,} events in {throughput.seconds:.1f} s "
                f"(CPU {probe.cpu_s:.1f} s: {cpu_us:.0f} µs an event; {describe_load(load)})"
            )
        return throughput, peak

    def rate(
        self,
        name: str,
        command: Sequence[str],
        count: int,
        topics: TopicNames,
        followers: Sequence[str] = (),
    ) -> tuple[Throughput, float]:
        """:meth:`workers`, for a figure that needs the rate."""
        throughput, peak = self.workers(name, command, count, topics, followers)
        if throughput is None:
            raise BenchFailure(f"{name}: done within its first commit; measure more --events")
        return throughput, peak


def describe_load(load: MachineLoad) -> str:
    """The machine's load in a few words (:class:`bench.harness.MachineLoad`)."""
    servers = [
        f"{name} {us:.0f} µs"
        for name, us in (("Kafka", load.kafka_us), ("InfluxDB", load.influx_us))
        if us is not None
    ]
    cost = f"; {', '.join(servers)} CPU an event" if servers else ""
    return f"the {os.cpu_count()} cores {load.busy:.0%} busy over the workers' life{cost}"


def aiokafka_ceiling(bootstrap: str, topics: TopicNames) -> Throughput:
    """A bare aiokafka consumer: ``getmany`` and ``orjson.loads`` of every value, from
    the first fetched batch to the last (partitions assigned, no group to join)."""
    partitions, total = topic_partitions(bootstrap, topics.inputs)

    async def drain() -> Throughput:
        consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap, auto_offset_reset="earliest", enable_auto_commit=False
        )
        await consumer.start()
        try:
            consumer.assign([AioTopicPartition(tp.topic, tp.partition) for tp in partitions])
            seen, first = 0, 0
            started = 0.0
            while seen < total:
                batches = await consumer.getmany(timeout_ms=1000, max_records=10_000)
                for records in batches.values():
                    if not started:
                        started, first = time.perf_counter(), len(records)
                    for record in records:
                        orjson.loads(record.value)
                    seen += len(records)
            return Throughput(seen - first, time.perf_counter() - started)
        finally:
            await consumer.stop()

    return asyncio.run(asyncio.wait_for(drain(), timeout=120 + total / 10_000))


def quix_peer(run: Run, topics: TopicNames) -> tuple[Throughput, int]:
    """The Quix Streams peer over ``reefer`` and ``containers``; also its decisions."""
    group = f"{run.run_id}-quix"
    _, count = topic_partitions(
        run.servers.bootstrap, [topics.name("reefer"), topics.name("containers")]
    )
    log = run.work / "quix.log"
    with log.open("wb") as stderr:
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "bench.peers.quix_coldchain",
                "--bootstrap",
                run.servers.bootstrap,
                "--prefix",
                topics.prefix,
                "--group",
                group,
                "--state-dir",
                str(run.work / "quix-state"),
                "--count",
                str(count),
            ],
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            cwd=run.work,
            stdout=subprocess.PIPE,
            stderr=stderr,
            timeout=300 + count / 1000,
            check=False,
        )
    if done.returncode != 0:
        tail = log.read_text(errors="replace")[-2000:]
        raise BenchFailure(f"Quix peer exited with status {done.returncode}:\n{tail}")
    result = json.loads(done.stdout.splitlines()[-1])
    return Throughput(result["events"], result["seconds"]), int(result["decisions"])


def own_topics(topics: TopicNames) -> list[str]:
    """The topics a worker over ``topics`` both writes and reads
    (:data:`streams.app.OWN_TOPIC_KINDS`): a run follows them, so its span ends once its
    day facts are counted, its points written to InfluxDB and its pages posted, not when
    its inputs are committed with its points still in Kafka."""
    return [topics.name(kind) for kind in OWN_TOPIC_KINDS]


def fleet_memory(run: Run, reefers: int, readings: int) -> tuple[float, Throughput | None, int]:
    """Peak RSS (MB) of one worker while ``reefers`` reefers each send ``readings``."""
    topics = run.topics("fleet")
    start = datetime(2026, 6, 1, tzinfo=UTC)
    summary = publish(run.servers.bootstrap, topics, active_fleet("BMXU", reefers, readings, start))
    if summary.rejected:
        raise BenchFailure(f"the fleet's records were rejected: {dict(summary.rejected)}")
    throughput, peak = run.workers("fleet", LUGANG_WORKER, 1, topics, own_topics(topics))
    return peak, throughput, summary.sent.total()


def alert_latency(
    run: Run, rate: float, reefers: int, excursions: int, spacing_s: float
) -> AlertLatency:
    """Latency from the readings that complete and settle an excursion to Alertmanager's
    webhook, under a steady feed of in-band readings (a worker with InfluxDB and
    Alertmanager); the worker's lag when the feed stopped, and how soon it caught up."""
    topics = run.topics("alerts")
    create_topics(run.servers.bootstrap, topics)
    now = datetime.now(UTC).replace(microsecond=0)
    check_shapes(now)
    shapes = [
        excursion(container_number("BEXU", i), now - timedelta(hours=1)) for i in range(excursions)
    ]
    feed = background("BAGU", reefers, now - timedelta(hours=2))
    app_id = f"{run.run_id}-alerts"
    run.listener.app_id = app_id
    folder = run.work / "alerts"
    env = worker_env(run.servers, topics.prefix, app_id, folder, run.influx_database("alerts"))
    worker = WorkerProcess("alerts worker", LUGANG_WORKER, env, folder)
    watch = GroupWatch(run.servers.bootstrap, app_id, topics.inputs)
    producer = make_producer(run.servers.bootstrap)
    try:
        wait_stable(watch, [worker], 1, timeout=120)
        latency = run_feed(
            producer,
            topics,
            run.listener,
            feed,
            shapes,
            rate,
            warmup_s=10.0,
            spacing_s=spacing_s,
            drain_s=20.0,
        )
        worker.check()
        stopped, lag_at_end = time.monotonic(), watch.input_lag()
        caught_up_s = None
        while time.monotonic() - stopped < CATCH_UP_S:
            if watch.input_lag() == 0:
                caught_up_s = time.monotonic() - stopped
                break
            time.sleep(0.25)
        return replace(latency, lag_at_end=lag_at_end, caught_up_s=caught_up_s)
    finally:
        producer.close()
        worker.stop()
        watch.close()


def profile_worker(run: Run, topics: TopicNames, seconds: float) -> tuple[Throughput, str]:
    """One ``lugang worker`` under cProfile for ``seconds`` of processing; its rate
    (slowed by the profiler) and the top entries by cumulative and by own time."""
    app_id = f"{run.run_id}-profile"
    folder = run.work / "profile"
    output = folder / "worker.prof"
    env = worker_env(run.servers, topics.prefix, app_id, folder, run.influx_database("profile"))
    worker = WorkerProcess("profiled worker", [*PROFILED_WORKER, str(output)], env, folder)
    watch = GroupWatch(run.servers.bootstrap, app_id, topics.inputs)
    try:
        first = _first_commit(watch, worker)
        time.sleep(seconds)
        worker.check()
        done = sum(watch.committed().get(tp, 0) for tp in watch.inputs)
        throughput = Throughput(done - first[1], time.monotonic() - first[0])
    finally:
        worker.stop(timeout=120)
        watch.close()
    if not output.exists():
        raise BenchFailure(f"the profiled worker wrote no profile:\n{worker.log_tail()}")
    text = io.StringIO()
    stats = pstats.Stats(str(output), stream=text)
    stats.sort_stats("cumulative").print_stats(25)
    # asyncio's loop tops every cumulative list; these two say where the time goes.
    stats.sort_stats("tottime").print_stats(15)
    stats.sort_stats("cumulative").print_stats(re.escape(str(ROOT)) + PROJECT_CODE, 20)
    return throughput, text.getvalue()


def _first_commit(watch: GroupWatch, worker: WorkerProcess) -> tuple[float, int]:
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        worker.check()
        done = sum(watch.committed().get(tp, 0) for tp in watch.inputs)
        if done:
            return time.monotonic(), done
        time.sleep(0.2)
    raise BenchFailure(f"no commit from the profiled worker in 180 s:\n{worker.log_tail()}")
