"""Each agent in process, without a broker: fake tables, topics and sinks (tests/fakes.py)
implementing the Protocols the real ones implement. What is checked: counting,
dead-lettering (contract failures, late readings, and the per-event policy for an event
the domain code raises on), deduplication of redelivered messages, paging, and that a batch
delivers everything before its table writes."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar

import pytest

from lugang.reference import default_reference
from streams.agents.days import DaysAgent
from streams.agents.facts import FACTS
from streams.agents.intake import Intake
from streams.agents.memory import MemoryTable
from streams.agents.movements import MovementsAgent
from streams.agents.paging import PagingAgent
from streams.agents.trains import TrainsAgent
from streams.domain.counts import DayTotals
from streams.pager import Pager
from streams.schema import points
from streams.state import (
    DayBook,
    LiveGaps,
    MovesKnown,
    PipelineCounters,
    Watermarks,
)
from tests.fakes import (
    FakeAlertSink,
    FakeEvent,
    FakeMetricSink,
    LoopbackOutbox,
    MemoryOutbox,
    Topic,
)

REF = default_reference()
NOW = datetime(2026, 3, 16, 12, 0, tzinfo=UTC)
LIVE_STALE = timedelta(minutes=3)
T = TypeVar("T")


def run(coroutine: Awaitable[T]) -> T:
    async def wrapped() -> T:
        return await coroutine

    return asyncio.run(wrapped())


def depa(event_id: str, train: str, at: str, corridor: str = "HHW-QZH") -> dict[str, Any]:
    return {
        "event_id": event_id,
        "event_type": "DEPA",
        "train_id": train,
        "corridor": corridor,
        "location": "HHW",
        "direction": "OUTBOUND",
        "event_time": at,
        "wagons": 50,
    }


def arri(event_id: str, train: str, at: str) -> dict[str, Any]:
    return {**depa(event_id, train, at), "event_type": "ARRI", "location": "CNQZH"}


def load(event_id: str, box: str, at: str, code: str = "45R1") -> dict[str, Any]:
    return {
        "event_id": event_id,
        "event_type": "LOAD",
        "equipment_reference": box,
        "iso_equipment_code": code,
        "empty_indicator": "LADEN",
        "train_id": "X9001",
        "corridor": "HHW-QZH",
        "direction": "OUTBOUND",
        "location": "HHW",
        "event_time": at,
        "gross_weight_kg": 26000,
        "commodity": "citrus",
    }


def reading(event_id: str, box: str, at: datetime, supply: float) -> dict[str, Any]:
    return {
        "event_id": event_id,
        "equipment_reference": box,
        "reading_time": at.isoformat(),
        "setpoint_c": 6.0,
        "supply_air_c": supply,
        "return_air_c": supply + 0.8,
        "humidity_pct": 90,
        "power_on": True,
        "commodity": "citrus",
        "corridor": "HHW-QZH",
    }


class Harness:
    """The three agents wired as the worker wires them, on fakes (``moves_known``: how far
    the containers partitions are read, default: always to their end; ``tracks``: the
    reefer tracks a restarted worker recovers)."""

    def __init__(
        self, moves_known: MovesKnown | None = None, tracks: MemoryTable | None = None
    ) -> None:
        self.dead_letters = MemoryOutbox()
        self.facts = MemoryOutbox()
        self.metrics = FakeMetricSink()
        self.alerts = FakeAlertSink()
        self.counters = PipelineCounters()
        self.departures, self.arrivals = MemoryTable(), MemoryTable()
        self.tracks, self.open_exceptions = tracks or MemoryTable(), MemoryTable()
        self.days = MemoryTable()
        self.live_gaps = LiveGaps()
        self.wall = [NOW]  # the wall clock of the live checks, moved by the tests
        self.watermarks = Watermarks(clock=lambda: self.wall[0])
        self.trains = TrainsAgent(
            self.intake(), REF, self.departures, self.arrivals, self.facts, self.metrics
        )
        self.paged = MemoryTable()
        paging = PagingAgent(self.alerts, self.paged, REF, LIVE_STALE, clock=lambda: self.wall[0])
        self.pages = LoopbackOutbox("pages", paging.handle)
        pager = Pager(self.pages, self.live_gaps)
        self.movements = MovementsAgent(
            self.intake(),
            REF,
            timedelta(minutes=10),
            self.tracks,
            self.open_exceptions,
            self.facts,
            self.metrics,
            pager,
            arrivals=self.arrivals,
            watermarks=self.watermarks,
            moves_known=moves_known,
        )
        self.book = DayBook(self.days)
        self.day_agent = DaysAgent(
            self.intake(),
            REF,
            self.book,
            self.metrics,
            clock=lambda: NOW,
            running_every_s=0,
            monotonic=lambda: 0.0,
        )

    def intake(self) -> Intake:
        return Intake("", REF, self.dead_letters, self.counters, clock=lambda: NOW)

    def sent_facts(self) -> list[str]:
        return [f.event_id for _, value in self.facts.sent for f in FACTS.validate_json(value)]

    async def count_days(self) -> None:
        """Hand the facts sent so far to the days agent, as the day-facts topic would."""
        topic = Topic("day-facts")
        await self.day_agent.handle([topic.event("facts", value) for _, value in self.facts.sent])


# -- trains ---------------------------------------------------------------------------------


def test_trains_count_runs_mark_departures_and_measure_transit() -> None:
    h, topic = Harness(), Topic("trains")
    batch = [
        topic.event("X9001", depa("d1", "X9001", "2026-03-15T09:20:00+08:00")),
        topic.event("X9001", arri("a1", "X9001", "2026-03-16T13:20:00+08:00")),
    ]
    run(h.trains.handle(batch))
    assert h.sent_facts() == ["d1"]
    # The departure is written when it is read, not only with the transit on arrival.
    (departure,) = h.metrics.measurement(points.TRAIN_DEPARTURE)
    assert departure.time == datetime.fromisoformat("2026-03-15T09:20:00+08:00")
    assert departure.tags == {"corridor": "HHW-QZH", "train_id": "X9001"}
    transit = h.metrics.measurement(points.TRANSIT)
    assert [s.fields["hours"] for s in transit] == [28.0]
    assert b"X9001" in h.departures and b"X9001" in h.arrivals
    assert h.departures.pending == 0 and h.facts.undelivered == 0


def test_an_arrival_before_its_departure_is_counted_as_a_finding_and_the_batch_goes_on() -> None:
    """Issue 9 #6: it once crashed the agent (issue 8) and then was dead-lettered as
    ``internal``; now it is an ``orphan_arrival`` finding, never an error."""
    h, topic = Harness(), Topic("trains", partition=3)
    batch = [
        topic.event("X9001", depa("d1", "X9001", "2026-03-15T09:20:00+08:00")),
        topic.event("X9002", depa("d2", "X9002", "2026-03-15T10:00:00+08:00", "HHW-VTE")),
        topic.event("X9001", arri("bad", "X9001", "2026-03-14T09:00:00+08:00")),
        topic.event("X9003", depa("d3", "X9003", "2026-03-15T11:00:00+08:00")),
        topic.event("X9001", arri("a1", "X9001", "2026-03-16T13:20:00+08:00")),
    ]
    run(h.trains.handle(batch))
    assert h.sent_facts() == ["d1", "d2", "d3"]
    assert h.dead_letters.dead_letters() == []
    assert h.counters.take_findings()["trains", "orphan_arrival"] == 1
    assert len(h.metrics.measurement(points.TRANSIT)) == 1  # the good arrival's


def test_a_train_event_the_domain_raises_on_is_dead_lettered_and_the_batch_counted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The per-event policy (issue 8) for the trains agent: an event whose planning raises
    costs only itself."""
    from streams.agents import trains
    from streams.domain.transit import plan_train as real

    def plan(train: Any, departures: Any, reference: Any) -> Any:
        if train.event_id == "bad":
            raise ValueError("a bug")
        return real(train, departures, reference)

    monkeypatch.setattr(trains, "plan_train", plan)
    h, topic = Harness(), Topic("trains", partition=3)
    batch = [
        topic.event("X9001", depa("d1", "X9001", "2026-03-15T09:20:00+08:00")),
        topic.event("X9002", depa("bad", "X9002", "2026-03-15T10:00:00+08:00")),
        topic.event("X9003", depa("d3", "X9003", "2026-03-15T11:00:00+08:00")),
    ]
    run(h.trains.handle(batch))
    assert h.sent_facts() == ["d1", "d3"]
    [letter] = h.dead_letters.dead_letters()
    assert letter.reason == "internal: ValueError: a bug"
    assert (letter.topic, letter.partition, letter.offset) == ("trains", 3, 1)
    assert h.counters.take()["trains", "dead_letters"] == 1


