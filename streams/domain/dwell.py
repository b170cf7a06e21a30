"""Container dwell time at the port, the standard port KPI: how long a box sits at the home
location between arriving and leaving.

A visit starts at a gate in (``GTIN``, an outbound box) or a discharge (``DISC``, an
inbound box) at the home location and ends at its load onto an outbound train (``LOAD``) or
its gate out (``GTOT``). Its TEU category and laden/empty are those of its train move (the
``LOAD`` of an outbound visit, the ``DISC`` of an inbound one), as in the TEU counts: a gate
event names no corridor.

Kafka's ``containers`` partitions may deliver a box's moves in another order than their
event time (its load read before its gate in), and a replay or a redelivery reads them
again: duplicates and replays change nothing. So each container keeps (:class:`Stay`, the
dwell table) its open visit, its last end move (event id, kind, time, TEU category, laden,
and whether it ended a visit) and the start event id of its last completed visit. The rules
(none stops anything):

- a start whose event id is the open visit's or the last completed visit's start changes
  nothing (a duplicate); an end whose event id is the last end's changes nothing;
- an end of the open visit's own kind (``LOAD`` for outbound, ``GTOT`` for inbound), at or
  after its start, completes it: a dwell; the end is kept as paired, the start's id as the
  last completed start;
- any other end is kept as the last end, unpaired (replacing an older one): an end of
  another kind after the open visit's start closes that visit without a dwell (the box
  left), an end before it leaves it open, an end with no open visit waits for its start;
- a start with an unpaired last end of its direction's kind at or after it completes the
  visit at once: the dwell from this start to that end (the end is now paired, the start's
  id the last completed start; a visit open, begun after that end, stays open); any other
  start opens a visit, replacing an open one (its end was lost: no dwell);
- a visit whose TEU category is unknown completes without a dwell.

A dwell written again (a point of the same end, tags and container) overwrites its point.

Daily statistics per (TEU category, laden/empty): count, mean and the 90th percentile by
the nearest-rank method (the smallest dwell with at least 90 % of the day's dwells at or
below it; always one of the observed dwells, no interpolation).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, model_validator

from lugang.contract import Direction

Kind = Literal["GTIN", "LOAD", "DISC", "GTOT"]

STARTS: dict[str, Direction] = {"GTIN": "OUTBOUND", "DISC": "INBOUND"}
ENDS: dict[Direction, str] = {"OUTBOUND": "LOAD", "INBOUND": "GTOT"}


class Visit(BaseModel):
    """An open visit: a box at the port since ``started_at``."""

    model_config = ConfigDict(frozen=True)

    equipment_reference: str
    event_id: str
    """The start event's id: the same start again changes nothing."""
    started_at: datetime
    direction: Direction
    teu_category: str | None
    """None until known: an outbound visit learns it from its load."""
    laden: bool


class EndSeen(BaseModel):
    """A container's last end move (``LOAD`` or ``GTOT``) at the home location."""

    model_config = ConfigDict(frozen=True)

    event_id: str
    kind: Kind
    at: datetime
    teu_category: str | None
    laden: bool
    paired: bool
    """True once it ended a visit; an unpaired end waits for its start (read after it)."""


class Stay(BaseModel):
    """What dwell keeps of one container (stored in the dwell table): its open visit, its
    last end move, and the start event id of its last completed visit."""

    model_config = ConfigDict(frozen=True)

    visit: Visit | None = None
    last_end: EndSeen | None = None
    completed_start: str | None = None
    """The start event id of the last completed visit: that start again changes nothing."""

    @model_validator(mode="before")
    @classmethod
    def _from_visit(cls, data: Any) -> Any:
        """A bare :class:`Visit` (the table as earlier versions wrote it) is a stay with
        that visit open."""
        if isinstance(data, dict) and "started_at" in data:
            return {"visit": data}
        return data

    @property
    def empty(self) -> bool:
        """Nothing to keep (the table holds no entry for it)."""
        return self.visit is None and self.last_end is None and self.completed_start is None


@dataclass(frozen=True, slots=True)
class MoveAt:
    """What dwell needs of one container move at the home location."""

    event_id: str
    kind: Kind
    at: datetime
    teu_category: str | None
    laden: bool


@dataclass(frozen=True, slots=True)
class Dwell:
    """One completed visit."""

    equipment_reference: str
    direction: Direction
    teu_category: str
    laden: bool
    started_at: datetime
    ended_at: datetime

    @property
    def hours(self) -> float:
        return dwell_hours(self.started_at, self.ended_at)


@dataclass(frozen=True, slots=True)
class Step:
    """A move's effect: what is kept of the container after it and the dwell it completed."""

    stay: Stay
    dwell: Dwell | None = None

    @property
    def visit(self) -> Visit | None:
        """The visit open after the move (None: none)."""
        return self.stay.visit


