"""The year-end projection, as tables of made-up years: exact where the year is regular,
unknown without data, certain once a target is reached, shaped by last year's season, and
wider the more the days vary."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, timedelta

import pytest

from lugang.reference import YearTarget
from streams.domain.counts import DayTotals
from streams.domain.projection import (
    DRIFT,
    MIN_DAYS,
    MeasureProjection,
    YearProjection,
    project_year,
    seasonal_index,
)

TARGET = YearTarget(
    trains=500,
    freight_10k_t=1000,
    teu_total=50_000,
    teu={"RAIL_SEA": 21_000, "LAOS": 4_000, "VIETNAM": 2_000, "OTHER": 23_000},
    reefer_teu=500,
)


def totals(day: date, runs: int, teu: float, reefer: float = 0.0) -> DayTotals:
    """One day: ``runs`` outbound rail-sea runs carrying ``teu`` laden rail-sea TEU, of which
    ``reefer`` refrigerated, at 10 t a TEU."""
    return DayTotals(
        day=day,
        runs={"HHW-QZH/OUTBOUND": runs} if runs else {},
        teu={"RAIL_SEA/OUTBOUND/LADEN": teu} if teu else {},
        reefer_teu={"OUTBOUND": reefer} if reefer else {},
        gross_weight_kg=teu * 10_000,
    )


def year(
    number: int, runs: Callable[[date], int], teu: Callable[[date], float] | None = None
) -> dict[date, DayTotals]:
    """A year of days: ``runs(day)`` runs and ``teu(day)`` TEU (default 50 a run), a tenth
    of them refrigerated."""
    first = date(number, 1, 1)
    days = {}
    for n in range((date(number + 1, 1, 1) - first).days):
        day = first + timedelta(n)
        load = teu(day) if teu else 50.0 * runs(day)
        days[day] = totals(day, runs(day), load, load / 10)
    return days


def steady(runs: int) -> Callable[[date], int]:
    return lambda _day: runs


def halves(first: int, second: int) -> Callable[[date], int]:
    """``first`` runs a day from January to June, ``second`` from July."""
    return lambda day: first if day.month <= 6 else second


def measure(projection: YearProjection | None, name: str) -> MeasureProjection:
    assert projection is not None
    found = projection.by_measure()[name]
    assert found is not None
    return found


MEASURES = ["train_runs", "teu", "teu:RAIL_SEA", "reefer_teu", "tonnage"]
YEAR_TOTALS = {  # 2 runs, 100 TEU (10 reefer), 1,000 t a day, over 365 days
    "train_runs": 730.0,
    "teu": 36_500.0,
    "teu:RAIL_SEA": 36_500.0,
    "reefer_teu": 3_650.0,
    "tonnage": 36.5,
}


@pytest.mark.parametrize("name", MEASURES)
@pytest.mark.parametrize("as_of", [date(2026, 1, 31), date(2026, 6, 30), date(2026, 9, 30)])
@pytest.mark.parametrize("previous", [None, year(2025, steady(1))])
def test_a_constant_rate_projects_exactly(
    name: str, as_of: date, previous: dict[date, DayTotals] | None
) -> None:
    """Every day alike: the projection is the rate times the year, inside its interval;
    a flat previous year gives no season."""
    found = measure(project_year(year(2026, steady(2)), as_of, TARGET, previous), name)
    assert found.projected == pytest.approx(YEAR_TOTALS[name], rel=1e-9)
    assert found.actual <= found.low < found.projected < found.high
    assert not found.seasonal


@pytest.mark.parametrize(
    ("runs_a_day", "as_of", "trains", "probability"),
    [
        (2, date(2026, 3, 31), 100, 1.0),  # reached already: 180 runs
        (2, date(2026, 3, 31), 180, 1.0),  # reached on the day
        (2, date(2026, 6, 30), 730, 0.5),  # exactly on pace: a coin toss
        (2, date(2026, 9, 30), 200, 1.0),  # reached
        (1, date(2026, 9, 30), 1000, 0.0),  # hopeless: 365 at best
    ],
)
def test_the_probability_of_the_target(
    runs_a_day: int, as_of: date, trains: int, probability: float
) -> None:
    target = TARGET.model_copy(update={"trains": trains})
    found = measure(project_year(year(2026, steady(runs_a_day)), as_of, target), "train_runs")
    assert found.yearly_target == trains
    assert found.probability == pytest.approx(probability, abs=1e-6)


def test_without_a_target_there_is_no_probability() -> None:
    projection = project_year(year(2026, steady(2)), date(2026, 5, 1), None)
    assert projection is not None
    assert projection.teu_by_category.keys() == {"RAIL_SEA"}
    found = measure(projection, "teu")
    assert (found.yearly_target, found.probability) == (None, None)


@pytest.mark.parametrize(
    ("days", "as_of"),
    [
        ({}, date(2026, 6, 30)),  # nothing at all
        (year(2025, steady(2)), date(2026, 6, 30)),  # only last year's days
        (year(2026, steady(2)), date(2026, 1, MIN_DAYS - 1)),  # too early
    ],
)
def test_no_data_yet_is_unknown(days: dict[date, DayTotals], as_of: date) -> None:
    assert project_year(days, as_of, TARGET) is None


def test_a_measure_with_nothing_counted_is_unknown() -> None:
    """No reefer so far: the reefer projection is unknown, not a zero year; the categories
    of the target without any TEU likewise."""
    days = year(2026, steady(2), lambda _day: 100.0)
    for day, day_totals in days.items():
        days[day] = day_totals.model_copy(update={"reefer_teu": {}})
    projection = project_year(days, date(2026, 6, 30), TARGET)
    assert projection is not None
    assert projection.reefer_teu is None
    assert projection.teu_by_category["LAOS"] is None
    assert projection.teu is not None


def test_later_days_are_ignored() -> None:
    """The days after the day asked about play no part (a backtest passes the whole year)."""
    whole = year(2026, halves(1, 5))
    as_of = date(2026, 4, 15)
    upto = {day: day_totals for day, day_totals in whole.items() if day <= as_of}
    assert project_year(whole, as_of, TARGET) == project_year(upto, as_of, TARGET)


@pytest.mark.parametrize("name", MEASURES)
@pytest.mark.parametrize(
    ("previous", "rise", "seasonal"),
    [
        (None, 1.0, False),  # no season: the pace of the first half, carried on
        (year(2025, halves(1, 3)), 3.0, True),  # last year tripled in July: so does this one
        (year(2025, halves(3, 1)), 1 / 3, True),  # last year fell to a third: likewise
        (year(2025, halves(2, 2)), 1.0, False),  # last year was flat: no season
    ],
)
def test_the_previous_year_s_season_scales_the_rest(
    name: str, previous: dict[date, DayTotals] | None, rise: float, seasonal: bool
) -> None:
    """From 30 June at 2 runs a day, the rest of the year runs as last year's second half
    ran against its first: 181 days at 2, then 184 days at 2 × last year's rise."""
    found = measure(project_year(year(2026, steady(2)), date(2026, 6, 30), TARGET, previous), name)
    runs = 181 * 2 + 184 * 2 * rise
    assert found.projected == pytest.approx(YEAR_TOTALS[name] / 730 * runs, rel=1e-9)
    assert found.seasonal is seasonal


