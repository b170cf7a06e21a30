"""A message faust dropped while handing over later ones, read again by a restarted worker
(issue 10, "re-reads are applied"): it is applied once, whatever later offsets the track
applied before the crash, and the later ones are not applied twice."""

from __future__ import annotations

from streams.schema import points
from tests.fakes import Topic
from tests.unit.test_agents import BOX, Harness, excursion, run


def test_a_message_dropped_before_a_crash_is_applied_after_the_restart() -> None:
    first, reefer = Harness(), Topic("reefer")
    readings = excursion(reefer, minutes=0)  # in band, every 5 minutes
    # faust dropped offset 3 and handed over 4 (a message fetched while its flow control
    # was paused); the worker was SIGKILLed before its commit guard saw the hole.
    run(first.movements.handle(readings[:3] + readings[4:5]))
    # Its successor restores the tracks and reads again from the committed offset, 3.
    second = Harness(tracks=first.tracks)
    run(second.movements.handle(readings[3:]))
    written = [
        s.time for h in (first, second) for s in h.metrics.measurement(points.REEFER_READING)
    ]
    assert sorted(written) == sorted(set(written))  # nothing written twice
    assert len(written) == len(readings)  # and nothing lost
    assert first.dead_letters.sent == second.dead_letters.sent == []
    assert BOX.encode() in second.tracks.data