def test_trains_dead_letter_a_contract_failure_with_its_reason() -> None:
    h, topic = Harness(), Topic("trains")
    batch = [
        topic.event("X9001", b"{not json"),
        topic.event("X9001", depa("d1", "X9001", "2026-03-15T09:20:00+08:00")),
    ]
    run(h.trains.handle(batch))
    [letter] = h.dead_letters.dead_letters()
    assert not letter.reason.startswith("internal")
    assert h.sent_facts() == ["d1"]


# -- movements ------------------------------------------------------------------------------

BOX = "TGHU1000018"
START = datetime(2026, 3, 15, 8, 0, tzinfo=UTC)


def excursion(topic: Topic, box: str = BOX, minutes: int = 60) -> list[FakeEvent]:
    """Readings every 5 minutes: in band, then 16 °C (citrus band 3 to 9 °C) from minute
    10 for ``minutes``, then in band again."""
    events = []
    for step in range(0, 10 + minutes + 30, 5):
        out = 10 <= step < 10 + minutes
        at = START + timedelta(minutes=step)
        events.append(topic.event(box, reading(f"r{step}", box, at, 16.0 if out else 6.0)))
    return events


def test_movements_count_moves_and_page_an_excursion_once() -> None:
    h = Harness()
    containers, reefer = Topic("containers"), Topic("reefer")
    moves = [
        containers.event(BOX, load("l1", BOX, "2026-03-15T15:30:00+08:00")),
        containers.event(
            "MSKU9070323", load("l2", "MSKU9070323", "2026-03-15T15:40:00+08:00", "45G1")
        ),
    ]
    readings = excursion(reefer)
    run(h.movements.handle(moves + readings))
    assert sorted(h.sent_facts()) == ["l1", "l2"]
    # Opened and closed in one batch (seen already over): paged once as such (issue 10 #5),
    # firing for a while with its start and end, not fired and resolved at once (which
    # Alertmanager notifies to nobody).
    [alert] = h.alerts.fired
    assert (alert.labels["kind"], alert.labels["alertname"]) == (
        "HIGH",
        "ColdChainExceptionSeenClosed",
    )
    assert alert.ends_at is not None and alert.ends_at > NOW
    assert alert.annotations["summary"].startswith("Already over when seen, ended")
    assert h.open_exceptions.data == {}  # opened and closed in the batch
    assert len(h.metrics.measurement(points.REEFER_READING)) == len(readings)
    assert list(h.tracks.data) == [BOX.encode()]  # the dry box gets no track
    assert h.tracks.pending == 0 and h.dead_letters.sent == []

    # The same messages again (a restart before the commit): nothing new. The dry box has
    # no track to skip its move, so its container_move point is written again, the same.
    fired, lines = len(h.alerts.fired), {s.to_line() for s in h.metrics.samples}
    samples = len(h.metrics.samples)
    run(h.movements.handle(moves + readings))
    assert len(h.alerts.fired) == fired
    assert {s.to_line() for s in h.metrics.samples} == lines
    again = h.metrics.samples[samples:]
    assert [(s.measurement, s.tags["equipment_reference"]) for s in again] == [
        (points.CONTAINER_MOVE, "MSKU9070323")
    ]


