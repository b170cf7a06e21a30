"""Reference data of the monitored port: places, corridors, targets and cold-chain rules.

All of it lives in one TOML file (the packaged ``reference.toml`` by default), so another
land port can be monitored by editing configuration only. :func:`load_reference` reads and
cross-checks the file; every problem is reported with the file name and the entry's path,
e.g. ``reference.toml: corridors.HHW-QZH.destination: unknown place 'CNXXX'``.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, time
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Annotated, Final, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    Strict,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

PACKAGED_FILE = "reference.toml"

DEFAULT_ACTIVATION_ENERGY_KJ_MOL: Final = 83.144
"""ΔH of the mean kinetic temperature (USP <1079>) of a commodity whose profile names
none, in kJ/mol: the customary value, for which ΔH/R is about 10,000 K."""


class ReferenceConfigError(ValueError):
    """The reference configuration file is not valid TOML or not a consistent reference."""


def describe_validation_error(
    error: ValidationError, name_of: Callable[[str], str] | None = None
) -> str:
    """One line naming each failing field by its dotted path, with what is wrong.

    A refused scalar input is quoted (``got '50'``) unless the message already quotes it.
    ``name_of`` names a top-level field as the user sets it (an option such as ``--end``,
    a variable such as ``LUGANG_TOPIC_PARTITIONS``); default: the field's own name.
    """
    parts = []
    for item in error.errors(include_url=False):
        names = [str(part) for part in item["loc"]]
        if names and name_of is not None:
            names[0] = name_of(names[0])
        path = ".".join(names)
        message = item["msg"]
        value = item.get("input")
        if isinstance(value, int | float) or (
            isinstance(value, str) and repr(value) not in message
        ):
            message += f" (got {value!r:.60})"
        parts.append(f"{path}: {message}" if path else message)
    return "; ".join(parts)


class _Entry(BaseModel):
    """Base of all reference models: immutable, strict types, unknown keys refused."""

    model_config = ConfigDict(frozen=True, strict=True, extra="forbid", allow_inf_nan=False)


class Home(_Entry):
    """The monitored port: its location code, the timezone that decides the day, and its
    names: in full (``name_en``, ``name_zh``: titles) and short (``short_en``,
    ``short_zh``: in sentences, "departs Huaihua")."""

    location: str
    timezone: str
    name_en: str
    name_zh: str
    short_en: str
    short_zh: str

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise PydanticCustomError("unknown_timezone", "unknown IANA timezone") from None
        return value

    @property
    def tz(self) -> ZoneInfo:
        """The local timezone of the port (days are local calendar days in it)."""
        return ZoneInfo(self.timezone)

    def today(self, now: datetime | None = None) -> date:
        """The local day in the port at ``now`` (default: the clock's now): what ``/status``
        and ``lugang report`` answer for when asked for no day."""
        return (now or datetime.now(UTC)).astimezone(self.tz).date()


class Place(_Entry):
    name_en: str
    name_zh: str


class ServiceGroup(_Entry):
    """A group of corridors; ``daily_service`` groups are held to 天天班 (a train every day)."""

    name_en: str
    name_zh: str
    daily_service: bool


class DailyService(_Entry):
    """When a still-unserved local day becomes an operational warning, and the first day
    天天班 is held to (``service_start``; None: the first day the monitor has data for).
    Days before it are not counted as missed."""

    warning_at: time
    service_start: date | None = None


class TransitRules(_Entry):
    """When a train run still under way counts as overdue: past its corridor's transit
    benchmark by more than ``overdue_margin_h`` hours."""

    overdue_margin_h: float = Field(default=0.0, ge=0)


class TeuCategory(_Entry):
    name_en: str
    name_zh: str


class Corridor(_Entry):
    """A train service; exactly one of ``origin`` and ``destination`` is the home location."""

    name_en: str
    name_zh: str
    service_group: str
    teu_category: str
    origin: str
    destination: str
    # TOML arrays arrive as lists; a tuple keeps the entry immutable.
    border: Annotated[tuple[str, ...], Strict(False)] = ()
    transit_benchmark_h: float | None = Field(default=None, gt=0)

    def far_end(self, home: str) -> str:
        """The endpoint that is not ``home``: where an outbound run arrives."""
        return self.destination if self.origin == home else self.origin


class YearTarget(_Entry):
    """The plan's targets for one year; ``teu`` is per TEU category and sums to ``teu_total``."""

    trains: int = Field(ge=0)
    freight_10k_t: float = Field(ge=0)
    teu_total: int = Field(ge=0)
    teu: Mapping[str, int]
    reefer_teu: int = Field(ge=0)


class LengthCode(_Entry):
    """Container length for one ISO 6346 length code, and how many TEU it counts."""

    length_ft: int = Field(gt=0)
    teu: float = Field(gt=0)


class CommodityProfile(_Entry):
    """Safe supply-air band of a cold-chain commodity; a bound left out does not apply.

    ``activation_energy_kj_mol`` is the ΔH its mean kinetic temperature is computed with
    (:mod:`streams.domain.mkt`), :data:`DEFAULT_ACTIVATION_ENERGY_KJ_MOL` unless given."""

    name_en: str
    name_zh: str
    carrying_temp: str
    band_low_c: float | None = None
    band_high_c: float
    activation_energy_kj_mol: float = Field(default=DEFAULT_ACTIVATION_ENERGY_KJ_MOL, gt=0)

    @model_validator(mode="after")
    def _ordered_band(self) -> Self:
        if self.band_low_c is not None and self.band_low_c >= self.band_high_c:
            raise PydanticCustomError(
                "band_order",
                "band_low_c ({low}) must be below band_high_c ({high})",
                {"low": self.band_low_c, "high": self.band_high_c},
            )
        return self

    def in_band(self, temperature_c: float) -> bool:
        """Whether a supply-air temperature lies inside the safe band (bounds included)."""
        above_low = self.band_low_c is None or temperature_c >= self.band_low_c
        return above_low and temperature_c <= self.band_high_c


class ExceptionRules(_Entry):
    """Cold-chain exception thresholds, in minutes of event time."""

    excursion_minutes: int = Field(gt=0)
    hysteresis_minutes: int = Field(gt=0)
    cumulative_minutes: int = Field(gt=0)
    power_off_minutes: int = Field(gt=0)
    telemetry_gap_minutes: int = Field(gt=0)


class NumericRange(_Entry):
    """Inclusive plausible range of an event field."""

    min: float
    max: float

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.min > self.max:
            raise PydanticCustomError(
                "range_order",
                "min ({min}) must not exceed max ({max})",
                {"min": self.min, "max": self.max},
            )
        return self

    def __contains__(self, value: float) -> bool:
        return self.min <= value <= self.max


class Ranges(_Entry):
    """Plausible values of event fields; events outside them are dead-lettered."""

    wagons: NumericRange
    gross_weight_kg: NumericRange
    temperature_c: NumericRange
    humidity_pct: NumericRange


class Reference(_Entry):
    """The whole reference configuration, cross-checked on load."""

    home: Home
    places: Mapping[str, Place]
    service_groups: Mapping[str, ServiceGroup]
    daily_service: DailyService
    transit: TransitRules = TransitRules()
    teu_categories: Mapping[str, TeuCategory]
    corridors: Mapping[str, Corridor]
    # TOML keys are strings; a year key is read as an integer ("2022" -> 2022).
    targets: Mapping[Annotated[int, Strict(False)], YearTarget]
    length_codes: Mapping[str, LengthCode]
    commodities: Mapping[str, CommodityProfile]
    exception_rules: ExceptionRules
    ranges: Ranges

    @model_validator(mode="after")
    def _cross_check(self) -> Self:
        problems = [*self._corridor_problems(), *self._target_problems()]
        if self.home.location not in self.places:
            problems.insert(0, f"home.location: unknown place {self.home.location!r}")
        if problems:
            raise PydanticCustomError(
                "inconsistent_reference", "{problems}", {"problems": "; ".join(problems)}
            )
        return self

    def _corridor_problems(self) -> list[str]:
        problems = []
        for cid, corridor in self.corridors.items():
            where = f"corridors.{cid}"
            if corridor.service_group not in self.service_groups:
                problems.append(
                    f"{where}.service_group: unknown service group {corridor.service_group!r}"
                )
            if corridor.teu_category not in self.teu_categories:
                problems.append(
                    f"{where}.teu_category: unknown TEU category {corridor.teu_category!r}"
                )
            for field in ("origin", "destination"):
                code = getattr(corridor, field)
                if code not in self.places:
                    problems.append(f"{where}.{field}: unknown place {code!r}")
            problems.extend(
                f"{where}.border: unknown place {code!r}"
                for code in corridor.border
                if code not in self.places
            )
            if (corridor.origin == self.home.location) == (
                corridor.destination == self.home.location
            ):
                problems.append(
                    f"{where}: exactly one of origin and destination must be the home location "
                    f"{self.home.location!r}"
                )
        return problems

    def _target_problems(self) -> list[str]:
        problems = []
        categories = set(self.teu_categories)
        for year, target in self.targets.items():
            where = f"targets.{year}"
            if set(target.teu) != categories:
                problems.append(
                    f"{where}.teu: must list exactly the TEU categories {sorted(categories)}"
                )
            elif sum(target.teu.values()) != target.teu_total:
                problems.append(
                    f"{where}.teu: categories add up to {sum(target.teu.values())}, "
                    f"not teu_total {target.teu_total}"
                )
        return problems

    def place(self, code: str) -> Place:
        """The place with this location code (``KeyError`` if unknown)."""
        return self.places[code]

    def corridor(self, corridor_id: str) -> Corridor:
        """The corridor with this id (``KeyError`` if unknown)."""
        return self.corridors[corridor_id]

    def commodity(self, name: str) -> CommodityProfile:
        """The cold-chain profile of this commodity (``KeyError`` if unknown)."""
        return self.commodities[name]

    def target(self, year: int) -> YearTarget:
        """The plan's targets for this year (``KeyError`` if the plan has none)."""
        return self.targets[year]


def load_reference(path: Path | None = None) -> Reference:
    """Read and cross-check a reference file; the packaged ``reference.toml`` by default.

    Raises:
        ReferenceConfigError: the file is not valid TOML or not a consistent reference;
            the message names the file and the offending entries.
        OSError: the file cannot be read.
    """
    if path is None:
        resource = resources.files("lugang").joinpath(PACKAGED_FILE)
        name, text = f"lugang/{PACKAGED_FILE}", resource.read_text(encoding="utf-8")
    else:
        name, text = str(path), path.read_text(encoding="utf-8")
    try:
        return Reference.model_validate(tomllib.loads(text))
    except tomllib.TOMLDecodeError as exc:
        raise ReferenceConfigError(f"{name}: invalid TOML: {exc}") from None
    except ValidationError as exc:
        raise ReferenceConfigError(f"{name}: {describe_validation_error(exc)}") from None


@cache
def default_reference() -> Reference:
    """The packaged reference, loaded once per process."""
    return load_reference()
