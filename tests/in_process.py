"""A recording through the worker's three agents in process (fake tables and sinks, no
broker), then the live timer's work once everything is read: what a worker makes of it,
for the tests that compare the real servers with it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from lugang.contract import ColdChainException
from producers.records import Record, read_recording
from streams.faustfix.tables import key_partition
from streams.schema import points
from tests.fakes import Topic
from tests.unit.test_agents import Harness, run

PARTITIONS = 4


def _runs(recording: Path) -> Iterator[tuple[str, list[Record]]]:
    """Consecutive records of one agent (``trains`` or ``movements``), in recording order."""
    agent, run_of = "", list[Record]()
    for record in read_recording(recording):
        this = "trains" if record.topic == "trains" else "movements"
        if run_of and this != agent:
            yield agent, run_of
            run_of = []
        agent = this
        run_of.append(record)
    if run_of:
        yield agent, run_of


def replay_in_process(recording: Path) -> tuple[Harness, list[ColdChainException]]:
    """The agents after ``recording`` and the timer's tick at each partition's newest
    reading, with the TELEMETRY_GAPs that tick finds (units silent on watch)."""
    h = Harness()
    h.movements.partition_of = lambda key: key_partition(key, PARTITIONS)
    topics = {name: Topic(name) for name in ("trains", "containers", "reefer")}
    for agent, records in _runs(recording):
        events = [topics[r.topic].event(r.key, r.value) for r in records]
        run((h.trains if agent == "trains" else h.movements).handle(events))
    run(h.count_days())
    newest: dict[int, datetime] = {}
    for key, value in h.tracks.data.items():
        reading = h.movements.decoded.get(key, value).newest_reading
        if reading is not None:
            partition = key_partition(key, PARTITIONS)
            newest[partition] = max(newest.get(partition, reading), reading)
    gaps = run(h.movements.tick(newest))
    return h, gaps


def exceptions_of(recording: Path) -> dict[str, str]:
    """Exception id -> final status, as a worker that has read ``recording`` writes them."""
    h, gaps = replay_in_process(recording)
    final = {
        s.tags["exception_id"]: str(s.fields["status"])
        for s in h.metrics.measurement(points.COLDCHAIN_EXCEPTION)
    }
    final.update((gap.exception_id, gap.status) for gap in gaps)
    return final
