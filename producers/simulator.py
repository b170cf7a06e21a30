"""A seeded simulation of the port's operations: train runs, container moves, reefer telemetry.

:func:`simulate` yields the records that operations between two dates would put on the
``trains``, ``containers`` and ``reefer`` topics, in order of emission, with the faults a
real feed has injected at configurable rates: cold-chain incidents (excursions,
power-offs, telemetry gaps, wrong setpoints) and transport faults (duplicates, readings
out of order, events hours late, malformed records).

It is pure: no I/O, no clock, no global random state. Everything is drawn from generators
seeded by the seed and the run, so the same configuration gives the same records byte for
byte, in any process, and consecutive windows compose: simulating January and then
February yields exactly the records of simulating both months at once. A window keeps
the records *emitted* inside it (local calendar days of the port), so a train counted on
the window's first day may have loaded containers the day before, outside it.

:func:`year_cargo` gives a year's runs and their containers alone (the same draws, no
records): what a year's counts need, at a fraction of the cost.

The timetable (:mod:`producers.schedule`) follows the plan's targets for each year;
:mod:`producers.telemetry` shapes the reefer readings and :mod:`producers.malformed`
the malformed records.
"""

from __future__ import annotations

import heapq
import math
import random
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from itertools import count
from typing import Annotated, Final, NamedTuple

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError
from stdnum import iso6346

from lugang.contract import size_type
from lugang.reference import Corridor, Reference
from producers.malformed import corrupt
from producers.records import Record
from producers.schedule import (
    HOUR_MS,
    MINUTE_MS,
    Flow,
    Slot,
    Variation,
    epoch_ms,
    rfc3339,
    seeded_rng,
    year_schedule,
)
from producers.telemetry import TRIP_TAG, Trip, TripFaults, trip_readings

Rate = Annotated[float, Field(ge=0, le=1)]

_DEFAULT_TRANSIT_H: Final = 12.0
"""Transit time of a corridor without a benchmark (the domestic trains)."""
_MAX_SLOWDOWN: Final = 1.5
"""Slowest run as a multiple of the transit time (a delay at a border or a seaport)."""
_MARGIN_MS: Final = 48 * HOUR_MS
"""Bounds what happens around a run besides its transit: gate moves up to a day before
loading or after discharge, and records emitted up to a few hours late."""

_DRY_BOXES: Final = {"22G1": 3, "42G1": 2, "45G1": 4}
_REEFER_BOXES: Final = {"45R1": 6, "22R1": 2, "L5R1": 1}
"""Size-type codes and their relative frequency (``45R1`` is a 40 ft high-cube reefer)."""
_TARE_AND_MAX_GROSS_KG: Final = {
    "22G1": (2_200, 30_480),
    "42G1": (3_750, 32_500),
    "45G1": (3_900, 32_500),
    "22R1": (3_050, 30_480),
    "45R1": (4_800, 32_500),
    "L5R1": (5_200, 34_000),
}
_DRY_OWNERS: Final = ("CSNU", "CBHU", "TGHU", "TEMU", "SEGU", "OOLU", "CMAU", "MSKU")
_REEFER_OWNERS: Final = ("CXRU", "SZLU", "TRIU", "MNBU")
_EMPTY_DRY_SHARE: Final = 0.2
_EMPTY_REEFER_SHARE: Final = 0.08
_COMMODITY_MIX: Final[dict[Flow, dict[str, float]]] = {
    "ASEAN_INBOUND": {
        "durian": 3,
        "longan": 2,
        "mangosteen": 2,
        "dragon_fruit": 2,
        "banana": 3,
        "frozen": 1,
        "pharma": 0.5,
    },
    "OUTBOUND": {"citrus": 4, "kiwifruit": 2, "frozen": 1, "pharma": 1},
    "DOMESTIC_INBOUND": {"frozen": 2, "pharma": 1, "citrus": 1},
}
"""Reefer cargo by flow: ASEAN fruit comes in, local oranges and kiwifruit go out."""
_SILENT_COMMODITY_SHARE: Final = 0.3
"""Share of outbound reefer units whose readings leave the commodity out (the stream
application takes it from the gate-in or load event; inbound units always send it, as
their first readings come before any movement at the port)."""


