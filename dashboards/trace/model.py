"""What a container's trace holds, and its JSON (times RFC 3339 in the port's time zone).

The JSON keys are the interface other systems read (``lugang trace --json``); see
:meth:`Trace.to_json`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import Any, Literal

from streams.domain.journey import TripSummary
from streams.schema.silences import Acknowledgement

AcksState = Literal["read", "no Alertmanager URL"]
"""Whether the acknowledgements were read from Alertmanager, or why not."""


def _time(value: datetime | None, tz: tzinfo) -> str | None:
    return None if value is None else value.astimezone(tz).isoformat()


@dataclass(frozen=True, slots=True)
class Move:
    """One ``container_move`` point: a gate in, load, discharge or gate out."""

    time: datetime
    event_type: str
    location: str
    direction: str | None
    train_id: str | None
    corridor: str | None
    commodity: str | None
    gross_weight_kg: float | None
    event_id: str | None

    def to_json(self, tz: tzinfo) -> dict[str, Any]:
        return {
            "time": _time(self.time, tz),
            "event_type": self.event_type,
            "location": self.location,
            "direction": self.direction,
            "train_id": self.train_id,
            "corridor": self.corridor,
            "commodity": self.commodity,
            "gross_weight_kg": self.gross_weight_kg,
            "event_id": self.event_id,
        }


@dataclass(frozen=True, slots=True)
class Train:
    """One run of a train the container's moves name: its departure and, once it has
    arrived, its transit time against the corridor's benchmark."""

    train_id: str
    corridor: str | None
    direction: str | None
    departed: datetime
    transit_h: float | None
    benchmark_h: float | None
    within_benchmark: bool | None

    @property
    def arrived(self) -> datetime | None:
        """Departure plus transit time; None while under way (or not known)."""
        if self.transit_h is None:
            return None
        return self.departed + timedelta(hours=self.transit_h)

    def to_json(self, tz: tzinfo) -> dict[str, Any]:
        return {
            "train_id": self.train_id,
            "corridor": self.corridor,
            "direction": self.direction,
            "departed": _time(self.departed, tz),
            "arrived": _time(self.arrived, tz),
            "transit_h": self.transit_h,
            "benchmark_h": self.benchmark_h,
            "within_benchmark": self.within_benchmark,
        }


@dataclass(frozen=True, slots=True)
class Reading:
    """One ``reefer_reading`` point, with the commodity and band it was judged by."""

    time: datetime
    supply_air_c: float
    return_air_c: float | None
    setpoint_c: float | None
    power_on: bool
    commodity: str | None = None
    band_low_c: float | None = None
    band_high_c: float | None = None

    def to_json(self, tz: tzinfo) -> dict[str, Any]:
        return {
            "time": _time(self.time, tz),
            "supply_air_c": self.supply_air_c,
            "return_air_c": self.return_air_c,
            "setpoint_c": self.setpoint_c,
            "power_on": self.power_on,
        }


@dataclass(frozen=True, slots=True)
class Period:
    """A stretch of time: a gap between readings, or a run of power-off readings."""

    start: datetime
    end: datetime

    @property
    def minutes(self) -> float:
        return (self.end - self.start).total_seconds() / 60

    def to_json(self, tz: tzinfo) -> dict[str, Any]:
        return {
            "start": _time(self.start, tz),
            "end": _time(self.end, tz),
            "minutes": round(self.minutes, 1),
        }


@dataclass(frozen=True, slots=True)
class TracedException:
    """One ``coldchain_exception`` of the container, with its acknowledgement if any."""

    exception_id: str
    kind: str
    start: datetime
    end: datetime | None
    open: bool
    peak_deviation_c: float | None
    duration_s: float | None
    acknowledgement: Acknowledgement | None = None

    def to_json(self, tz: tzinfo) -> dict[str, Any]:
        ack = self.acknowledgement
        return {
            "exception_id": self.exception_id,
            "kind": self.kind,
            "start": _time(self.start, tz),
            "end": _time(self.end, tz),
            "open": self.open,
            "peak_deviation_c": self.peak_deviation_c,
            "duration_s": self.duration_s,
            "acknowledgement": None
            if ack is None
            else {
                "by": ack.by,
                "since": _time(ack.since, tz),
                "until": _time(ack.until, tz),
                "comment": ack.comment,
                "active": ack.active,
            },
        }


@dataclass(frozen=True, slots=True)
class Trip:
    """One stay on watch and its cold-chain summary (:func:`summarise_trip`)."""

    commodity: str | None
    summary: TripSummary

    def to_json(self, tz: tzinfo) -> dict[str, Any]:
        s = self.summary
        return {
            "start": _time(s.start, tz),
            "end": _time(s.end, tz),
            "readings": s.readings,
            "commodity": self.commodity,
            "band_low_c": s.band_low_c,
            "band_high_c": s.band_high_c,
            "activation_energy_kj_mol": s.activation_energy_kj_mol,
            "in_band_s": s.in_band_s,
            "out_of_band_s": s.out_of_band_s,
            "above_band_s": s.above_band_s,
            "below_band_s": s.below_band_s,
            "largest_deviation_c": s.largest_deviation[1],
            "min_c": s.min_c,
            "max_c": s.max_c,
            "mkt_c": None if s.mkt_c is None else round(s.mkt_c, 2),
        }


@dataclass(frozen=True, slots=True)
class Trace:
    """The journey of one container between ``start`` and ``end``."""

    equipment_reference: str
    start: datetime
    end: datetime
    tz: tzinfo
    moves: list[Move]
    trains: list[Train]
    readings: list[Reading]
    gaps: list[Period]
    power_off: list[Period]
    exceptions: list[TracedException]
    trips: list[Trip]
    acknowledgements: AcksState
    source: str = ""
    """Where the data came from (InfluxDB host and database, Alertmanager host)."""

    def to_json(self) -> dict[str, Any]:
        """The trace as JSON, the shape ``lugang trace --json`` prints."""
        tz = self.tz
        return {
            "equipment_reference": self.equipment_reference,
            "from": _time(self.start, tz),
            "to": _time(self.end, tz),
            "moves": [m.to_json(tz) for m in self.moves],
            "trains": [t.to_json(tz) for t in self.trains],
            "readings": [r.to_json(tz) for r in self.readings],
            "gaps": [g.to_json(tz) for g in self.gaps],
            "power_off": [p.to_json(tz) for p in self.power_off],
            "exceptions": [e.to_json(tz) for e in self.exceptions],
            "trips": [t.to_json(tz) for t in self.trips],
            "acknowledgements": self.acknowledgements,
        }
