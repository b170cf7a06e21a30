"""Synthetic reefer traffic for the memory and alert-latency measurements.

The simulator follows the plan's volumes (a few hundred reefers at a time); these
generators make traffic of a chosen shape instead: a fleet of containers of citrus
loaded onto outbound trains to Vientiane, each reporting in-band readings every five
minutes of event time, and single excursions whose last reading opens a HIGH exception.
Every record passes the event contract (``check_shapes`` proves it for each shape).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from stdnum import iso6346

from lugang.contract import parse_event
from lugang.settings import Settings
from producers.records import Record

COMMODITY = "citrus"
"""Band 3–9 °C in the reference."""
CORRIDOR = "HHW-VTE"
SETPOINT_C = 6.0
OUT_OF_BAND_C = 12.0
READING_INTERVAL = timedelta(minutes=5)
EXCURSION_READINGS = 6
"""Out-of-band readings before the one that completes an excursion: 5 min apart, the
sixth is 25 min after the first, so the next one, 30 min after it, opens HIGH."""
LATENESS = timedelta(minutes=Settings.model_fields["allowed_lateness_minutes"].default)
"""The worker's allowed lateness (its default): a decision is final, and pages, once a
reading of the container more than this later has come."""


def container_number(owner: str, serial: int) -> str:
    """An ISO 6346 container number (owner code ending in U, serial, check digit)."""
    body = f"{owner}{serial:06d}"
    return body + iso6346.calc_check_digit(body)


def _ms(at: datetime) -> int:
    return int(at.timestamp() * 1000)


def reading(container: str, at: datetime, supply_air_c: float, event_id: str) -> Record:
    """A reefer reading of ``container`` at event time ``at``."""
    value = {
        "event_id": event_id,
        "equipment_reference": container,
        "reading_time": at.isoformat(),
        "setpoint_c": SETPOINT_C,
        "supply_air_c": supply_air_c,
        "return_air_c": round(supply_air_c + 1.2, 1),
        "humidity_pct": 90,
        "power_on": True,
        "commodity": COMMODITY,
        "corridor": CORRIDOR,
    }
    return Record.of_json("reefer", container, value, _ms(at))


def load(container: str, at: datetime, train_id: str, event_id: str) -> Record:
    """``container`` loaded at Huaihua onto outbound train ``train_id``."""
    value = {
        "event_id": event_id,
        "event_type": "LOAD",
        "equipment_reference": container,
        "iso_equipment_code": "45R1",
        "empty_indicator": "LADEN",
        "train_id": train_id,
        "corridor": CORRIDOR,
        "direction": "OUTBOUND",
        "location": "HHW",
        "event_time": at.isoformat(),
        "gross_weight_kg": 24_000,
        "commodity": COMMODITY,
    }
    return Record.of_json("containers", container, value, _ms(at))


def in_band(container_index: int, round_index: int) -> float:
    """A supply-air temperature within ±0.5 °C of the setpoint (deterministic noise)."""
    return SETPOINT_C + ((container_index * 7 + round_index * 3) % 11 - 5) / 10


def active_fleet(owner: str, containers: int, readings: int, start: datetime) -> Iterator[Record]:
    """``containers`` reefers, each loaded onto one of a few trains at ``start``, then
    ``readings`` in-band readings each, a round of the whole fleet every 5 minutes (as the
    units report), each unit a little later in the round than the one before."""
    numbers = [container_number(owner, i) for i in range(containers)]
    spread = READING_INTERVAL / max(containers, 1)
    for i, number in enumerate(numbers):
        yield load(number, start + i * spread, f"BENCH{i % 20:03d}", f"{number}-load")
    for r in range(readings):
        for i, number in enumerate(numbers):
            at = start + (r + 1) * READING_INTERVAL + i * spread
            yield reading(number, at, in_band(i, r), f"{number}-{r}")


@dataclass(frozen=True, slots=True)
class Excursion:
    """The readings of one HIGH excursion of ``container``."""

    container: str
    prefix: list[Record]
    """An in-band reading, then six out of band from 5 minutes later."""
    completing: Record
    """The reading 30 minutes into the excursion: it shows HIGH."""
    settling: list[Record]
    """The readings after it up to one more than :data:`LATENESS` later (still out of
    band): the last one settles the completing reading, and the worker pages."""


def excursion(container: str, start: datetime) -> Excursion:
    """An excursion whose in-band reading is at ``start``."""
    prefix = [reading(container, start, SETPOINT_C, f"{container}-x0")]
    for n in range(1, EXCURSION_READINGS + 1):
        at = start + n * READING_INTERVAL
        prefix.append(reading(container, at, OUT_OF_BAND_C, f"{container}-x{n}"))
    last = EXCURSION_READINGS + 1
    completing = reading(
        container, start + last * READING_INTERVAL, OUT_OF_BAND_C, f"{container}-x{last}"
    )
    after = range(last + 1, last + 2 + LATENESS // READING_INTERVAL)
    settling = [
        reading(container, start + n * READING_INTERVAL, OUT_OF_BAND_C, f"{container}-x{n}")
        for n in after
    ]
    return Excursion(container, prefix, completing, settling)


def check_shapes(start: datetime) -> None:
    """Validate one record of each shape against the contract (raises InvalidEvent)."""
    number = container_number("BCHU", 0)
    shape = excursion(number, start)
    records = [load(number, start, "BENCH000", "e"), *shape.prefix, shape.completing]
    for record in [*records, *shape.settling]:
        parse_event(record.topic, record.value)
