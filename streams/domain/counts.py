"""Daily counts on event time: train runs, 天天班, TEU 到发量, reefer TEU and tonnage.

The day of an event is the local calendar day of its event time in the port's timezone
(Asia/Shanghai), never a faust window: faust's windows are aligned to the Unix epoch, so
a 1-day window would run 08:00–08:00 local time.

Counting rules (domain reference §2): a train run is counted by its departure (``DEPA``)
from the home location when outbound and by its arrival (``ARRI``) there when inbound; a
container movement is a ``LOAD`` onto an outbound train or a ``DISC`` from an inbound
train at the home location. Each counted event becomes a :class:`Fact`; a day's totals
remember the event ids they have counted, so a duplicate or a replayed event changes
nothing.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal, TypeVar
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field

from lugang.contract import ContainerEvent, Direction, Event, TrainEvent, size_type
from lugang.reference import Reference

Number = TypeVar("Number", int, float)


def _bump(counts: dict[str, Number], key: str, amount: Number) -> None:
    counts[key] = counts.get(key, 0) + amount


def local_day(moment: datetime, tz: ZoneInfo) -> date:
    """The local calendar day of an aware datetime in ``tz``."""
    return moment.astimezone(tz).date()


class Fact(BaseModel):
    """One counted train run or container movement, with what the day totals need."""

    model_config = ConfigDict(frozen=True)

    event_id: str
    day: date
    kind: Literal["TRAIN_RUN", "CONTAINER_MOVE"]
    corridor: str
    direction: Direction
    service_group: str
    teu_category: str
    teu: float = 0.0
    reefer: bool = False
    laden: bool = True
    gross_weight_kg: float = 0.0
    train_id: str | None = None
    """The train of a train run."""

    @property
    def identity(self) -> str:
        """What counts once in its day: a train run is identified by train id and direction
        (with the day: a second ``DEPA`` of the same train on the same day, a correction sent
        with a new ``event_id``, is the same run), a container move by its event id."""
        if self.kind == "TRAIN_RUN" and self.train_id is not None:
            return f"run:{self.train_id}/{self.direction}"
        return self.event_id


def fact_of(event: Event, reference: Reference) -> Fact | None:
    """The fact an event contributes to the day totals, or None if it is not counted."""
    home = reference.home.location
    if isinstance(event, TrainEvent):
        if event.location == home and (event.event_type, event.direction) in _COUNTED_RUNS:
            return _fact(
                event.event_id,
                event.event_time,
                "TRAIN_RUN",
                event.corridor,
                event.direction,
                reference,
                train_id=event.train_id,
            )
        return None
    if not isinstance(event, ContainerEvent) or event.location != home:
        return None
    if event.corridor is None or (event.event_type, event.direction) not in _COUNTED_MOVES:
        return None
    kind = size_type(event.iso_equipment_code, reference)
    return _fact(
        event.event_id,
        event.event_time,
        "CONTAINER_MOVE",
        event.corridor,
        event.direction,
        reference,
        teu=kind.teu,
        reefer=kind.is_reefer,
        laden=event.empty_indicator == "LADEN",
        gross_weight_kg=event.gross_weight_kg or 0.0,
    )


_COUNTED_RUNS = (("DEPA", "OUTBOUND"), ("ARRI", "INBOUND"))
_COUNTED_MOVES = (("LOAD", "OUTBOUND"), ("DISC", "INBOUND"))


def _fact(
    event_id: str,
    at: datetime,
    kind: Literal["TRAIN_RUN", "CONTAINER_MOVE"],
    corridor_id: str,
    direction: Direction | None,
    reference: Reference,
    **measures: float | bool | str,
) -> Fact:
    corridor = reference.corridor(corridor_id)
    return Fact.model_validate(
        {
            "event_id": event_id,
            "day": local_day(at, reference.home.tz),
            "kind": kind,
            "corridor": corridor_id,
            "direction": direction,
            "service_group": corridor.service_group,
            "teu_category": corridor.teu_category,
            **measures,
        }
    )


class DayTotals(BaseModel):
    """Everything counted on one local day. Keys join dimensions with ``/``:
    ``runs["HHW-QZH/OUTBOUND"]``, ``teu["RAIL_SEA/OUTBOUND/LADEN"]``,
    ``corridor_teu["HHW-QZH/OUTBOUND/EMPTY"]``.

    ``corridor_teu`` is the same TEU by corridor instead of category (the two-way balance
    of :mod:`streams.domain.balance`). Totals stored before it existed read back without
    it (empty): their TEU is counted, but not by corridor."""

    day: date
    counted: set[str] = Field(default_factory=set)
    runs: dict[str, int] = Field(default_factory=dict)
    outbound_runs_by_group: dict[str, int] = Field(default_factory=dict)
    teu: dict[str, float] = Field(default_factory=dict)
    reefer_teu: dict[str, float] = Field(default_factory=dict)
    gross_weight_kg: float = 0.0
    corridor_teu: dict[str, float] = Field(default_factory=dict)

    def add(self, fact: Fact) -> bool:
        """Count ``fact`` unless it was counted before (see :attr:`Fact.identity`); return
        whether it changed the day."""
        if fact.identity in self.counted:
            return False
        self.counted.add(fact.identity)
        if fact.kind == "TRAIN_RUN":
            _bump(self.runs, f"{fact.corridor}/{fact.direction}", 1)
            if fact.direction == "OUTBOUND":
                _bump(self.outbound_runs_by_group, fact.service_group, 1)
        else:
            laden = "LADEN" if fact.laden else "EMPTY"
            _bump(self.teu, f"{fact.teu_category}/{fact.direction}/{laden}", fact.teu)
            _bump(self.corridor_teu, f"{fact.corridor}/{fact.direction}/{laden}", fact.teu)
            if fact.reefer:
                _bump(self.reefer_teu, fact.direction, fact.teu)
            self.gross_weight_kg += fact.gross_weight_kg
        return True

    @property
    def total_runs(self) -> int:
        return sum(self.runs.values())

    @property
    def total_teu(self) -> float:
        return float(sum(self.teu.values()))
