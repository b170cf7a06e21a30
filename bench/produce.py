"""Producer throughput: replay of validated events versus kafka-python's own ceiling.

Prints, in one run against one broker (LUGANG_KAFKA_BOOTSTRAP, or a local Apache Kafka
that it starts): the rate at which ``lugang replay`` publishes a simulated recording
(read, validate with pydantic, produce, dead-letter), and the raw rate of the same
records, already serialised, through the same producer configuration. ``--profile``
adds where replay's time goes.

    .venv/bin/python -m bench.produce [--days 60] [--profile]

The default, 60 days (about 44,000 records, a few seconds of replay), keeps the child
process's start and the broker's warm-up from being most of what is measured.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

from bench.kafka_target import kafka_bootstrap
from entrypoints.cli import main as lugang
from lugang.reference import default_reference
from lugang.topics import TopicNames, ensure_topics
from producers.records import read_recording, write_recording
from producers.sender import make_producer
from producers.simulator import SimulationConfig, simulate


def make_recording(path: Path, days: int) -> int:
    start = date(2026, 3, 1)
    config = SimulationConfig(start=start, end=start + timedelta(days - 1), seed=7)
    with path.open("wb") as out:
        return write_recording(simulate(config, default_reference()), out)


def replay_rate(bootstrap: str, path: Path, count: int, profile: bool) -> float:
    """Records per second of ``lugang replay`` (topic creation excluded)."""
    prefix = f"bench-{uuid.uuid4().hex[:6]}."
    topics = TopicNames(prefix)
    ensure_topics(bootstrap, [*topics.inputs, topics.dead_letter], 4)
    args = ["replay", str(path), "--bootstrap", bootstrap, "--topic-prefix", prefix]
    profiler = cProfile.Profile() if profile else None
    started = time.perf_counter()
    if profiler:
        profiler.enable()
    if lugang(args) != 0:
        raise SystemExit("lugang replay failed")
    if profiler:
        profiler.disable()
    elapsed = time.perf_counter() - started
    if profiler:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(25)
        print(out.getvalue())
    return count / elapsed


def raw_send_rate(bootstrap: str, path: Path) -> tuple[int, float]:
    """Records per second of kafka-python alone, sending the same pre-serialised records."""
    topics = TopicNames(f"bench-raw-{uuid.uuid4().hex[:6]}.")
    ensure_topics(bootstrap, topics.inputs, 4)
    messages = [
        (topics.name(r.topic), None if r.key is None else r.key.encode(), r.value, r.timestamp_ms)
        for r in read_recording(path)
    ]
    producer = make_producer(bootstrap)
    started = time.perf_counter()
    for topic, key, value, ts in messages:
        producer.send(topic, key=key, value=value, timestamp_ms=ts)
    producer.flush()
    elapsed = time.perf_counter() - started
    producer.close()
    return len(messages), len(messages) / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=60, help="simulated days (default: 60)")
    parser.add_argument("--profile", action="store_true", help="profile the replay")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, kafka_bootstrap() as bootstrap:
        path = Path(tmp) / "bench.jsonl"
        count = make_recording(path, args.days)
        print(f"recording: {count:,} records ({args.days} simulated days), broker {bootstrap}")
        # Alternate the two, twice, and keep each one's best: the broker warms up as it goes.
        raws, replays = [], []
        for _ in range(2):
            raws.append(raw_send_rate(bootstrap, path)[1])
            replays.append(replay_rate(bootstrap, path, count, args.profile))
        raw, replay = max(raws), max(replays)
        print(f"raw kafka-python send, pre-serialised (acks=all, lz4): {raw:>9,.0f} records/s")
        print(f"lugang replay (read, validate, produce):              {replay:>9,.0f} records/s")
        print(f"(runs: raw {', '.join(f'{r:,.0f}' for r in raws)}; ", end="")
        print(f"replay {', '.join(f'{r:,.0f}' for r in replays)})")
        print(f"replay / raw: {replay / raw:.2f} (target >= 0.70)")


if __name__ == "__main__":
    main()