def test_movements_keep_an_open_exception_in_its_table_until_it_closes() -> None:
    h, reefer = Harness(), Topic("reefer")
    readings = excursion(reefer, minutes=60)
    # Out of band from minute 10: 30 minutes at minute 40, settled (final) once a reading
    # more than 10 minutes later (the allowed lateness) has come.
    run(h.movements.handle(readings[:10]))  # minutes 0 to 45
    assert h.open_exceptions.data == {}
    run(h.movements.handle(readings[10:12]))  # minutes 50 and 55
    [opened] = h.open_exceptions.data.values()
    assert b'"HIGH"' in opened
    run(h.movements.handle(readings[12:]))
    assert h.open_exceptions.data == {}


def test_movements_dead_letter_a_late_reading() -> None:
    h, reefer = Harness(), Topic("reefer")
    batch = [
        reefer.event(BOX, reading("r1", BOX, START, 6.0)),
        reefer.event(BOX, reading("r2", BOX, START + timedelta(hours=1), 6.0)),
        reefer.event(BOX, reading("r0", BOX, START - timedelta(minutes=30), 6.0)),
    ]
    run(h.movements.handle(batch))
    [letter] = h.dead_letters.dead_letters()
    assert letter.reason.startswith("late: reading_time")
    assert letter.offset == 2


