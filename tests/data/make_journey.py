"""Write ``journey.jsonl``: one durian reefer's whole journey (issue 13), for ``lugang
trace``. Run from the project root: ``.venv/bin/python tests/data/make_journey.py``;
``journey.expected.json`` holds what the trace must show, worked out by hand (see
README.md beside it).

DURU2026030, durian (band 12-16 °C), 28 t: gate in at Huaihua 2026-03-20 06:00, loaded on
X9101 (HHW-QZH, benchmark 30 h) at 08:00, X9101 departs 09:00; readings every 5 min from
06:00 to 08:55 the next day; supply air 17.0-18.1 °C from 12:00 to 12:40 (a 45-minute
HIGH excursion, 12:00 to the in-band reading at 12:45); no reading from 14:55 to 15:45
(a 50-minute TELEMETRY_GAP); X9101 arrives at Qinzhou (CNQZH) 2026-03-21 09:00 (24 h),
which ends the trip; the box is discharged there at 10:00.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from producers.records import Record, write_recording

BOX = "DURU2026030"
TRAIN = "X9101"
DAY = datetime.fromisoformat("2026-03-20T00:00:00+08:00")
OUT = Path(__file__).with_name("journey.jsonl")
EXCURSION = {0: 17.0, 5: 17.6, 10: 18.1, 15: 17.9, 20: 17.4, 25: 17.2, 30: 17.0, 35: 16.8, 40: 16.4}
"""Supply air of the readings from 12:00 on (minute: °C): out of band above 16 °C."""
SETPOINT = 14.0


def at(hour: int, minute: int = 0, days: int = 0) -> datetime:
    return DAY + timedelta(days=days, hours=hour, minutes=minute)


def record(topic: str, key: str, value: dict[str, Any], when: datetime) -> Record:
    return Record.of_json(topic, key, value, int(when.timestamp() * 1000))


def move(kind: str, when: datetime, location: str = "HHW", train: bool = False) -> Record:
    value: dict[str, Any] = {
        "event_id": f"journey-{kind.lower()}", "event_type": kind, "equipment_reference": BOX,
        "iso_equipment_code": "45R1", "empty_indicator": "LADEN", "location": location,
        "event_time": when.isoformat(), "gross_weight_kg": 28000, "commodity": "durian",
    }  # fmt: skip
    if train:
        value |= {"train_id": TRAIN, "corridor": "HHW-QZH", "direction": "OUTBOUND"}
    return record("containers", BOX, value, when)


def train(kind: str, when: datetime, location: str) -> Record:
    value = {
        "event_id": f"journey-{kind.lower()}", "event_type": kind, "train_id": TRAIN,
        "corridor": "HHW-QZH", "location": location, "direction": "OUTBOUND",
        "event_time": when.isoformat(), "wagons": 50,
    }  # fmt: skip
    return record("trains", TRAIN, value, when)


def supply_at(when: datetime) -> float:
    """In band around the setpoint (a small saw of ±0.3 °C), the excursion from 12:00."""
    minutes = int((when - at(12)).total_seconds() // 60)
    if minutes in EXCURSION:
        return EXCURSION[minutes]
    return round(SETPOINT + (-0.3, 0.0, 0.3)[(when.minute // 5) % 3], 1)


def reading(when: datetime) -> Record:
    supply = supply_at(when)
    value = {
        "event_id": f"journey-r-{when:%d%H%M}", "equipment_reference": BOX,
        "reading_time": when.isoformat(), "setpoint_c": SETPOINT, "supply_air_c": supply,
        "return_air_c": round(supply + 0.8, 1), "humidity_pct": 90, "power_on": True,
        "commodity": "durian", "corridor": "HHW-QZH",
    }  # fmt: skip
    return record("reefer", BOX, value, when)


def journey() -> list[Record]:
    """The records in event-time order (a move before the reading of its minute)."""
    readings = []
    when = at(6)
    while when < at(9, days=1):
        if not at(14, 55) < when < at(15, 45):
            readings.append(reading(when))
        when += timedelta(minutes=5)
    events = [
        move("GTIN", at(6)),
        move("LOAD", at(8), train=True),
        train("DEPA", at(9), "HHW"),
        train("ARRI", at(9, days=1), "CNQZH"),
        move("DISC", at(10, days=1), "CNQZH", train=True),
    ]
    return sorted([*events, *readings], key=lambda r: (r.timestamp_ms, r.topic != "containers"))


if __name__ == "__main__":
    with OUT.open("wb") as out:
        print(f"{OUT}: {write_recording(journey(), out)} records")
