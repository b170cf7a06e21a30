"""The status as of each day of a run of days, in one walk: for each day, what
:func:`~streams.domain.status.compute_status` says of it, equal to the last bit.

The days agent writes the running points of every day from the earliest day a batch changed
to the last day with totals. :func:`~streams.domain.status.compute_status` reads each day
afresh from 1 January (the year to date, every 天天班 day of the year), so a run of days
cost the square of its length. This walks the days once, from 1 January of the first day's
year, keeping what the next day needs:

- the running sums of the month, quarter, half year and year to date
  (:class:`~streams.domain.status.PeriodSums`, started afresh on each period's first day:
  they add the days in the order :func:`~streams.domain.status.period` does; not kept for
  a period over before the first day asked about, whose sums no status reads);
- per 天天班 group, the days before today of each period to date by what they are
  (missed, unknown...), and how many days in a row were served up to yesterday;
- the first day of the year with totals, which :func:`~streams.domain.status.counted_from`
  counts from without a start of service.

A day is judged once, when the walk leaves it. What it is does not change later in the
year: the first counted day is fixed for the year by the start of service, or else by the
first day with totals, which is on or before any day it counts (a day before it has no
totals and is not counted as of any later day either).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping
from datetime import date, datetime, timedelta

from lugang.reference import Reference
from streams.domain.counts import DayTotals
from streams.domain.periods import PERIOD_NAMES, CalendarPeriod, PeriodName, calendar_period
from streams.domain.status import (
    RECENT_DAYS,
    Period,
    PeriodSums,
    ServiceDay,
    Status,
    daily_service_groups,
    daily_service_status,
    first_counted,
    period,
    period_to_date_from,
    recent_day,
    served,
    served_run,
    service_day_of,
    status_of,
    warning_due,
)


def status_series(
    days: Mapping[date, DayTotals], reference: Reference, first: date, last: date, now: datetime
) -> Iterator[Status]:
    """``compute_status(days, reference, day, now)`` for each day from ``first`` to ``last``
    (included), in order: O(1) a day, after the days of ``first``'s year before it once.
    ``days`` must not change while the series is read."""
    walk = _Walk(days, reference, first)
    day = walk.day
    while day <= last:
        walk.enter(day)
        if day >= first:
            yield walk.status(now)
        walk.leave()
        day += timedelta(1)


class _Walk:
    """What the walk knows on entering a day, from 1 January of ``first``'s year on (see
    the module's description); ``first``, the first day whose status is read."""

    def __init__(self, days: Mapping[date, DayTotals], reference: Reference, first: date) -> None:
        self.days = days
        self.reference = reference
        self.first = first
        self.groups = daily_service_groups(reference)
        self.day = start = date(first.year, 1, 1)
        self.wholes: dict[PeriodName, CalendarPeriod] = {}  # the periods the day is in
        self.sums: dict[PeriodName, PeriodSums] = {}
        self.tallies: dict[PeriodName, dict[str, Counter[ServiceDay]]] = {}
        self.first_with_data: date | None = None  # in the day's year, up to the day
        self.counted: date | None = None  # the first day counted, as of the day
        # Days served in a row up to the day before (a run may go on from the year before).
        self.run = {group: served_run(days, group, start - timedelta(1)) for group in self.groups}
        self.one_day: dict[date, Period] = {}  # the recent days' own counts

    def enter(self, day: date) -> None:
        """Step onto ``day``, the day after the one left last (or the start)."""
        self.day = day
        totals = self.days.get(day)
        for name in PERIOD_NAMES:
            whole = self.wholes.get(name)
            if whole is None or day > whole.last:  # the walk starts on a period's first day
                self.wholes[name] = whole = calendar_period(name, day)
                self.sums[name] = PeriodSums()
                self.tallies[name] = {group: Counter() for group in self.groups}
            # The sums of a period over before the first day read are never read.
            if totals is not None and whole.last >= self.first:
                self.sums[name].add(totals)
        if self.wholes["year"].first == day:
            self.first_with_data = None
        if totals is not None and self.first_with_data is None:
            self.first_with_data = day
        service_start = self.reference.daily_service.service_start
        self.counted = first_counted(day, service_start, self.first_with_data)

    def leave(self) -> None:
        """Judge the day for each 天天班 group, now that it is over."""
        for group in self.groups:
            state = service_day_of(self.days, group, self.day, self.counted)
            for name in PERIOD_NAMES:
                self.tallies[name][group][state] += 1
            self.run[group] = self.run[group] + 1 if state == "served" else 0

    def status(self, now: datetime) -> Status:
        """The status as of the day, as :func:`compute_status` computes it."""
        day = self.day
        due = warning_due(self.reference, day, now)
        target = self.reference.targets.get(day.year)
        to_date = {
            name: period_to_date_from(self.sums[name].period(whole.first, day), whole, target)
            for name, whole in self.wholes.items()
        }
        services = []
        for group in self.groups:
            served_today = served(self.days, group, day)
            services.append(
                daily_service_status(
                    group,
                    served_today=served_today,
                    streak_days=self.run[group] + 1 if served_today else self.run[group],
                    counted_from=self.counted,
                    tallies={name: self.tallies[name][group] for name in PERIOD_NAMES},
                    warning_due=due,
                )
            )
        window = [day - timedelta(n) for n in reversed(range(RECENT_DAYS))]
        self.one_day = {
            d: self.one_day[d] if d in self.one_day else period(self.days, d, d) for d in window
        }
        recent = [
            recent_day(self.days, self.groups, d, self.counted, self.one_day[d]) for d in window
        ]
        return status_of(
            day, today=self.one_day[day], to_date=to_date, services=services, recent=recent
        )