def test_a_poison_reading_is_dead_lettered_and_the_track_goes_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    h, reefer = Harness(), Topic("reefer")
    from streams.domain import items
    from streams.domain.coldchain import step as real

    def step(state: Any, reading: Any, *args: Any, **kwargs: Any) -> Any:
        if reading.event_id == "r15":
            raise ZeroDivisionError("a bug in a rule")
        return real(state, reading, *args, **kwargs)

    # In the rule itself: the batch's readings are taken together first, then, when that
    # fails, one by one, so that the failing one alone is dead-lettered.
    monkeypatch.setattr(items, "step", step)
    readings = excursion(reefer)
    run(h.movements.handle(readings))
    [letter] = h.dead_letters.dead_letters()
    assert letter.reason == "internal: ZeroDivisionError: a bug in a rule"
    assert len(h.metrics.measurement(points.REEFER_READING)) == len(readings) - 1
    assert [a.labels["kind"] for a in h.alerts.fired] == ["HIGH"]  # seen already over


# -- days -----------------------------------------------------------------------------------


def test_days_add_facts_once_and_write_the_aggregates() -> None:
    h, trains, containers = Harness(), Topic("trains"), Topic("containers")
    run(h.trains.handle([trains.event("X9001", depa("d1", "X9001", "2026-03-15T09:20:00+08:00"))]))
    load_event = containers.event(BOX, load("l1", BOX, "2026-03-15T15:30:00+08:00"))
    run(h.movements.handle([load_event]))
    run(h.count_days())
    totals = h.book.year(2026)
    [day] = totals.values()
    assert (day.total_runs, day.total_teu) == (1, 2.0)
    assert h.metrics.measurement(points.TRAIN_RUNS_DAILY)

    # The same facts again (a replay): no change, no new write.
    writes = h.days.writes
    run(h.count_days())
    assert h.book.year(2026)[day.day] == day
    assert h.days.writes == writes


def test_days_dead_letter_a_message_that_is_not_facts() -> None:
    h, topic = Harness(), Topic("day-facts")
    good = FACTS.dump_json(
        [
            *FACTS.validate_python(
                [
                    {
                        "event_id": "d1",
                        "day": "2026-03-15",
                        "kind": "TRAIN_RUN",
                        "corridor": "HHW-QZH",
                        "direction": "OUTBOUND",
                        "service_group": "RAIL_SEA",
                        "teu_category": "RAIL_SEA",
                    }
                ]
            )
        ]
    )
    run(h.day_agent.handle([topic.event("facts", b"garbage"), topic.event("facts", good)]))
    [letter] = h.dead_letters.dead_letters()
    assert letter.reason.startswith("internal: ValidationError")
    assert isinstance(h.book.year(2026)[date(2026, 3, 15)], DayTotals)


# -- keys -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "reason"),
    [
        ("MSKU9070323", "key: the message key 'MSKU9070323' is not the equipment_reference"),
        (None, "key: the message has no key; it must be the equipment_reference"),
    ],
)
def test_a_reading_keyed_by_another_container_is_dead_lettered(
    key: str | None, reason: str
) -> None:
    """Judged on the other container's track (or, without a key, on one track shared by
    every keyless reading) its order would be lost."""
    h, reefer = Harness(), Topic("reefer")
    run(h.movements.handle([reefer.event(key, reading("r1", BOX, START, 16.0))]))
    [letter] = h.dead_letters.dead_letters()
    assert letter.reason.startswith(reason)
    assert h.tracks.data == {} and h.metrics.samples == []


