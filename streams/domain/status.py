"""Figures against the plan, derived from the day totals: what ``/status`` and
``lugang report`` show.

Periods: the day asked about, and the month, quarter, half year and year to date
(:mod:`streams.domain.periods`), each with the day its report is due. Pace compares a
count with the target's pro-rata share over the period so far: yearly target × days from
the period's first day to the day asked about (included) ÷ days in the year.

天天班: a day is served for a service group when at least one outbound run of the group
departed the home location that day. Days are counted from 1 January, or from the start
of service if later (the reference's ``daily_service.service_start``; without one, the
first day the monitor holds totals for): before it a day is not counted at all. From it
on, an unserved day is *missed* when the monitor holds totals for it (something was
counted: the monitor saw the port at work) and *unknown* when it holds none (no data: it
cannot tell a day without trains from a day it did not see).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from decimal import ROUND_FLOOR, Decimal
from typing import Literal

from pydantic import BaseModel

from lugang.reference import Reference, YearTarget
from lugang.vocabulary import pro_rata
from streams.domain.balance import Balance, BalanceSums
from streams.domain.counts import DayTotals
from streams.domain.periods import (
    PERIOD_NAMES,
    CalendarPeriod,
    PeriodName,
    calendar_period,
    to_date_key,
)
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


class AgainstPlan(BaseModel):
    """A period's counts against the plan: each yearly target and its pro-rata share over
    the period so far (yearly target × days from the period's first day to its ``end`` ÷
    days in the year)."""

    trains: AgainstTarget
    teu: AgainstTarget
    teu_by_category: dict[str, AgainstTarget]
    reefer_teu: AgainstTarget
    tonnage: AgainstTarget
    """Gross weight of the counted container moves in 10⁴ t (万吨), against the plan's
    freight throughput target (``targets.*.freight_10k_t``)."""


class Period(BaseModel):
    """Train runs and TEU in a period (a day, or a month, quarter, half year or year to
    date) from ``start`` to ``end``; a period to date also names the whole calendar period
    (``label``, its last day ``closes``), the day its report is due, and its counts against
    the plan (None in a year the plan sets no targets for)."""

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
    label: str | None = None  # 2026-03, 2026-Q1, 2026-H1, 2026
    closes: date | None = None
    report_due: date | None = None
    against_plan: AgainstPlan | None = None
    balance: Balance = Balance()
    """Two-way flow balance per corridor (:mod:`streams.domain.balance`)."""


ServiceDay = Literal["served", "missed", "unknown", "not_counted"]
"""A day of a 天天班 group: see :func:`service_day`."""


class DailyServiceStatus(BaseModel):
    """天天班 for one service group as of a day. Missed and unknown days are counted from
    ``counted_from`` (or the period's first day, if later) to the day before today."""

    group: str
    served_today: bool
    streak_days: int  # consecutive served days ending today (or yesterday, if today is open)
    counted_from: date | None
    """The first day counted this year: 1 January, or the start of service if later; None
    while there is no start of service and no day with data yet."""
    missed_month_to_date: int  # counted days of the month before today with data, unserved
    unknown_month_to_date: int  # counted days of the month before today without any data
    missed_quarter_to_date: int
    unknown_quarter_to_date: int
    missed_half_to_date: int
    unknown_half_to_date: int
    missed_year_to_date: int
    unknown_year_to_date: int
    warning: bool  # today still unserved at or after the warning hour


class RecentDay(BaseModel):
    """One day of the week before the day asked about: its train runs and TEU, and which
    天天班 groups it served (a run of streaks and missed days, at a glance)."""

    day: date
    train_runs: int
    teu: float
    served: dict[str, bool]  # 天天班 group -> at least one outbound run that day
    service: dict[str, ServiceDay] = {}
    """天天班 group -> the day served, missed, unknown or not counted (:func:`service_day`);
    for the day asked about, what it is if no train departs before the day ends."""


class Status(BaseModel):
    """The port's figures as of one local day. The ``*_ytd`` figures are those of
    ``year_to_date.against_plan``, kept at the top for the readers that predate it."""

    as_of: date
    today: Period
    month_to_date: Period
    quarter_to_date: Period
    half_to_date: Period
    year_to_date: Period
    trains_ytd: AgainstTarget | None
    teu_ytd: AgainstTarget | None
    teu_ytd_by_category: dict[str, AgainstTarget]
    reefer_teu_ytd: AgainstTarget | None
    tonnage_ytd: AgainstTarget | None
    """:attr:`AgainstPlan.tonnage` of the year to date (10⁴ t)."""
    daily_service: list[DailyServiceStatus]
    recent_days: list[RecentDay] = []
    """The :data:`RECENT_DAYS` days ending on ``as_of``, oldest first."""
    trains_in_transit: list[RunUnderWay] = []
    """Runs (outbound and inbound) departed and not yet arrived at the clock asked about,
    oldest first
    (:func:`streams.domain.transit.runs_under_way`; filled in by ``/status``)."""


def _days(start: date, end: date) -> Iterable[date]:
    return (start + timedelta(n) for n in range((end - start).days + 1))


class PeriodSums:
    """The running sums of :func:`period`: :meth:`add` the days in date order (each day
    with totals once), read the period so far with :meth:`period` (as often as wished).
    Floats are added one by one in that order, so a period read from running sums is the
    one summed afresh, to the last bit."""

    __slots__ = ("_balance", "_empty", "_gross_weight_kg", "_laden", "_reefer_teu", "_runs", "_teu")

    def __init__(self) -> None:
        self._runs: dict[str, int] = {}  # corridor -> runs
        self._teu: dict[str, float] = {}  # TEU category -> TEU
        self._laden = self._empty = self._reefer_teu = self._gross_weight_kg = 0.0
        self._balance = BalanceSums()

    def add(self, day: DayTotals) -> None:
        """Add one day's totals."""
        runs, by_category, laden, empty = self._runs, self._teu, self._laden, self._empty
        for key, count in day.runs.items():
            corridor = key.split("/")[0]
            runs[corridor] = runs.get(corridor, 0) + count
        for key, teu in day.teu.items():
            category, _direction, state = key.split("/")
            by_category[category] = by_category.get(category, 0.0) + teu
            if state == "LADEN":
                laden += teu
            else:
                empty += teu
        self._laden, self._empty = laden, empty
        self._reefer_teu += sum(day.reefer_teu.values())
        self._gross_weight_kg += day.gross_weight_kg
        self._balance.add(day)

    def period(self, start: date, end: date) -> Period:
        """The days added so far as the period from ``start`` to ``end``."""
        return Period(
            start=start,
            end=end,
            train_runs=sum(self._runs.values()),
            runs_by_corridor=dict(self._runs),
            teu=self._laden + self._empty,
            teu_by_category=dict(self._teu),
            teu_laden=self._laden,
            teu_empty=self._empty,
            reefer_teu=self._reefer_teu,
            gross_weight_t=self._gross_weight_kg / 1000,
            balance=self._balance.balance(),
        )


def period(days: Mapping[date, DayTotals], start: date, end: date) -> Period:
    """Sum the day totals from ``start`` to ``end`` inclusive."""
    sums = PeriodSums()
    for day in _days(start, end):
        if day in days:
            sums.add(days[day])
    return sums.period(start, end)


def _pace(actual: float, due: float) -> float:
    """``actual ÷ due`` rounded *down* to 4 decimals: rounding up could carry a pace just
    under a verdict threshold over it (0.99996 to 1.0, on track, beside a count under its
    due figure)."""
    ratio = Decimal(actual) / Decimal(due)
    return float(ratio.quantize(Decimal("0.0001"), rounding=ROUND_FLOOR))


def _against(actual: float, yearly: float, as_of: date, since: date) -> AgainstTarget:
    due = pro_rata(yearly, as_of, since=since)
    return AgainstTarget(
        actual=actual,
        yearly_target=yearly,
        pro_rata_target=round(due, 2),
        pace=_pace(actual, due) if due else None,
    )


def period_to_date(
    days: Mapping[date, DayTotals], name: PeriodName, as_of: date, target: YearTarget | None
) -> Period:
    """The month, quarter, half year or year that ``as_of`` falls in, from its first day to
    ``as_of``: the counts, the whole period's label, last day and report due date, and the
    counts against the pro-rata share of ``target`` (None: the plan sets none)."""
    whole = calendar_period(name, as_of)
    return period_to_date_from(period(days, whole.first, as_of), whole, target)


def period_to_date_from(counts: Period, whole: CalendarPeriod, target: YearTarget | None) -> Period:
    """``counts`` from ``whole``'s first day to a day in it, as the period to date: with
    ``whole``'s label, last day and report due date, and against ``target``'s pro-rata
    share (None: the plan sets none)."""
    return counts.model_copy(
        update={
            "label": whole.label,
            "closes": whole.last,
            "report_due": whole.report_due,
            "against_plan": None if target is None else against_plan(counts, target),
        }
    )


def against_plan(counts: Period, target: YearTarget) -> AgainstPlan:
    """The counts of a period (``start`` to ``end``, within one year) against ``target``'s
    pro-rata share over those days."""

    def against(actual: float, yearly: float) -> AgainstTarget:
        return _against(actual, yearly, counts.end, since=counts.start)

    return AgainstPlan(
        trains=against(counts.train_runs, target.trains),
        teu=against(counts.teu, target.teu_total),
        teu_by_category={
            category: against(counts.teu_by_category.get(category, 0.0), teu)
            for category, teu in target.teu.items()
        },
        reefer_teu=against(counts.reefer_teu, target.reefer_teu),
        tonnage=against(counts.gross_weight_t / TONNES_PER_UNIT, target.freight_10k_t),
    )


def served(days: Mapping[date, DayTotals], group: str, day: date) -> bool:
    """Whether ``day`` is served for the 天天班 ``group``: an outbound run of it departed."""
    totals = days.get(day)
    return totals is not None and totals.outbound_runs_by_group.get(group, 0) > 0


def served_run(days: Mapping[date, DayTotals], group: str, day: date) -> int:
    """How many days in a row up to ``day`` (included) are served for ``group``: 0 when
    ``day`` is not."""
    run = 0
    while served(days, group, day):
        run += 1
        day -= timedelta(1)
    return run


def counted_from(
    days: Mapping[date, DayTotals], as_of: date, service_start: date | None
) -> date | None:
    """The first 天天班 day counted in ``as_of``'s year: 1 January, or if later the start of
    service ``service_start`` or, without one, the first day up to ``as_of`` that ``days``
    holds totals for; None without a start of service and without such a day."""
    new_year = date(as_of.year, 1, 1)
    with_data = None
    if service_start is None:
        with_data = min((day for day in days if new_year <= day <= as_of), default=None)
    return first_counted(as_of, service_start, with_data)


def first_counted(
    as_of: date, service_start: date | None, first_with_data: date | None
) -> date | None:
    """:func:`counted_from`, given the first day of ``as_of``'s year up to ``as_of`` with
    totals (``first_with_data``, None: no such day; read only without ``service_start``)."""
    first = first_with_data if service_start is None else service_start
    return None if first is None else max(date(as_of.year, 1, 1), first)


def service_day(*, served: bool, has_data: bool, counted: bool) -> ServiceDay:
    """What a day is for a 天天班 group: ``served`` when an outbound run of the group
    departed; else ``not_counted`` before the first counted day (``counted`` false); else
    ``unknown`` without any data for the day (``has_data`` false), ``missed`` with."""
    if served:
        return "served"
    if not counted:
        return "not_counted"
    return "missed" if has_data else "unknown"


def service_day_of(
    days: Mapping[date, DayTotals], group: str, day: date, first_counted: date | None
) -> ServiceDay:
    """:func:`service_day` of ``day`` for ``group``, counted from ``first_counted``."""
    return service_day(
        served=served(days, group, day),
        has_data=day in days,
        counted=first_counted is not None and day >= first_counted,
    )


def daily_service(
    days: Mapping[date, DayTotals],
    group: str,
    as_of: date,
    warning_due: bool,
    service_start: date | None = None,
) -> DailyServiceStatus:
    """天天班 of ``group`` as of ``as_of``; ``warning_due`` says whether the local time is
    past the warning hour of ``as_of`` (always true for a past day); ``service_start``: the
    reference's start of service (None: count from the first day with data)."""
    counted = counted_from(days, as_of, service_start)
    # Today is not judged yet: the days of the year before it.
    judged = [
        (d, service_day_of(days, group, d, counted))
        for d in _days(date(as_of.year, 1, 1), as_of - timedelta(1))
    ]
    firsts = {name: calendar_period(name, as_of).first for name in PERIOD_NAMES}
    tallies = {
        name: Counter(state for d, state in judged if d >= first) for name, first in firsts.items()
    }
    served_today = served(days, group, as_of)
    return daily_service_status(
        group,
        served_today=served_today,
        streak_days=served_run(days, group, as_of if served_today else as_of - timedelta(1)),
        counted_from=counted,
        tallies=tallies,
        warning_due=warning_due,
    )


def daily_service_status(
    group: str,
    *,
    served_today: bool,
    streak_days: int,
    counted_from: date | None,
    tallies: Mapping[PeriodName, Counter[ServiceDay]],
    warning_due: bool,
) -> DailyServiceStatus:
    """天天班 of ``group`` from its parts: ``streak_days`` served in a row ending today, or
    yesterday if today is not served; ``tallies``, the days of each period to date before
    today by what they are."""
    return DailyServiceStatus(
        group=group,
        served_today=served_today,
        streak_days=streak_days,
        counted_from=counted_from,
        warning=warning_due and not served_today,
        # missed_month_to_date, unknown_month_to_date, ...
        **{
            f"{state}_{to_date_key(name)}": tallies[name][state]
            for name in PERIOD_NAMES
            for state in ("missed", "unknown")
        },
    )


def recent_days(
    days: Mapping[date, DayTotals],
    groups: Iterable[str],
    as_of: date,
    service_start: date | None = None,
) -> list[RecentDay]:
    """The :data:`RECENT_DAYS` days ending on ``as_of``, oldest first, with the 天天班
    ``groups`` each served, and what each day is for each group (days counted from
    :func:`counted_from` of ``as_of`` and ``service_start``)."""
    counted = counted_from(days, as_of, service_start)
    return [
        recent_day(days, groups, day, counted, period(days, day, day))
        for day in _days(as_of - timedelta(RECENT_DAYS - 1), as_of)
    ]


def recent_day(
    days: Mapping[date, DayTotals],
    groups: Iterable[str],
    day: date,
    first_counted: date | None,
    counts: Period,
) -> RecentDay:
    """One of the recent days, ``counts`` its totals (:func:`period` of the day alone), its
    days counted from ``first_counted``."""
    return RecentDay(
        day=day,
        train_runs=counts.train_runs,
        teu=counts.teu,
        served={group: served(days, group, day) for group in groups},
        service={group: service_day_of(days, group, day, first_counted) for group in groups},
    )


def daily_service_groups(reference: Reference) -> list[str]:
    """The service groups held to 天天班."""
    return [group for group, spec in reference.service_groups.items() if spec.daily_service]


def warning_due(reference: Reference, as_of: date, now: datetime) -> bool:
    """Whether at ``now`` the local day ``as_of`` is past its 天天班 warning hour (a past day
    always is)."""
    local_now = now.astimezone(reference.home.tz)
    return as_of < local_now.date() or (
        as_of == local_now.date() and local_now.time() >= reference.daily_service.warning_at
    )


def compute_status(
    days: Mapping[date, DayTotals], reference: Reference, as_of: date, now: datetime
) -> Status:
    """All figures as of the local day ``as_of``; ``now`` decides the 天天班 warning."""
    due = warning_due(reference, as_of, now)
    target = reference.targets.get(as_of.year)
    groups = daily_service_groups(reference)
    start = reference.daily_service.service_start
    return status_of(
        as_of,
        today=period(days, as_of, as_of),
        to_date={name: period_to_date(days, name, as_of, target) for name in PERIOD_NAMES},
        services=[daily_service(days, group, as_of, due, start) for group in groups],
        recent=recent_days(days, groups, as_of, start),
    )


def status_of(
    as_of: date,
    *,
    today: Period,
    to_date: Mapping[PeriodName, Period],
    services: list[DailyServiceStatus],
    recent: list[RecentDay],
) -> Status:
    """The status as of ``as_of`` from its parts: the day's counts, each period to date,
    each 天天班 group's standing and the recent days."""
    ytd = to_date["year"].against_plan
    return Status(
        as_of=as_of,
        today=today,
        month_to_date=to_date["month"],
        quarter_to_date=to_date["quarter"],
        half_to_date=to_date["half"],
        year_to_date=to_date["year"],
        trains_ytd=ytd.trains if ytd else None,
        teu_ytd=ytd.teu if ytd else None,
        teu_ytd_by_category=ytd.teu_by_category if ytd else {},
        reefer_teu_ytd=ytd.reefer_teu if ytd else None,
        tonnage_ytd=ytd.tonnage if ytd else None,
        daily_service=services,
        recent_days=recent,
    )