class SimulationConfig(BaseModel):
    """What to simulate: a span of local days, a seed, a volume scale and fault rates."""

    model_config = ConfigDict(frozen=True, extra="forbid", use_attribute_docstrings=True)

    start: date
    """First local day (in the home port's timezone) of the simulated window."""
    end: date
    """Last local day of the window (inclusive)."""
    seed: int = 0
    """Seed of every random draw: the same seed gives the same records."""
    scale: float = Field(default=1.0, gt=0)
    """Multiplies the plan's yearly train, TEU and reefer targets."""
    delay_rate: Rate = 1 / 12
    """Share of train runs held up on the way (1.2 to 1.5 times the corridor's transit
    time): past the benchmark, so the monitor finds them overdue while they travel."""
    excursion_rate: Rate = 0.05
    """Share of reefer trips with a temperature excursion (short, long or repeated)."""
    power_off_rate: Rate = 0.03
    """Share of reefer trips with the unit's power off for a while."""
    gap_rate: Rate = 0.03
    """Share of reefer trips with a telemetry gap of 35–90 minutes."""
    wrong_setpoint_rate: Rate = 0.01
    """Share of reefer trips with a setpoint outside the commodity's band."""
    duplicate_rate: Rate = 0.002
    """Share of records sent again later (same event id)."""
    out_of_order_rate: Rate = 0.002
    """Share of readings sent a few minutes late, after later readings of the unit."""
    late_rate: Rate = 0.0005
    """Share of records sent one to six hours late."""
    malformed_rate: Rate = 0.001
    """Share of records followed by a malformed copy that fails validation."""
    variation: Variation = Variation()
    """How years depart from the plan's even pace (default: not at all)."""

    @field_validator("end")
    @classmethod
    def _not_before_start(cls, end: date, info: ValidationInfo) -> date:
        """An error of ``end`` (not of the whole model), so that it names the field."""
        start = info.data.get("start")
        if start is not None and end < start:
            raise PydanticCustomError(
                "end_before_start",
                "must not be before start {start} (got {end})",
                {"start": str(start), "end": str(end)},
            )
        return end

    def window_ms(self, tz: tzinfo) -> tuple[int, int]:
        """The event time the window covers, [start, end), in epoch milliseconds: from the
        start of the first local day to the start of the day after the last."""
        return (
            epoch_ms(datetime.combine(self.start, time(), tz)),
            epoch_ms(datetime.combine(self.end + timedelta(days=1), time(), tz)),
        )


@dataclass
class SimulationSummary:
    """What a simulation emitted, filled in as its records are consumed.

    ``records`` counts records per topic kind; ``injected`` counts injected faults by
    kind (``excursion:long``, ``power_off:short``, ``gap``, ``wrong_setpoint``,
    ``duplicate``, ``out_of_order``, ``late``, ``malformed:<fault>``, ...).
    """

    records: Counter[str] = field(default_factory=Counter)
    injected: Counter[str] = field(default_factory=Counter)
    reefer_trips: int = 0

    def injected_total(self, kind: str) -> int:
        """Injected faults of one kind, all variants included (``"excursion"`` counts
        ``excursion:short``, ``excursion:long`` and ``excursion:repeated``)."""
        return sum(n for name, n in self.injected.items() if name.partition(":")[0] == kind)

    def tally(self, record: Record, tags: Iterable[str]) -> None:
        """Count one emitted record and the faults (or the reefer trip) it carries."""
        self.records[record.topic] += 1
        for tag in tags:
            if tag == TRIP_TAG:
                self.reefer_trips += 1
            else:
                self.injected[tag] += 1


def simulate(
    config: SimulationConfig,
    reference: Reference,
    summary: SimulationSummary | None = None,
) -> Iterator[Record]:
    """The records of the simulated window, in order of their timestamps (emission time).

    ``summary``, if given, is updated as records are yielded.

    Raises:
        ValueError: the reference has no targets for a year of the window (raised at
            once, not when iteration starts).
    """
    window = config.window_ms(reference.home.tz)
    missing = [
        y for y in range(config.start.year, config.end.year + 1) if y not in reference.targets
    ]
    if missing:
        raise ValueError(f"the reference has no targets for {', '.join(map(str, missing))}")
    operations = _Operations(config, reference)
    return _merge(operations, window, SimulationSummary() if summary is None else summary)


