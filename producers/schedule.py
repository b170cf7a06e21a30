"""The simulator's train timetable: which runs happen in a year, when, and how much they carry.

The plan's targets are yearly; operators compare month-to-date figures with the pro-rata
target (domain §1, §2). Independent random draws would miss a month's share by more than
a few percent, so the timetable is built deterministically per year:

* The year's ``N`` runs are counted at evenly spaced instants (outbound runs at their
  departure from the home location, inbound runs at their arrival there), each moved by
  a seeded jitter of less than half the spacing. Any period of the year therefore holds
  its pro-rata share of runs, give or take a run at either end.
* Runs go to service lines (a corridor in one direction) in proportion to the TEU
  category split of the targets; each line's runs are spread evenly through the year and
  the lines are interleaved.
* Each run's TEU is the step of a cumulative curve that follows the year's target, with a
  bounded seeded wobble: loads vary from run to run, yet the running total never strays
  from the target line by more than one average train. Reefer TEU are shared out
  the same way, weighted towards the lines that carry cold-chain cargo.

Everything is a function of the seed and the year, never of the simulated window, so
simulating January and then February gives the same runs as simulating both at once.

A :class:`Variation` (off by default) makes years differ, for the year-end projection's
backtest (``bench/projection.py``): a seasonal profile, a volume factor per seed and year
and a monthly random walk of the rate. The runs are then evenly spaced in *traffic time*
(the cumulative intensity of the year) instead of clock time, and the year's runs, TEU and
reefer TEU are the targets times the year's volume factor.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from itertools import pairwise
from typing import Annotated, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from lugang.contract import Direction
from lugang.reference import Reference

HOUR_MS: Final = 3_600_000
MINUTE_MS: Final = 60_000

_ASEAN_CATEGORIES: Final = ("RAIL_SEA", "LAOS", "VIETNAM")
"""TEU categories whose inbound trains bring ASEAN cargo (fruit through the seaports and
across the Laos and Vietnam borders)."""

Flow = Literal["ASEAN_INBOUND", "OUTBOUND", "DOMESTIC_INBOUND"]
"""What kind of cargo a line carries: ASEAN imports, local produce out, or domestic
collecting traffic."""

_COLD_CHAIN_WEIGHT: Final[dict[Flow, float]] = {
    "ASEAN_INBOUND": 3.0,
    "OUTBOUND": 1.5,
    "DOMESTIC_INBOUND": 0.5,
}
"""Relative reefer share of a line's TEU: imported fruit dominates the cold chain, local
produce goes out, collecting and domestic trains carry little."""

_LOAD_WOBBLE: Final = 0.15
"""Largest distance, as a share of an average train, between the running TEU total and
the target line; runs carry between 70 % and 130 % of the average."""

_MAX_JITTER_MS: Final = 6 * HOUR_MS


def seeded_rng(*parts: object) -> random.Random:
    """A generator seeded from ``parts`` (a string seed is hashed with SHA-512, so the
    stream is the same in every process, whatever ``PYTHONHASHSEED`` says)."""
    # Reproducible simulation, not cryptography.
    return random.Random("/".join(map(str, parts)))  # noqa: S311


def epoch_ms(moment: datetime) -> int:
    """Milliseconds since the epoch of an aware datetime."""
    return round(moment.timestamp() * 1000)


def rfc3339(ms: int, tz: tzinfo) -> str:
    """An instant as RFC 3339 local time with its offset, to the second."""
    return datetime.fromtimestamp(ms / 1000, tz).isoformat(timespec="seconds")


MONTHS: Final = 12


class Variation(BaseModel):
    """How simulated years depart from the plan's even pace. The default is no variation:
    the plan's volumes, spread evenly, exactly what the timetable makes without one."""

    model_config = ConfigDict(frozen=True, extra="forbid", use_attribute_docstrings=True)

    seasonality: tuple[Annotated[float, Field(gt=0)], ...] = ()
    """Relative traffic of each month, January first: 12 values, or none for a flat year.
    Only the shape counts: it moves traffic between months, not into or out of the year."""
    rate_spread: float = Field(default=0.0, ge=0, le=1)
    """Standard deviation of the log of a year's volume factor, drawn per seed and year:
    a year runs above or below the plan as a whole."""
    drift: float = Field(default=0.0, ge=0, le=1)
    """Standard deviation of each month's step of a random walk of the log rate, drawn per
    seed and year: the rate wanders within the year, and the walk changes the volume too."""

    @field_validator("seasonality")
    @classmethod
    def _twelve_months(cls, value: tuple[float, ...]) -> tuple[float, ...]:
        if value and len(value) != MONTHS:
            raise ValueError(f"give {MONTHS} monthly values or none (got {len(value)})")
        return value

    @property
    def active(self) -> bool:
        return bool(self.seasonality) or self.rate_spread > 0 or self.drift > 0


