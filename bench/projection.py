"""Backtest of the year-end projection (``streams.domain.projection``) on simulated years.

Each seed simulates two consecutive years of the port (:data:`YEAR` and the year before)
with the same :data:`VARIATION`: a seasonal profile (a Spring Festival dip, a year-end
push), a volume factor per year (the year runs above or below the plan) and a monthly
random walk of the rate. A year's day totals are built from the simulator's timetable and
the containers of each run (:func:`producers.simulator.year_cargo`, the same draws as a
full simulation, without the reefer readings); a run's moves count on its train's day.
From the days before 1 April, 1 July and 1 October, with and without the previous year,
the projection is compared with the year's actual total: the mean absolute percentage
error of the projected total, the interval's mean half-width (as a share of the actual
total) and the share of seeds whose actual total lies in the 80 % interval (its
coverage), per measure and date. The same seeds give the same table; a seed takes about
a second.

Every seed simulates the same port: its season is the same in every year, only the draws
differ. Without a previous year, the projection cannot know that season, so its misses
share a direction across seeds (low from 1 April, before the year's busier months), and
its coverage is that of one port's season, not an average over ports.

    .venv/bin/python -m bench.projection [--seeds 20] [--first-seed 0] [--scale 1.0]
"""

from __future__ import annotations

import argparse
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Final

from lugang.contract import size_type
from lugang.reference import Reference, default_reference
from producers.schedule import Variation
from producers.simulator import SimulationConfig, year_cargo
from streams.domain.counts import DayTotals, Fact
from streams.domain.projection import INTERVAL, daily_measures, project_year

YEAR: Final = 2026
VARIATION: Final = Variation(
    seasonality=(0.9, 0.7, 0.95, 1.0, 1.0, 1.0, 1.0, 1.0, 1.05, 1.05, 1.1, 1.2),
    rate_spread=0.10,
    drift=0.03,
)
"""The simulated port: the Spring Festival's dip in February, a push towards the year's
end, a year about 10 % above or below the plan, and a rate that wanders about 3 % a month
(10 % a year: the projection's ``DRIFT``)."""
ALL: Final = "all measures"
DATES: Final = ((4, 1), (7, 1), (10, 1))
"""Projected from these days (month, day), with the days before them."""


def simulated_days(
    reference: Reference, year: int, seed: int, scale: float = 1.0
) -> dict[date, DayTotals]:
    """The day totals of one simulated year: train runs on their counted day, and their
    containers' moves on the same day."""
    config = SimulationConfig(
        start=date(year, 1, 1), end=date(year, 12, 31), seed=seed, scale=scale, variation=VARIATION
    )
    tz = reference.home.tz
    days: dict[date, DayTotals] = {}
    for slot, boxes in year_cargo(config, reference, year):
        day = datetime.fromtimestamp(slot.counted_ms / 1000, tz).date()
        totals = days.setdefault(day, DayTotals(day=day))
        corridor = reference.corridor(slot.line.corridor)
        common = {
            "day": day,
            "corridor": slot.line.corridor,
            "direction": slot.line.direction,
            "service_group": corridor.service_group,
            "teu_category": corridor.teu_category,
        }
        run_id = f"{year}-{slot.index}"
        totals.add(Fact.model_validate({**common, "event_id": run_id, "kind": "TRAIN_RUN"}))
        for n, box in enumerate(boxes):
            kind = size_type(box.code, reference)
            move = {
                **common,
                "event_id": f"{run_id}-{n}",
                "kind": "CONTAINER_MOVE",
                "teu": kind.teu,
                "reefer": kind.is_reefer,
                "laden": box.laden,
                "gross_weight_kg": box.gross_weight_kg,
            }
            totals.add(Fact.model_validate(move))
    return days


@dataclass(frozen=True, slots=True)
class Case:
    """One projection against the actual year-end total."""

    measure: str
    since: date
    previous: bool
    projected: float
    low: float
    high: float
    actual: float

    @property
    def error(self) -> float:
        return abs(self.projected - self.actual) / self.actual

    @property
    def half_width(self) -> float:
        return (self.high - self.low) / 2 / self.actual

    @property
    def covered(self) -> bool:
        return self.low <= self.actual <= self.high


