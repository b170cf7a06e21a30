"""Watch and live silence in process (issue 9 #1 and #4): a silent unit on watch pages
until it reports again or leaves, judged against its partition's event time (consumer lag
is not silence); a live gap the data disprove closes; exceptions still open when the
container's outbound train arrives at the far end close then."""

from __future__ import annotations

from datetime import datetime, timedelta

from streams.domain.watch import leaves_watch
from streams.state import Watermarks
from streams.timers import SilenceCheck
from tests.fakes import Topic
from tests.unit.test_agents import NOW, Harness, arri, load, reading, run

BOX = "MSKU9070323"
START = datetime.fromisoformat("2026-03-15T08:00:00+08:00")


class OnePartition:
    """Every container on partition 0 of this worker; ``caught_up`` says whether the
    worker has read everything there."""

    def __init__(self, watermarks: Watermarks, caught_up: bool = True) -> None:
        self.watermarks = watermarks
        self.read = caught_up

    async def caught_up(self) -> dict[int, bool]:
        return {0: self.read}


def check(h: Harness, watch: OnePartition) -> SilenceCheck:
    return SilenceCheck(h.movements, h.metrics, h.movements.pager, watch, clock=lambda: h.wall[0])


def report(h: Harness, minutes: range, supply: float = 6.0) -> None:
    reefer = Topic("reefer")
    reefer.offset = 1000 + minutes.start
    events = [
        reefer.event(BOX, reading(f"r{m}", BOX, START + timedelta(minutes=m), supply))
        for m in minutes
    ]
    run(h.movements.handle(events))


def gaps_paged(h: Harness) -> list[str]:
    return [
        a.labels["exception_id"]
        for a in h.alerts.fired
        if "TELEMETRY_GAP" in a.labels["exception_id"]
    ]


def test_a_silent_unit_on_watch_keeps_paging_past_six_hours() -> None:
    h = Harness()
    report(h, range(0, 31, 5))  # read at wall NOW
    watch = OnePartition(h.watermarks)
    h.wall[0] = NOW + timedelta(hours=7)  # event time: the last reading + 7 h
    run(check(h, watch)())
    h.wall[0] = NOW + timedelta(hours=72)
    run(check(h, watch)())  # found again: still firing, without a page of its own
    assert gaps_paged(h) == [f"{BOX}:TELEMETRY_GAP:2026-03-15T00:30:00+00:00"]
    run(h.movements.pager.resend([], h.wall[0].date()))  # the minute's re-send
    assert gaps_paged(h) == [f"{BOX}:TELEMETRY_GAP:2026-03-15T00:30:00+00:00"] * 2
    assert (h.alerts.fired[-1].ends_at or NOW) > h.wall[0]


def test_consumer_lag_is_not_silence() -> None:
    h = Harness()
    report(h, range(0, 31, 5))
    h.wall[0] = NOW + timedelta(hours=7)
    run(check(h, OnePartition(h.watermarks, caught_up=False))())
    assert gaps_paged(h) == []


def test_nothing_is_checked_while_a_rebalance_is_under_way() -> None:
    """A newly assigned partition's tracks are what a standby copy had read until the
    recovery ends: the check neither settles nor writes them then."""
    h = Harness()
    report(h, range(0, 31, 5))
    h.wall[0] = NOW + timedelta(hours=7)
    tracks = dict(h.tracks.data)
    watch = OnePartition(h.watermarks)
    silence = SilenceCheck(
        h.movements, h.metrics, h.movements.pager, watch, lambda: h.wall[0], lambda: False
    )
    run(silence())
    assert gaps_paged(h) == [] and h.tracks.data == tracks
    run(check(h, watch)())  # once settled, the gap is found
    assert gaps_paged(h) == [f"{BOX}:TELEMETRY_GAP:2026-03-15T00:30:00+00:00"]


