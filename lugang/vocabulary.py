"""The words operators read, defined once in English and Chinese, and the pace verdict.

- :data:`KIND_LABELS`: the cold-chain exception kinds;
- :data:`DAILY_SERVICE_LABELS`: the states of a service group's 天天班 day
  (:func:`daily_service_state`), and :data:`SERVICE_DAY_LABELS` those of a past day;
- :data:`PERIOD_LABELS`: the evaluation periods (month, quarter, half year, year to date);
- :func:`pro_rata`: a yearly target's share due by a day;
- :class:`Verdict`: how a pace (count ÷ pro-rata target) is judged, with the thresholds
  :data:`ON_TRACK_PERCENT` and :data:`AT_RISK_PERCENT` that the Grafana panels use too;
- :func:`pace_percent` and :func:`shown_pace`: a pace and its figures as text that never
  contradicts the verdict beside it.

This module imports nothing of Lugang's.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_FLOOR, Decimal
from enum import Enum
from types import MappingProxyType
from typing import Final


@dataclass(frozen=True, slots=True)
class Label:
    """One thing named in English and in Chinese."""

    en: str
    zh: str

    def __str__(self) -> str:
        return f"{self.zh} {self.en}"


KIND_LABELS: Final[Mapping[str, Label]] = MappingProxyType(
    {
        "HIGH": Label("HIGH excursion", "冷链温度超限（偏高）"),
        "LOW": Label("LOW excursion", "冷链温度超限（偏低）"),
        "CUMULATIVE": Label("cumulative time out of band", "冷链累计超温"),
        "POWER_OFF": Label("power off", "冷机断电"),
        "TELEMETRY_GAP": Label("no telemetry", "温度数据中断"),
        "SETPOINT_MISMATCH": Label("setpoint outside the safe band", "设定温度错误"),
    }
)
"""Cold-chain exception kind (``ColdChainException.kind``) -> its words."""

DAILY_SERVICE_LABELS: Final[Mapping[str, Label]] = MappingProxyType(
    {
        "served": Label("served", "已开行"),
        "not_yet": Label("not yet", "尚未开行"),
        "not_served": Label("not served", "未开行"),
    }
)
"""A service group's 天天班 today: ``served`` (an outbound run has departed), ``not_yet``
(none yet, before the warning hour), ``not_served`` (none, past the warning hour)."""


SERVICE_DAY_LABELS: Final[Mapping[str, Label]] = MappingProxyType(
    {
        "served": Label("served", "开行"),
        "missed": Label("missed", "未开行"),
        "unknown": Label("no data", "无数据"),
        "not_counted": Label("not counted", "未计入"),
    }
)
"""A past 天天班 day of a service group (``ServiceDay`` of ``streams.domain.status``):
served, missed (the monitor holds data for the day and no train of the group departed),
unknown (no data: the monitor cannot tell) or not counted (before the counting starts)."""

PERIOD_LABELS: Final[Mapping[str, Label]] = MappingProxyType(
    {
        "month": Label("month to date", "本月至今"),
        "quarter": Label("quarter to date", "本季度至今"),
        "half": Label("half-year to date", "本半年至今"),
        "year": Label("year to date", "年初至今"),
    }
)
"""An evaluation period read to date (``PeriodName`` of ``streams.domain.periods``)."""


def daily_service_state(served: bool, warning: bool) -> str:
    """The :data:`DAILY_SERVICE_LABELS` key of a 天天班 day: served, else not served once
    the warning is up, else not yet."""
    if served:
        return "served"
    return "not_served" if warning else "not_yet"


def days_in_year(year: int) -> int:
    """365, or 366 in a leap year."""
    return 366 if calendar.isleap(year) else 365


def pro_rata(yearly_target: float, day: date, since: date | None = None) -> float:
    """The share of ``yearly_target`` due by the end of ``day``: target × days elapsed
    (``since``, default 1 January of ``day``'s year, to ``day``, both included) ÷ days in
    the year. Not rounded."""
    first = since or date(day.year, 1, 1)
    return yearly_target * ((day - first).days + 1) / days_in_year(day.year)


ON_TRACK_PERCENT: Final = 100
"""A pace from this percentage of the pro-rata target on is on track."""
AT_RISK_PERCENT: Final = 90
"""A pace from this percentage (below :data:`ON_TRACK_PERCENT`) is at risk; below it, behind."""


class Verdict(Enum):
    """How a pace is judged: on track (≥ 100 %), at risk (90–100 %), behind (< 90 %)."""

    ON_TRACK = (Label("on track", "达到进度"), "✔", "green")
    AT_RISK = (Label("slightly behind", "略低于进度"), "!", "orange")
    BEHIND = (Label("behind", "落后于进度"), "✘", "red")

    def __init__(self, label: Label, symbol: str, grafana_colour: str) -> None:
        self.label = label
        self.symbol = symbol
        self.grafana_colour = grafana_colour

    @classmethod
    def of(cls, pace: float) -> Verdict:
        """The verdict of a pace given as a ratio (1.0 = exactly the pro-rata target)."""
        if pace >= ON_TRACK_PERCENT / 100:
            return cls.ON_TRACK
        if pace >= AT_RISK_PERCENT / 100:
            return cls.AT_RISK
        return cls.BEHIND


def verdict(pace: float | None) -> Verdict | None:
    """:meth:`Verdict.of` a pace; None where there is no pace (no target)."""
    return None if pace is None else Verdict.of(pace)


PACE_STEPS: Final[tuple[tuple[int | None, str], ...]] = (
    (None, Verdict.BEHIND.grafana_colour),
    (AT_RISK_PERCENT, Verdict.AT_RISK.grafana_colour),
    (ON_TRACK_PERCENT, Verdict.ON_TRACK.grafana_colour),
)
"""Grafana threshold steps of a pace in percent: (from this value on, this colour)."""


EVEN_CHANCE_PERCENT: Final = 50
"""A year-end projection's chance of reaching the target below this: missing it is likelier
(red); from it on, orange."""
LIKELY_CHANCE_PERCENT: Final = 80
"""From this chance on (the projection interval's own probability), green."""

CHANCE_STEPS: Final[tuple[tuple[int | None, str], ...]] = (
    (None, "red"),
    (EVEN_CHANCE_PERCENT, "orange"),
    (LIKELY_CHANCE_PERCENT, "green"),
)
"""Grafana threshold steps of a chance of reaching the target in percent."""


def chance_colour(probability: float) -> str:
    """The colour of a chance (a probability) in :data:`CHANCE_STEPS`."""
    colour = CHANCE_STEPS[0][1]
    for start, step_colour in CHANCE_STEPS[1:]:
        if start is not None and probability * 100 >= start:
            colour = step_colour
    return colour


def pace_percent(pace: float, decimals: int = 0) -> str:
    """A pace (a ratio) as a percentage, rounded *down* at ``decimals``.

    The verdict's thresholds are whole percentages, so a percentage rounded down is on the
    same side of each as the pace: 99.96 % reads 99 %, slightly behind, never 100 %."""
    quantum = Decimal(1).scaleb(-decimals)
    percent = (Decimal(repr(pace)) * 100).quantize(quantum, rounding=ROUND_FLOOR)
    return f"{percent:,.{decimals}f}%"


@dataclass(frozen=True, slots=True)
class ShownPace:
    """A count, the share of its target due by now, and the pace, as operators read them.

    ``actual`` and ``due`` are rounded so that comparing them as shown gives what comparing
    them exactly gives (a count of 1 against 1.37 due reads ``1 / 1.4``, never ``1 / 1``
    beside a "behind"); ``percent`` is :func:`pace_percent` and ``verdict`` its verdict,
    None where there is no pace (no target)."""

    actual: str
    due: str
    percent: str | None
    verdict: Verdict | None


DUE_DECIMALS: Final = 2
"""Decimals of the due figure in ``/status`` (``pro_rata_target``): no more are shown."""


def _shown(value: float, decimals: int) -> str:
    return f"{value:,.{decimals}f}"


def _looks_right(actual: str, due: str, exactly: bool) -> bool:
    """Whether the figures as shown compare as the exact ones do (``exactly``: actual ≥ due)."""
    return (float(actual.replace(",", "")) >= float(due.replace(",", ""))) == exactly


def shown_pace(actual: float, due: float, pace: float | None, decimals: int = 0) -> ShownPace:
    """:class:`ShownPace` of ``actual`` against ``due`` (``/status``'s ``pro_rata_target``):
    the count at ``decimals``, the due figure at one decimal more (up to
    :data:`DUE_DECIMALS`); where the two would still look the wrong way round, with more
    decimals (the count too, if it is not whole)."""
    whole = actual == round(actual)
    for extra in range(3):
        shown_actual = _shown(actual, decimals if whole else decimals + extra)
        shown_due = _shown(due, max(decimals, min(decimals + 1 + extra, DUE_DECIMALS)))
        if _looks_right(shown_actual, shown_due, actual >= due):
            break
    return ShownPace(
        shown_actual,
        shown_due,
        percent=None if pace is None else pace_percent(pace),
        verdict=verdict(pace),
    )
