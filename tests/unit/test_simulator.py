"""The simulator: reproducible streams, valid events, the plan's volumes, injected faults."""

from __future__ import annotations

import calendar
import hashlib
import os
import random
import statistics
import subprocess
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from itertools import pairwise
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from lugang.contract import (
    ContainerEvent,
    InvalidEvent,
    ReeferReading,
    TrainEvent,
    parse_event,
    size_type,
)
from lugang.reference import default_reference
from producers.malformed import FAULTS
from producers.records import Record
from producers.schedule import _LOAD_WOBBLE, year_schedule
from producers.simulator import SimulationConfig, SimulationSummary, simulate

REFERENCE = default_reference()
TZ = REFERENCE.home.tz
HOME = REFERENCE.home.location
ROOT = Path(__file__).resolve().parents[2]

FAULTY = SimulationConfig(
    start=date(2026, 5, 1),
    end=date(2026, 5, 3),
    seed=7,
    excursion_rate=0.5,
    power_off_rate=0.5,
    gap_rate=0.5,
    wrong_setpoint_rate=0.2,
    duplicate_rate=0.05,
    out_of_order_rate=0.05,
    late_rate=0.02,
    malformed_rate=0.05,
)
"""A short window with every fault frequent."""


def days(start: date, end: date, **changes: object) -> SimulationConfig:
    return SimulationConfig.model_validate({"start": start, "end": end, **changes})


def parsed(
    records: list[Record],
) -> list[tuple[Record, TrainEvent | ContainerEvent | ReeferReading]]:
    """The records that validate, with their events."""
    good = []
    for record in records:
        try:
            good.append((record, parse_event(record.topic, record.value)))
        except InvalidEvent:
            continue
    return good


def test_same_seed_gives_the_same_bytes() -> None:
    """Two simulations of one configuration yield identical records."""
    assert list(simulate(FAULTY, REFERENCE)) == list(simulate(FAULTY, REFERENCE))


def test_stream_does_not_depend_on_the_hash_seed() -> None:
    """Processes with different PYTHONHASHSEED produce the same stream (no set-order bugs)."""
    script = (
        "import hashlib\n"
        "from lugang.reference import load_reference\n"
        "from producers.simulator import SimulationConfig, simulate\n"
        f"config = SimulationConfig.model_validate_json({FAULTY.model_dump_json()!r})\n"
        "digest = hashlib.sha256()\n"
        "for record in simulate(config, load_reference()):\n"
        "    digest.update(record.to_line())\n"
        "print(digest.hexdigest())\n"
    )
    expected = hashlib.sha256(
        b"".join(r.to_line() for r in simulate(FAULTY, REFERENCE))
    ).hexdigest()
    for hash_seed in ("1", "2"):
        result = subprocess.run(
            [sys.executable, "-c", script],
            cwd=ROOT,
            env={**os.environ, "PYTHONHASHSEED": hash_seed},
            capture_output=True,
            text=True,
            check=True,
        )
        assert result.stdout.strip() == expected


def test_other_seed_gives_another_stream() -> None:
    """A different seed changes the records."""
    other = FAULTY.model_copy(update={"seed": 8})
    assert list(simulate(FAULTY, REFERENCE))[:100] != list(simulate(other, REFERENCE))[:100]


@pytest.mark.parametrize(
    ("start", "split", "end"),
    [
        (date(2026, 1, 30), date(2026, 2, 1), date(2026, 2, 3)),
        (date(2025, 12, 30), date(2025, 12, 31), date(2026, 1, 2)),
    ],
)
def test_windows_compose(start: date, split: date, end: date) -> None:
    """Simulating two windows one after the other gives the records of one joint window,
    across a month's and a year's end."""
    first = list(simulate(days(start, split, late_rate=0.05), REFERENCE))
    second = list(simulate(days(split + timedelta(days=1), end, late_rate=0.05), REFERENCE))
    assert first + second == list(simulate(days(start, end, late_rate=0.05), REFERENCE))


