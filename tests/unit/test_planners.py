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
            {"counted": True, "departure": None, "arrival": None, "hours": None},
            id="inbound arrival at home: a run",
        ),
        pytest.param(
            train("DEPA", "CNQZH", "INBOUND"),
            None,
            {"counted": False, "departure": None, "arrival": None, "hours": None},
            id="inbound departure elsewhere: nothing",
        ),
    ],
)
def test_plan_train(event: TrainEvent, departed: datetime | None, expected: dict[str, Any]) -> None:
    assert summary(plan_train(event, departed, REF)) == expected


def test_an_arrival_before_its_departure_raises() -> None:
    """The agent's per-event policy dead-letters it (tests/unit/test_agents.py)."""
    with pytest.raises(ValueError, match="before departing"):
        plan_train(train("ARRI", "CNQZH", "OUTBOUND"), T0 + timedelta(hours=1), REF)


def test_the_transit_carries_the_corridor_benchmark() -> None:
    plan = plan_train(train("ARRI", "CNQZH", "OUTBOUND"), T0 - timedelta(hours=31), REF)
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
