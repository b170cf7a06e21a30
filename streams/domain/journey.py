"""The cold-chain summary of one reefer trip (domain reference §4, "watch and trip"): what
whole-journey traceability shows next to the commodity's band.

:func:`summarise_trip` takes the supply-air readings of one trip as (reading time, °C)
pairs — what the ``reefer_reading`` rows of InfluxDB give, or a track's readings — the
band they are judged against and ΔH (a :class:`~lugang.reference.CommodityProfile`, or a
:class:`SafeBand` made from the band stored with the rows), and the trip's end. It gives
the time in and out of band, the largest deviation beyond the band, the extremes and the
mean kinetic temperature (:mod:`streams.domain.mkt`).

Time is the domain's one timing rule (:func:`~streams.domain.coldchain.held_seconds`):
each reading stands until the next one, so the state changes at a reading, never between
two; the last reading stands until the trip's end, or not at all without one. The
out-of-band time is so the one CUMULATIVE sums (:func:`~streams.domain.coldchain.step`),
and the largest deviation is the peak CUMULATIVE records.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from lugang.reference import DEFAULT_ACTIVATION_ENERGY_KJ_MOL
from streams.domain.coldchain import Band, Side, band_deviation, held_seconds
from streams.domain.mkt import Sample, weighted_mkt_c


class Profile(Band, Protocol):
    """What a trip is summarised against: the safe band and the ΔH of the mean kinetic
    temperature (a :class:`~lugang.reference.CommodityProfile` is one)."""

    @property
    def activation_energy_kj_mol(self) -> float: ...


@dataclass(frozen=True, slots=True)
class SafeBand:
    """A band without a commodity profile, e.g. the ``band_low_c`` and ``band_high_c``
    stored with the readings in InfluxDB (None: no lower bound)."""

    band_low_c: float | None
    band_high_c: float
    activation_energy_kj_mol: float = DEFAULT_ACTIVATION_ENERGY_KJ_MOL


@dataclass(frozen=True, slots=True)
class TripSummary:
    """The cold chain of one trip against its band; durations in seconds, temperatures in
    °C of supply air."""

    start: datetime
    """The first reading of the trip."""
    end: datetime
    """The trip's end if given, else its last reading."""
    readings: int
    band_low_c: float | None
    band_high_c: float
    activation_energy_kj_mol: float
    """The ΔH :attr:`mkt_c` is computed with, kJ/mol."""
    in_band_s: float
    above_band_s: float
    below_band_s: float
    min_c: float
    max_c: float
    mkt_c: float | None
    """Mean kinetic temperature; None when the readings stand for no time (one reading and
    no end)."""

    @property
    def out_of_band_s(self) -> float:
        """Time above or below the band."""
        return self.above_band_s + self.below_band_s

    @property
    def above_band_c(self) -> float:
        """The largest deviation above the band (°C beyond its upper bound; 0 if none)."""
        side, deviation = band_deviation(self, self.max_c)
        return deviation if side == "HIGH" else 0.0

    @property
    def below_band_c(self) -> float:
        """The largest deviation below the band (°C beneath its lower bound; 0 if none)."""
        side, deviation = band_deviation(self, self.min_c)
        return deviation if side == "LOW" else 0.0

    @property
    def largest_deviation(self) -> tuple[Side | None, float]:
        """The side and size (°C beyond the band's nearer bound) of the trip's largest
        deviation, ``(None, 0.0)`` if it stayed in band; HIGH on a tie."""
        above, below = self.above_band_c, self.below_band_c
        if above == below == 0:
            return None, 0.0
        return ("HIGH", above) if above >= below else ("LOW", below)


def summarise_trip(
    samples: Iterable[Sample], profile: Profile, *, end: datetime | None = None
) -> TripSummary | None:
    """The summary of one trip's readings against ``profile``'s band and ΔH, or None
    without readings.

    The readings may come in any order (they are put in time order). ``end``: when the
    trip ended (the container left watch); the last reading stands until then. Readings at
    or after ``end`` belong to no trip judged here (the state machine ignores a reading at
    the time the container leaves) and are left out.
    """
    ordered = sorted(samples, key=lambda sample: sample[0])
    if end is not None:
        ordered = [sample for sample in ordered if sample[0] < end]
    if not ordered:
        return None
    temperatures = [temperature for _, temperature in ordered]
    held = held_seconds([at for at, _ in ordered], end)
    time_at: dict[Side | None, float] = {None: 0.0, "HIGH": 0.0, "LOW": 0.0}
    for temperature, seconds in zip(temperatures, held, strict=True):
        time_at[band_deviation(profile, temperature)[0]] += seconds
    energy = profile.activation_energy_kj_mol
    return TripSummary(
        start=ordered[0][0],
        end=ordered[-1][0] if end is None else end,
        readings=len(ordered),
        band_low_c=profile.band_low_c,
        band_high_c=profile.band_high_c,
        activation_energy_kj_mol=energy,
        in_band_s=time_at[None],
        above_band_s=time_at["HIGH"],
        below_band_s=time_at["LOW"],
        min_c=min(temperatures),
        max_c=max(temperatures),
        mkt_c=weighted_mkt_c(temperatures, held, energy),
    )