def dwell_hours(start: datetime, end: datetime) -> float:
    """Hours from ``start`` to ``end``.

    Raises:
        ValueError: ``end`` is before ``start``.
    """
    if end < start:
        raise ValueError(f"dwell ends at {end}, before it starts at {start}")
    return (end - start) / timedelta(hours=1)


def _completed(box: str, visit: Visit, end: EndSeen) -> Dwell | None:
    """The dwell of ``visit`` ended by ``end`` (its own kind, not before its start): TEU
    category and laden/empty of the train move (None: the category is unknown)."""
    train_end = end.kind == "LOAD"  # an inbound visit's train move is its start
    category = (end.teu_category if train_end else None) or visit.teu_category
    if category is None:
        return None
    laden = end.laden if train_end else visit.laden
    return Dwell(box, visit.direction, category, laden, visit.started_at, end.at)


def _ends(visit: Visit, end: EndSeen) -> bool:
    """Whether ``end`` is ``visit``'s own end: its kind, at or after its start."""
    return ENDS[visit.direction] == end.kind and end.at >= visit.started_at


def step(box: str, stay: Stay | None, move: MoveAt) -> Step:
    """What is kept of container ``box`` after ``move``, and the dwell it completes (see
    the module's rules); ``stay`` None: nothing kept yet."""
    stay = stay or Stay()
    direction = STARTS.get(move.kind)
    return _end(box, stay, move) if direction is None else _start(box, stay, move, direction)


def _start(box: str, stay: Stay, move: MoveAt, direction: Direction) -> Step:
    started = None if stay.visit is None else stay.visit.event_id
    if move.event_id in (stay.completed_start, started):
        return Step(stay)  # the same start again
    visit = Visit(
        equipment_reference=box,
        event_id=move.event_id,
        started_at=move.at,
        direction=direction,
        teu_category=move.teu_category,
        laden=move.laden,
    )
    end = stay.last_end
    if end is None or end.paired or not _ends(visit, end):
        return Step(stay.model_copy(update={"visit": visit}))
    # its end was read first: complete at once (an open visit, begun after, stays)
    paired = end.model_copy(update={"paired": True})
    after = stay.model_copy(update={"last_end": paired, "completed_start": move.event_id})
    return Step(after, _completed(box, visit, end))


def _end(box: str, stay: Stay, move: MoveAt) -> Step:
    if stay.last_end is not None and stay.last_end.event_id == move.event_id:
        return Step(stay)  # the same end again
    end = EndSeen(
        event_id=move.event_id,
        kind=move.kind,
        at=move.at,
        teu_category=move.teu_category,
        laden=move.laden,
        paired=False,
    )
    visit = stay.visit
    if visit is not None and _ends(visit, end):
        paired = end.model_copy(update={"paired": True})
        after = Stay(last_end=paired, completed_start=visit.event_id)
        return Step(after, _completed(box, visit, end))
    if visit is not None and end.at >= visit.started_at:
        visit = None  # another kind of end after the start: the box left, no dwell
    return Step(stay.model_copy(update={"visit": visit, "last_end": end}))


@dataclass(frozen=True, slots=True)
class DwellStats:
    """The dwells of one (TEU category, laden) group of a day."""

    count: int
    mean_h: float
    p90_h: float


def nearest_rank(values: Sequence[float], percent: float) -> float:
    """The ``percent`` percentile by nearest rank: the value at rank ⌈percent/100 × n⌉ of
    the sorted values, always an observed one. (InfluxQL's ``percentile()`` rounds the rank
    instead, ⌊n × percent/100 + 0.5⌋: for some counts, e.g. 7, it picks the value below.)

    Raises:
        ValueError: no values, or ``percent`` outside (0, 100].
    """
    if not values or not 0 < percent <= 100:
        raise ValueError(f"percentile {percent} of {len(values)} values")
    ordered = sorted(values)
    return ordered[math.ceil(percent / 100 * len(ordered)) - 1]


def daily_stats(dwells: Iterable[tuple[float, str, bool]]) -> dict[tuple[str, bool], DwellStats]:
    """Per (teu_category, laden), the count, mean and 90th percentile (nearest rank) of a
    day's completed dwells, each given as (hours, teu_category, laden)."""
    groups: dict[tuple[str, bool], list[float]] = defaultdict(list)
    for hours, category, laden in dwells:
        groups[(category, laden)].append(hours)
    return {
        group: DwellStats(len(hours), sum(hours) / len(hours), nearest_rank(hours, 90))
        for group, hours in groups.items()
    }


def longest(visits: Iterable[Visit], now: datetime, limit: int = 10) -> list[dict[str, object]]:
    """The ``limit`` open visits dwelling longest at ``now``, longest first, as JSON objects
    with ``elapsed_h`` (a visit dated after ``now`` counts 0)."""
    ranked = sorted(visits, key=lambda v: (v.started_at, v.equipment_reference))[:limit]
    return [
        {
            **visit.model_dump(mode="json", exclude={"event_id"}),
            "elapsed_h": round(max(0.0, (now - visit.started_at) / timedelta(hours=1)), 2),
        }
        for visit in ranked
    ]
