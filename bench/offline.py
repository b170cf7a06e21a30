"""The movements agent's cost per event, in process: no broker, no servers.

    .venv/bin/python -m bench.offline [--events 40000] [--lag-hours 8] [--repeat 3] [--profile]

A simulated 2026 (seed 7, the pipeline benchmark's scale) is read by the trains and
movements agents on in-memory tables and sinks, in batches as a worker gets them from
topics of 4 partitions, with ``containers`` read ``--lag-hours`` of event time behind
``reefer`` (as a worker catching up often reads them): the readings of a reefer wait
unsettled in its track until its moves are read, which is what made the movements agent
the worker's hot path (8 h: some 80 recent items scanned per reading, as in the
benchmark's profile). It prints the agent's time per event, the cold-chain steps per
reading, and a digest of everything the agents wrote (points, dead letters, exceptions,
stored tracks), which a change meant to keep behaviour must leave as it is.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import hashlib
import itertools
import pstats
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import CodeType

from bench.runs import cache_dir
from lugang.reference import default_reference
from producers.records import Record, read_recording, write_recording
from producers.simulator import SimulationConfig, simulate
from streams.agents.intake import Intake
from streams.agents.memory import MemoryTable
from streams.agents.movements import MovementsAgent
from streams.agents.ports import PlainEvent, PlainMessage
from streams.agents.trains import TrainsAgent
from streams.domain import coldchain
from streams.faustfix.tables import key_partition
from streams.pager import Pager
from streams.schema.points import Sample
from streams.state import LiveGaps, MovesKnown, PipelineCounters

PARTITIONS = 4
SCALE = 3.78
"""The scale of the pipeline benchmark's simulated year (1,000,000 records)."""
BATCH = 256
"""Messages per batch of the movements agent."""
LATENESS = timedelta(minutes=10)
CLOCK = datetime(2026, 12, 31, tzinfo=UTC)
"""The workers' wall clock (the dead letters' time), fixed so that the digest is."""


@dataclass
class _Outbox:
    sent: list[tuple[bytes | None, bytes]] = field(default_factory=list)

    async def send(self, key: bytes | None, value: bytes) -> None:
        self.sent.append((key, value))

    async def delivered(self) -> None:
        return None

    async def placed(self) -> list[tuple[int, int]]:
        return []


@dataclass
class _Sink:
    samples: list[Sample] = field(default_factory=list)
    retries: int = 0
    errors: int = 0

    async def write(self, samples: Sequence[Sample]) -> None:
        self.samples += samples

    async def flush(self) -> None:
        return None

    async def close(self) -> None:
        return None


def recording(events: int) -> Path:
    """The first ``events`` records of the simulated year (cached beside the pipeline
    benchmark's recordings)."""
    path = cache_dir() / f"offline-2026-seed7-scale{SCALE:g}-{events}.jsonl"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        config = SimulationConfig(
            start=date(2026, 1, 1), end=date(2026, 12, 31), seed=7, scale=SCALE
        )
        with path.open("wb") as out:
            write_recording(itertools.islice(simulate(config, default_reference()), events), out)
    return path


def delivery(records: Sequence[Record], lag: timedelta) -> list[list[Record]]:
    """Batches as a worker reads them: by timestamp, ``containers`` ``lag`` behind the
    other topics; a ``trains`` batch of its own between the movements agent's batches."""
    lag_ms = int(lag.total_seconds() * 1000)
    ordered = sorted(
        records, key=lambda r: r.timestamp_ms + (lag_ms if r.topic == "containers" else 0)
    )
    batches: list[list[Record]] = []
    for trains, run in itertools.groupby(ordered, key=lambda r: r.topic == "trains"):
        run_of = list(run)
        size = len(run_of) if trains else BATCH
        batches += [run_of[i : i + size] for i in range(0, len(run_of), size)]
    return batches


@dataclass
class Result:
    """One replay: events read, readings among them, CPU seconds in the agents'
    ``handle``, ``coldchain.step`` calls (when profiled) and the digest of the outputs."""

    events: int
    readings: int
    seconds: float
    steps: int | None
    digest: str