def test_a_live_gap_late_readings_fill_is_closed() -> None:
    h = Harness()
    report(h, range(0, 31, 5))
    h.wall[0] = NOW + timedelta(minutes=40)  # 40 minutes silent: a gap from minute 30
    run(check(h, OnePartition(h.watermarks))())
    [gap] = h.live_gaps.all()
    report(h, range(35, 61, 5))  # the readings were only delayed
    assert h.live_gaps.all() == []
    resolved = [a for a in h.alerts.fired if a.labels["exception_id"] == gap.exception_id]
    assert [a.ends_at is not None and a.ends_at <= NOW for a in resolved][-1]
    # When the readings settle, the gap is not paged again.
    report(h, range(65, 121, 5))
    assert [a.labels["exception_id"] for a in h.alerts.fired].count(gap.exception_id) == 2


def test_leaving_watch_ends_a_silent_units_paging() -> None:
    h = Harness()
    report(h, range(0, 31, 5))
    h.wall[0] = NOW + timedelta(hours=2)
    run(check(h, OnePartition(h.watermarks))())
    assert h.live_gaps.all() != []
    assert leaves_watch("GTOT", True)
    containers = Topic("containers")
    gate_out = {
        **load("g1", BOX, "2026-03-15T10:00:00+08:00"),
        "event_type": "GTOT",
        "train_id": None,
        "corridor": None,
        "direction": None,
    }
    run(h.movements.handle([containers.event(BOX, gate_out)]))
    assert h.live_gaps.all() == []
    h.wall[0] = NOW + timedelta(hours=5)
    before = len(gaps_paged(h))
    run(check(h, OnePartition(h.watermarks))())
    assert len(gaps_paged(h)) == before


def test_exceptions_open_when_the_outbound_train_arrives_close_then() -> None:
    h = Harness()
    containers, trains = Topic("containers"), Topic("trains")
    run(h.movements.handle([containers.event(BOX, load("l1", BOX, "2026-03-15T07:50:00+08:00"))]))
    report(h, range(0, 61, 5), supply=16.0)  # out of band from 08:00
    assert any(b'"HIGH"' in v for v in h.open_exceptions.data.values())
    run(h.trains.handle([trains.event("X9001", arri("a1", "X9001", "2026-03-15T09:10:00+08:00"))]))
    run(check(h, OnePartition(h.watermarks))())  # left at 09:10, not yet known final
    assert h.open_exceptions.data != {}
    h.wall[0] = NOW + timedelta(minutes=31)  # silent for the gap time: the data are final
    run(check(h, OnePartition(h.watermarks))())
    assert h.open_exceptions.data == {}
    closed = {a.labels["exception_id"] for a in h.alerts.fired if a.ends_at and a.ends_at <= NOW}
    assert f"{BOX}:HIGH:2026-03-15T00:00:00+00:00" in closed
    [track] = h.tracks.data.values()
    assert b'"watching":true' not in track


def test_a_new_reading_of_an_ended_trip_is_dead_lettered_as_late() -> None:
    """Once the gate out is settled, a reading dated before it (never taken) belongs to the
    ended trip: dead-lettered with the reason that says so; one taken before is a duplicate."""
    h = Harness()
    report(h, range(0, 31, 5))
    containers = Topic("containers")
    gate_out = {**load("g1", BOX, "2026-03-15T08:35:00+08:00"), "event_type": "GTOT",
                "train_id": None, "corridor": None, "direction": None}  # fmt: skip
    run(h.movements.handle([containers.event(BOX, gate_out)]))
    h.wall[0] = NOW + timedelta(minutes=31)  # silent for the gap time: settled
    run(check(h, OnePartition(h.watermarks))())
    report(h, range(30, 31))  # 08:30, taken before
    report(h, range(32, 33))  # 08:32, new, before the gate out
    [letter] = h.dead_letters.dead_letters()
    assert letter.reason.startswith("late: reading_time 2026-03-15T08:32:00+08:00 is not after")
    assert h.counters.take_findings()["reefer", "duplicate"] == 1
