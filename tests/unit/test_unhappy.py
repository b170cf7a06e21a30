"""The unhappy-paths recording (issue 9) through the three agents in process, with the live
timer's work at the end: exactly the hand-checked exceptions, totals, transit, dead letters
and data-quality findings of ``tests/data/unhappy.expected.json``."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

from producers.records import read_recording
from streams.faustfix.tables import key_partition
from streams.schema import points
from tests.fakes import Topic
from tests.unit.test_agents import Harness, run

DATA = Path(__file__).resolve().parents[1] / "data"
EXPECTED = json.loads((DATA / "unhappy.expected.json").read_text())


def replayed() -> Harness:
    h = Harness()
    h.movements.partition_of = lambda key: key_partition(key, 4)
    topics = {name: Topic(name) for name in ("trains", "containers", "reefer")}
    for record in read_recording(DATA / "unhappy.jsonl"):
        event = topics[record.topic].event(record.key, record.value)
        handler = h.trains if record.topic == "trains" else h.movements
        run(handler.handle([event]))
    run(h.count_days())
    newest: dict[int, datetime] = {}
    for key, value in h.tracks.data.items():
        track = h.movements.decoded.get(key, value)
        if track.newest_reading is not None:
            partition = key_partition(key, 4)
            newest[partition] = max(
                newest.get(partition, track.newest_reading), track.newest_reading
            )
    run(h.movements.tick(newest))
    return h


def test_the_unhappy_recording_gives_the_hand_checked_exceptions() -> None:
    h = replayed()
    final = {s.tags["exception_id"]: s for s in h.metrics.measurement(points.COLDCHAIN_EXCEPTION)}
    got = {
        exception_id: [
            sample.time.isoformat(),
            (sample.time + timedelta(seconds=float(sample.fields["duration_s"]))).isoformat(),
        ]
        for exception_id, sample in final.items()
        if sample.fields["status"] == "CLOSED"
    }
    assert got == EXPECTED["exceptions"]
    assert set(final) == set(got)  # every exception ended
    assert h.open_exceptions.data == {}
    paged = {a.labels["exception_id"] for a in h.alerts.fired}
    assert paged == set(got)


def test_the_unhappy_recording_gives_the_hand_checked_findings() -> None:
    h = replayed()
    letters = [letter.reason for letter in h.dead_letters.dead_letters()]
    assert letters == EXPECTED["worker_dead_letters"]
    findings = {f"{topic}/{what}": n for (topic, what), n in h.counters.take_findings().items()}
    assert findings == EXPECTED["findings"]
    [transit] = h.metrics.measurement(points.TRANSIT)
    assert round(float(transit.fields["hours"]), 6) == EXPECTED["transit_h"]["X7001"]
