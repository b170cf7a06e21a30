"""Mean kinetic temperature (MKT): the one constant temperature that would degrade a
product as much as the varying temperatures it actually saw (USP ⟨1079⟩, "Good Storage and
Distribution Practices for Drug Products", after Haynes, J. Pharm. Sci. 60 (1971) 927).

    MKT = (ΔH/R) / −ln( Σᵢ tᵢ·exp(−ΔH / (R·Tᵢ)) / Σᵢ tᵢ )

with Tᵢ in kelvin (°C + 273.15) and the result back in °C, tᵢ the time at Tᵢ, ΔH the
activation energy of the degradation in kJ/mol (USP's customary 83.144 kJ/mol, for which
ΔH/R ≈ 10,000 K; per commodity: ``CommodityProfile.activation_energy_kj_mol``) and
R = 8.314462618 J/(mol·K). The Arrhenius weighting makes warm periods count more than cold
ones: the MKT lies between the time-weighted mean and the maximum, nearer the maximum the
larger ΔH.

Time comes from the readings by the domain's one timing rule (sample and hold,
:func:`streams.domain.coldchain.held_seconds`): a reading weighs the time until the next
one, the last one the time until the trip's end, or nothing when no end is given. The sum
is taken in log-sum-exp form (the exponentials are about 1e-16), so it neither underflows
nor loses precision.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime
from typing import Final

from lugang.reference import DEFAULT_ACTIVATION_ENERGY_KJ_MOL
from streams.domain.coldchain import held_seconds

GAS_CONSTANT_J_MOL_K: Final = 8.314462618
"""R, the molar gas constant (CODATA 2018, exact), J/(mol·K)."""

ZERO_CELSIUS_K: Final = 273.15

Sample = tuple[datetime, float]
"""A reading as the trace takes it: (reading time, supply air °C)."""


def weighted_mkt_c(
    temperatures_c: Sequence[float],
    weights: Sequence[float],
    activation_energy_kj_mol: float = DEFAULT_ACTIVATION_ENERGY_KJ_MOL,
) -> float | None:
    """The MKT (°C) of temperatures held for ``weights`` (any unit of time, ≥ 0), or None
    when there are none or their weights add up to nothing.

    Raises:
        ValueError: the two sequences differ in length, a weight is negative, a temperature
            is not above absolute zero, or the activation energy is not positive.
    """
    if len(temperatures_c) != len(weights):
        raise ValueError(f"{len(temperatures_c)} temperatures but {len(weights)} weights")
    if not activation_energy_kj_mol > 0:
        raise ValueError(f"activation energy must be positive, not {activation_energy_kj_mol}")
    if any(weight < 0 for weight in weights):
        raise ValueError("a weight (time held) is negative")
    if any(not temperature > -ZERO_CELSIUS_K for temperature in temperatures_c):
        raise ValueError("a temperature is not above absolute zero")
    held = [(t, w) for t, w in zip(temperatures_c, weights, strict=True) if w > 0]
    total = math.fsum(w for _, w in held)
    if not held or total == 0:
        return None
    ratio_k = activation_energy_kj_mol * 1000 / GAS_CONSTANT_J_MOL_K  # ΔH/R
    exponents = [-ratio_k / (t + ZERO_CELSIUS_K) for t, _ in held]
    top = max(exponents)
    # ln(Σ w·e^x / Σ w) = top + ln(Σ w·e^(x - top)) - ln(Σ w): every e^(x - top) is ≤ 1.
    scaled = math.fsum(w * math.exp(x - top) for (_, w), x in zip(held, exponents, strict=True))
    log_mean = top + math.log(scaled) - math.log(total)
    return -ratio_k / log_mean - ZERO_CELSIUS_K


def mean_kinetic_temperature_c(
    samples: Sequence[Sample],
    *,
    end: datetime | None = None,
    activation_energy_kj_mol: float = DEFAULT_ACTIVATION_ENERGY_KJ_MOL,
) -> float | None:
    """The MKT (°C) of a series of readings in time order, each held until the next (the
    last until ``end``, or not at all without one); None with no readings or no time
    between them. Raises ``ValueError`` as :func:`weighted_mkt_c`."""
    held = held_seconds([at for at, _ in samples], end)
    return weighted_mkt_c([t for _, t in samples], held, activation_energy_kj_mol)