def test_a_train_keyed_by_another_train_is_dead_lettered() -> None:
    h, topic = Harness(), Topic("trains")
    run(h.trains.handle([topic.event("X9002", depa("d1", "X9001", "2026-03-15T09:20:00+08:00"))]))
    [letter] = h.dead_letters.dead_letters()
    assert letter.reason == "key: the message key 'X9002' is not the train_id 'X9001'"
    assert h.sent_facts() == []


# -- run identity ---------------------------------------------------------------------------


def test_a_corrected_departure_is_the_same_run_and_the_next_day_another() -> None:
    """Domain §2: a run is train id, direction and local day; a second DEPA of the same train
    on the same day with a new event id is a correction."""
    h, topic = Harness(), Topic("trains")
    batch = [
        topic.event("X9001", depa("d1", "X9001", "2026-03-15T09:20:00+08:00")),
        topic.event("X9001", depa("d1-fix", "X9001", "2026-03-15T09:35:00+08:00")),
        topic.event("X9001", depa("d2", "X9001", "2026-03-16T09:20:00+08:00")),
    ]
    run(h.trains.handle(batch))
    run(h.count_days())
    runs = {day.isoformat(): totals.total_runs for day, totals in h.book.year(2026).items()}
    assert runs == {"2026-03-15": 1, "2026-03-16": 1}


# -- data quality ---------------------------------------------------------------------------


def test_findings_count_dead_letters_by_reason_and_duplicates_per_topic() -> None:
    """The data-quality view: per topic, dead letters by the class of their reason, and
    duplicates dropped quietly (a reading seen again within the lateness, a counted event
    seen again by the day totals)."""
    h = Harness()
    trains, reefer = Topic("trains"), Topic("reefer")
    departure = depa("d1", "X9001", "2026-03-15T09:20:00+08:00")
    run(h.trains.handle([trains.event("X9001", departure), trains.event("X9001", departure)]))
    run(
        h.movements.handle(
            [
                reefer.event(BOX, reading("r1", BOX, START + timedelta(hours=1), 6.0)),
                reefer.event(BOX, reading("r1", BOX, START + timedelta(hours=1), 6.0)),
                reefer.event(BOX, reading("r0", BOX, START, 6.0)),  # an hour late
                reefer.event("MSKU9070323", reading("r2", BOX, START, 6.0)),  # wrong key
                reefer.event(BOX, b"{}"),  # breaks the contract
            ]
        )
    )
    run(h.count_days())
    assert h.counters.take_findings() == {
        ("reefer", "duplicate"): 1,
        ("reefer", "late"): 1,
        ("reefer", "key"): 1,
        ("reefer", "contract"): 1,
        ("trains", "duplicate"): 1,
    }


def test_implausible_event_times_are_dead_lettered_and_the_batch_counted() -> None:
    """Issue 10 #4: a train at 9999-12-31T23:30-08:00 (past year 9999 in UTC) raised
    ``OverflowError`` in ``local_day`` and killed the agent; event times before 2000 or
    more than a day ahead of the worker's clock are dead-lettered with reason ``time: …``."""
    h, topic = Harness(), Topic("trains")
    batch = [
        topic.event("X9001", depa("far", "X9001", "9999-12-31T23:30:00-08:00")),
        topic.event("X9002", depa("old", "X9002", "1999-12-31T09:20:00+08:00")),
        topic.event("X9003", depa("d3", "X9003", "2026-03-15T11:00:00+08:00")),
    ]
    run(h.trains.handle(batch))
    assert h.sent_facts() == ["d3"]
    reasons = [letter.reason for letter in h.dead_letters.dead_letters()]
    assert [r.split(":")[0] for r in reasons] == ["time", "time"]
    assert "ahead of the worker's clock" in reasons[0] and "before 2000-01-01" in reasons[1]
    assert h.counters.take_findings()["trains", "time"] == 2


def test_a_value_the_contract_code_fails_on_is_dead_lettered(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from streams.agents import intake

    def broken(kind: str, value: bytes, reference: Any) -> Any:
        raise OverflowError("date value out of range")

    monkeypatch.setattr(intake, "parse_event", broken)
    h, topic = Harness(), Topic("trains")
    run(h.trains.handle([topic.event("X9001", depa("d1", "X9001", "2026-03-15T09:20:00+08:00"))]))
    [letter] = h.dead_letters.dead_letters()
    assert letter.reason == "internal: OverflowError: date value out of range"
