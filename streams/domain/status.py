"""Figures against the plan, derived from the day totals: what ``/status`` and
``lugang report`` show.

Pace compares a count with the target's pro-rata share: yearly target × days elapsed ÷
days in the year (the day asked about included). 天天班: a day is served for a service
group when at least one outbound run of the group departed the home location that day.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime, timedelta
from decimal import ROUND_FLOOR, Decimal

from pydantic import BaseModel

from lugang.reference import Reference
from lugang.vocabulary import pro_rata
from streams.domain.counts import DayTotals
from streams.domain.transit import RunUnderWay

TONNES_PER_UNIT = 10_000
"""The plan counts freight in 10⁴ t (万吨)."""
RECENT_DAYS = 7
"""Days in :attr:`Status.recent_days` (the week ending on the day asked about)."""


class AgainstTarget(BaseModel):
    """A count next to its yearly target and the pro-rata share due by now."""

    actual: float
    yearly_target: float
    pro_rata_target: float
    pace: float | None  # actual ÷ pro-rata target; None where the target is 0


class Period(BaseModel):
    """Train runs and TEU in a period (a day, month to date, year to date)."""

    start: date
    end: date
    train_runs: int
    runs_by_corridor: dict[str, int]
    teu: float
    teu_by_category: dict[str, float]
    teu_laden: float
    teu_empty: float
    reefer_teu: float
    gross_weight_t: float


class DailyServiceStatus(BaseModel):
    """天天班 for one service group as of a day."""

    group: str
    served_today: bool
    streak_days: int  # consecutive served days ending today (or yesterday, if today is open)
    missed_month_to_date: int  # unserved days of the month before today
    missed_year_to_date: int
    warning: bool  # today still unserved at or after the warning hour


class RecentDay(BaseModel):
    """One day of the week before the day asked about: its train runs and TEU, and which
    天天班 groups it served (a run of streaks and missed days, at a glance)."""

    day: date
    train_runs: int
    teu: float
    served: dict[str, bool]  # 天天班 group -> at least one outbound run that day


class Status(BaseModel):
    """The port's figures as of one local day."""

    as_of: date
    today: Period
    month_to_date: Period
    year_to_date: Period
    trains_ytd: AgainstTarget | None
    teu_ytd: AgainstTarget | None
    teu_ytd_by_category: dict[str, AgainstTarget]
    reefer_teu_ytd: AgainstTarget | None
    tonnage_ytd: AgainstTarget | None
    """Gross weight of the counted container moves, in 10⁴ t (万吨), against the plan's
    freight throughput target (``targets.*.freight_10k_t``)."""
    daily_service: list[DailyServiceStatus]
    recent_days: list[RecentDay] = []
    """The :data:`RECENT_DAYS` days ending on ``as_of``, oldest first."""
    trains_in_transit: list[RunUnderWay] = []
    """Outbound runs departed and not yet arrived at the clock asked about, oldest first
    (:func:`streams.domain.transit.runs_under_way`; filled in by ``/status``)."""


def _days(start: date, end: date) -> Iterable[date]:
    return (start + timedelta(n) for n in range((end - start).days + 1))


def period(days: Mapping[date, DayTotals], start: date, end: date) -> Period:
    """Sum the day totals from ``start`` to ``end`` inclusive."""
    totals = [days[d] for d in _days(start, end) if d in days]
    runs: dict[str, int] = {}
    teu_by_category: dict[str, float] = {}
    laden = empty = 0.0
    for day in totals:
        for key, count in day.runs.items():
            corridor = key.split("/")[0]
            runs[corridor] = runs.get(corridor, 0) + count
        for key, teu in day.teu.items():
            category, _direction, state = key.split("/")
            teu_by_category[category] = teu_by_category.get(category, 0.0) + teu
            if state == "LADEN":
                laden += teu
            else:
                empty += teu
    return Period(
        start=start,
        end=end,
        train_runs=sum(runs.values()),
        runs_by_corridor=runs,
        teu=laden + empty,
        teu_by_category=teu_by_category,
        teu_laden=laden,
        teu_empty=empty,
        reefer_teu=sum(sum(d.reefer_teu.values()) for d in totals),
        gross_weight_t=sum(d.gross_weight_kg for d in totals) / 1000,
    )