def year_cargo(
    config: SimulationConfig, reference: Reference, year: int
) -> Iterator[tuple[Slot, list[Box]]]:
    """Each run of ``year``'s timetable with the containers it loads or discharges at the home
    location, drawn as :func:`simulate` draws them (``config``'s seed, scale and variation;
    its window and fault rates play no part), without generating any record.

    Raises:
        KeyError: the reference has no targets for ``year`` (on the first iteration).
    """
    operations = _Operations(config, reference)
    for slot in year_schedule(reference, year, config.seed, config.scale, config.variation):
        yield slot, operations.cargo(slot)


def _merge(
    operations: _Operations, window: tuple[int, int], summary: SimulationSummary
) -> Iterator[Record]:
    """Merge the runs' records by timestamp, keeping those emitted inside the window.

    Runs come in order of their counted instant, and no record of a run is emitted more
    than the horizon before that instant, so whatever is older than that has been seen.
    """
    start, end = window
    horizon = operations.horizon_ms
    pending: list[tuple[int, int, Record, tuple[str, ...]]] = []
    order = count()

    def release(until: float) -> Iterator[Record]:
        while pending and pending[0][0] < until:
            timestamp, _, record, tags = heapq.heappop(pending)
            if start <= timestamp < end:
                summary.tally(record, tags)
                yield record

    for slot in operations.slots(start - horizon, end + horizon):
        yield from release(slot.counted_ms - horizon)
        for timestamp, record, tags in operations.run(slot):
            heapq.heappush(pending, (timestamp, next(order), record, tags))
    yield from release(math.inf)


class _Event(NamedTuple):
    at_ms: int
    topic: str
    key: str
    fields: dict[str, object]
    tags: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Box:
    """A container a run loads or discharges at the home location."""

    number: str
    code: str
    reefer: bool
    laden: bool
    gross_weight_kg: int
    commodity: str | None