def noisy(amplitude: float) -> Callable[[date], float]:
    """100 TEU a day give or take ``amplitude`` (the same draws for every amplitude)."""
    draws = random.Random(12)
    wobble = {date(2026, 1, 1) + timedelta(n): draws.uniform(-1, 1) for n in range(365)}
    return lambda day: 100 + amplitude * wobble.get(day, 0.0)


@pytest.mark.parametrize(("calm", "wild"), [(0, 50), (50, 100)])
@pytest.mark.parametrize("as_of", [date(2026, 3, 31), date(2026, 9, 30)])
def test_the_interval_widens_with_the_days_variance(calm: float, wild: float, as_of: date) -> None:
    """The same mean, more variable days: a wider interval (as a share of the projection,
    which the draws move a little)."""

    def width(amplitude: float) -> float:
        found = measure(project_year(year(2026, steady(2), noisy(amplitude)), as_of, None), "teu")
        return (found.high - found.low) / found.projected

    assert width(wild) > width(calm)


@pytest.mark.parametrize(
    ("as_of", "narrower_than"),
    [(date(2026, 3, 31), None), (date(2026, 6, 30), date(2026, 3, 31))],
)
def test_the_interval_narrows_as_the_year_goes(as_of: date, narrower_than: date | None) -> None:
    """At a steady rate only the rate's drift is uncertain: the less of the year is left,
    the narrower the interval, down to nothing on 31 December."""
    days = year(2026, steady(2))

    def width(day: date) -> float:
        found = measure(project_year(days, day, TARGET), "train_runs")
        return (found.high - found.low) / found.projected

    assert width(as_of) < 2 * 1.2816 * DRIFT
    if narrower_than is not None:
        assert width(as_of) < width(narrower_than)
    last = measure(project_year(days, date(2026, 12, 31), TARGET), "train_runs")
    assert last.low == last.projected == last.high == last.actual == 730


@pytest.mark.parametrize(
    ("daily", "expected"),
    [
        ([1.0] * 365, None),  # flat: no season
        ([0.0] * 31 + [1.0] * 334, None),  # a month with nothing: a service that started late
        ([1.0] * 364, None),  # not a whole year
        ([1.0] * 181 + [3.0] * 184, [365 / 733] * 6 + [3 * 365 / 733] * 6),  # a clear season
    ],
)
def test_seasonal_index(daily: list[float], expected: list[float] | None) -> None:
    index = seasonal_index(daily, 2025)
    if expected is None:
        assert index is None
    else:
        assert index == pytest.approx(expected, rel=1e-9)


def test_a_season_of_noise_takes_the_prior() -> None:
    """A measure of a train every few days has months that differ by chance alone: its
    season shrinks to the prior (the port's) rather than following the noise."""
    draws = random.Random(3)
    lumpy = [float(draws.random() < 0.2) for _ in range(365)]
    prior = [0.9] * 6 + [1.1] * 6
    assert seasonal_index(lumpy, 2025) is None
    assert seasonal_index(lumpy, 2025, prior) == prior
