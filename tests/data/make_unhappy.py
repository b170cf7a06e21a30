"""Write ``unhappy.jsonl``: one small recording of each unhappy path of issue 9 (domain.md
§2, §4, §5), in the order a real feed could deliver them. Run from the project root:
``.venv/bin/python tests/data/make_unhappy.py``; ``unhappy.expected.json`` holds what the
monitor must make of it, checked by hand (see README.md beside it)."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from producers.records import Record, write_recording

DAY = datetime.fromisoformat("2026-03-20T00:00:00+08:00")
OUT = Path(__file__).with_name("unhappy.jsonl")
records: list[Record] = []


def at(hour: int, minute: int = 0, days: int = 0) -> datetime:
    return DAY + timedelta(days=days, hours=hour, minutes=minute)


def add(topic: str, key: str, value: dict[str, Any], when: datetime) -> None:
    records.append(Record.of_json(topic, key, value, int(when.timestamp() * 1000)))


def move(eid: str, box: str, kind: str, when: datetime, train: str | None = None) -> None:
    outbound = kind in ("LOAD", "GTIN")
    value: dict[str, Any] = {
        "event_id": eid, "event_type": kind, "equipment_reference": box,
        "iso_equipment_code": "45R1", "empty_indicator": "LADEN", "location": "HHW",
        "event_time": when.isoformat(), "gross_weight_kg": 26000, "commodity": "citrus",
    }  # fmt: skip
    if train is not None:
        direction = "OUTBOUND" if outbound else "INBOUND"
        value |= {"train_id": train, "corridor": "HHW-QZH", "direction": direction}
    add("containers", box, value, when)


def reading(box: str, when: datetime, supply: float, setpoint: float = 6.0, key: str = "") -> None:
    value = {
        "event_id": f"{box}-{when:%d%H%M}", "equipment_reference": box,
        "reading_time": when.isoformat(), "setpoint_c": setpoint, "supply_air_c": supply,
        "return_air_c": supply + 0.8, "humidity_pct": 90, "power_on": True,
        "commodity": "citrus", "corridor": "HHW-QZH",
    }  # fmt: skip
    add("reefer", key or box, value, when)


def train(eid: str, number: str, kind: str, when: datetime, location: str) -> None:
    value = {
        "event_id": eid, "event_type": kind, "train_id": number, "corridor": "HHW-QZH",
        "location": location, "direction": "OUTBOUND", "event_time": when.isoformat(),
        "wagons": 50,
    }  # fmt: skip
    add("trains", number, value, when)


def every_5(box: str, first: datetime, last: datetime, supply: float, **kw: Any) -> None:
    when = first
    while when <= last:
        reading(box, when, supply, **kw)
        when += timedelta(minutes=5)


# 1. Exceptions that end: TTNU1000003 is out of band (12 °C, citrus 3-9 °C) from 08:30 and
#    gates out at 09:20 still out of band: HIGH 08:30-09:20 closes at the gate out.
move("a-in", "TTNU1000003", "GTIN", at(8))
every_5("TTNU1000003", at(8, 5), at(8, 25), 6.0)
every_5("TTNU1000003", at(8, 30), at(9, 15), 12.0)
move("a-out", "TTNU1000003", "GTOT", at(9, 20))
# 3. A trip is dwell and journey: TTNU2000008 is out of band 50 min at the port (08:10-09:00)
#    and 25 min on train X7001 (09:30-09:55): 75 min, one CUMULATIVE from the reading at
#    which the trip passes 60 minutes (09:40), closed when X7001 arrives at Qinzhou.
move("b-in", "TTNU2000008", "GTIN", at(8))
every_5("TTNU2000008", at(8, 5), at(8, 5), 6.0)
every_5("TTNU2000008", at(8, 10), at(8, 55), 12.0)
every_5("TTNU2000008", at(9), at(9, 25), 6.0)
move("b-load", "TTNU2000008", "LOAD", at(9, 15), "X7001")
every_5("TTNU2000008", at(9, 30), at(9, 50), 12.0)
every_5("TTNU2000008", at(9, 55), at(11), 6.0)
# 6. Run identity and pairing: X7001 departs 10:00 and is corrected (new event id, 10:05,
#    the same run, counted once); it reaches Qinzhou the next day 16:00 (transit 30 h from
#    10:05, the latest departure before the arrival). X7002 arrives with no departure at all
#    (an orphan arrival: a finding, not an error).
train("x1-dep", "X7001", "DEPA", at(10), "HHW")
train("x1-dep-fix", "X7001", "DEPA", at(10, 5), "HHW")
train("x2-arr", "X7002", "ARRI", at(12), "CNQZH")
train("x1-arr", "X7001", "ARRI", at(16, days=1), "CNQZH")
# 2. Out of order within the lateness: TTNU3000002's setpoint is 12 °C (outside citrus'
#    band) from 08:10; its 08:15 reading comes before the 08:10 one. One SETPOINT_MISMATCH
#    from 08:10, closed at 08:40 when the setpoint is back.
move("c-in", "TTNU3000002", "GTIN", at(8))
every_5("TTNU3000002", at(8), at(8, 5), 6.0)
reading("TTNU3000002", at(8, 15), 6.0, setpoint=12.0)
reading("TTNU3000002", at(8, 10), 6.0, setpoint=12.0)
every_5("TTNU3000002", at(8, 20), at(8, 35), 6.0, setpoint=12.0)
every_5("TTNU3000002", at(8, 40), at(9, 30), 6.0)
move("c-out", "TTNU3000002", "GTOT", at(9, 35))
# 8. A reading keyed with another container's id: dead-lettered (reason key: ...).
reading("TTNU3000002", at(9, 32), 6.0, key="TTNU4000007")
# 5. One timing rule: TTNU4000007 is out of band 08:00-08:25 and in band at 08:30: a
#    30-minute excursion (sample and hold), HIGH 08:00-08:30.
move("d-in", "TTNU4000007", "GTIN", at(7, 55))
every_5("TTNU4000007", at(8), at(8, 25), 12.0)
every_5("TTNU4000007", at(8, 30), at(9, 30), 6.0)
move("d-out", "TTNU4000007", "GTOT", at(9, 35))
# 4. Absence: TTNU5000001 gates out at 08:35 and comes back three days later: no gap.
move("e-in", "TTNU5000001", "GTIN", at(8))
every_5("TTNU5000001", at(8, 5), at(8, 30), 6.0)
move("e-out", "TTNU5000001", "GTOT", at(8, 35))
move("e-back", "TTNU5000001", "GTIN", at(8, days=3))
every_5("TTNU5000001", at(8, 5, days=3), at(9, days=3), 6.0)
move("e-out-2", "TTNU5000001", "GTOT", at(9, 5, days=3))
# 7. A duplicate long after: TTNU1000003's 08:40 reading again, at the end of the feed.
reading("TTNU1000003", at(8, 40), 12.0)
# The feed goes on: one unit on each of the four partitions reports an hour after the
# last event and gates out, so every partition's event time is past the silences above
# (a live monitor sees other units report; without them a partition's event time would
# only go on with the wall clock, 30 minutes after the replay).
for box, hour in (("TTNU6000032", 0), ("TTNU6000006", 1), ("TTNU6000011", 2), ("TTNU6000053", 3)):
    move(f"f{hour}-in", box, "GTIN", at(10, days=3))
    reading(box, at(10, 5, days=3), 6.0)
    move(f"f{hour}-out", box, "GTOT", at(10, 10, days=3))

with OUT.open("wb") as out:
    write_recording(records, out)
print(f"{OUT}: {len(records)} records")
