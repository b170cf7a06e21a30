"""Reefer telemetry of one trip: a reading every five minutes, and the faults it may carry.

A laden reefer reports while it is at the port or on a train. Its unit holds a setpoint
inside the commodity's safe band; supply air stays within the band with a little noise,
and return air runs a little warmer (the cargo gives off heat). Injected faults follow the
exception rules of domain §4 and are sized to fall clearly on one side of each threshold,
whether a detector measures a breach up to the last bad reading or up to the first good
one:

* excursion (supply air outside the band, HIGH or LOW): *short* (2–5 readings, under
  30 min), *long* (8–24 readings, 35–120 min), or *repeated* (4–6 short breaches 30 min
  apart, over 60 min in all: a CUMULATIVE exception without any single 30-minute one);
* power off: mostly 5–24 readings (20–120 min), sometimes 1–2; supply air drifts towards
  the ambient temperature meanwhile, so a long outage may also breach the band;
* telemetry gap: 6–17 readings missing (35–90 min without a reading);
* wrong setpoint: 3–10 °C outside the band for the whole trip, supply air following it.

Excursions, power-offs and gaps sit in separate parts of the trip, so they never overlap.
A fault is tagged on the reading where it starts (for a gap: the first one after it).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import tzinfo
from typing import Final

from lugang.reference import CommodityProfile
from producers.schedule import MINUTE_MS, rfc3339

INTERVAL_MS: Final = 5 * MINUTE_MS
TRIP_TAG: Final = "reefer_trip"
"""Tag of a trip's first reading (not a fault: it lets a tally count trips)."""

_AMBIENT_C: Final = 25.0
_DRIFT_C_PER_READING: Final = 0.1
"""Supply-air drift towards ambient per reading (5 min) while the unit is off."""
_REPEAT_SPACING: Final = 6
"""Readings in band between the breaches of a repeated excursion (30 min, above the
10-minute hysteresis, so each breach is an excursion of its own)."""

Reading = tuple[int, dict[str, object], tuple[str, ...]]
"""A reading's time (ms since the epoch), its fields without ``event_id``, and its tags."""


@dataclass(frozen=True, slots=True)
class Trip:
    """One stay of a laden reefer under monitoring, from plug-in to unplugging.

    ``report_commodity`` is false for units whose readings leave the commodity out; the
    stream application then takes it from the container's latest movement.
    """

    equipment_reference: str
    commodity: str
    corridor: str
    start_ms: int
    end_ms: int
    report_commodity: bool


@dataclass(frozen=True, slots=True)
class TripFaults:
    """Which faults to inject into a trip."""

    excursion: bool = False
    power_off: bool = False
    gap: bool = False
    wrong_setpoint: bool = False


def trip_readings(
    trip: Trip, profile: CommodityProfile, faults: TripFaults, rng: random.Random, tz: tzinfo
) -> list[Reading]:
    """The readings of a trip, in time order, with ``faults`` injected."""
    count = (trip.end_ms - trip.start_ms) // INTERVAL_MS + 1
    low, high = profile.band_low_c, profile.band_high_c
    if faults.wrong_setpoint:
        setpoint = _wrong_setpoint(low, high, rng)
        supply = [setpoint + rng.gauss(0, 0.25) for _ in range(count)]
    else:
        setpoint = _setpoint(low, high, rng)
        supply = [_steady(setpoint, low, high, rng) for _ in range(count)]
    power = [True] * count
    present = [True] * count
    tags: list[tuple[str, ...]] = [()] * count
    tags[0] = (TRIP_TAG, "wrong_setpoint") if faults.wrong_setpoint else (TRIP_TAG,)
    half, three_quarters = count // 2, 3 * count // 4
    if faults.excursion:
        _excursion(supply, tags, profile, rng, half)
    if faults.power_off:
        _power_off(supply, power, tags, rng, half, three_quarters)
    if faults.gap:
        _gap(present, tags, rng, three_quarters, count)

    heat = rng.uniform(0.8, 1.8)
    humidity = rng.uniform(75, 95)
    readings = []
    for i in range(count):
        if not present[i]:
            continue
        at = trip.start_ms + i * INTERVAL_MS
        fields: dict[str, object] = {
            "equipment_reference": trip.equipment_reference,
            "reading_time": rfc3339(at, tz),
            "setpoint_c": setpoint,
            "supply_air_c": round(supply[i], 1),
            "return_air_c": round(supply[i] + heat + rng.gauss(0, 0.1), 1),
            "humidity_pct": round(min(100.0, max(0.0, humidity + rng.gauss(0, 1.5)))),
            "power_on": power[i],
        }
        if trip.report_commodity:
            fields["commodity"] = trip.commodity
        fields["corridor"] = trip.corridor
        readings.append((at, fields, tags[i]))
    return readings


