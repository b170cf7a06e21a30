"""The unhappy-paths recording (issue 9) through the three agents in process, with the live
timer's work at the end: exactly the hand-checked exceptions, totals, transit, dead letters
and data-quality findings of ``tests/data/unhappy.expected.json``."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from streams.schema import points
from tests.in_process import replay_in_process
from tests.unit.test_agents import Harness

DATA = Path(__file__).resolve().parents[1] / "data"
EXPECTED = json.loads((DATA / "unhappy.expected.json").read_text())


def replayed() -> Harness:
    return replay_in_process(DATA / "unhappy.jsonl")[0]


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
