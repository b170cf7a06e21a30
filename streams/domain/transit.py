"""A train event's consequences: the run it counts, the departures or arrival to remember,
and the transit time of an outbound run that reached its corridor's far end.

Pure: the departures remembered for the train number in the event's direction come in as an
argument and the plan says what to remember next; the agent keeps them in its tables. Each
direction is remembered apart (an outbound run leaves home for the far end, an inbound run
leaves the far end for home), so an arrival never pairs with a departure of the other
direction, even of the same train number.

Pairing (domain §2): an arrival pairs with the latest departure of its train number before
it, within :data:`PAIRING_WINDOW` (timetabled numbers repeat every day, so the departures of
the last week are remembered, not only the newest). An arrival with no such departure (none
remembered, or only later ones: dated before its departure) gives no transit time and is a
data-quality finding (``orphan_arrival``), never an error; it is still remembered, since the
train's reefers leave watch on arrival. Transit time (domain §2) is an outbound measure: an
inbound arrival is remembered (it ends its run under way) but gives no transit time and no
finding.

Runs under way (:func:`runs_under_way`): transit time is known only on arrival, so a late
train would show only once it is in; what the agent remembers (each train number's latest
departures and arrival, in each direction) says, at any moment, which outbound runs have
left home and not yet reached the far end, and which inbound runs have left the far end and
not yet reached home, how long they have been travelling and whether they are past their
corridor's benchmark (the same in both directions, plus the reference's
``transit.overdue_margin_h``): overdue.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final, Literal

from pydantic import BaseModel

from lugang.contract import Direction, TrainEvent
from lugang.reference import Reference
from streams.domain.counts import Fact, fact_of

PAIRING_WINDOW: Final = timedelta(days=7)
"""How long before an arrival its departure may be (and how long departures are kept)."""

RECENTLY_ARRIVED: Final = timedelta(days=1)
"""How long an arrived run stays in :func:`runs_under_way` (arrived): its point and its
page are re-written as arrived meanwhile, so a stale read of the tables that showed it
still under way is corrected."""

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
    direction: Direction = "OUTBOUND"
    """The direction of the run whose departures or arrival are to be remembered."""
    departures: tuple[datetime, ...] | None = None
    """The departures to remember for the train number in ``direction`` (None: as they
    were), the newest last: from home if outbound, from the far end if inbound."""
    arrival: datetime | None = None
    """An arrival to remember in ``direction``: outbound at the far end (the train's
    reefers leave watch), inbound at home (its run is no longer under way)."""
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
    """The plan of ``train``, given the departures remembered for its train number in its
    direction."""
    fact = fact_of(train, reference)
    direction, at = train.direction, train.event_time
    # An outbound run leaves home and arrives at the far end, an inbound run the other way.
    at_start = (train.location == reference.home.location) == (direction == "OUTBOUND")
    if train.event_type == "DEPA" and at_start:
        kept = sorted({*departures, at})
        newest = kept[-1]
        kept = [d for d in kept if d >= newest - PAIRING_WINDOW and d != at] + [at]
        return TrainPlan(fact, direction=direction, departures=tuple(kept))
    if train.event_type != "ARRI" or at_start:
        return TrainPlan(fact)
    if direction == "INBOUND":
        return TrainPlan(fact, direction=direction, arrival=at)
    paired = max((d for d in departures if at - PAIRING_WINDOW <= d <= at), default=None)
    if paired is None:
        return TrainPlan(fact, arrival=at, finding="orphan_arrival")
    corridor = reference.corridor(train.corridor)
    transit = Transit(train.train_id, train.corridor, paired, at, corridor.transit_benchmark_h)
    return TrainPlan(fact, arrival=at, transit=transit)


@dataclass(frozen=True, slots=True)
class KnownTrain:
    """What the trains agent remembers of one train number in one direction: its corridor,
    its departures (of a week, the newest last) and its latest arrival; outbound from home
    to the far end, inbound from the far end to home."""

    train_id: str
    corridor: str
    departures: tuple[datetime, ...]
    arrival: datetime | None = None
    direction: Direction = "OUTBOUND"


class RunUnderWay(BaseModel):
    """A run that has left (outbound: home; inbound: the corridor's far end): still in
    transit (``arrived_at`` None) or arrived lately (:data:`RECENTLY_ARRIVED`).
    ``elapsed_h``: hours since its departure, to ``now`` or to its arrival. ``due_at``: when
    it becomes overdue (None: its corridor has no benchmark, it never does)."""

    train_id: str
    corridor: str
    direction: Direction = "OUTBOUND"
    departed_at: datetime
    elapsed_h: float
    benchmark_h: float | None
    due_at: datetime | None
    overdue: bool
    arrived_at: datetime | None = None

    @property
    def in_transit(self) -> bool:
        return self.arrived_at is None


def runs_under_way(
    trains: Iterable[KnownTrain], reference: Reference, now: datetime
) -> list[RunUnderWay]:
    """The runs of ``trains`` under way at ``now``, oldest departure first.

    A train number's run in a direction is its latest departure at or before ``now`` within
    :data:`PAIRING_WINDOW` (an arrival pairs with no older one); it has arrived when the
    train's arrival in that direction is at or after that departure and not after ``now``.
    The corridor's benchmark applies in both directions. A train of a corridor the
    reference does not know has no benchmark and is never overdue."""
    runs = []
    margin = timedelta(hours=reference.transit.overdue_margin_h)
    for train in trains:
        departed = max(
            (d for d in train.departures if now - PAIRING_WINDOW <= d <= now), default=None
        )
        if departed is None:
            continue
        arrival = train.arrival
        arrived = arrival if arrival is not None and departed <= arrival <= now else None
        if arrived is not None and now - arrived > RECENTLY_ARRIVED:
            continue
        corridor = reference.corridors.get(train.corridor)
        benchmark = None if corridor is None else corridor.transit_benchmark_h
        due = None if benchmark is None else departed + timedelta(hours=benchmark) + margin
        end = now if arrived is None else arrived
        runs.append(
            RunUnderWay(
                train_id=train.train_id,
                corridor=train.corridor,
                direction=train.direction,
                departed_at=departed,
                elapsed_h=round((end - departed) / timedelta(hours=1), 2),
                benchmark_h=benchmark,
                due_at=due,
                overdue=due is not None and end > due,
                arrived_at=arrived,
            )
        )
    return sorted(runs, key=lambda run: (run.departed_at, run.train_id, run.direction))
