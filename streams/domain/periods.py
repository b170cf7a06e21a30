"""The calendar periods the plan is evaluated over, and when each period's report is due.

The plan's indicators are yearly, with "dynamic tracking" in between: a report for the
month, the quarter (Q1–Q4), the half year (H1, H2) and the year. Each is read *to date*,
from the period's first day to the day asked about, and each report is due
:data:`REPORT_DUE_DAYS` days after the whole period's last day (Q1's on 15 April).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Final, Literal, get_args

PeriodName = Literal["month", "quarter", "half", "year"]
PERIOD_NAMES: Final[tuple[PeriodName, ...]] = get_args(PeriodName)

REPORT_DUE_DAYS: Final = 15
"""A period's report is due this many days after its last day (the commerce-logistics
statistics rules): March's and Q1's on 15 April, the year's on 15 January."""

_MONTHS: Final[dict[PeriodName, int]] = {"month": 1, "quarter": 3, "half": 6, "year": 12}


@dataclass(frozen=True, slots=True)
class CalendarPeriod:
    """One whole calendar period: its first and last day and its name as reports write it
    (``2026-03``, ``2026-Q1``, ``2026-H1``, ``2026``)."""

    name: PeriodName
    label: str
    first: date
    last: date

    @property
    def report_due(self) -> date:
        """The day the period's report is due: :data:`REPORT_DUE_DAYS` after its last day."""
        return self.last + timedelta(REPORT_DUE_DAYS)


def calendar_period(name: PeriodName, day: date) -> CalendarPeriod:
    """The month, quarter, half year or year that ``day`` falls in."""
    months = _MONTHS[name]
    index = (day.month - 1) // months  # which month / quarter / half of the year (0-based)
    first = date(day.year, index * months + 1, 1)
    last_month = first.month + months - 1
    last = date(day.year, last_month, calendar.monthrange(day.year, last_month)[1])
    label = {
        "month": f"{day.year}-{first.month:02d}",
        "quarter": f"{day.year}-Q{index + 1}",
        "half": f"{day.year}-H{index + 1}",
        "year": f"{day.year}",
    }[name]
    return CalendarPeriod(name, label, first, last)


def to_date_key(name: PeriodName) -> str:
    """The name of the period-to-date figures in ``/status`` (``quarter_to_date``), and the
    suffix of the 天天班 counts over it (``missed_quarter_to_date``)."""
    return f"{name}_to_date"
