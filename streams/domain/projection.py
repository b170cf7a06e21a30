"""Year-end projection: where each yearly figure is heading, and the chance of its target.

The plan is evaluated once a year (一年一评价), so the question is not only the pace so far
but "will we make the year?". For train runs, TEU (total and per category), reefer TEU and
tonnage, :func:`project_year` gives the projected year-end total, an 80 % interval and the
probability of reaching the year's target, from the days of the year so far and, where
they exist, the previous year's days.

Method, per measure:

1. **Season.** With a previous year, a month's *seasonal index* is that year's daily mean
   of the measure in the month over its daily mean in the year (1 is an average month),
   shrunk by the share of its spread that the weeks' noise alone would make
   (:func:`seasonal_index`): the TEU total's towards 1, giving the port's season, and
   every other measure's towards the port's season, so a measure of a few trains a month
   takes the port's season and a large one keeps its own. Each day of this year weighs
   its month's index: its *exposure*. Without a previous year, or where it gives no
   season (the TEU total in a month with none, or nothing but noise), every day weighs 1.
2. **Rate.** The rate per unit of exposure is the year-to-date pace (total ÷ exposure so
   far) blended half and half with the recent trend (the last :data:`TREND_DAYS` days'
   total ÷ their exposure): the pace alone is slow to see a change of rate, the recent
   days alone are noisy.
3. **Projection.** The year-to-date total plus the rate times the exposure left.
4. **Interval.** The rest of the year's total is taken as normal, with the variance of
   - the days' own variability: ``v``, the variance of a block's total around the pace per
     unit of exposure, over the whole blocks of :data:`BLOCK_DAYS` days so far (of a week
     until there are two), times the exposure left. This is the over-dispersion: for
     Poisson counts ``v`` is the rate, lumpy trains make it larger; blocks of four weeks,
     not days, because a timetable makes days and weeks lumpy but months even;
   - the blended rate's standard error, from the same ``v``;
   - the rate's drift: the rate's logarithm is taken as a random walk of :data:`DRIFT` a
     year. The blended rate lags the current one (by the age of the days it weighs) and
     the rest of the year wanders from it (its mean by a third of the time left); a
     previous year's season carries that year's wander too, so it adds a second walk;
   - without a season: the spread of this year's whole months so far around the pace
     (beyond what ``v`` explains), as the rest of the year may stray as far.

   The interval is the central :data:`INTERVAL` of that normal (never below the
   year-to-date total); the probability is that of year-to-date plus rest reaching the
   target, and 1 once the target is reached.

:data:`DRIFT` is the one calibrated constant: on the backtest of simulated years
(``bench/projection.py``, the README's *Year-end projection*) the 80 % interval holds the
actual total in about 80 % of the backtests with it. It equals the walk the simulator
draws (3 % a month), so there the coverage comes from the interval's model rather than
from a tuned width; a real port's rate need not wander so. Set it from the port's own
years when there are a few: the spread of their month-to-month changes of rate beyond the
season, times the square root of 12.

A measure is unknown (``None``) until :data:`MIN_DAYS` days of the year have passed and
something of it has been counted: a zero rate would promise a zero year.
"""

from __future__ import annotations

import calendar
import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, timedelta
from statistics import NormalDist
from typing import Final

from pydantic import BaseModel

from lugang.reference import YearTarget
from streams.domain.counts import DayTotals
from streams.domain.status import TONNES_PER_UNIT, period

INTERVAL: Final = 0.80
"""Probability that the interval holds the year-end total."""
TREND_DAYS: Final = 28
"""Days of the recent trend (four whole weeks, so weekdays weigh alike)."""
TREND_WEIGHT: Final = 0.5
"""Weight of the recent trend in the rate; the year-to-date pace has the rest."""
DRIFT: Final = 0.10
"""How far the rate wanders: the standard deviation, over a year, of a random walk of the
rate's logarithm (calibrated on the backtest, see the module's docstring)."""
MIN_DAYS: Final = 14
"""Days of the year that must have passed before anything is projected (two weeks, the
least that measures a week's variability)."""
BLOCK_DAYS: Final = 28
"""Days of the blocks whose totals measure the variability (weeks until there are two)."""

_Z: Final = NormalDist().inv_cdf(0.5 + INTERVAL / 2)


class MeasureProjection(BaseModel):
    """One measure's year-end projection."""

    actual: float
    """Year to date (the day asked about included)."""
    projected: float
    low: float
    high: float
    """The interval holding the year-end total with probability :data:`INTERVAL`."""
    yearly_target: float | None
    probability: float | None
    """Of reaching ``yearly_target`` by the year's end (None without a target)."""
    seasonal: bool
    """Whether the previous year's season shaped the projection."""


