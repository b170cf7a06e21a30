"""Mean kinetic temperature and the cold-chain summary of a trip: tables of readings and the
figures they must give, the expected MKTs worked out by hand from the USP ⟨1079⟩ formula."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lugang.contract import ReeferReading
from lugang.reference import default_reference
from streams.domain.coldchain import ContainerState, Side, held_seconds, step
from streams.domain.journey import SafeBand, TripSummary, summarise_trip
from streams.domain.mkt import Sample, mean_kinetic_temperature_c, weighted_mkt_c

CST = timezone(timedelta(hours=8))
T0 = datetime(2026, 3, 15, 8, 0, tzinfo=CST)
REFERENCE = default_reference()
CITRUS = SafeBand(3.0, 9.0)  # the citrus band of the packaged reference
FROZEN = SafeBand(None, -15.0)


def at(minute: float) -> datetime:
    return T0 + timedelta(minutes=minute)


def samples(*rows: tuple[float, float]) -> list[Sample]:
    """(minute after T0, °C) rows as readings."""
    return [(at(minute), temperature) for minute, temperature in rows]


# --- the timing rule -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("minutes", "end", "held_min"),
    [
        pytest.param([], None, [], id="no-readings"),
        pytest.param([0], None, [0], id="last-weighs-nothing-without-end"),
        pytest.param([0], 20, [20], id="last-held-until-end"),
        pytest.param([0, 5, 30], None, [5, 25, 0], id="each-until-the-next"),
        pytest.param([0, 5, 30], 40, [5, 25, 10], id="with-end"),
        pytest.param([0, 5], 3, [5, 0], id="end-before-the-last"),
    ],
)
def test_held_seconds(minutes: list[int], end: int | None, held_min: list[int]) -> None:
    """Sample and hold: a reading stands until the next one, the last until the end."""
    ends = None if end is None else at(end)
    assert held_seconds([at(m) for m in minutes], ends) == [m * 60.0 for m in held_min]


# --- mean kinetic temperature ----------------------------------------------------------


@pytest.mark.parametrize("temperature_c", [-25.0, 0.0, 2.0, 13.5, 30.0])
@pytest.mark.parametrize("energy", [40.0, 83.144, 150.0])
def test_mkt_of_a_constant_temperature_is_that_temperature(
    temperature_c: float, energy: float
) -> None:
    readings = samples((0, temperature_c), (7, temperature_c), (30, temperature_c))
    mkt = mean_kinetic_temperature_c(readings, end=at(45), activation_energy_kj_mol=energy)
    assert mkt == pytest.approx(temperature_c, abs=1e-9)


# Worked by hand for ΔH = 83.144 kJ/mol:
#   ΔH/R = 83144 / 8.314462618 = 9999.9247 K
#   2 °C = 275.15 K: ΔH/(R·T) = 36.343539, e^-36.343539 = 1.6451355e-16
#   8 °C = 281.15 K: ΔH/(R·T) = 35.567934, e^-35.567934 = 3.5730777e-16
# Equal halves:  mean = (1.6451355e-16 + 3.5730777e-16) / 2 = 2.6091066e-16,
#   ln(mean) = -35.882354, MKT = 9999.9247 / 35.882354 = 278.68642 K = 5.536 °C
#   (the arithmetic mean is 5.0 °C).
# 30 min at 2 °C, 10 at 8 °C:  mean = (3 × 1.6451355e-16 + 3.5730777e-16) / 4
#   = 2.1271210e-16, ln(mean) = -36.086592, MKT = 277.10915 K = 3.959 °C (mean 3.5 °C).
@pytest.mark.parametrize(
    ("readings", "end", "expected_c"),
    [
        pytest.param(samples((0, 2.0), (30, 8.0)), at(60), 5.536, id="equal-halves"),
        pytest.param(samples((0, 8.0), (30, 2.0)), at(60), 5.536, id="order-does-not-matter"),
        pytest.param(
            samples((0, 2.0), (10, 2.0), (30, 8.0), (40, 8.0)), at(60), 5.536, id="halves-split"
        ),
        pytest.param(samples((0, 2.0), (30, 8.0)), at(40), 3.959, id="unequal-intervals"),
        pytest.param(samples((0, 2.0), (30, 8.0)), None, 2.0, id="last-weighs-nothing"),
    ],
)
def test_time_weighted_mkt_by_hand(
    readings: Sequence[Sample], end: datetime | None, expected_c: float
) -> None:
    assert mean_kinetic_temperature_c(readings, end=end) == pytest.approx(expected_c, abs=0.01)


def test_weights_in_any_unit() -> None:
    """The weighted form gives what the readings' held times give."""
    assert weighted_mkt_c([2.0, 8.0], [3, 1]) == pytest.approx(3.959, abs=0.01)
    assert weighted_mkt_c([2.0, 8.0, 30.0], [1, 1, 0]) == pytest.approx(5.536, abs=0.01)


