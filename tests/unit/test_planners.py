"""The agents' pure planners as tables of inputs and outputs: what a train event changes
(``streams.domain.transit``) and when a reefer leaves the port's watch
(``streams.domain.watch``)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import pytest

from lugang.contract import TrainEvent
from lugang.reference import default_reference
from streams.domain.transit import TrainPlan, Transit, plan_train
from streams.domain.watch import leaves_watch

REF = default_reference()
AT = "2026-03-15T09:20:00+08:00"
T0 = datetime.fromisoformat(AT)


def train(kind: str, location: str, direction: str, at: str = AT) -> TrainEvent:
    corridor = "HHW-QZH"
    return TrainEvent.model_validate_json(
        json.dumps(
            {
                "event_id": "e",
                "event_type": kind,
                "train_id": "X9001",
                "corridor": corridor,
                "location": location,
                "direction": direction,
                "event_time": at,
            }
        ),
        context={"reference": REF},
    )


def summary(plan: TrainPlan) -> dict[str, Any]:
    return {
        "counted": plan.fact is not None,
        "departure": plan.departure,
        "arrival": plan.arrival,
        "hours": None
        if plan.transit is None
        else (plan.transit.arrived_at - plan.transit.departed_at) / timedelta(hours=1),
    }


@pytest.mark.parametrize(
    ("event", "departed", "expected"),
    [
        pytest.param(
            train("DEPA", "HHW", "OUTBOUND"),
            None,
            {"counted": True, "departure": T0, "arrival": None, "hours": None},
            id="outbound departure: a run, remembered",
        ),
        pytest.param(
            train("ARRI", "CNQZH", "OUTBOUND", "2026-03-16T13:20:00+08:00"),
            T0,
            {
                "counted": False,
                "departure": None,
                "arrival": T0 + timedelta(hours=28),
                "hours": 28.0,
            },
            id="arrival at the far end: transit from the departure",
        ),
        pytest.param(
            train("ARRI", "CNQZH", "OUTBOUND"),
            None,
            {"counted": False, "departure": None, "arrival": T0, "hours": None},
            id="arrival without a departure: remembered, no transit",
        ),
        pytest.param(
            train("ARRI", "HHW", "INBOUND"),
            None,
            {"counted": True, "departure": None, "arrival": T0, "hours": None},
            id="inbound arrival at home: a run, remembered (its run is in)",
        ),
        pytest.param(
            train("DEPA", "CNQZH", "INBOUND"),
            None,
            {"counted": False, "departure": T0, "arrival": None, "hours": None},
            id="inbound departure at the far end: not a run, remembered (under way)",
        ),
    ],
)
def test_plan_train(event: TrainEvent, departed: datetime | None, expected: dict[str, Any]) -> None:
    assert summary(plan_train(event, [] if departed is None else [departed], REF)) == expected


def test_an_arrival_before_its_departure_is_a_finding_not_an_error() -> None:
    """Issue 9 #6: it raised inside the trains agent; now it gives no transit time and is an
    ``orphan_arrival`` finding, and is still remembered (the train's reefers leave watch)."""
    plan = plan_train(train("ARRI", "CNQZH", "OUTBOUND"), [T0 + timedelta(hours=1)], REF)
    assert (plan.transit, plan.finding, plan.arrival) == (None, "orphan_arrival", T0)


def test_an_arrival_pairs_with_the_latest_departure_before_it_within_a_week() -> None:
    """A timetabled number departs every day: an arrival pairs with the latest departure
    before it (yesterday's), not with the newest (today's, which left after it arrived)."""
    daily = [T0 - timedelta(days=n) for n in range(3, -1, -1)]  # 3 days ago .. today
    arrival = train("ARRI", "CNQZH", "OUTBOUND", (T0 - timedelta(hours=18)).isoformat())
    plan = plan_train(arrival, daily, REF)
    assert plan.transit is not None and plan.transit.departed_at == T0 - timedelta(days=1)
    assert plan.finding is None
    week_late = train("ARRI", "CNQZH", "OUTBOUND", (T0 + timedelta(days=8)).isoformat())
    assert plan_train(week_late, daily, REF).finding == "orphan_arrival"


def test_departures_of_a_week_are_remembered() -> None:
    old = [T0 - timedelta(days=9), T0 - timedelta(days=6), T0 - timedelta(days=1)]
    plan = plan_train(train("DEPA", "HHW", "OUTBOUND"), old, REF)
    assert plan.departures == (T0 - timedelta(days=6), T0 - timedelta(days=1), T0)


@pytest.mark.parametrize(
    ("event", "direction"),
    [
        (train("DEPA", "HHW", "OUTBOUND"), "OUTBOUND"),
        (train("ARRI", "CNQZH", "OUTBOUND"), "OUTBOUND"),
        (train("DEPA", "CNQZH", "INBOUND"), "INBOUND"),
        (train("ARRI", "HHW", "INBOUND"), "INBOUND"),
    ],
)
def test_the_plan_says_which_direction_to_remember(event: TrainEvent, direction: str) -> None:
    """The agent keeps each direction's departures and arrival apart, under the plan's."""
    assert plan_train(event, [T0 - timedelta(hours=20)], REF).direction == direction


def test_an_inbound_arrival_gives_no_transit_time_and_no_finding() -> None:
    """Transit time is an outbound measure (domain §2): an inbound arrival, paired or not,
    only ends its run under way."""
    for departed in ([T0 - timedelta(hours=20)], [], [T0 + timedelta(hours=1)]):
        plan = plan_train(train("ARRI", "HHW", "INBOUND"), departed, REF)
        assert (plan.transit, plan.finding, plan.arrival) == (None, None, T0)


def test_inbound_departures_of_a_week_are_remembered_as_outbound_ones() -> None:
    old = [T0 - timedelta(days=9), T0 - timedelta(days=6), T0 - timedelta(days=1)]
    plan = plan_train(train("DEPA", "CNQZH", "INBOUND"), old, REF)
    assert plan.departures == (T0 - timedelta(days=6), T0 - timedelta(days=1), T0)


def test_the_transit_carries_the_corridor_benchmark() -> None:
    plan = plan_train(train("ARRI", "CNQZH", "OUTBOUND"), [T0 - timedelta(hours=31)], REF)
    assert plan.transit == Transit("X9001", "HHW-QZH", T0 - timedelta(hours=31), T0, 30.0)


@pytest.mark.parametrize(
    ("event_type", "at_home", "leaves"),
    [
        ("GTOT", True, True),
        ("GTOT", False, False),
        ("DISC", False, True),
        ("DISC", True, False),
        ("LOAD", True, False),
        ("GTIN", True, False),
    ],
)
def test_leaves_watch(event_type: str, at_home: bool, leaves: bool) -> None:
    assert leaves_watch(event_type, at_home) is leaves