class YearProjection(BaseModel):
    """Year-end projections as of one local day; a measure is None while unknown."""

    as_of: date
    interval: float = INTERVAL
    train_runs: MeasureProjection | None
    teu: MeasureProjection | None
    teu_by_category: dict[str, MeasureProjection | None]
    reefer_teu: MeasureProjection | None
    tonnage: MeasureProjection | None
    """Gross weight of the counted container moves, in 10⁴ t (万吨), as ``/status``'s
    ``tonnage_ytd``."""

    def by_measure(self) -> dict[str, MeasureProjection | None]:
        """Every measure by the name :func:`daily_measures` gives it."""
        return {
            "train_runs": self.train_runs,
            "teu": self.teu,
            **{f"teu:{c}": p for c, p in self.teu_by_category.items()},
            "reefer_teu": self.reefer_teu,
            "tonnage": self.tonnage,
        }


def _dates(start: date, end: date) -> list[date]:
    return [start + timedelta(n) for n in range((end - start).days + 1)]


def daily_measures(
    days: Mapping[date, DayTotals], start: date, end: date, categories: Iterable[str]
) -> dict[str, list[float]]:
    """Each day's figure of every measure from ``start`` to ``end`` inclusive (a day absent
    from ``days`` counts nothing): ``train_runs``, ``teu``, ``teu:CATEGORY`` for each of
    ``categories``, ``reefer_teu`` and ``tonnage`` (10⁴ t), as :func:`period` sums them."""
    names = ["train_runs", "teu", *(f"teu:{c}" for c in categories), "reefer_teu", "tonnage"]
    series: dict[str, list[float]] = {name: [] for name in names}
    for day in _dates(start, end):
        figures = period(days, day, day)
        series["train_runs"].append(float(figures.train_runs))
        series["teu"].append(figures.teu)
        for category in categories:
            series[f"teu:{category}"].append(figures.teu_by_category.get(category, 0.0))
        series["reefer_teu"].append(figures.reefer_teu)
        series["tonnage"].append(figures.gross_weight_t / TONNES_PER_UNIT)
    return series


def seasonal_index(
    daily: Sequence[float], year: int, prior: Sequence[float] | None = None
) -> list[float] | None:
    """A measure's season from one year of its days (``daily``, the year's days in order):
    each month's daily mean over the year's, shrunk towards ``prior`` (another season, by
    default none: every month 1) by the share of its distance from it that the weeks' own
    noise would make by itself (James–Stein: a measure of a few trains a month has a
    season of noise and takes the prior's, a large one keeps its own). ``prior`` where a
    month has nothing (a service that started during the year) or ``daily`` does not hold
    the year's days; None where that leaves no season."""
    fallback = list(prior) if prior else None
    if len(daily) != 365 + calendar.isleap(year) or math.fsum(daily) <= 0:
        return fallback
    mean = math.fsum(daily) / len(daily)
    lengths = [calendar.monthrange(year, month)[1] for month in range(1, 13)]
    raw, expected, first = [], [], 0
    for length in lengths:
        total = math.fsum(daily[first : first + length])
        if total <= 0:
            return fallback
        raw.append(total / length / mean)
        expected += [total / length] * length
        first += length
    weeks = len(daily) // 7
    week_noise = math.fsum(
        (math.fsum(daily[k : k + 7]) - math.fsum(expected[k : k + 7])) ** 2
        for k in range(0, 7 * weeks, 7)
    ) / ((7 * mean) ** 2 * (weeks - len(lengths)))
    noise = math.fsum(week_noise * 7 / length for length in lengths) / len(lengths)
    towards = list(prior) if prior else [1.0] * len(raw)
    spread = math.fsum((r - t) ** 2 for r, t in zip(raw, towards, strict=True)) / len(raw)
    keep = 1 - noise / spread if spread > 0 else 0.0
    if keep <= 0:
        return fallback
    return [t + keep * (r - t) for r, t in zip(raw, towards, strict=True)]


def project_year(
    days: Mapping[date, DayTotals],
    as_of: date,
    target: YearTarget | None,
    previous: Mapping[date, DayTotals] | None = None,
) -> YearProjection | None:
    """The year-end projections of ``as_of``'s year from its days up to ``as_of`` (later
    days in ``days`` are ignored), with the previous year's season where ``previous`` (that
    year's days) has one; None before :data:`MIN_DAYS` days of the year or anything counted
    in them. ``target`` is the year's (``reference.targets.get(as_of.year)``)."""
    first = date(as_of.year, 1, 1)
    elapsed = (as_of - first).days + 1
    if elapsed < MIN_DAYS or not any(first <= day <= as_of for day in days):
        return None
    seen = period(days, first, as_of).teu_by_category
    categories = sorted({*(target.teu if target else ()), *seen})
    series = daily_measures(days, first, as_of, categories)
    last_year = None
    if previous is not None:
        year = as_of.year - 1
        last_year = daily_measures(previous, date(year, 1, 1), date(year, 12, 31), categories)
    goals = _goals(target)
    months = [day.month for day in _dates(first, date(as_of.year, 12, 31))]
    projected: dict[str, MeasureProjection | None] = {}
    port = seasonal_index(last_year["teu"], as_of.year - 1) if last_year else None
    for name, values in series.items():
        index = None
        if last_year:
            index = port if name == "teu" else seasonal_index(last_year[name], as_of.year - 1, port)
        exposure = [index[m - 1] for m in months] if index else [1.0] * len(months)
        projected[name] = _project(values, exposure, months, goals.get(name), index is not None)
    return YearProjection(
        as_of=as_of,
        train_runs=projected["train_runs"],
        teu=projected["teu"],
        teu_by_category={c: projected[f"teu:{c}"] for c in categories},
        reefer_teu=projected["reefer_teu"],
        tonnage=projected["tonnage"],
    )


