"""The simulator's year-to-year variation (off by default) and a year's cargo without records."""

from __future__ import annotations

import calendar
from collections import Counter
from datetime import date, datetime

import pytest
from pydantic import ValidationError

from lugang.contract import ContainerEvent, parse_event
from lugang.reference import default_reference
from producers.schedule import Variation, year_schedule
from producers.simulator import SimulationConfig, simulate, year_cargo

REFERENCE = default_reference()
TZ = REFERENCE.home.tz
SEASON = (1.0, 0.5, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 2.0)
"""February at half an average month, December at double."""


def month_runs(variation: Variation, seed: int = 0) -> list[int]:
    slots = year_schedule(REFERENCE, 2026, seed, 1.0, variation)
    months = Counter(datetime.fromtimestamp(s.counted_ms / 1000, TZ).month for s in slots)
    return [months[m] for m in range(1, 13)]


@pytest.mark.parametrize("year", sorted(REFERENCE.targets))
@pytest.mark.parametrize("seed", [0, 7])
def test_no_variation_changes_nothing(year: int, seed: int) -> None:
    """The default variation is none: the timetable is the plan's, as without one."""
    plain = year_schedule(REFERENCE, year, seed, 1.0)
    assert year_schedule(REFERENCE, year, seed, 1.0, Variation()) == plain
    assert SimulationConfig(start=date(year, 1, 1), end=date(year, 1, 1)).variation == Variation()


@pytest.mark.parametrize(
    ("variation", "volume_changes"),
    [
        (Variation(seasonality=SEASON), False),
        (Variation(rate_spread=0.2), True),
        (Variation(drift=0.05), True),
    ],
)
def test_a_variation_is_deterministic_by_seed(variation: Variation, volume_changes: bool) -> None:
    """The same seed gives the same varied year; another seed another one (another volume,
    unless only the season varies). Runs stay in order, inside the year, to the minute."""
    slots = year_schedule(REFERENCE, 2026, 3, 1.0, variation)
    assert slots == year_schedule(REFERENCE, 2026, 3, 1.0, variation)
    assert slots != year_schedule(REFERENCE, 2026, 4, 1.0, variation)
    volumes = {len(year_schedule(REFERENCE, 2026, seed, 1.0, variation)) for seed in range(5)}
    assert (len(volumes) > 1) == volume_changes
    stamps = [s.counted_ms for s in slots]
    assert stamps == sorted(stamps)
    assert all(ms % 60_000 == 0 for ms in stamps)
    assert {datetime.fromtimestamp(ms / 1000, TZ).year for ms in stamps} == {2026}


def test_the_season_shapes_the_months() -> None:
    """Each month's runs follow its seasonal weight, and the year keeps the plan's volume."""
    runs = month_runs(Variation(seasonality=SEASON))
    assert sum(runs) == REFERENCE.target(2026).trains
    per_day = [n / calendar.monthrange(2026, m)[1] for m, n in enumerate(runs, 1)]
    assert per_day[1] == pytest.approx(per_day[0] / 2, rel=0.15)
    assert per_day[11] == pytest.approx(per_day[0] * 2, rel=0.1)


def test_a_season_needs_twelve_months() -> None:
    with pytest.raises(ValidationError, match="12 monthly values"):
        Variation(seasonality=(1.0, 2.0))


def test_year_cargo_is_what_simulate_loads_and_discharges() -> None:
    """A run's containers from :func:`year_cargo` are the ones its loads and discharges at
    the home location carry in the full simulation, with the same codes and weights."""
    config = SimulationConfig(
        start=date(2026, 3, 1),
        end=date(2026, 3, 3),
        seed=5,
        variation=Variation(seasonality=SEASON, drift=0.05),
        duplicate_rate=0,
        late_rate=0,
        malformed_rate=0,
    )
    moved: dict[str, set[tuple[str, str, bool, float | None]]] = {}
    for record in simulate(config, REFERENCE):
        event = parse_event(record.topic, record.value)
        if isinstance(event, ContainerEvent) and event.event_type in ("LOAD", "DISC"):
            box = (
                event.equipment_reference,
                event.iso_equipment_code,
                event.empty_indicator == "LADEN",
                event.gross_weight_kg,
            )
            moved.setdefault(str(event.train_id), set()).add(box)
    # Runs counted on 2 March: all their moves lie inside the window.
    checked = 0
    for slot, boxes in year_cargo(config, REFERENCE, 2026):
        if datetime.fromtimestamp(slot.counted_ms / 1000, TZ).date() != date(2026, 3, 2):
            continue
        train = f"X26{slot.index + 1:04d}"
        expected = {(b.number, b.code, b.laden, float(b.gross_weight_kg)) for b in boxes}
        assert moved[train] == expected
        checked += 1
    assert checked >= 1
