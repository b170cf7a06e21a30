"""The plan's evaluation periods (month, quarter, half year, year to date) with their report
due dates and figures against the plan, and which 天天班 days are missed, unknown or not
counted at all (streams/domain/periods.py, streams/domain/status.py)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta

import pytest

from lugang.reference import default_reference
from streams.domain.counts import DayTotals
from streams.domain.periods import PeriodName, calendar_period
from streams.domain.status import (
    ServiceDay,
    compute_status,
    counted_from,
    daily_service,
    period_to_date,
    recent_days,
    service_day,
)

REF = default_reference()
TARGET = REF.target(2026)


def d(text: str) -> date:
    return date.fromisoformat(text)


@pytest.mark.parametrize(
    ("name", "day", "label", "first", "last", "due"),
    [
        ("month", "2026-03-15", "2026-03", "2026-03-01", "2026-03-31", "2026-04-15"),
        ("month", "2026-02-01", "2026-02", "2026-02-01", "2026-02-28", "2026-03-15"),
        ("month", "2028-02-29", "2028-02", "2028-02-01", "2028-02-29", "2028-03-15"),
        ("month", "2026-12-31", "2026-12", "2026-12-01", "2026-12-31", "2027-01-15"),
        ("quarter", "2026-01-01", "2026-Q1", "2026-01-01", "2026-03-31", "2026-04-15"),
        ("quarter", "2026-03-15", "2026-Q1", "2026-01-01", "2026-03-31", "2026-04-15"),
        ("quarter", "2026-04-01", "2026-Q2", "2026-04-01", "2026-06-30", "2026-07-15"),
        ("quarter", "2026-09-30", "2026-Q3", "2026-07-01", "2026-09-30", "2026-10-15"),
        ("quarter", "2026-12-31", "2026-Q4", "2026-10-01", "2026-12-31", "2027-01-15"),
        ("half", "2026-06-30", "2026-H1", "2026-01-01", "2026-06-30", "2026-07-15"),
        ("half", "2026-07-01", "2026-H2", "2026-07-01", "2026-12-31", "2027-01-15"),
        ("year", "2026-03-15", "2026", "2026-01-01", "2026-12-31", "2027-01-15"),
    ],
)
def test_calendar_periods_and_their_report_due_dates(
    name: PeriodName, day: str, label: str, first: str, last: str, due: str
) -> None:
    """A report is due 15 days after its whole period's last day."""
    period = calendar_period(name, d(day))
    assert (period.label, period.first, period.last) == (label, d(first), d(last))
    assert period.report_due == d(due)


def book(served: Iterable[str] = (), seen: Iterable[str] = ()) -> dict[date, DayTotals]:
    """Day totals: ``served`` days have an outbound rail-sea run; ``seen`` days hold data
    (an inbound run) but no outbound run of a 天天班 group."""
    days = {
        d(day): DayTotals(day=d(day), runs={"WUH-HHW/INBOUND": 1}, gross_weight_kg=1000.0)
        for day in seen
    }
    for day in served:
        days[d(day)] = DayTotals(
            day=d(day),
            runs={"HHW-QZH/OUTBOUND": 1},
            outbound_runs_by_group={"RAIL_SEA": 1},
        )
    return days


def week(first: str = "2026-03-09", last: str = "2026-03-15") -> list[str]:
    start, end = d(first), d(last)
    return [(start + timedelta(n)).isoformat() for n in range((end - start).days + 1)]


# The recorded week (tests/data/week.jsonl): data every day from 9 to 15 March, rail-sea
# departures on the 10th, 12th and 15th. Counted from 1 January it read 71 days missed.
WEEK = book(served=["2026-03-10", "2026-03-12", "2026-03-15"], seen=week())


@pytest.mark.parametrize(
    ("served", "has_data", "counted", "state"),
    [
        (True, True, True, "served"),
        (True, True, False, "served"),  # a run before the start of service still ran
        (False, True, True, "missed"),
        (False, False, True, "unknown"),
        (False, True, False, "not_counted"),
        (False, False, False, "not_counted"),
    ],
)
def test_a_service_day_is_served_missed_unknown_or_not_counted(
    served: bool, has_data: bool, counted: bool, state: ServiceDay
) -> None:
    assert service_day(served=served, has_data=has_data, counted=counted) == state