def _goals(target: YearTarget | None) -> dict[str, float]:
    if target is None:
        return {}
    return {
        "train_runs": target.trains,
        "teu": target.teu_total,
        **{f"teu:{c}": teu for c, teu in target.teu.items()},
        "reefer_teu": target.reefer_teu,
        "tonnage": target.freight_10k_t,
    }


def _project(
    values: Sequence[float],
    exposure: Sequence[float],
    months: Sequence[int],
    target: float | None,
    seasonal: bool,
) -> MeasureProjection | None:
    """One measure's projection from its days so far (``values``), and every day's exposure
    and month this year."""
    n = len(values)
    actual = math.fsum(values)
    if actual <= 0:
        return None
    done, left = exposure[:n], exposure[n:]
    pace = actual / math.fsum(done)
    since = max(0, n - TREND_DAYS)
    trend = math.fsum(values[since:]) / math.fsum(done[since:])
    w = TREND_WEIGHT
    rate = (1 - w) * pace + w * trend
    v = _block_variance(values, done, pace, BLOCK_DAYS if n >= 2 * BLOCK_DAYS else 7)
    # The pace's and the trend's variances, and their covariance (the trend's days are
    # the pace's too): v/E, v/E_recent and v/E.
    rate_variance = v * ((1 - w) ** 2 + 2 * w * (1 - w)) / math.fsum(done)
    rate_variance += v * w**2 / math.fsum(done[since:])
    rest_exposure = math.fsum(left)
    rest = rate * rest_exposure
    walk = DRIFT**2 / 365 * (_lag(n, n - since) + len(left) / 3)
    # One year's season carries that year's wander too: a second walk. Without it, the
    # rest of the year may stray from the rate as far as the whole months so far have.
    relative = 2 * walk if seasonal else walk + _month_spread(values, months, pace, v)
    variance = v * rest_exposure + rest_exposure**2 * rate_variance + rest**2 * relative
    spread = math.sqrt(variance)
    return MeasureProjection(
        actual=actual,
        projected=actual + rest,
        low=actual + max(0.0, rest - _Z * spread),
        high=actual + rest + _Z * spread,
        yearly_target=target,
        probability=None if target is None else _reach(actual, rest, spread, target),
        seasonal=seasonal,
    )


def _month_spread(values: Sequence[float], months: Sequence[int], pace: float, v: float) -> float:
    """Relative variance of the whole months so far around the pace, less what ``v`` already
    holds: how far a month of this year has strayed, by season or drift."""
    totals: dict[int, list[float]] = {}
    for value, month in zip(values, months, strict=False):
        totals.setdefault(month, []).append(value)
    if len(values) < len(months) and months[len(values)] == months[len(values) - 1]:
        totals.pop(months[len(values) - 1])  # the month in progress
    if len(totals) < 2:
        return 0.0
    spread = math.fsum(
        (math.fsum(days) / len(days) / pace - 1) ** 2 for days in totals.values()
    ) / (len(totals) - 1)
    noise = math.fsum(v / len(days) / pace**2 for days in totals.values()) / len(totals)
    return max(0.0, spread - noise)


def _block_variance(
    values: Sequence[float], exposure: Sequence[float], pace: float, block: int
) -> float:
    """Variance of a block's total around the pace, per unit of exposure, over the whole
    blocks of ``block`` days ending on the last day; 0 with fewer than two."""
    blocks = len(values) // block
    if blocks < 2:
        return 0.0
    squares = 0.0
    for end in range(len(values), len(values) - block * blocks, -block):
        total = math.fsum(values[end - block : end])
        weight = math.fsum(exposure[end - block : end])
        squares += (total - pace * weight) ** 2 / weight
    return squares / (blocks - 1)


def _lag(days: int, recent: int) -> float:
    """How far, in days of a random walk's variance, the blended rate lags the rate of the
    last day: the sum over ages ``k`` of the squared weight of the days at least ``k`` old
    (the pace weighs every day alike, the trend the last ``recent`` days)."""
    pace, trend = (1 - TREND_WEIGHT) / days, TREND_WEIGHT / recent
    return math.fsum((pace * (days - k) + trend * max(0, recent - k)) ** 2 for k in range(1, days))


def _reach(actual: float, rest: float, spread: float, target: float) -> float:
    """Probability that ``actual`` plus a normal rest (mean ``rest``, sd ``spread``) reaches
    ``target``: 1 once reached."""
    needed = target - actual
    if needed <= 0:
        return 1.0
    if spread == 0:
        return 1.0 if rest >= needed else 0.0
    return 1.0 - NormalDist(rest, spread).cdf(needed)
