"""Daily counts on event time, and the figures against the plan derived from them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from lugang.contract import ContainerEvent, TrainEvent, parse_event
from lugang.reference import default_reference
from streams.domain.counts import DayTotals, Fact, fact_of, local_day
from streams.domain.status import compute_status, daily_service

SHANGHAI = ZoneInfo("Asia/Shanghai")
REF = default_reference()


def train(
    event_id: str, event_type: str, corridor: str, location: str, direction: str, when: str
) -> TrainEvent:
    event = parse_event(
        "trains",
        (
            f'{{"event_id":"{event_id}","event_type":"{event_type}","train_id":"X1",'
            f'"corridor":"{corridor}","location":"{location}","direction":"{direction}",'
            f'"event_time":"{when}"}}'
        ).encode(),
    )
    assert isinstance(event, TrainEvent)
    return event


def move(
    event_id: str,
    event_type: str,
    code: str,
    direction: str,
    when: str,
    empty: str = "LADEN",
    location: str = "HHW",
) -> ContainerEvent:
    event = parse_event(
        "containers",
        (
            f'{{"event_id":"{event_id}","event_type":"{event_type}",'
            f'"equipment_reference":"MSKU9070323","iso_equipment_code":"{code}",'
            f'"empty_indicator":"{empty}","train_id":"X1","corridor":"HHW-QZH",'
            f'"direction":"{direction}","location":"{location}","event_time":"{when}",'
            f'"gross_weight_kg":20000}}'
        ).encode(),
    )
    assert isinstance(event, ContainerEvent)
    return event


@pytest.mark.parametrize(
    ("moment", "day"),
    [
        (datetime(2026, 3, 15, 23, 59, tzinfo=SHANGHAI), date(2026, 3, 15)),
        (datetime(2026, 3, 16, 0, 0, tzinfo=SHANGHAI), date(2026, 3, 16)),
        (datetime(2026, 3, 15, 15, 59, tzinfo=UTC), date(2026, 3, 15)),
        (datetime(2026, 3, 15, 16, 0, tzinfo=UTC), date(2026, 3, 16)),  # local midnight
        (datetime(2026, 3, 15, 12, 0, tzinfo=timezone(timedelta(hours=-5))), date(2026, 3, 16)),
    ],
)
def test_the_day_is_the_local_day_in_shanghai(moment: datetime, day: date) -> None:
    assert local_day(moment, SHANGHAI) == day


def test_train_runs_count_departures_out_and_arrivals_in_at_huaihua() -> None:
    depart_out = train("a", "DEPA", "HHW-QZH", "HHW", "OUTBOUND", "2026-03-15T16:30:00Z")
    arrive_far = train("b", "ARRI", "HHW-QZH", "CNQZH", "OUTBOUND", "2026-03-17T00:00:00Z")
    arrive_in = train("c", "ARRI", "HHW-VTE", "HHW", "INBOUND", "2026-03-15T01:00:00+08:00")
    depart_far = train("d", "DEPA", "HHW-VTE", "LAVTE", "INBOUND", "2026-03-12T01:00:00+08:00")

    out, inbound = fact_of(depart_out, REF), fact_of(arrive_in, REF)

    assert out is not None and out.day == date(2026, 3, 16) and out.service_group == "RAIL_SEA"
    assert inbound is not None and inbound.direction == "INBOUND"
    assert fact_of(arrive_far, REF) is None
    assert fact_of(depart_far, REF) is None


def test_container_moves_count_teu_by_size_and_reefer() -> None:
    load = fact_of(move("l", "LOAD", "45R1", "OUTBOUND", "2026-03-15T08:00:00+08:00"), REF)
    disc = fact_of(
        move("d", "DISC", "22G1", "OUTBOUND", "2026-03-15T08:00:00+08:00", location="CNQZH"), REF
    )

    assert load is not None and (load.teu, load.reefer, load.teu_category) == (2, True, "RAIL_SEA")
    assert disc is None  # a discharge at the far end is not a Huaihua movement


def test_a_fact_counts_once_however_often_it_arrives() -> None:
    totals = DayTotals(day=date(2026, 3, 15))
    fact = fact_of(move("l", "LOAD", "45R1", "OUTBOUND", "2026-03-15T08:00:00+08:00"), REF)
    assert fact is not None

    assert totals.add(fact) is True
    assert totals.add(fact) is False

    assert totals.teu == {"RAIL_SEA/OUTBOUND/LADEN": 2}
    assert totals.reefer_teu == {"OUTBOUND": 2}
    assert totals.gross_weight_kg == 20000
    assert DayTotals.model_validate_json(totals.model_dump_json()) == totals


def run(day: date, group_corridor: str, n: int = 0) -> Fact:
    corridor = REF.corridor(group_corridor)
    return Fact(
        event_id=f"{day}-{group_corridor}-{n}",
        day=day,
        kind="TRAIN_RUN",
        corridor=group_corridor,
        direction="OUTBOUND",
        service_group=corridor.service_group,
        teu_category=corridor.teu_category,
    )


def days_with_runs(*served: tuple[date, str]) -> dict[date, DayTotals]:
    days: dict[date, DayTotals] = {}
    for day, corridor in served:
        days.setdefault(day, DayTotals(day=day)).add(run(day, corridor))
    return days


def test_daily_service_streak_and_missed_days() -> None:
    served = [date(2026, 3, d) for d in (1, 2, 4, 5, 6)]
    days = days_with_runs(*[(d, "HHW-QZH") for d in served])

    today_open = daily_service(days, "RAIL_SEA", date(2026, 3, 7), warning_due=True)
    today_served = daily_service(days, "RAIL_SEA", date(2026, 3, 6), warning_due=True)

    assert (today_open.served_today, today_open.streak_days, today_open.warning) == (False, 3, True)
    # The 3rd has no data: unknown, not missed; counted from the first day with data.
    assert (today_open.missed_month_to_date, today_open.unknown_month_to_date) == (0, 1)
    assert (today_open.missed_year_to_date, today_open.unknown_year_to_date) == (0, 1)
    assert today_open.counted_from == date(2026, 3, 1)
    assert (today_served.served_today, today_served.streak_days) == (True, 3)
    assert daily_service(days, "CROSS_BORDER", date(2026, 3, 6), warning_due=False).warning is False


def test_status_pace_is_against_the_pro_rata_target() -> None:
    days = days_with_runs((date(2026, 1, 1), "HHW-QZH"), (date(2026, 1, 2), "HHW-VTE"))
    before_warning = datetime(2026, 1, 10, 17, 59, tzinfo=SHANGHAI)

    status = compute_status(days, REF, date(2026, 1, 10), now=before_warning)

    assert status.year_to_date.train_runs == 2
    assert status.trains_ytd is not None
    assert status.trains_ytd.pro_rata_target == round(500 * 10 / 365, 2)
    assert status.trains_ytd.pace == round(2 / (500 * 10 / 365), 4)
    assert [s.warning for s in status.daily_service] == [False, False]
    after = compute_status(days, REF, date(2026, 1, 10), now=before_warning + timedelta(minutes=1))
    assert [s.warning for s in after.daily_service] == [True, True]


def test_a_pace_is_never_rounded_up_over_a_threshold() -> None:
    """49,998 TEU against 50,000 due is 0.99996 of it: slightly behind, so the pace reads
    0.9999, not 1.0 (which would be on track beside a count under its due figure)."""
    year_end = date(2026, 12, 31)
    totals = DayTotals(day=year_end, teu={"RAIL_SEA/OUTBOUND/LADEN": 49_998.0})
    status = compute_status({year_end: totals}, REF, year_end, datetime(2026, 12, 31, tzinfo=UTC))
    assert status.teu_ytd is not None
    assert (status.teu_ytd.pro_rata_target, status.teu_ytd.pace) == (50_000, 0.9999)


def test_recent_days_show_a_week_of_runs_and_served_days() -> None:
    """The week ending on the day asked about, oldest first: runs, TEU and 天天班 per group."""
    days = days_with_runs(
        (date(2026, 3, 10), "HHW-QZH"),
        (date(2026, 3, 11), "HHW-QZH"),
        (date(2026, 3, 11), "HHW-VTE"),
        (date(2026, 3, 14), "WUH-HHW"),  # inbound, domestic: no group served
    )
    status = compute_status(days, REF, date(2026, 3, 15), datetime(2026, 3, 15, 12, tzinfo=UTC))

    week = [(d.day.day, d.train_runs, d.served) for d in status.recent_days]
    no, rail_sea = (
        {"RAIL_SEA": False, "CROSS_BORDER": False},
        {"RAIL_SEA": True, "CROSS_BORDER": False},
    )
    assert week == [
        (9, 0, no),
        (10, 1, rail_sea),
        (11, 2, {"RAIL_SEA": True, "CROSS_BORDER": True}),
        (12, 0, no),
        (13, 0, no),
        (14, 1, no),
        (15, 0, no),
    ]


def test_tonnage_is_against_the_freight_target_in_10k_t() -> None:
    """Domain §1: freight throughput is counted in 10^4 t (1000 in 2026)."""
    totals = DayTotals(day=date(2026, 1, 10), gross_weight_kg=2_500_000.0)
    status = compute_status(
        {totals.day: totals}, REF, totals.day, datetime(2026, 1, 10, 12, tzinfo=SHANGHAI)
    )
    assert status.tonnage_ytd is not None
    assert status.tonnage_ytd.actual == 0.25
    assert status.tonnage_ytd.yearly_target == 1000
    assert status.tonnage_ytd.pro_rata_target == round(1000 * 10 / 365, 2)