def _pace(actual: float, due: float) -> float:
    """``actual ÷ due`` rounded *down* to 4 decimals: rounding up could carry a pace just
    under a verdict threshold over it (0.99996 to 1.0, on track, beside a count under its
    due figure)."""
    ratio = Decimal(actual) / Decimal(due)
    return float(ratio.quantize(Decimal("0.0001"), rounding=ROUND_FLOOR))


def _against(actual: float, yearly: float, as_of: date) -> AgainstTarget:
    due = pro_rata(yearly, as_of)
    return AgainstTarget(
        actual=actual,
        yearly_target=yearly,
        pro_rata_target=round(due, 2),
        pace=_pace(actual, due) if due else None,
    )


def served(days: Mapping[date, DayTotals], group: str, day: date) -> bool:
    """Whether ``day`` is served for the 天天班 ``group``: an outbound run of it departed."""
    totals = days.get(day)
    return totals is not None and totals.outbound_runs_by_group.get(group, 0) > 0


def daily_service(
    days: Mapping[date, DayTotals],
    group: str,
    as_of: date,
    warning_due: bool,
) -> DailyServiceStatus:
    """天天班 of ``group`` as of ``as_of``; ``warning_due`` says whether the local time is
    past the warning hour of ``as_of`` (always true for a past day)."""

    def served_on(day: date) -> bool:
        return served(days, group, day)

    streak = 0
    day = as_of if served_on(as_of) else as_of - timedelta(1)
    while served_on(day):
        streak += 1
        day -= timedelta(1)
    yesterday = as_of - timedelta(1)
    return DailyServiceStatus(
        group=group,
        served_today=served_on(as_of),
        streak_days=streak,
        missed_month_to_date=_count_unserved(served_on, as_of.replace(day=1), yesterday),
        missed_year_to_date=_count_unserved(served_on, date(as_of.year, 1, 1), yesterday),
        warning=warning_due and not served_on(as_of),
    )


def _count_unserved(served: Callable[[date], bool], start: date, end: date) -> int:
    return sum(1 for d in _days(start, end) if not served(d))


def recent_days(
    days: Mapping[date, DayTotals], groups: Iterable[str], as_of: date
) -> list[RecentDay]:
    """The :data:`RECENT_DAYS` days ending on ``as_of``, oldest first, with the 天天班
    ``groups`` each served."""
    first = as_of - timedelta(RECENT_DAYS - 1)
    recent = []
    for day in _days(first, as_of):
        totals = period(days, day, day)
        recent.append(
            RecentDay(
                day=day,
                train_runs=totals.train_runs,
                teu=totals.teu,
                served={group: served(days, group, day) for group in groups},
            )
        )
    return recent


def compute_status(
    days: Mapping[date, DayTotals], reference: Reference, as_of: date, now: datetime
) -> Status:
    """All figures as of the local day ``as_of``; ``now`` decides the 天天班 warning."""
    local_now = now.astimezone(reference.home.tz)
    warning_due = as_of < local_now.date() or (
        as_of == local_now.date() and local_now.time() >= reference.daily_service.warning_at
    )
    ytd = period(days, date(as_of.year, 1, 1), as_of)
    target = reference.targets.get(as_of.year)
    groups = [group for group, spec in reference.service_groups.items() if spec.daily_service]
    return Status(
        as_of=as_of,
        today=period(days, as_of, as_of),
        month_to_date=period(days, as_of.replace(day=1), as_of),
        year_to_date=ytd,
        trains_ytd=_against(ytd.train_runs, target.trains, as_of) if target else None,
        teu_ytd=_against(ytd.teu, target.teu_total, as_of) if target else None,
        teu_ytd_by_category={
            category: _against(ytd.teu_by_category.get(category, 0.0), teu, as_of)
            for category, teu in (target.teu.items() if target else ())
        },
        reefer_teu_ytd=_against(ytd.reefer_teu, target.reefer_teu, as_of) if target else None,
        tonnage_ytd=(
            _against(ytd.gross_weight_t / TONNES_PER_UNIT, target.freight_10k_t, as_of)
            if target
            else None
        ),
        daily_service=[daily_service(days, group, as_of, warning_due) for group in groups],
        recent_days=recent_days(days, groups, as_of),
    )
