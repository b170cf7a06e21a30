"""A recording through the worker's three agents in process (fake tables and sinks, no
broker), then the live timer's work once everything is read: what a worker makes of it,
for the tests that compare the real servers with it."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path

from lugang.contract import ColdChainException
from lugang.reference import default_reference
from producers.records import Record, read_recording
from streams.agents.memory import MemoryTable
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


def replay_in_process(
    recording: Path, *, dwell: bool = False, passes: int = 1
) -> tuple[Harness, list[ColdChainException]]:
    """The agents after ``recording`` and the timer's tick at each partition's newest
    reading, with the TELEMETRY_GAPs that tick finds (units silent on watch); ``dwell``:
    the movements agent follows visits at the port too (its ``dwell`` table, as a worker's);
    ``passes``: how many times the recording is read (a replay again: new offsets, the
    same events)."""
    h = Harness()
    if dwell:
        h.movements.dwell = MemoryTable()
    h.movements.partition_of = lambda key: key_partition(key, PARTITIONS)
    topics = {name: Topic(name) for name in ("trains", "containers", "reefer")}
    for _ in range(passes):
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


STALL = timedelta(minutes=5)
"""How far a partition's event time may run on with the wall clock where a fault stops the
feed (a caught-up partition's clock goes on, :class:`streams.state.Watermarks`)."""


def live_gaps(recording: Path) -> frozenset[str]:
    """The TELEMETRY_GAPs a live silence check may find if the feed stopped somewhere in
    ``recording``: a unit whose newest reading is more than the gap time (less
    :data:`STALL`) behind its partition's newest reading, in file order, before its next
    reading comes. The uninterrupted run, read at full speed, rarely stops there (a worker
    that catches up with the replay there does), a fault can (Kafka SIGKILLed right after
    such a point); the gap is then paged and closed
    by the reading that ends it, which is what the domain asks of a live check."""
    rules = default_reference().exception_rules
    gap = timedelta(minutes=rules.telemetry_gap_minutes) - STALL
    newest: dict[int, datetime] = {}
    last: dict[str, tuple[int, datetime]] = {}
    found: set[str] = set()
    for record in read_recording(recording):
        if record.topic != "reefer":
            continue
        try:
            value = json.loads(record.value)
            unit = str(value["equipment_reference"])
            at = datetime.fromisoformat(str(value["reading_time"])).astimezone(UTC)
        except (KeyError, TypeError, ValueError, OverflowError):
            continue  # dead-lettered
        if record.key is None:
            continue
        partition = key_partition(record.key.encode(), PARTITIONS)
        newest[partition] = max(newest.get(partition, at), at)
        last[unit] = (partition, max(last.get(unit, (partition, at))[1], at))
        for other, (where, seen) in last.items():
            if where == partition and newest[partition] - seen > gap:
                found.add(f"{other}:TELEMETRY_GAP:{seen.isoformat()}")
    return frozenset(found)


def without_live_gaps(
    stored: Mapping[str, str], want: Mapping[str, str], recording: Path
) -> dict[str, str]:
    """``stored`` exceptions (id -> final status) less the closed TELEMETRY_GAPs a live
    check may find in ``recording`` (:func:`live_gaps`) that ``want`` does not have."""
    allowed = live_gaps(recording)
    return {
        eid: status
        for eid, status in stored.items()
        if eid in want or eid not in allowed or status != "CLOSED"
    }