def test_records_are_in_emission_order_inside_the_window() -> None:
    """Timestamps never decrease and fall on the window's local days; none precedes the
    event time it carries."""
    records = list(simulate(FAULTY, REFERENCE))
    stamps = [r.timestamp_ms for r in records]
    assert stamps == sorted(stamps)
    first = datetime.fromtimestamp(stamps[0] / 1000, TZ).date()
    last = datetime.fromtimestamp(stamps[-1] / 1000, TZ).date()
    assert (first, last) == (FAULTY.start, FAULTY.end)
    for record, event in parsed(records):
        assert record.timestamp_ms >= event.occurred_at.timestamp() * 1000
        assert record.key == event.entity_key


def test_good_records_validate_and_malformed_ones_fail() -> None:
    """Exactly the injected malformed records fail validation, and the corpus is varied."""
    summary = SimulationSummary()
    records = list(simulate(FAULTY, REFERENCE, summary=summary))
    failures = len(records) - len(parsed(records))
    assert failures == summary.injected_total("malformed") > 0
    assert {f"malformed:{name}" for name in FAULTS} <= set(summary.injected)
    clean = FAULTY.model_copy(update={"malformed_rate": 0.0})
    clean_records = list(simulate(clean, REFERENCE))
    assert len(parsed(clean_records)) == len(clean_records)


def test_every_fault_breaks_every_event_it_applies_to() -> None:
    """Each fault of the corpus makes any event of any topic fail validation."""
    samples: dict[str, list[dict[str, object]]] = defaultdict(list)
    for record, event in parsed(
        list(simulate(days(date(2026, 6, 1), date(2026, 6, 1)), REFERENCE))
    ):
        if len(samples[record.topic]) < 40 or isinstance(event, ContainerEvent):
            samples[record.topic].append(event.model_dump(mode="json", exclude_none=True))
    rng = random.Random(0)
    applied: Counter[str] = Counter()
    for topic, values in samples.items():
        for value in values:
            for name, fault in FAULTS.items():
                raw = fault(topic, value, rng, REFERENCE)
                if raw is None:
                    continue
                with pytest.raises(InvalidEvent):
                    parse_event(topic, raw)
                applied[name] += 1
    assert set(applied) == set(FAULTS)


@dataclass
class YearTally:
    """Counts of a simulated year, by the counting rules of domain §2."""

    seconds: float = 0.0
    records: Counter[str] = field(default_factory=Counter)
    runs: Counter[int] = field(default_factory=Counter)
    teu: defaultdict[int, float] = field(default_factory=lambda: defaultdict(float))
    teu_by_category: defaultdict[str, float] = field(default_factory=lambda: defaultdict(float))
    reefer_teu: float = 0.0
    empty_teu: float = 0.0
    transit_h: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))


@pytest.fixture(scope="module")
def year_2026() -> YearTally:
    """A full year at scale 1 with default rates (trains and containers parsed)."""
    tally = YearTally()
    began = time.perf_counter()
    records = list(simulate(days(date(2026, 1, 1), date(2026, 12, 31)), REFERENCE))
    tally.seconds = time.perf_counter() - began
    seen: set[str] = set()
    departures: dict[str, datetime] = {}
    for record in records:
        tally.records[record.topic] += 1
        if record.topic == "reefer":
            continue
        try:
            event = parse_event(record.topic, record.value)
        except InvalidEvent:
            continue
        if event.event_id in seen:
            continue
        seen.add(event.event_id)
        month = event.occurred_at.astimezone(TZ).month
        if isinstance(event, TrainEvent):
            counted = "DEPA" if event.direction == "OUTBOUND" else "ARRI"
            if event.location == HOME and event.event_type == counted:
                tally.runs[month] += 1
            if event.direction == "OUTBOUND" and event.event_type == "DEPA":
                departures[event.train_id] = event.event_time
            elif event.direction == "OUTBOUND" and event.train_id in departures:
                hours = (event.event_time - departures[event.train_id]) / timedelta(hours=1)
                tally.transit_h[REFERENCE.corridor(event.corridor).service_group].append(hours)
        elif isinstance(event, ContainerEvent) and event.event_type in ("LOAD", "DISC"):
            assert event.location == HOME and event.corridor is not None
            box = size_type(event.iso_equipment_code)
            tally.teu[month] += box.teu
            tally.teu_by_category[REFERENCE.corridor(event.corridor).teu_category] += box.teu
            tally.reefer_teu += box.teu if box.is_reefer else 0
            tally.empty_teu += box.teu if event.empty_indicator == "EMPTY" else 0
    return tally