@dataclass(frozen=True, slots=True)
class Line:
    """A service line: one corridor travelled in one direction."""

    corridor: str
    direction: Direction
    teu_category: str

    @property
    def flow(self) -> Flow:
        if self.direction == "OUTBOUND":
            return "OUTBOUND"
        return "ASEAN_INBOUND" if self.teu_category in _ASEAN_CATEGORIES else "DOMESTIC_INBOUND"


@dataclass(frozen=True, slots=True)
class Slot:
    """One train run of the timetable.

    ``counted_ms`` is when the run counts (departure from or arrival at the home
    location); ``teu`` and ``reefer_teu`` are what it should load or discharge there.
    """

    year: int
    index: int
    line: Line
    counted_ms: int
    teu: int
    reefer_teu: int


def service_lines(reference: Reference) -> list[Line]:
    """Every line of the reference, in corridor order: corridors that start at the home
    location run both ways, collecting corridors (ending there) run inbound only."""
    home = reference.home.location
    lines: list[Line] = []
    for corridor_id, corridor in reference.corridors.items():
        directions: tuple[Direction, ...] = (
            ("OUTBOUND", "INBOUND") if corridor.origin == home else ("INBOUND",)
        )
        lines.extend(Line(corridor_id, d, corridor.teu_category) for d in directions)
    return lines


def year_schedule(
    reference: Reference,
    year: int,
    seed: int,
    scale: float,
    variation: Variation | None = None,
) -> list[Slot]:
    """The runs of one year, in order of their counted instants.

    Raises:
        KeyError: the reference has no targets for ``year``.
    """
    target = reference.target(year)
    tz = reference.home.tz
    traffic = _Traffic(variation, seed, year, tz) if variation and variation.active else None
    if traffic is not None:
        scale *= traffic.volume
    runs = round(target.trains * scale)
    lines = service_lines(reference)
    if runs == 0 or not lines:
        return []
    rng = seeded_rng(seed, "year", year)
    start = epoch_ms(datetime(year, 1, 1, tzinfo=tz))
    spacing = (epoch_ms(datetime(year + 1, 1, 1, tzinfo=tz)) - start) / runs
    jitter = min(_MAX_JITTER_MS, 0.45 * spacing)

    order = _interleave(lines, _runs_per_line(lines, target.teu, runs), rng)
    if traffic is not None:
        counted = traffic.instants(runs, rng)
    else:
        counted = [
            round((start + (k + 0.5) * spacing + rng.uniform(-jitter, jitter)) / MINUTE_MS)
            * MINUTE_MS
            for k in range(runs)
        ]

    category_runs = Counter(line.teu_category for line in order)
    per_run = [target.teu[line.teu_category] / category_runs[line.teu_category] for line in order]
    teu = _shares(round(target.teu_total * scale), per_run, _LOAD_WOBBLE, rng)
    reefer = _shares(
        round(target.reefer_teu * scale),
        [load * _COLD_CHAIN_WEIGHT[line.flow] for load, line in zip(teu, order, strict=True)],
        0.0,
        rng,
    )
    return [
        Slot(year, k, line, counted[k], teu[k], min(reefer[k], teu[k]))
        for k, line in enumerate(order)
    ]


