"""Container dwell time at the port, the standard port KPI: how long a box sits at the home
location between arriving and leaving.

A visit starts at a gate in (``GTIN``, an outbound box) or a discharge (``DISC``, an
inbound box) at the home location and ends at its load onto an outbound train (``LOAD``) or
its gate out (``GTOT``). Its TEU category and laden/empty are those of its train move (the
``LOAD`` of an outbound visit, the ``DISC`` of an inbound one), as in the TEU counts: a gate
event names no corridor.

Rules for messy data (none stops anything):

- a start while a visit is open replaces it (the end was lost; the old visit gives no
  dwell), except the same start again (same event id: a redelivery), which changes nothing;
- an end closes whatever visit is open; it gives a dwell only when it is the visit's own end
  (``LOAD`` for outbound, ``GTOT`` for inbound) and not before the start; an end with no
  open visit (a redelivered end, or a box that came before monitoring began) gives none.

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
from typing import Literal

from pydantic import BaseModel, ConfigDict

from lugang.contract import Direction

Kind = Literal["GTIN", "LOAD", "DISC", "GTOT"]

STARTS: dict[str, Direction] = {"GTIN": "OUTBOUND", "DISC": "INBOUND"}
ENDS: dict[Direction, str] = {"OUTBOUND": "LOAD", "INBOUND": "GTOT"}


class Visit(BaseModel):
    """An open visit: a box at the port since ``started_at`` (stored in the dwell table)."""

    model_config = ConfigDict(frozen=True)

    equipment_reference: str
    event_id: str
    """The start event's id: the same start again changes nothing."""
    started_at: datetime
    direction: Direction
    teu_category: str | None
    """None until known: an outbound visit learns it from its load."""
    laden: bool


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
    """A move's effect: the visit open after it (None: none) and the dwell it completed."""

    visit: Visit | None
    dwell: Dwell | None = None


def dwell_hours(start: datetime, end: datetime) -> float:
    """Hours from ``start`` to ``end``.

    Raises:
        ValueError: ``end`` is before ``start``.
    """
    if end < start:
        raise ValueError(f"dwell ends at {end}, before it starts at {start}")
    return (end - start) / timedelta(hours=1)


def step(box: str, visit: Visit | None, move: MoveAt) -> Step:
    """The visit of container ``box`` after ``move`` (see the module's rules)."""
    direction = STARTS.get(move.kind)
    if direction is not None:
        if visit is not None and visit.event_id == move.event_id:
            return Step(visit)
        return Step(
            Visit(
                equipment_reference=box,
                event_id=move.event_id,
                started_at=move.at,
                direction=direction,
                teu_category=move.teu_category,
                laden=move.laden,
            )
        )
    if visit is None:
        return Step(None)
    if ENDS[visit.direction] != move.kind or move.at < visit.started_at:
        return Step(None)
    train_move = move.kind == "LOAD"  # an inbound visit's train move is its start
    category = (move.teu_category if train_move else None) or visit.teu_category
    if category is None:
        return Step(None)
    laden = move.laden if train_move else visit.laden
    dwell = Dwell(box, visit.direction, category, laden, visit.started_at, move.at)
    return Step(None, dwell)


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