def test_a_year_generates_quickly(year_2026: YearTally) -> None:
    """A full year at scale 1 takes seconds, with hundreds of thousands of readings."""
    assert year_2026.seconds < 20
    assert year_2026.records["reefer"] > 100_000


@pytest.mark.parametrize("month", range(1, 13))
def test_monthly_runs_and_teu_follow_the_pro_rata_target(year_2026: YearTally, month: int) -> None:
    """Each month's train runs and TEU are within 5 % of target × days in month ÷ 365."""
    target = REFERENCE.target(2026)
    share = calendar.monthrange(2026, month)[1] / 365
    assert year_2026.runs[month] == pytest.approx(target.trains * share, rel=0.05)
    assert year_2026.teu[month] == pytest.approx(target.teu_total * share, rel=0.05)


def test_teu_split_reefers_and_empties_follow_the_plan(year_2026: YearTally) -> None:
    """Corridor categories near the plan's split, reefer TEU near target, some empties."""
    target = REFERENCE.target(2026)
    for category, teu in target.teu.items():
        assert year_2026.teu_by_category[category] == pytest.approx(teu, rel=0.05)
    assert year_2026.reefer_teu == pytest.approx(target.reefer_teu, rel=0.05)
    assert 0.15 <= year_2026.empty_teu / sum(year_2026.teu.values()) <= 0.25


def test_transit_times_are_near_the_benchmarks(year_2026: YearTally) -> None:
    """Median outbound transit is near 30 h rail-sea and 72 h cross-border, with spread."""
    for group, benchmark in (("RAIL_SEA", 30), ("CROSS_BORDER", 72)):
        hours = year_2026.transit_h[group]
        assert statistics.median(hours) == pytest.approx(benchmark, rel=0.05)
        assert min(hours) < benchmark < max(hours)


def test_injected_faults_follow_their_rates() -> None:
    """Trip faults per reefer trip and record faults per record are near their rates."""
    config = days(
        date(2026, 7, 1),
        date(2026, 8, 9),
        scale=5,
        excursion_rate=0.4,
        power_off_rate=0.3,
        gap_rate=0.2,
        wrong_setpoint_rate=0.1,
        duplicate_rate=0.01,
        out_of_order_rate=0.01,
        late_rate=0.002,
        malformed_rate=0.005,
    )
    summary = SimulationSummary()
    for _ in simulate(config, REFERENCE, summary=summary):
        pass
    trips = summary.reefer_trips
    assert trips > 150
    for kind in ("excursion", "power_off", "gap", "wrong_setpoint"):
        rate = getattr(config, f"{kind}_rate")
        assert summary.injected_total(kind) / trips == pytest.approx(rate, abs=0.1)
    assert summary.injected["excursion:long"] and summary.injected["excursion:short"]
    records = sum(summary.records.values())
    per_kind = {
        "duplicate": records,
        "out_of_order": summary.records["reefer"],
        "late": records,
        "malformed": records,
    }
    for kind, total in per_kind.items():
        rate = getattr(config, f"{kind}_rate")
        assert summary.injected_total(kind) / total == pytest.approx(rate, rel=0.2)