def _setpoint(low: float | None, high: float, rng: random.Random) -> float:
    """A setpoint near the middle of the band (to 0.5 °C); frozen goods: 3–10 °C below
    the upper bound (to 1 °C)."""
    if low is None:
        return float(round(high - rng.uniform(3, 10)))
    middle = (low + high) / 2 + rng.uniform(-0.15, 0.15) * (high - low)
    return round(middle * 2) / 2


def _wrong_setpoint(low: float | None, high: float, rng: random.Random) -> float:
    """A setpoint 3–10 °C outside the band (e.g. chilled fruit set for another cargo)."""
    if low is None or rng.random() < 0.5:
        return round((high + rng.uniform(3, 10)) * 2) / 2
    return round((low - rng.uniform(3, 10)) * 2) / 2


def _steady(setpoint: float, low: float | None, high: float, rng: random.Random) -> float:
    """Supply air of a healthy unit: the setpoint with noise, kept 0.1 °C inside the band."""
    value = min(setpoint + rng.gauss(0, 0.25), high - 0.1)
    return value if low is None else max(value, low + 0.1)


def _place(rng: random.Random, start: int, stop: int, length: int) -> int | None:
    """A first index for ``length`` readings inside ``start``..``stop`` with at least one
    reading on either side, or ``None`` if the stretch is too short."""
    if stop - start - 2 < length:
        return None
    return rng.randint(start + 1, stop - length - 1)


def _excursion(
    supply: list[float],
    tags: list[tuple[str, ...]],
    profile: CommodityProfile,
    rng: random.Random,
    stop: int,
) -> None:
    kind = rng.choices(("short", "long", "repeated"), weights=(2, 2, 1))[0]
    if kind == "short":
        breaches = [rng.randint(2, 5)]
    elif kind == "long":
        breaches = [rng.randint(8, 24)]
    else:
        breaches = [5] * rng.randint(4, 6)
    first = _place(rng, 0, stop, sum(breaches) + _REPEAT_SPACING * (len(breaches) - 1))
    if first is None:
        return
    low = profile.band_low_c
    edge, sign = (profile.band_high_c, 1) if low is None or rng.random() < 0.5 else (low, -1)
    tags[first] += (f"excursion:{kind}",)
    for length in breaches:
        peak = rng.uniform(0.8, 4.0)
        for j in range(length):
            # At least 0.3 °C beyond the bound, rising to the peak and falling back.
            beyond = 0.3 + (peak - 0.3) * math.sin(math.pi * (j + 0.5) / length)
            supply[first + j] = edge + sign * beyond
        first += length + _REPEAT_SPACING


def _power_off(
    supply: list[float],
    power: list[bool],
    tags: list[tuple[str, ...]],
    rng: random.Random,
    start: int,
    stop: int,
) -> None:
    long = rng.random() < 0.8
    length = rng.randint(5, 24) if long else rng.randint(1, 2)
    first = _place(rng, start, stop, length)
    if first is None:
        return
    tags[first] += ("power_off:long" if long else "power_off:short",)
    for j in range(length):
        i = first + j
        power[i] = False
        supply[i] += math.copysign(_DRIFT_C_PER_READING * (j + 1), _AMBIENT_C - supply[i])


def _gap(
    present: list[bool], tags: list[tuple[str, ...]], rng: random.Random, start: int, stop: int
) -> None:
    length = rng.randint(6, 17)
    first = _place(rng, start, stop, length)
    if first is None:
        return
    for j in range(length):
        present[first + j] = False
    tags[first + length] += ("gap",)
