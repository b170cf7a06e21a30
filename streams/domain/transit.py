"""A train event's consequences: the run it counts, the departures or arrival to remember,
and the transit time of an outbound run that reached its corridor's far end.

Pure: the departures remembered for the train number come in as an argument and the plan
says what to remember next; the agent keeps them in its tables.

Pairing (domain §2): an arrival pairs with the latest departure of its train number before
it, within :data:`PAIRING_WINDOW` (timetabled numbers repeat every day, so the departures of
the last week are remembered, not only the newest). An arrival with no such departure (none
remembered, or only later ones: dated before its departure) gives no transit time and is a
data-quality finding (``orphan_arrival``), never an error; it is still remembered, since the
train's reefers leave watch on arrival.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final, Literal

from lugang.contract import TrainEvent
from lugang.reference import Reference
from streams.domain.counts import Fact, fact_of

PAIRING_WINDOW: Final = timedelta(days=7)
"""How long before an arrival its departure may be (and how long departures are kept)."""

TrainFinding = Literal["orphan_arrival"]


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
    departures: tuple[datetime, ...] | None = None
    """The outbound departures from home to remember for the train number (None: as they
    were), the newest last."""
    arrival: datetime | None = None
    """An outbound arrival at the far end to remember: the train's reefers leave watch."""
    transit: Transit | None = None
    finding: TrainFinding | None = None
    """A data-quality finding the event is (an arrival no departure pairs with)."""

    @property
    def departure(self) -> datetime | None:
        """The departure this event adds, if it is one."""
        return None if self.departures is None else self.departures[-1]


def plan_train(
    train: TrainEvent, departures: Sequence[datetime], reference: Reference
) -> TrainPlan:
    """The plan of ``train``, given the departures remembered for its train number."""
    fact = fact_of(train, reference)
    if train.direction != "OUTBOUND":
        return TrainPlan(fact)
    at = train.event_time
    if train.event_type == "DEPA" and train.location == reference.home.location:
        kept = sorted({*departures, at})
        newest = kept[-1]
        kept = [d for d in kept if d >= newest - PAIRING_WINDOW and d != at] + [at]
        return TrainPlan(fact, departures=tuple(kept))
    if train.event_type != "ARRI":
        return TrainPlan(fact)
    paired = max((d for d in departures if at - PAIRING_WINDOW <= d <= at), default=None)
    if paired is None:
        return TrainPlan(fact, arrival=at, finding="orphan_arrival")
    corridor = reference.corridor(train.corridor)
    transit = Transit(train.train_id, train.corridor, paired, at, corridor.transit_benchmark_h)
    return TrainPlan(fact, arrival=at, transit=transit)