def test_excursions_vary_in_length_and_direction() -> None:
    """Readings show supply-air excursions shorter and longer than 30 min, HIGH and LOW."""
    config = days(date(2026, 8, 1), date(2026, 8, 10), scale=5, excursion_rate=1.0)
    records = parsed(list(simulate(config, REFERENCE)))
    commodity: dict[str, str] = {}
    readings: dict[str, dict[str, ReeferReading]] = defaultdict(dict)
    for _, event in records:
        if isinstance(event, ContainerEvent) and event.commodity:
            commodity[event.equipment_reference] = event.commodity
        elif isinstance(event, ReeferReading):
            readings[event.equipment_reference][event.event_id] = event
    excursions: list[tuple[str, float]] = []
    for number, by_id in readings.items():
        series = sorted(by_id.values(), key=lambda r: r.reading_time)
        profile = REFERENCE.commodity(series[0].commodity or commodity[number])
        started: ReeferReading | None = None
        for reading in series:
            if started is None and not profile.in_band(reading.supply_air_c):
                started = reading
            elif started is not None and profile.in_band(reading.supply_air_c):
                kind = "HIGH" if started.supply_air_c > profile.band_high_c else "LOW"
                minutes = (reading.reading_time - started.reading_time) / timedelta(minutes=1)
                excursions.append((kind, minutes))
                started = None
    assert {kind for kind, _ in excursions} == {"HIGH", "LOW"}
    assert any(minutes < 30 for _, minutes in excursions)
    assert any(minutes >= 30 for _, minutes in excursions)
    cadence = Counter(
        (b.reading_time - a.reading_time) / timedelta(minutes=1)
        for by_id in readings.values()
        for a, b in pairwise(sorted(by_id.values(), key=lambda r: r.reading_time))
    )
    assert cadence.most_common(1)[0][0] == 5


def test_some_readings_leave_the_commodity_out() -> None:
    """Some readings omit the commodity (the contract allows it); most carry it."""
    readings = [
        e for _, e in parsed(list(simulate(FAULTY, REFERENCE))) if isinstance(e, ReeferReading)
    ]
    missing = sum(r.commodity is None for r in readings)
    assert 0 < missing < len(readings) / 2


@settings(max_examples=30, deadline=None)
@given(
    year=st.sampled_from(sorted(REFERENCE.targets)),
    seed=st.integers(),
    scale=st.floats(min_value=0.05, max_value=3),
)
def test_schedule_meets_the_targets_exactly(year: int, seed: int, scale: float) -> None:
    """A year's timetable has the scaled number of runs, TEU and reefer TEU, counted in
    order inside the year, and its running TEU total keeps close to its target curve."""
    target = REFERENCE.target(year)
    slots = year_schedule(REFERENCE, year, seed, scale)
    runs = len(slots)
    assert runs == round(target.trains * scale)
    total = round(target.teu_total * scale)
    assert sum(s.teu for s in slots) == total
    assert sum(s.reefer_teu for s in slots) == round(target.reefer_teu * scale)
    stamps = [s.counted_ms for s in slots]
    assert stamps == sorted(stamps)
    years = {datetime.fromtimestamp(ms / 1000, TZ).year for ms in stamps}
    assert years <= {year}
    # Each run's TEU follows its category's share of the target (categories differ in TEU
    # per run), bent by at most the load wobble: the running total keeps to that curve.
    category_runs = Counter(s.line.teu_category for s in slots)
    weights = [target.teu[s.line.teu_category] / category_runs[s.line.teu_category] for s in slots]
    running, curve = 0, 0.0
    for slot, weight in zip(slots, weights, strict=True):
        running += slot.teu
        curve += total * weight / sum(weights)
        assert abs(running - curve) <= _LOAD_WOBBLE * total / runs + 1


def test_collecting_corridors_run_inbound_only() -> None:
    """Trains of corridors that end at the home location only come in."""
    slots = year_schedule(REFERENCE, 2026, 0, 1.0)
    directions: dict[str, set[str]] = defaultdict(set)
    for slot in slots:
        directions[slot.line.corridor].add(slot.line.direction)
    assert directions["WUH-HHW"] == directions["KHN-HHW"] == {"INBOUND"}
    assert directions["HHW-QZH"] == {"INBOUND", "OUTBOUND"}


def test_config_checks_its_values() -> None:
    """The window must be ordered, rates are shares, and the plan must cover the years."""
    with pytest.raises(ValidationError, match="before start"):
        days(date(2026, 2, 1), date(2026, 1, 31))
    with pytest.raises(ValidationError):
        days(date(2026, 1, 1), date(2026, 1, 2), gap_rate=1.5)
    with pytest.raises(ValueError, match="no targets for 2030"):
        simulate(days(date(2030, 1, 1), date(2030, 1, 2)), REFERENCE)