def replay(records: Sequence[Record], lag: timedelta, profile: cProfile.Profile | None) -> Result:
    """The agents after ``records`` delivered with ``containers`` ``lag`` behind."""
    reference = default_reference()
    counters, dead_letters, facts, sink = PipelineCounters(), _Outbox(), _Outbox(), _Sink()
    tables = defaultdict[str, MemoryTable](MemoryTable)

    def intake() -> Intake:
        return Intake("", reference, dead_letters, counters, clock=lambda: CLOCK)

    trains = TrainsAgent(intake(), reference, tables["departures"], tables["arrivals"], facts, sink)
    totals = {
        p: sum(1 for r in records if r.topic == "containers" and _partition(r) == p)
        for p in range(PARTITIONS)
    }
    committed: dict[tuple[str, int], int] = {}
    movements = MovementsAgent(
        intake(),
        reference,
        LATENESS,
        tables["tracks"],
        tables["open_exceptions"],
        facts,
        sink,
        Pager(_Outbox(), LiveGaps()),
        committed=lambda topic, p: committed.get((topic, p)),
        arrivals=tables["arrivals"],
        partition_of=lambda key: key_partition(key, PARTITIONS),
        moves_known=MovesKnown(LATENESS, highwater=totals.__getitem__),
    )
    offsets: dict[tuple[str, int], int] = defaultdict(int)
    seconds = 0.0
    loop = asyncio.new_event_loop()
    for batch in delivery(records, lag):
        events = []
        for record in batch:
            partition = _partition(record)
            offset = offsets[record.topic, partition]
            offsets[record.topic, partition] += 1
            key = None if record.key is None else record.key.encode()
            message = PlainMessage(record.topic, partition, offset, key, record.value)
            events.append(PlainEvent(message))
        agent = trains if batch[0].topic == "trains" else movements
        started = time.process_time()
        if profile is not None:
            profile.enable()
        loop.run_until_complete(agent.handle(events))
        if profile is not None:
            profile.disable()
        seconds += time.process_time() - started
        if agent is movements:
            # the commit guard commits what a batch processed, one batch on
            committed.update({k: v for k, v in offsets.items() if k[0] != "trains"})
    loop.close()
    digest = hashlib.sha256()
    for sample in sink.samples:  # as InfluxDB gets it (not the objects' reprs)
        digest.update(sample.to_line().encode())
    for key, value in dead_letters.sent + facts.sent:
        digest.update(repr((key, value)).encode())
    for name in sorted(tables):
        for key, value in sorted(tables[name].data.items()):
            digest.update(key + b"=" + value)
    readings = sum(1 for r in records if r.topic == "reefer")
    steps = None if profile is None else _calls(profile, coldchain.step.__code__)
    return Result(len(records), readings, seconds, steps, digest.hexdigest()[:16])


def _calls(profile: cProfile.Profile, code: CodeType) -> int:
    """How many times the profile saw ``code`` called."""
    stats = pstats.Stats(profile).stats  # type: ignore[attr-defined]
    where = (code.co_filename, code.co_firstlineno, code.co_name)
    return int(stats[where][1]) if where in stats else 0


def _partition(record: Record) -> int:
    return key_partition((record.key or "").encode(), PARTITIONS)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=40_000)
    parser.add_argument(
        "--lag-hours", type=float, default=8.0, help="containers behind reefer (8 h)"
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs; the fastest counts (3)")
    parser.add_argument("--profile", action="store_true", help="print the top of a cProfile")
    args = parser.parse_args()
    records = list(read_recording(recording(args.events)))
    lag = timedelta(hours=args.lag_hours)
    result = min((replay(records, lag, None) for _ in range(args.repeat)), key=lambda r: r.seconds)
    per_event = result.seconds / result.events * 1e6
    print(
        f"{result.events:,} events ({result.readings:,} readings), containers "
        f"{args.lag_hours:g} h behind: {result.seconds:.2f} s in the agents, "
        f"{per_event:.1f} µs/event; digest {result.digest}"
    )
    if args.profile:
        profile = cProfile.Profile()
        steps = replay(records, lag, profile).steps or 0
        print(f"coldchain.step: {steps:,} calls, {steps / result.readings:.2f} per reading")
        stats = pstats.Stats(profile)
        stats.sort_stats("cumulative").print_stats(30)
        stats.sort_stats("tottime").print_stats(20)


if __name__ == "__main__":
    main()