@pytest.mark.parametrize(
    "energies",
    [
        pytest.param((20.0, 83.144, 150.0, 400.0), id="usual-range"),
        pytest.param((83.144, 83.2), id="small-step"),
    ],
)
def test_higher_activation_energy_moves_mkt_toward_the_maximum(
    energies: tuple[float, ...],
) -> None:
    """Between the time-weighted mean (5 °C) and the maximum (8 °C), rising with ΔH."""
    readings = samples((0, 2.0), (30, 8.0))
    mkts = [
        mean_kinetic_temperature_c(readings, end=at(60), activation_energy_kj_mol=energy)
        for energy in energies
    ]
    known = [mkt for mkt in mkts if mkt is not None]
    assert len(known) == len(mkts)
    assert all(5.0 < mkt < 8.0 for mkt in known)
    assert known == sorted(known)
    assert len(set(mkts)) == len(mkts)


def test_stable_where_the_plain_sum_underflows() -> None:
    """ΔH = 3000 kJ/mol: e^(-ΔH/RT) ≈ e^-1300 is 0.0 in floating point, yet the log-sum-exp
    form gives 8 - (281.15 K)² × ln 2 / (ΔH/R) ≈ 7.85 °C (by hand: 7.848)."""
    readings = samples((0, 2.0), (30, 8.0))
    mkt = mean_kinetic_temperature_c(readings, end=at(60), activation_energy_kj_mol=3000)
    assert mkt == pytest.approx(7.848, abs=0.01)


@given(
    temperatures=st.lists(st.floats(-40, 40), min_size=1, max_size=8),
    data=st.data(),
)
@settings(max_examples=200, deadline=None)
def test_mkt_lies_between_the_mean_and_the_maximum(
    temperatures: list[float], data: st.DataObject
) -> None:
    weights = data.draw(st.lists(st.integers(1, 120), min_size=len(temperatures)))
    weights = weights[: len(temperatures)]
    mkt = weighted_mkt_c(temperatures, weights)
    mean = sum(t * w for t, w in zip(temperatures, weights, strict=True)) / sum(weights)
    assert mkt is not None
    assert mean - 1e-9 <= mkt <= max(temperatures) + 1e-9


@pytest.mark.parametrize(
    ("readings", "end"),
    [
        pytest.param([], None, id="no-readings"),
        pytest.param([], at(30), id="no-readings-with-end"),
        pytest.param(samples((0, 5.0)), None, id="one-reading-no-end"),
        pytest.param(samples((0, 5.0)), at(0), id="end-at-the-reading"),
        pytest.param(samples((0, 5.0), (0, 6.0)), None, id="same-time"),
    ],
)
def test_mkt_of_no_time_is_none(readings: Sequence[Sample], end: datetime | None) -> None:
    assert mean_kinetic_temperature_c(readings, end=end) is None