@pytest.mark.parametrize(
    ("days", "as_of", "service_start", "first"),
    [
        (WEEK, "2026-03-15", None, "2026-03-09"),  # the first day with data
        (WEEK, "2026-03-15", "2026-03-01", "2026-03-01"),  # a start of service before it
        (WEEK, "2026-03-15", "2026-03-12", "2026-03-12"),  # ... or after it
        (WEEK, "2026-03-15", "2025-06-01", "2026-01-01"),  # never before 1 January
        (WEEK, "2026-03-08", None, None),  # no data yet up to the day asked about
        ({}, "2026-03-15", None, None),
        (book(seen=["2025-12-31", "2026-02-02"]), "2026-03-15", None, "2026-02-02"),
    ],
)
def test_days_are_counted_from_the_first_day_with_data_or_the_start_of_service(
    days: dict[date, DayTotals], as_of: str, service_start: str | None, first: str | None
) -> None:
    start = None if service_start is None else d(service_start)
    assert counted_from(days, d(as_of), start) == (None if first is None else d(first))


@pytest.mark.parametrize(
    ("days", "as_of", "service_start", "counted", "missed", "unknown"),
    [
        # missed and unknown: (month, quarter, half year, year) to date, before today
        pytest.param(
            WEEK, "2026-03-15", None, "2026-03-09", (4, 4, 4, 4), (0, 0, 0, 0), id="week"
        ),
        pytest.param(
            book(served=["2026-03-10"], seen=["2026-03-09", "2026-03-13", "2026-03-14"]),
            "2026-03-15", None, "2026-03-09", (3, 3, 3, 3), (2, 2, 2, 2),
            id="days-without-data-are-unknown",
        ),
        pytest.param(
            WEEK, "2026-03-15", "2026-03-01", "2026-03-01", (4, 4, 4, 4), (8, 8, 8, 8),
            id="start-of-service-before-the-data",
        ),
        pytest.param(
            WEEK, "2026-03-15", "2026-03-12", "2026-03-12", (2, 2, 2, 2), (0, 0, 0, 0),
            id="start-of-service-after-the-first-data",
        ),
        pytest.param(
            WEEK, "2026-03-15", "2025-06-01", "2026-01-01", (4, 4, 4, 4), (8, 67, 67, 67),
            id="service-since-last-year",
        ),
        pytest.param(
            WEEK, "2026-03-15", "2026-06-01", "2026-06-01", (0, 0, 0, 0), (0, 0, 0, 0),
            id="start-of-service-still-ahead",
        ),
        pytest.param({}, "2026-03-15", None, None, (0, 0, 0, 0), (0, 0, 0, 0), id="no-data"),
        pytest.param(
            book(seen=week("2026-03-30", "2026-04-03")), "2026-04-03", None, "2026-03-30",
            (2, 2, 4, 4), (0, 0, 0, 0), id="a-new-quarter",
        ),
        pytest.param(
            book(seen=week("2026-06-29", "2026-07-02")), "2026-07-02", None, "2026-06-29",
            (1, 1, 1, 3), (0, 0, 0, 0), id="a-new-half-year",
        ),
        pytest.param(
            book(seen=["2025-12-30", "2026-01-01"]), "2026-01-01", None, "2026-01-01",
            (0, 0, 0, 0), (0, 0, 0, 0), id="new-years-day",
        ),
    ],
)  # fmt: skip
def test_missed_and_unknown_days_per_period(
    days: dict[date, DayTotals],
    as_of: str,
    service_start: str | None,
    counted: str | None,
    missed: tuple[int, int, int, int],
    unknown: tuple[int, int, int, int],
) -> None:
    start = None if service_start is None else d(service_start)
    status = daily_service(days, "RAIL_SEA", d(as_of), warning_due=True, service_start=start)
    assert status.counted_from == (None if counted is None else d(counted))
    assert (
        status.missed_month_to_date,
        status.missed_quarter_to_date,
        status.missed_half_to_date,
        status.missed_year_to_date,
    ) == missed
    assert (
        status.unknown_month_to_date,
        status.unknown_quarter_to_date,
        status.unknown_half_to_date,
        status.unknown_year_to_date,
    ) == unknown