def backtest(seeds: Sequence[int], scale: float = 1.0) -> list[Case]:
    """Every projection of every seed, measure, date and with or without a previous year."""
    reference = default_reference()
    target = reference.target(YEAR)
    cases = []
    for seed in seeds:
        days = simulated_days(reference, YEAR, seed, scale)
        previous = simulated_days(reference, YEAR - 1, seed, scale)
        actual = {
            name: sum(values)
            for name, values in daily_measures(
                days, date(YEAR, 1, 1), date(YEAR, 12, 31), sorted(target.teu)
            ).items()
        }
        for month, day in DATES:
            since = date(YEAR, month, day)
            for last_year in (None, previous):
                projection = project_year(days, since - timedelta(1), target, last_year)
                if projection is None:
                    continue
                for name, measure in projection.by_measure().items():
                    if measure is None or actual[name] <= 0:
                        continue
                    cases.append(
                        Case(
                            name,
                            since,
                            last_year is not None,
                            measure.projected,
                            measure.low,
                            measure.high,
                            actual[name],
                        )
                    )
    return cases


def table(cases: Sequence[Case]) -> list[str]:
    """The backtest as a Markdown table: per measure and date, without and with the previous
    year, the mean absolute percentage error, the interval's mean half-width (±, as a share
    of the actual total) and its coverage; "all measures" pools every measure's cases."""
    groups: dict[tuple[date, str], dict[bool, list[Case]]] = defaultdict(lambda: defaultdict(list))
    for case in cases:
        groups[case.since, case.measure][case.previous].append(case)
        groups[case.since, ALL][case.previous].append(case)
    share = f"{INTERVAL:.0%}"
    lines = [
        "| | | no previous year | | | with the previous year | | |",
        f"| measure | from | MAPE | ± | {share} coverage | MAPE | ± | {share} coverage |",
        "|---|---|--:|--:|--:|--:|--:|--:|",
    ]
    measures = [*dict.fromkeys(case.measure for case in cases), ALL]
    for since, measure in sorted(groups, key=lambda key: (key[0], measures.index(key[1]))):
        by_previous = groups[since, measure]
        cells = [measure, f"{since.day} {since:%b}"]
        for previous in (False, True):
            chosen = by_previous.get(previous, [])
            if chosen:
                mape = sum(c.error for c in chosen) / len(chosen)
                half = sum(c.half_width for c in chosen) / len(chosen)
                coverage = sum(c.covered for c in chosen) / len(chosen)
                cells += [f"{mape:.1%}", f"{half:.1%}", f"{coverage:.0%}"]
            else:
                cells += ["–", "–", "–"]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.projection",
        description="Backtest the year-end projection on seeded simulated years: for each "
        f"seed, a simulated {YEAR} and {YEAR - 1} (seasonal, with a volume factor per year "
        "and a wandering rate); project the year-end totals from 1 April, 1 July and 1 "
        "October, with and without the previous year, and print per measure and date the "
        "mean absolute percentage error (MAPE), the interval's mean half-width (±, as a share "
        "of the actual total) and the share of seeds whose actual total lies in the "
        f"{INTERVAL:.0%} interval. Deterministic: the same seeds print the same table. "
        "About a second a seed.",
    )
    parser.add_argument("--seeds", type=int, default=20, help="seeds (default: %(default)s)")
    parser.add_argument(
        "--first-seed", type=int, default=0, help="the first seed (default: %(default)s)"
    )
    parser.add_argument(
        "--scale",
        type=float,
        default=1.0,
        help="multiplies the plan's volumes (default: %(default)s)",
    )
    args = parser.parse_args(argv)
    if args.seeds < 1 or args.scale <= 0:
        parser.error("--seeds must be at least 1 and --scale positive")
    seeds = range(args.first_seed, args.first_seed + args.seeds)
    cases = backtest(seeds, args.scale)
    print(
        f"Year-end projection, backtest over {args.seeds} seeds "
        f"({seeds[0]}–{seeds[-1]}), simulated {YEAR} at scale {args.scale:g}:"
    )
    print("\n".join(table(cases)))


if __name__ == "__main__":
    main()