class _Traffic:
    """A varied year's traffic: the months' intensities (seasonal profile times the random
    walk) and the volume factor they and the year's draw give."""

    def __init__(self, variation: Variation, seed: int, year: int, tz: tzinfo) -> None:
        rng = seeded_rng(seed, "variation", year)
        factor = math.exp(rng.gauss(0.0, variation.rate_spread))
        season = variation.seasonality or (1.0,) * MONTHS
        walk = 0.0
        self.levels: list[float] = []
        for month in range(MONTHS):
            walk += rng.gauss(0.0, variation.drift)
            self.levels.append(season[month] * math.exp(walk))
        self.bounds = [epoch_ms(datetime(year, m, 1, tzinfo=tz)) for m in range(1, MONTHS + 1)]
        self.bounds.append(epoch_ms(datetime(year + 1, 1, 1, tzinfo=tz)))
        lengths = [b - a for a, b in pairwise(self.bounds)]
        self.cumulative = [0.0]
        for level, length in zip(self.levels, lengths, strict=True):
            self.cumulative.append(self.cumulative[-1] + level * length)
        flat = sum(s * length for s, length in zip(season, lengths, strict=True))
        self.volume = factor * self.cumulative[-1] / flat
        """The year's volume as a multiple of the plan's."""

    def instants(self, runs: int, rng: random.Random) -> list[int]:
        """``runs`` instants evenly spaced in traffic, each moved by a jitter of less than
        half the local spacing (and at most the plain timetable's), in order, to the minute."""
        total = self.cumulative[-1]
        month = 0
        counted = []
        for k in range(runs):
            traffic = (k + 0.5) * total / runs
            while self.cumulative[month + 1] < traffic:
                month += 1
            level = self.levels[month]
            at = self.bounds[month] + (traffic - self.cumulative[month]) / level
            jitter = min(_MAX_JITTER_MS, 0.45 * total / runs / level)
            at += rng.uniform(-jitter, jitter)
            at = min(max(at, self.bounds[0]), self.bounds[-1] - MINUTE_MS)
            counted.append(round(at / MINUTE_MS) * MINUTE_MS)
        return sorted(counted)


def _runs_per_line(lines: Sequence[Line], teu: Mapping[str, int], runs: int) -> list[int]:
    """Split ``runs`` over the lines: each TEU category gets its share of the TEU target,
    split equally over its lines (largest remainders, ties to the earlier line)."""
    lines_in = Counter(line.teu_category for line in lines)
    total = sum(teu[c] for c in lines_in) or 1
    quotas = [runs * teu[line.teu_category] / total / lines_in[line.teu_category] for line in lines]
    counts = [math.floor(q) for q in quotas]
    by_remainder = sorted(range(len(lines)), key=lambda i: counts[i] - quotas[i])
    for i in by_remainder[: runs - sum(counts)]:
        counts[i] += 1
    return counts


def _interleave(lines: Sequence[Line], counts: Sequence[int], rng: random.Random) -> list[Line]:
    """The lines in run order: line ``i``'s ``j``-th run sits at phase ``(j + u_i) / n_i``
    of the year, with a seeded offset ``u_i``, so each line is spread evenly."""
    phased: list[tuple[float, int, Line]] = []
    for i, (line, n) in enumerate(zip(lines, counts, strict=True)):
        offset = rng.random()
        phased.extend(((j + offset) / n, i, line) for j in range(n))
    phased.sort(key=lambda item: item[:2])
    return [line for _, _, line in phased]


def _shares(total: int, weights: Sequence[float], wobble: float, rng: random.Random) -> list[int]:
    """Integer shares of ``total`` in proportion to ``weights``, adding up exactly.

    Share ``k`` is the step of the rounded cumulative curve from ``k`` to ``k + 1``; the
    curve is bent by a seeded amount of at most ``wobble`` × the average share (zero at
    both ends), which varies the shares without letting any running total drift.
    """
    cumulative = [0.0]
    for weight in weights:
        cumulative.append(cumulative[-1] + weight)
    if cumulative[-1] <= 0:
        return [0] * len(weights)
    amplitude = wobble * total / len(weights)
    last = len(weights)
    points = [
        round(
            total * c / cumulative[-1] + (amplitude * rng.uniform(-1, 1) if 0 < k < last else 0.0)
        )
        for k, c in enumerate(cumulative)
    ]
    return [b - a for a, b in pairwise(points)]