class _Operations:
    """Turns timetable slots into records."""

    def __init__(self, config: SimulationConfig, reference: Reference) -> None:
        self.config = config
        self.reference = reference
        self.tz = reference.home.tz
        self.home = reference.home.location
        self.teu_of = {
            code: size_type(code, reference).teu
            for code in (*_DRY_BOXES, *_REEFER_BOXES)
            if code[0] in reference.length_codes
        }
        slowest = max(
            (c.transit_benchmark_h or _DEFAULT_TRANSIT_H for c in reference.corridors.values()),
            default=_DEFAULT_TRANSIT_H,
        )
        self.horizon_ms = round(slowest * _MAX_SLOWDOWN * HOUR_MS) + _MARGIN_MS
        """No record of a run is emitted more than this before or after its counted instant."""

    def slots(self, first_ms: int, last_ms: int) -> Iterator[Slot]:
        """The runs counted between two instants, in order, from every year's timetable
        (years around the window that the reference has no targets for are skipped)."""
        years = range(self._year(first_ms), self._year(last_ms) + 1)
        for year in years:
            if year not in self.reference.targets:
                continue
            config = self.config
            schedule = year_schedule(
                self.reference, year, config.seed, config.scale, config.variation
            )
            yield from (s for s in schedule if first_ms <= s.counted_ms <= last_ms)

    def _year(self, ms: int) -> int:
        return datetime.fromtimestamp(ms / 1000, self.tz).year

    def run(self, slot: Slot) -> Iterator[tuple[int, Record, tuple[str, ...]]]:
        """The records of one run, each with its timestamp and tags, in no set order."""
        rng = self._rng(slot)
        return self._emit(slot, self._events(slot, rng), rng)

    def cargo(self, slot: Slot) -> list[Box]:
        """The containers of one run, as :meth:`run` draws them."""
        return self._draw(slot, self._rng(slot))[2]

    def _rng(self, slot: Slot) -> random.Random:
        return seeded_rng(self.config.seed, "run", slot.year, slot.index)

    def _draw(self, slot: Slot, rng: random.Random) -> tuple[int, int, list[Box]]:
        """The run's first draws, in order: transit time, wagons and containers."""
        transit = self._transit_ms(self.reference.corridor(slot.line.corridor), rng)
        limits = self.reference.ranges.wagons
        wagons = round(
            min(limits.max, max(limits.min, math.ceil(slot.teu / 2) + rng.randint(0, 3)))
        )
        return transit, wagons, self._boxes(slot, rng)

    def _events(self, slot: Slot, rng: random.Random) -> list[_Event]:
        """The run's two train events, and the moves and readings of its containers."""
        line = slot.line
        corridor = self.reference.corridor(line.corridor)
        far_end = corridor.far_end(self.home)
        transit, wagons, boxes = self._draw(slot, rng)
        if line.direction == "OUTBOUND":
            departure, arrival = (slot.counted_ms, self.home), (slot.counted_ms + transit, far_end)
        else:
            departure, arrival = (slot.counted_ms - transit, far_end), (slot.counted_ms, self.home)
        train: dict[str, object] = {
            "train_id": f"X{slot.year % 100:02d}{slot.index + 1:04d}",
            "corridor": line.corridor,
            "direction": line.direction,
        }
        events = [
            self._train_event("DEPA", train, wagons, *departure),
            self._train_event("ARRI", train, wagons, *arrival),
        ]
        for box in boxes:
            events.extend(self._box_events(slot, box, train, (departure[0], arrival[0]), rng))
        return events

    def _box_events(
        self,
        slot: Slot,
        box: Box,
        train: dict[str, object],
        journey: tuple[int, int],
        rng: random.Random,
    ) -> list[_Event]:
        """A box passes the gate and goes onto the train (outbound), or comes off the train
        and leaves through the gate (inbound); a laden reefer reports all the while."""
        counted = slot.counted_ms
        if slot.line.direction == "OUTBOUND":
            move_at = self._between(rng, counted - 8 * HOUR_MS, counted - 45 * MINUTE_MS)
            gate_at = move_at - self._between(rng, 2 * HOUR_MS, 24 * HOUR_MS)
            moves = [("GTIN", gate_at, None), ("LOAD", move_at, train)]
            plugged = (gate_at + self._between(rng, MINUTE_MS, 10 * MINUTE_MS), journey[1])
            report = rng.random() >= _SILENT_COMMODITY_SHARE
        else:
            move_at = self._between(rng, counted + 20 * MINUTE_MS, counted + 5 * HOUR_MS)
            gate_at = move_at + self._between(rng, 2 * HOUR_MS, 24 * HOUR_MS)
            moves = [("DISC", move_at, train), ("GTOT", gate_at, None)]
            plugged = (journey[0] - self._between(rng, 0, 2 * HOUR_MS), gate_at)
            report = True
        events = [self._container_event(kind, box, at, on) for kind, at, on in moves]
        if box.commodity is not None:
            trip = Trip(box.number, box.commodity, slot.line.corridor, *plugged, report)
            events.extend(self._readings(trip, rng))
        return events

    def _transit_ms(self, corridor: Corridor, rng: random.Random) -> int:
        """Near the benchmark (at most 1.2 times it); a share of runs (``delay_rate``,
        one in twelve by default) is held up, 1.2 times to the slowest."""
        if rng.random() < self.config.delay_rate:
            factor = rng.uniform(1.2, _MAX_SLOWDOWN)
        else:
            factor = min(max(rng.gauss(1.0, 0.08), 0.8), 1.2)
        hours = corridor.transit_benchmark_h or _DEFAULT_TRANSIT_H
        return round(hours * factor * 60) * MINUTE_MS

    @staticmethod
    def _between(rng: random.Random, low_ms: int, high_ms: int) -> int:
        """A whole second between two bounds (in milliseconds)."""
        return rng.randint(low_ms // 1000, high_ms // 1000) * 1000

    def _boxes(self, slot: Slot, rng: random.Random) -> list[Box]:
        reefers = self._fill(slot.reefer_teu, _REEFER_BOXES, rng)
        dry = self._fill(slot.teu - sum(self.teu_of[c] for c in reefers), _DRY_BOXES, rng)
        flow = _COMMODITY_MIX[slot.line.flow]
        commodities = [c for c in flow if c in self.reference.commodities] or sorted(
            self.reference.commodities
        )
        weights = [flow.get(c, 1.0) for c in commodities]
        boxes = []
        for code in reefers + dry:
            reefer = code in _REEFER_BOXES
            laden = rng.random() >= (_EMPTY_REEFER_SHARE if reefer else _EMPTY_DRY_SHARE)
            tare, max_gross = _TARE_AND_MAX_GROSS_KG[code]
            load = rng.uniform(0.35, 0.9) * (max_gross - tare) if laden else rng.uniform(-50, 50)
            owner = rng.choice(_REEFER_OWNERS if reefer else _DRY_OWNERS)
            number = f"{owner}{rng.randrange(1_000_000):06d}"
            boxes.append(
                Box(
                    number=number + iso6346.calc_check_digit(number),
                    code=code,
                    reefer=reefer,
                    laden=laden,
                    gross_weight_kg=10 * round((tare + load) / 10),
                    commodity=rng.choices(commodities, weights)[0] if reefer and laden else None,
                )
            )
        return boxes

    def _fill(self, teu: float, mix: dict[str, int], rng: random.Random) -> list[str]:
        """Size-type codes drawn from ``mix`` until they add up to ``teu`` (short of it by
        less than the smallest box when the lengths do not divide it)."""
        codes: list[str] = []
        remaining = teu
        while fitting := [c for c in mix if c in self.teu_of and self.teu_of[c] <= remaining]:
            code = rng.choices(fitting, [mix[c] for c in fitting])[0]
            codes.append(code)
            remaining -= self.teu_of[code]
        return codes

    def _train_event(
        self, event_type: str, train: dict[str, object], wagons: int, at_ms: int, location: str
    ) -> _Event:
        fields = {
            "event_type": event_type,
            "train_id": train["train_id"],
            "corridor": train["corridor"],
            "location": location,
            "direction": train["direction"],
            "event_time": rfc3339(at_ms, self.tz),
            "wagons": wagons,
        }
        return _Event(at_ms, "trains", str(train["train_id"]), fields)

    def _container_event(
        self, event_type: str, box: Box, at_ms: int, train: dict[str, object] | None = None
    ) -> _Event:
        fields: dict[str, object] = {
            "event_type": event_type,
            "equipment_reference": box.number,
            "iso_equipment_code": box.code,
            "empty_indicator": "LADEN" if box.laden else "EMPTY",
            **(train or {}),
            "location": self.home,
            "event_time": rfc3339(at_ms, self.tz),
            "gross_weight_kg": box.gross_weight_kg,
        }
        if box.commodity is not None:
            fields["commodity"] = box.commodity
        return _Event(at_ms, "containers", box.number, fields)

    def _readings(self, trip: Trip, rng: random.Random) -> list[_Event]:
        config = self.config
        faults = TripFaults(
            excursion=rng.random() < config.excursion_rate,
            power_off=rng.random() < config.power_off_rate,
            gap=rng.random() < config.gap_rate,
            wrong_setpoint=rng.random() < config.wrong_setpoint_rate,
        )
        profile = self.reference.commodity(trip.commodity)
        return [
            _Event(at, "reefer", trip.equipment_reference, fields, tags)
            for at, fields, tags in trip_readings(trip, profile, faults, rng, self.tz)
        ]

    def _emit(
        self, slot: Slot, events: Sequence[_Event], rng: random.Random
    ) -> Iterator[tuple[int, Record, tuple[str, ...]]]:
        """Records of the events, with late, out-of-order, duplicate and malformed ones."""
        config = self.config
        for n, event in enumerate(events):
            value = {
                "event_id": f"sim{config.seed}-{slot.year}-{slot.index:05d}-{n:05d}",
                **event.fields,
            }
            timestamp, tags = event.at_ms, event.tags
            roll = rng.random()
            if roll < config.late_rate:
                timestamp += self._between(rng, HOUR_MS, 6 * HOUR_MS)
                tags += ("late",)
            elif event.topic == "reefer" and roll < config.late_rate + config.out_of_order_rate:
                # After the next one or two readings of the unit (5 minutes apart).
                timestamp += self._between(rng, 6 * MINUTE_MS, 14 * MINUTE_MS)
                tags += ("out_of_order",)
            record = Record.of_json(event.topic, event.key, value, timestamp)
            yield timestamp, record, tags
            if rng.random() < config.duplicate_rate:
                again = timestamp + self._between(rng, MINUTE_MS, 2 * HOUR_MS)
                yield again, Record(record.topic, record.key, record.value, again), ("duplicate",)
            if rng.random() < config.malformed_rate:
                fault, raw = corrupt(event.topic, value, rng, self.reference)
                garbled = timestamp + self._between(rng, 1000, MINUTE_MS)
                yield garbled, Record(event.topic, event.key, raw, garbled), (f"malformed:{fault}",)