@pytest.mark.parametrize(
    ("service_start", "week_of_states"),
    [
        (None, ["not_counted", "served", "unknown", "missed", "served", "missed", "missed"]),
        ("2026-03-01", ["unknown", "served", "unknown", "missed", "served", "missed", "missed"]),
    ],
)
def test_the_recent_days_say_what_each_day_was(
    service_start: str | None, week_of_states: list[str]
) -> None:
    """9 to 15 March, data from the 10th but none on the 11th; the 15th, the day asked
    about, is what it is if no train leaves before the day ends."""
    days = book(
        served=["2026-03-10", "2026-03-13"], seen=["2026-03-12", "2026-03-14", "2026-03-15"]
    )
    start = None if service_start is None else d(service_start)
    week = recent_days(days, ["RAIL_SEA"], d("2026-03-15"), start)
    assert [day.service["RAIL_SEA"] for day in week] == week_of_states


def test_the_reference_sets_the_start_of_service() -> None:
    service = REF.daily_service.model_copy(update={"service_start": d("2026-03-01")})
    reference = REF.model_copy(update={"daily_service": service})
    now = datetime(2026, 3, 15, 12, tzinfo=UTC)
    default, configured = (
        compute_status(WEEK, ref, d("2026-03-15"), now).daily_service[0] for ref in (REF, reference)
    )
    assert (default.counted_from, default.unknown_year_to_date) == (d("2026-03-09"), 0)
    assert (configured.counted_from, configured.unknown_year_to_date) == (d("2026-03-01"), 8)
    assert default.missed_year_to_date == configured.missed_year_to_date == 4


# 10 May 2026: 10 days of the month, 40 of Q2, 130 of H1 and of the year (365 days).
MAY_10 = book(seen=["2026-04-01", "2026-05-10"])


@pytest.mark.parametrize(
    ("name", "start", "label", "due", "days_elapsed"),
    [
        ("month", "2026-05-01", "2026-05", "2026-06-15", 10),
        ("quarter", "2026-04-01", "2026-Q2", "2026-07-15", 40),
        ("half", "2026-01-01", "2026-H1", "2026-07-15", 130),
        ("year", "2026-01-01", "2026", "2027-01-15", 130),
    ],
)
def test_a_period_to_date_is_against_its_pro_rata_share_of_each_target(
    name: PeriodName, start: str, label: str, due: str, days_elapsed: int
) -> None:
    period = period_to_date(MAY_10, name, d("2026-05-10"), TARGET)
    assert (period.start, period.end, period.label, period.report_due) == (
        d(start),
        d("2026-05-10"),
        label,
        d(due),
    )
    plan = period.against_plan
    assert plan is not None
    share = days_elapsed / 365
    in_quarter = 2 if name in ("quarter", "half", "year") else 1  # runs on 1 April and 10 May
    assert plan.trains.actual == in_quarter
    assert plan.trains.pro_rata_target == round(500 * share, 2)
    assert plan.teu.pro_rata_target == round(50_000 * share, 2)
    assert plan.teu_by_category["LAOS"].pro_rata_target == round(4_000 * share, 2)
    assert plan.reefer_teu.pro_rata_target == round(500 * share, 2)
    # Tonnage in 10⁴ t against the freight target (1000 × 10⁴ t in 2026): 1 t a day.
    assert plan.tonnage.actual == in_quarter / 10_000
    assert plan.tonnage.yearly_target == 1000
    assert plan.tonnage.pro_rata_target == round(1000 * share, 2)


def test_status_has_every_period_and_the_year_to_date_figures_at_the_top() -> None:
    status = compute_status(MAY_10, REF, d("2026-05-10"), datetime(2026, 5, 10, tzinfo=UTC))
    periods = [status.month_to_date, status.quarter_to_date, status.half_to_date]
    assert [p.label for p in [*periods, status.year_to_date]] == [
        "2026-05",
        "2026-Q2",
        "2026-H1",
        "2026",
    ]
    assert status.today.label is None and status.today.report_due is None
    ytd = status.year_to_date.against_plan
    assert ytd is not None
    assert status.trains_ytd == ytd.trains and status.tonnage_ytd == ytd.tonnage
    assert status.teu_ytd_by_category == ytd.teu_by_category


def test_a_year_without_targets_has_periods_without_figures_against_the_plan() -> None:
    status = compute_status(MAY_10, REF, d("2031-05-10"), datetime(2031, 5, 10, tzinfo=UTC))
    assert status.quarter_to_date.against_plan is None
    assert status.quarter_to_date.report_due == d("2031-07-15")
    assert (status.trains_ytd, status.tonnage_ytd, status.teu_ytd_by_category) == (None, None, {})
