"""Where our trains are now (issue 12): the runs under way, outbound and inbound, with their
hours against the corridor's benchmark (:func:`streams.domain.transit.runs_under_way`), paged to
operations as ``TrainOverdue`` once overdue and resolved on arrival by the minute's round,
written as ``train_in_transit`` and listed in ``/status``, the text report and the board."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import orjson
import pytest
from rich.console import Console

from dashboards.board import render_board
from dashboards.text_report import render_text
from lugang.reference import default_reference
from producers.simulator import SimulationConfig, simulate
from streams.agents.memory import MemoryTable
from streams.agents.trains import TrainsKnown
from streams.domain.transit import KnownTrain, runs_under_way
from streams.schema import points
from streams.timers import MinuteRound
from streams.web import status_body
from tests.fakes import Topic
from tests.unit.test_agents import Harness, arri, depa, run

REF = default_reference()
TZ = REF.home.tz
T0 = datetime(2026, 3, 15, 9, 0, tzinfo=TZ)
H = timedelta(hours=1)
LATE_MARGIN = REF.model_copy(
    update={"transit": REF.transit.model_copy(update={"overdue_margin_h": 2.0})}
)


def _runs(
    departures: tuple[datetime, ...], arrival: datetime | None, now: datetime, corridor: str
) -> list[tuple[float, bool, bool]]:
    known = [KnownTrain("X1", corridor, departures, arrival)]
    return [(r.elapsed_h, r.overdue, r.in_transit) for r in runs_under_way(known, REF, now)]


@pytest.mark.parametrize(
    ("case", "departures", "arrival", "now", "corridor", "expected"),
    [
        ("on its way", (T0,), None, T0 + 10 * H, "HHW-QZH", [(10.0, False, True)]),
        ("at its benchmark", (T0,), None, T0 + 30 * H, "HHW-QZH", [(30.0, False, True)]),
        ("past a seaport's 30 h", (T0,), None, T0 + 31 * H, "HHW-QZH", [(31.0, True, True)]),
        ("ASEAN has 72 h", (T0,), None, T0 + 71 * H, "HHW-VTE", [(71.0, False, True)]),
        ("past ASEAN's 72 h", (T0,), None, T0 + 73 * H, "HHW-VTE", [(73.0, True, True)]),
        ("no benchmark", (T0,), None, T0 + 99 * H, "HHW-CSX", [(99.0, False, True)]),
        ("unknown corridor", (T0,), None, T0 + 99 * H, "XXX-YYY", [(99.0, False, True)]),
        ("arrived on time", (T0,), T0 + 29 * H, T0 + 31 * H, "HHW-QZH", [(29.0, False, False)]),
        ("arrived late", (T0,), T0 + 33 * H, T0 + 34 * H, "HHW-QZH", [(33.0, True, False)]),
        ("arrived a day ago", (T0,), T0 + 29 * H, T0 + 54 * H, "HHW-QZH", []),
        ("arrival still ahead", (T0,), T0 + 29 * H, T0 + 20 * H, "HHW-QZH", [(20.0, False, True)]),
        (
            "the arrival is the day before's",
            (T0 - 24 * H, T0),
            T0 - 4 * H,
            T0 + 12 * H,
            "HHW-QZH",
            [(12.0, False, True)],
        ),
        ("not departed yet", (T0,), None, T0 - H, "HHW-QZH", []),
        ("departed over a week ago", (T0,), None, T0 + 8 * 24 * H, "HHW-QZH", []),
        ("nothing departed", (), None, T0, "HHW-QZH", []),
    ],
)
def test_runs_under_way(
    case: str,
    departures: tuple[datetime, ...],
    arrival: datetime | None,
    now: datetime,
    corridor: str,
    expected: list[tuple[float, bool, bool]],
) -> None:
    assert _runs(departures, arrival, now, corridor) == expected, case


@pytest.mark.parametrize(("elapsed_h", "overdue"), [(31.0, False), (32.0, False), (32.5, True)])
def test_the_reference_margin_delays_overdue(elapsed_h: float, overdue: bool) -> None:
    known = [KnownTrain("X1", "HHW-QZH", (T0,), None)]
    (under_way,) = runs_under_way(known, LATE_MARGIN, T0 + elapsed_h * H)
    assert under_way.overdue is overdue
    assert under_way.due_at == T0 + 32 * H


def test_runs_are_listed_oldest_departure_first() -> None:
    known = [KnownTrain(t, "HHW-QZH", (T0 + n * H,), None) for n, t in enumerate("CAB")]
    assert [r.train_id for r in runs_under_way(known, REF, T0 + 5 * H)] == ["C", "A", "B"]


def _inbound(
    departures: tuple[datetime, ...], arrival: datetime | None = None, train_id: str = "X1"
) -> KnownTrain:
    return KnownTrain(train_id, "HHW-QZH", departures, arrival, "INBOUND")


@pytest.mark.parametrize(
    ("case", "arrival", "now", "expected"),
    [
        ("under way", None, T0 + 10 * H, [("INBOUND", 10.0, False, True)]),
        ("past the corridor's 30 h", None, T0 + 31 * H, [("INBOUND", 31.0, True, True)]),
        ("arrived on time", T0 + 29 * H, T0 + 31 * H, [("INBOUND", 29.0, False, False)]),
        ("arrived late", T0 + 33 * H, T0 + 34 * H, [("INBOUND", 33.0, True, False)]),
        ("arrived a day ago", T0 + 29 * H, T0 + 54 * H, []),
    ],
)
def test_inbound_runs_are_under_way_against_the_same_benchmark(
    case: str,
    arrival: datetime | None,
    now: datetime,
    expected: list[tuple[str, float, bool, bool]],
) -> None:
    runs = runs_under_way([_inbound((T0,), arrival)], REF, now)
    assert [(r.direction, r.elapsed_h, r.overdue, r.in_transit) for r in runs] == expected, case


def test_an_inbound_and_an_outbound_run_of_one_number_are_two_runs() -> None:
    """X1 left home at T0 and arrived; X1 left the far end at T0 + 2 h and has not: the
    outbound arrival does not end the inbound run, nor the other way round."""
    known = [
        KnownTrain("X1", "HHW-QZH", (T0,), T0 + 28 * H),
        _inbound((T0 + 2 * H,)),
    ]
    runs = runs_under_way(known, REF, T0 + 33 * H)
    assert [(r.direction, r.elapsed_h, r.overdue, r.in_transit) for r in runs] == [
        ("OUTBOUND", 28.0, False, False),
        ("INBOUND", 31.0, True, True),
    ]


# -- the trains agent's tables -----------------------------------------------------------------


def test_the_tables_give_each_train_its_corridor_departures_and_arrival() -> None:
    h = Harness()
    topic = Topic("trains")
    events = [
        topic.event("X1", depa("d1", "X1", T0.isoformat(), "HHW-VTE")),
        topic.event("X2", depa("d2", "X2", T0.isoformat())),
        topic.event("X2", arri("a2", "X2", (T0 + 29 * H).isoformat())),
    ]
    run(h.trains.handle(events))
    known = {t.train_id: t for t in TrainsKnown(h.departures, h.arrivals)()}
    assert known["X1"] == KnownTrain("X1", "HHW-VTE", (T0,), None)
    assert known["X2"] == KnownTrain("X2", "HHW-QZH", (T0,), T0 + 29 * H)


def inbound_depa(event_id: str, train: str, at: datetime) -> dict[str, Any]:
    """An inbound departure from the far end of HHW-QZH."""
    return {**depa(event_id, train, at.isoformat()), "location": "CNQZH", "direction": "INBOUND"}


def inbound_arri(event_id: str, train: str, at: datetime) -> dict[str, Any]:
    """An inbound arrival at home on HHW-QZH."""
    return {**inbound_depa(event_id, train, at), "event_type": "ARRI", "location": "HHW"}


def test_the_tables_keep_inbound_runs_apart_from_outbound_ones() -> None:
    """An inbound departure and arrival of X1 are remembered beside its outbound run, and
    neither pairs with the other direction's: no transit time, no finding, and the
    outbound arrival (which the movements agent reads for X1's reefers) is untouched."""
    h = Harness()
    topic = Topic("trains")
    events = [
        topic.event("X1", depa("d1", "X1", T0.isoformat())),
        topic.event("X1", inbound_depa("i1", "X1", T0 + H)),
        topic.event("X1", inbound_arri("i2", "X1", T0 + 20 * H)),
        topic.event("X2", inbound_depa("i3", "X2", T0)),
    ]
    run(h.trains.handle(events))
    known = {(t.train_id, t.direction): t for t in TrainsKnown(h.departures, h.arrivals)()}
    assert known == {
        ("X1", "OUTBOUND"): KnownTrain("X1", "HHW-QZH", (T0,), None),
        ("X1", "INBOUND"): KnownTrain("X1", "HHW-QZH", (T0 + H,), T0 + 20 * H, "INBOUND"),
        ("X2", "INBOUND"): KnownTrain("X2", "HHW-QZH", (T0,), None, "INBOUND"),
    }
    assert h.arrivals.get(b"X1") is None
    assert h.metrics.measurement(points.TRANSIT) == []
    # an inbound departure is not a departure from home: no train_departure point
    departed = h.metrics.measurement(points.TRAIN_DEPARTURE)
    assert [s.tags["train_id"] for s in departed] == ["X1"]
    run(h.trains.handle([topic.event("X1", arri("a1", "X1", (T0 + 29 * H).isoformat()))]))
    (transit,) = h.metrics.measurement(points.TRANSIT)
    assert transit.fields["hours"] == 29.0  # from the outbound departure, not the inbound


def test_departures_stored_before_the_corridor_was_are_left_out() -> None:
    departures, topic = MemoryTable(), Topic("trains")
    departures.put(topic.event("X1", b"{}"), b"X1", orjson.dumps([T0.isoformat()]))
    assert list(TrainsKnown(departures, MemoryTable())()) == []


# -- the minute's round -------------------------------------------------------------------------


class Round:
    """The minute's round on the in-process agents, with the trains agent's tables."""

    def __init__(self) -> None:
        self.h = Harness()
        self.known = TrainsKnown(self.h.departures, self.h.arrivals)
        self.round = MinuteRound(
            self.h.book,
            self.h.movements.pager,
            self.h.metrics,
            REF,
            lambda: True,
            clock=lambda: self.h.wall[0],
            trains=self.known,
        )

    def train(self, *events: dict[str, Any]) -> None:
        topic = Topic("trains")
        run(self.h.trains.handle([topic.event(e["train_id"], e) for e in events]))

    def at(self, moment: datetime) -> dict[str, dict[str, Any]]:
        """Run the round at ``moment``; the outbound in-transit points it wrote, by train."""
        return {
            train: point
            for (train, direction), point in self.both_at(moment).items()
            if direction == "OUTBOUND"
        }

    def both_at(self, moment: datetime) -> dict[tuple[str, str], dict[str, Any]]:
        """Run the round at ``moment``; the in-transit points it wrote, by train and
        direction."""
        self.h.wall[0] = moment
        self.h.metrics.samples.clear()
        run(self.round())
        written = self.h.metrics.measurement(points.TRAIN_IN_TRANSIT)
        return {
            (s.tags["train_id"], s.tags["direction"]): {**s.fields, "at": s.time} for s in written
        }

    def overdue_pages(self) -> list[tuple[str, bool]]:
        """Each TrainOverdue posted: its train, and whether it was firing when posted."""
        return [
            (a.labels["train_id"], a.valid_for is not None)
            for a in self.h.alerts.fired
            if a.labels["alertname"] == "TrainOverdue"
        ]


def test_a_late_train_is_written_paged_to_operations_and_resolved_on_arrival() -> None:
    r = Round()
    r.train(depa("d1", "X1", T0.isoformat()), depa("d2", "X2", (T0 + 20 * H).isoformat()))
    written = r.at(T0 + 29 * H)
    assert written["X1"] == {
        "in_transit": 1,
        "elapsed_h": 29.0,
        "overdue": 0,
        "benchmark_h": 30.0,
        "at": T0,
    }
    assert r.overdue_pages() == []
    assert r.at(T0 + 31 * H)["X1"]["overdue"] == 1
    assert r.at(T0 + 32 * H)["X2"]["overdue"] == 0
    assert r.overdue_pages() == [("X1", True), ("X1", True)]  # one run: one label set
    labels = {frozenset(a.labels.items()) for a in r.h.alerts.fired if "train_id" in a.labels}
    (only,) = labels
    assert dict(only) == {
        "alertname": "TrainOverdue",
        "train_id": "X1",
        "corridor": "HHW-QZH",
        "direction": "OUTBOUND",
        "day": "2026-03-15",
        "severity": "warning",  # operations, as DailyServiceAtRisk: not the on-call page
    }
    r.h.alerts.fired.clear()
    r.train(arri("a1", "X1", (T0 + 33 * H).isoformat()))
    written = r.at(T0 + 33 * H + 1 * H / 60)
    assert written["X1"]["in_transit"] == 0 and written["X1"]["elapsed_h"] == 33.0
    (resolved,) = [a for a in r.h.alerts.fired if a.labels.get("train_id") == "X1"]
    assert resolved.ends_at == T0 + 33 * H


def test_a_late_inbound_run_is_written_and_paged_apart_from_its_numbers_outbound_run() -> None:
    """X1 departs home at T0 and the far end at T0 + 1 h; at T0 + 32 h both are overdue:
    two points (tag ``direction``), two pages with their own labels; the inbound arrival
    resolves only the inbound page."""
    r = Round()
    r.train(depa("d1", "X1", T0.isoformat()), inbound_depa("i1", "X1", T0 + H))
    written = r.both_at(T0 + 32 * H)
    assert written[("X1", "INBOUND")] == {
        "in_transit": 1,
        "elapsed_h": 31.0,
        "overdue": 1,
        "benchmark_h": 30.0,
        "at": T0 + H,
    }
    assert written[("X1", "OUTBOUND")]["overdue"] == 1
    firing = {a.labels["direction"]: a for a in r.h.alerts.fired if "train_id" in a.labels}
    assert set(firing) == {"OUTBOUND", "INBOUND"}
    assert firing["INBOUND"].labels == {
        "alertname": "TrainOverdue",
        "train_id": "X1",
        "corridor": "HHW-QZH",
        "direction": "INBOUND",
        "day": "2026-03-15",
        "severity": "warning",
    }
    assert "Inbound run of X1" in firing["INBOUND"].annotations["description"]
    r.h.alerts.fired.clear()
    r.train(inbound_arri("i2", "X1", T0 + 33 * H))
    written = r.both_at(T0 + 33 * H + H / 60)
    assert written[("X1", "INBOUND")]["in_transit"] == 0
    assert written[("X1", "OUTBOUND")]["in_transit"] == 1
    pages = [a for a in r.h.alerts.fired if a.labels.get("train_id") == "X1"]
    resolved = {a.labels["direction"]: a.ends_at for a in pages if a.valid_for is None}
    assert resolved == {"INBOUND": T0 + 33 * H}  # the outbound run is still overdue, firing
    assert [a.labels["direction"] for a in pages if a.valid_for is not None] == ["OUTBOUND"]


def test_status_lists_the_trains_in_transit_with_their_hours() -> None:
    r = Round()
    r.train(depa("d1", "X1", T0.isoformat()), depa("d2", "X2", T0.isoformat(), "HHW-VTE"))
    r.train(depa("d3", "X3", T0.isoformat()), arri("a3", "X3", (T0 + 28 * H).isoformat()))
    now = T0 + 31 * H
    body = status_body(
        {"now": now.isoformat()}, REF, r.h.book, r.h.open_exceptions, r.h.live_gaps, r.known
    )
    in_transit = {t["train_id"]: t for t in body["trains_in_transit"]}
    assert set(in_transit) == {"X1", "X2"}
    assert in_transit["X1"]["elapsed_h"] == 31.0 and in_transit["X1"]["overdue"] is True
    assert in_transit["X2"]["benchmark_h"] == 72.0 and in_transit["X2"]["overdue"] is False
    report = render_text(body, REF)
    assert "trains in transit: 2 (1 overdue)" in report
    assert "X1       HHW-QZH  departed 2026-03-15 09:00  31.0 h (benchmark 30 h)  OVERDUE" in report
    board = render_board(body, now.isoformat(), 0, REF)
    console = Console(width=120, record=True)
    console.print(board)
    text = console.export_text()
    assert "Trains in transit 在途班列 — 2, 1 overdue" in text and "31.0 h" in text


def test_status_lists_an_inbound_run_marked_beside_its_numbers_outbound_run() -> None:
    r = Round()
    r.train(depa("d1", "X1", T0.isoformat()), inbound_depa("i1", "X1", T0 + H))
    now = T0 + 10 * H
    body = status_body(
        {"now": now.isoformat()}, REF, r.h.book, r.h.open_exceptions, r.h.live_gaps, r.known
    )
    runs = [(t["train_id"], t["direction"], t["elapsed_h"]) for t in body["trains_in_transit"]]
    assert runs == [("X1", "OUTBOUND", 10.0), ("X1", "INBOUND", 9.0)]
    report = render_text(body, REF)
    assert "X1       HHW-QZH  departed 2026-03-15 09:00  10.0 h (benchmark 30 h)\n" in report
    assert "X1       HHW-QZH  departed 2026-03-15 10:00  9.0 h (benchmark 30 h)  inbound" in report
    console = Console(width=120, record=True)
    console.print(render_board(body, now.isoformat(), 0, REF))
    assert "← HHW-QZH" in console.export_text()


# -- the simulator -------------------------------------------------------------------------------


def _transit_hours(delay_rate: float, seed: int = 3) -> list[float]:
    config = SimulationConfig(
        start=T0.date(), end=T0.date() + timedelta(days=60), seed=seed, delay_rate=delay_rate
    )
    departed: dict[str, datetime] = {}
    hours, seen = [], set()
    for record in simulate(config, REF):
        if record.topic != "trains":
            continue
        try:
            value = orjson.loads(record.value)
        except orjson.JSONDecodeError:
            continue  # a malformed copy
        if not isinstance(value, dict) or value.get("event_id") in seen:
            continue
        seen.add(value.get("event_id"))
        if value.get("direction") != "OUTBOUND" or value.get("corridor") != "HHW-QZH":
            continue
        at = datetime.fromisoformat(str(value["event_time"]))
        if value["event_type"] == "DEPA":
            departed[str(value["train_id"])] = at
        elif str(value["train_id"]) in departed:
            hours.append((at - departed[str(value["train_id"])]) / H)
    return hours


def test_the_simulator_delays_a_configurable_share_of_runs_past_the_benchmark() -> None:
    never, always = _transit_hours(0.0), _transit_hours(1.0)
    assert never and all(h <= 30 * 1.2 for h in never)
    assert always and all(h >= 30 * 1.2 for h in always)
    half = _transit_hours(0.5)
    assert 0 < sum(h > 30 * 1.2 for h in half) < len(half)
    assert _transit_hours(0.5) == _transit_hours(0.5)  # deterministic by seed