@pytest.mark.parametrize(
    ("temperatures", "weights", "energy", "message"),
    [
        pytest.param([2.0], [1.0, 1.0], 83.144, "1 temperatures but 2 weights", id="lengths"),
        pytest.param([2.0, 8.0], [1.0, -1.0], 83.144, "negative", id="negative-weight"),
        pytest.param([2.0], [1.0], 0.0, "must be positive", id="zero-energy"),
        pytest.param([-273.15], [1.0], 83.144, "absolute zero", id="absolute-zero"),
    ],
)
def test_mkt_refuses_nonsense(
    temperatures: list[float], weights: list[float], energy: float, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        weighted_mkt_c(temperatures, weights, energy)


def test_readings_out_of_order_are_refused() -> None:
    """The series form wants time order (a negative hold): the summary sorts for itself."""
    with pytest.raises(ValueError, match="negative"):
        mean_kinetic_temperature_c(samples((30, 2.0), (0, 8.0)))


# --- the trip summary ------------------------------------------------------------------


def test_crossing_between_readings_changes_state_at_the_reading() -> None:
    """In band at 0, 11 °C at 10, back in band at 25, trip ends at 40: by sample and hold
    the 15 minutes 10–25 are above the band, whatever the air did between readings."""
    readings = samples((0, 5.0), (10, 11.0), (25, 6.0))
    summary = summarise_trip(readings, CITRUS, end=at(40))
    assert summary is not None
    assert replace(summary, mkt_c=None) == TripSummary(
        start=at(0),
        end=at(40),
        readings=3,
        band_low_c=3.0,
        band_high_c=9.0,
        activation_energy_kj_mol=83.144,
        in_band_s=25 * 60,
        above_band_s=15 * 60,
        below_band_s=0.0,
        min_c=5.0,
        max_c=11.0,
        mkt_c=None,
    )
    assert summary.out_of_band_s == 15 * 60
    assert summary.mkt_c == mean_kinetic_temperature_c(readings, end=at(40))


Row = tuple[float, float]


@pytest.mark.parametrize(
    ("band", "rows", "end", "times_min", "largest", "above_c", "below_c"),
    [
        pytest.param(
            CITRUS, [(0, 5.0), (10, 11.5), (20, 1.0), (30, 5.0)], 40,
            (20, 10, 10), ("HIGH", 2.5), 2.5, 2.0, id="above-beats-below",
        ),
        pytest.param(
            CITRUS, [(0, 5.0), (10, 10.0), (20, 0.5), (30, 5.0)], 40,
            (20, 10, 10), ("LOW", 2.5), 1.0, 2.5, id="below-beats-above",
        ),
        pytest.param(
            CITRUS, [(0, 3.0), (10, 9.0)], 40,
            (40, 0, 0), (None, 0.0), 0.0, 0.0, id="bounds-are-in-band",
        ),
        pytest.param(
            CITRUS, [(0, 1.0), (10, 2.0)], None,
            (0, 0, 10), ("LOW", 2.0), 0.0, 2.0, id="all-below-last-weighs-nothing",
        ),
        pytest.param(
            FROZEN, [(0, -30.0), (5, -12.0), (20, -60.0)], 30,
            (15, 15, 0), ("HIGH", 3.0), 3.0, 0.0, id="frozen-no-lower-bound",
        ),
        pytest.param(
            CITRUS, [(0, 9.5), (10, 2.5)], None,
            (0, 10, 0), ("HIGH", 0.5), 0.5, 0.5, id="tie-says-high",
        ),
    ],
)  # fmt: skip
def test_trip_times_and_deviations(
    band: SafeBand,
    rows: list[Row],
    end: int | None,
    times_min: tuple[int, int, int],
    largest: tuple[Side | None, float],
    above_c: float,
    below_c: float,
) -> None:
    """(in band, above, below) minutes, the largest deviation, and the largest each side."""
    summary = summarise_trip(samples(*rows), band, end=None if end is None else at(end))
    assert summary is not None
    in_s, above_s, below_s = (minutes * 60.0 for minutes in times_min)
    assert (summary.in_band_s, summary.above_band_s, summary.below_band_s) == (
        in_s,
        above_s,
        below_s,
    )
    assert summary.largest_deviation == pytest.approx(largest)
    assert (summary.above_band_c, summary.below_band_c) == pytest.approx((above_c, below_c))


def test_readings_in_any_order_and_after_the_end_left_out() -> None:
    """Readings are put in time order; one at or after the trip's end is of no judged trip."""
    readings = samples((25, 6.0), (0, 5.0), (40, 30.0), (10, 11.0), (50, -5.0))
    summary = summarise_trip(readings, CITRUS, end=at(40))
    assert summary is not None
    assert (summary.readings, summary.max_c, summary.min_c) == (3, 11.0, 5.0)
    assert (summary.in_band_s, summary.above_band_s) == (25 * 60, 15 * 60)


@pytest.mark.parametrize(
    ("rows", "end"),
    [
        pytest.param([], None, id="no-readings"),
        pytest.param([(0, 5.0)], 0, id="only-a-reading-at-the-end"),
    ],
)
def test_no_readings_no_summary(rows: list[Row], end: int | None) -> None:
    assert summarise_trip(samples(*rows), CITRUS, end=None if end is None else at(end)) is None


def test_one_reading_without_end_has_no_mkt() -> None:
    summary = summarise_trip(samples((0, 5.0)), CITRUS)
    assert summary is not None
    assert (summary.start, summary.end, summary.in_band_s, summary.mkt_c) == (at(0), at(0), 0, None)


def test_a_commodity_profile_brings_its_band_and_activation_energy() -> None:
    citrus = REFERENCE.commodity("citrus")
    readings = samples((0, 2.0), (30, 8.0))
    usual = summarise_trip(readings, citrus, end=at(60))
    steep = summarise_trip(
        readings, citrus.model_copy(update={"activation_energy_kj_mol": 150.0}), end=at(60)
    )
    assert usual is not None and steep is not None
    assert (usual.band_low_c, usual.band_high_c) == (citrus.band_low_c, citrus.band_high_c)
    assert usual.mkt_c == pytest.approx(5.536, abs=0.01)
    assert steep.activation_energy_kj_mol == 150.0
    assert steep.mkt_c is not None and usual.mkt_c is not None
    assert usual.mkt_c < steep.mkt_c < 8.0


@given(
    rows=st.lists(
        st.tuples(st.integers(1, 40), st.sampled_from([-1.0, 2.5, 3.0, 5.0, 9.0, 9.5, 14.0])),
        min_size=1,
        max_size=25,
    )
)
@settings(max_examples=100, deadline=None)
def test_out_of_band_time_and_peak_are_what_cumulative_counts(rows: list[Row]) -> None:
    """The state machine, fed the same readings (one trip, no end), sums the same
    out-of-band time for CUMULATIVE and records the same largest deviation."""
    minute, state = 0.0, ContainerState(equipment_reference="MSKU9070323")
    readings: list[Sample] = []
    for gap, temperature in rows:
        minute += gap
        readings.append((at(minute), temperature))
        reading = ReeferReading(
            event_id=f"r{minute}",
            equipment_reference="MSKU9070323",
            reading_time=at(minute),
            setpoint_c=6.0,
            supply_air_c=temperature,
            power_on=True,
            commodity="citrus",
            corridor="HHW-QZH",
        )
        state, _ = step(state, reading, REFERENCE.exception_rules, REFERENCE.commodities)
    summary = summarise_trip(readings, REFERENCE.commodity("citrus"))
    assert summary is not None
    assert summary.out_of_band_s == state.trip_out_of_band_s
    assert summary.largest_deviation[1] == state.trip_peak_deviation_c
