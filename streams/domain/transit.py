"""A train event's consequences: the run it counts, the departure or arrival to remember,
and the transit time of an outbound run that reached its corridor's far end.

Pure: the departure remembered for the train comes in as an argument and the plan says
what to remember next; the agent keeps it in its tables.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from lugang.contract import TrainEvent
from lugang.reference import Reference
from streams.domain.counts import Fact, fact_of


@dataclass(frozen=True, slots=True)
class Transit:
    """The transit time of one outbound run, from its departure at home to its arrival."""

    train_id: str
    corridor: str
    departed_at: datetime
    arrived_at: datetime
    benchmark_h: float | None


@dataclass(frozen=True, slots=True)
class TrainPlan:
    """What one train event changes."""

    fact: Fact | None = None
    """The counted run, if the event counts one."""
    departure: datetime | None = None
    """An outbound departure from home to remember for the train."""
    arrival: datetime | None = None
    """An outbound arrival at the far end to remember: the train's reefers leave watch."""
    transit: Transit | None = None


def plan_train(train: TrainEvent, departed_at: datetime | None, reference: Reference) -> TrainPlan:
    """The plan of ``train``, given the remembered departure of its train id (if any).

    Raises:
        ValueError: an arrival dated before the departure it pairs with.
    """
    fact = fact_of(train, reference)
    if train.direction != "OUTBOUND":
        return TrainPlan(fact)
    if train.event_type == "DEPA" and train.location == reference.home.location:
        return TrainPlan(fact, departure=train.event_time)
    if train.event_type != "ARRI":
        return TrainPlan(fact)
    if departed_at is None:
        return TrainPlan(fact, arrival=train.event_time)
    if train.event_time < departed_at:
        raise ValueError(
            f"train {train.train_id}: arrived {train.event_time.isoformat()} "
            f"before departing {departed_at.isoformat()}"
        )
    corridor = reference.corridor(train.corridor)
    transit = Transit(
        train.train_id,
        train.corridor,
        departed_at,
        train.event_time,
        corridor.transit_benchmark_h,
    )
    return TrainPlan(fact, arrival=train.event_time, transit=transit)
