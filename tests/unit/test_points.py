"""The InfluxDB schema: line protocol, and the samples each aggregate becomes."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

import pytest

from lugang.contract import ColdChainException, ReeferReading, exception_id
from lugang.reference import default_reference
from streams.domain.counts import DayTotals, Fact
from streams.domain.projection import MeasureProjection, YearProjection
from streams.domain.status import compute_status
from streams.schema import points
from streams.schema.line import FieldValue, line
from streams.schema.points import Sample

REF = default_reference()
CST = timezone(timedelta(hours=8))
DAY = date(2026, 3, 15)
MIDNIGHT = datetime(2026, 3, 14, 16, 0, tzinfo=UTC)  # 2026-03-15 00:00 in Asia/Shanghai
MIDNIGHT_NS = 1_773_504_000_000_000_000
BOX = "MSKU9070323"


def fact(kind: str, event_id: str, corridor: str, direction: str, **kwargs: object) -> Fact:
    spec = REF.corridor(corridor)
    return Fact.model_validate(
        {
            "event_id": event_id,
            "day": DAY,
            "kind": kind,
            "corridor": corridor,
            "direction": direction,
            "service_group": spec.service_group,
            "teu_category": spec.teu_category,
            **kwargs,
        }
    )


def day_totals() -> DayTotals:
    """Two outbound runs on HHW-QZH, one inbound on HHW-VTE, a laden 40 ft reefer loaded
    (28.5 t) and an empty 20 ft box discharged."""
    totals = DayTotals(day=DAY)
    for item in [
        fact("TRAIN_RUN", "t1", "HHW-QZH", "OUTBOUND"),
        fact("TRAIN_RUN", "t2", "HHW-QZH", "OUTBOUND"),
        fact("TRAIN_RUN", "t3", "HHW-VTE", "INBOUND"),
        fact(
            "CONTAINER_MOVE",
            "c1",
            "HHW-QZH",
            "OUTBOUND",
            teu=2.0,
            reefer=True,
            gross_weight_kg=28500.0,
        ),
        fact("CONTAINER_MOVE", "c2", "HHW-VTE", "INBOUND", teu=1.0, laden=False),
    ]:
        totals.add(item)
    return totals


def by_tags(samples: list[Sample], measurement: str) -> dict[tuple[str, ...], Mapping[str, object]]:
    """The fields of each sample of one measurement, keyed by its sorted tag values."""
    found: dict[tuple[str, ...], Mapping[str, object]] = {}
    for sample in samples:
        if sample.measurement == measurement:
            assert sample.time == MIDNIGHT
            key = tuple(value for _, value in sorted(sample.tags.items()))
            assert key not in found, f"two {measurement} samples with tags {key}"
            found[key] = sample.fields
    return found


def test_line_protocol_escapes_and_orders_tags_and_fields() -> None:
    """Tags and fields are sorted by key; names, tags and strings are escaped."""
    fields: dict[str, FieldValue] = {"z": 1.5, "n": 3, "ok": True, "s": 'say "hi" \\ bye'}
    sample = Sample("my m,x", {"b key": "v=1,2", "a": "plain"}, fields, MIDNIGHT.astimezone(CST))
    assert sample.to_line() == (
        r"my\ m\,x,a=plain,b\ key=v\=1\,2 "
        r'n=3i,ok=true,s="say \"hi\" \\ bye",z=1.5 '
        f"{MIDNIGHT_NS}"
    )


def test_line_protocol_keeps_microseconds_and_float_types() -> None:
    """Timestamps are exact nanoseconds; a whole float stays a float (not an integer)."""
    sample = Sample("m", {}, {"teu": 2.0}, MIDNIGHT + timedelta(microseconds=7))
    assert sample.to_line() == f"m teu=2.0 {MIDNIGHT_NS + 7000}"


@pytest.mark.parametrize(
    ("tags", "fields", "moment"),
    [
        ({}, {"v": 1}, datetime(2026, 3, 15)),  # noqa: DTZ001 - the naive time is the point
        ({}, {}, MIDNIGHT),
        ({"corridor": ""}, {"v": 1}, MIDNIGHT),
        ({"corridor": "a\nb"}, {"v": 1}, MIDNIGHT),
        ({}, {"v": float("nan")}, MIDNIGHT),
    ],
)
def test_sample_refuses_points_influxdb_would_refuse(
    tags: dict[str, str], fields: dict[str, FieldValue], moment: datetime
) -> None:
    with pytest.raises(ValueError, match=r"^m: "):
        Sample("m", tags, fields, moment)


def test_day_samples_train_runs_cover_every_corridor_and_direction() -> None:
    """Runs per corridor and direction at local midnight, zeros where nothing ran."""
    runs = by_tags(points.day_samples(day_totals(), REF), points.TRAIN_RUNS_DAILY)
    assert len(runs) == 2 * len(REF.corridors)
    assert runs["HHW-QZH", "OUTBOUND", "RAIL_SEA"] == {"runs": 2}
    assert runs["HHW-VTE", "INBOUND", "CROSS_BORDER"] == {"runs": 1}
    assert runs["HHW-QZH", "INBOUND", "RAIL_SEA"] == {"runs": 0}
    assert runs["KHN-HHW", "OUTBOUND", "DOMESTIC"] == {"runs": 0}


def test_day_samples_teu_reefer_tonnage_and_daily_service() -> None:
    samples = points.day_samples(day_totals(), REF)
    teu = by_tags(samples, points.TEU_DAILY)  # key: direction, laden, teu_category
    assert len(teu) == 2 * 2 * len(REF.teu_categories)
    assert teu["OUTBOUND", "LADEN", "RAIL_SEA"] == {"teu": 2.0}
    assert teu["INBOUND", "EMPTY", "LAOS"] == {"teu": 1.0}
    assert teu["INBOUND", "LADEN", "LAOS"] == {"teu": 0.0}
    assert all(isinstance(fields["teu"], float) for fields in teu.values())
    assert by_tags(samples, points.REEFER_TEU_DAILY) == {
        ("OUTBOUND",): {"teu": 2.0},
        ("INBOUND",): {"teu": 0.0},
    }
    assert by_tags(samples, points.TONNAGE_DAILY) == {(): {"gross_weight_t": 28.5}}
    assert by_tags(samples, points.DAILY_SERVICE) == {
        ("RAIL_SEA",): {"served": 1, "outbound_runs": 2},
        ("CROSS_BORDER",): {"served": 0, "outbound_runs": 0},
    }


def test_status_samples() -> None:
    """Year-to-date progress against pro-rata targets, and 天天班 standing, at midnight."""
    now = datetime(2026, 3, 15, 20, 0, tzinfo=CST)
    status = compute_status({DAY: day_totals()}, REF, DAY, now)
    samples = points.status_samples(status, REF)
    # 2026-03-15 is day 74 of 365: 500 trains x 74/365 = 101.37
    assert by_tags(samples, points.PROGRESS_DAILY) == {
        (): {
            "trains_ytd": 3,
            "trains_pro_rata": 101.37,
            "teu_ytd": 3.0,
            "teu_pro_rata": 10136.99,
            "reefer_teu_ytd": 2.0,
            "reefer_teu_pro_rata": 101.37,
            # 28.5 t moved, against 1000 x 10^4 t a year
            "tonnage_10k_t_ytd": 0.00285,
            "tonnage_10k_t_pro_rata": 202.74,
        }
    }
    categories = by_tags(samples, points.TEU_CATEGORY_PROGRESS_DAILY)
    assert categories["RAIL_SEA",] == {"teu_ytd": 2.0, "teu_pro_rata": 4257.53}
    assert categories["OTHER",] == {"teu_ytd": 0.0, "teu_pro_rata": 4663.01}
    service = by_tags(samples, points.DAILY_SERVICE_STATUS)
    # The only day with data is today: no day before it is counted, none is missed.
    assert service["RAIL_SEA",] == {
        "streak_days": 1,
        "missed_mtd": 0,
        "missed_ytd": 0,
        "served": 1,
    }
    assert service["CROSS_BORDER",]["served"] == 0


@pytest.mark.parametrize(
    ("corridor", "period", "fields"),
    [
        (  # the reefer loaded out (2 TEU), the empty box discharged on another corridor
            "HHW-QZH",
            "day",
            {"outbound_teu": 2.0, "outbound_empty_teu": 0.0, "outbound_empty_share": 0.0},
        ),
        (
            "HHW-VTE",
            "year_to_date",
            {"inbound_teu": 1.0, "inbound_empty_teu": 1.0, "inbound_empty_share": 1.0},
        ),
        ("KHN-HHW", "month_to_date", {}),  # explicit zeros; no ratio or share of nothing
    ],
)
def test_status_samples_balance_every_corridor_over_the_day_month_and_year(
    corridor: str, period: str, fields: dict[str, float]
) -> None:
    status = compute_status({DAY: day_totals()}, REF, DAY, datetime(2026, 3, 15, 20, tzinfo=CST))
    balance = by_tags(points.status_samples(status, REF), points.CORRIDOR_BALANCE_DAILY)
    assert len(balance) == len(REF.corridors) * len(points.BALANCE_PERIODS)
    zeros = dict.fromkeys(
        ["inbound_teu", "outbound_teu", "inbound_empty_teu", "outbound_empty_teu"], 0.0
    )
    one_way = {"balance_ratio": 0.0} if fields else {}
    imbalance = {"imbalance_teu": fields.get("outbound_teu", 0.0) - fields.get("inbound_teu", 0.0)}
    assert balance[corridor, period] == {**zeros, **one_way, **imbalance, **fields}
    assert all(type(v) is float for f in balance.values() for v in f.values())


def test_status_samples_without_a_target_leave_pro_rata_out() -> None:
    day = date(2030, 3, 15)
    status = compute_status({}, REF, day, datetime(2030, 3, 15, 12, tzinfo=CST))
    (progress,) = (
        s for s in points.status_samples(status, REF) if s.measurement == "progress_daily"
    )
    assert progress.fields == {
        "trains_ytd": 0,
        "teu_ytd": 0.0,
        "reefer_teu_ytd": 0.0,
        "tonnage_10k_t_ytd": 0.0,
    }


def test_departure_sample_is_stamped_at_the_departure() -> None:
    departed = datetime(2026, 3, 15, 9, 20, tzinfo=CST)
    sample = points.departure_sample("X9001", "HHW-QZH", departed)
    assert sample.measurement == points.TRAIN_DEPARTURE
    assert sample.tags == {"corridor": "HHW-QZH", "train_id": "X9001"}
    assert sample.fields == {"runs": 1}
    assert sample.time == departed


def test_transit_sample() -> None:
    departed = datetime(2026, 3, 15, 9, 20, tzinfo=CST)
    sample = points.transit_sample("X9001", "HHW-QZH", departed, departed + timedelta(hours=31), 30)
    assert sample.measurement == points.TRANSIT
    assert sample.tags == {"corridor": "HHW-QZH", "train_id": "X9001"}
    assert sample.fields == {"hours": 31.0, "benchmark_h": 30.0, "within_benchmark": 0}
    assert sample.time == departed
    no_benchmark = points.transit_sample("X1", "HHW-CSX", departed, departed, None)
    assert no_benchmark.fields == {"hours": 0.0}
    with pytest.raises(ValueError, match="before departing"):
        points.transit_sample("X1", "HHW-CSX", departed, departed - timedelta(1), None)


def cold_chain_exception(closed: bool) -> ColdChainException:
    started = datetime(2026, 3, 15, 8, 30, tzinfo=CST)
    return ColdChainException(
        exception_id=exception_id(BOX, "HIGH", started),
        kind="HIGH",
        equipment_reference=BOX,
        commodity="citrus",
        started_at=started,
        ended_at=started + timedelta(minutes=45) if closed else None,
        peak_deviation_c=2.8,
        duration_s=2700.0 if closed else None,
        status="CLOSED" if closed else "OPEN",
    )


def test_exception_sample_close_overwrites_open() -> None:
    """Opening and closing give the same series and time; the close adds the end (in ms
    since the epoch, for Grafana's annotation regions) and the duration."""
    opened = points.exception_sample(cold_chain_exception(closed=False))
    closed = points.exception_sample(cold_chain_exception(closed=True))
    assert opened.measurement == points.COLDCHAIN_EXCEPTION
    assert (
        opened.tags
        == closed.tags
        == {
            "kind": "HIGH",
            "equipment_reference": BOX,
            "commodity": "citrus",
            "corridor": "unknown",
            "exception_id": f"{BOX}:HIGH:2026-03-15T00:30:00+00:00",
        }
    )
    assert opened.time == closed.time == datetime(2026, 3, 15, 0, 30, tzinfo=UTC)
    assert opened.fields == {"open": 1, "status": "OPEN", "peak_deviation_c": 2.8}
    assert closed.fields == {
        "open": 0,
        "status": "CLOSED",
        "peak_deviation_c": 2.8,
        "ended_at_ms": 1773537300000,  # 2026-03-15T01:15:00Z
        "duration_s": 2700.0,
    }
    assert type(closed.fields["ended_at_ms"]) is int


def test_reading_sample() -> None:
    reading = ReeferReading(
        event_id="r1",
        equipment_reference=BOX,
        reading_time=datetime(2026, 3, 15, 8, 5, tzinfo=CST),
        setpoint_c=-18,
        supply_air_c=-17,
        humidity_pct=80,
        power_on=True,
    )
    sample = points.reading_sample(reading, "frozen", REF.commodity("frozen"), None)
    assert sample.measurement == points.REEFER_READING
    assert sample.tags == {"equipment_reference": BOX, "commodity": "frozen", "corridor": "unknown"}
    assert sample.fields == {
        "supply_air_c": -17.0,
        "setpoint_c": -18.0,
        "humidity_pct": 80.0,
        "power_on": 1,
        "band_high_c": -15.0,
    }
    assert all(type(v) is float for k, v in sample.fields.items() if k != "power_on")
    assert sample.time == reading.reading_time
    unjudged = points.reading_sample(reading, None, None, "HHW-QZH")
    assert unjudged.tags["commodity"] == "unknown"
    assert "band_high_c" not in unjudged.fields


def test_builders_are_idempotent() -> None:
    """The same aggregate gives the same lines, so writing it again overwrites."""
    now = datetime(2026, 3, 15, 20, 0, tzinfo=CST)

    def lines() -> list[str]:
        totals = day_totals()
        samples = points.day_samples(totals, REF)
        samples += points.status_samples(compute_status({DAY: totals}, REF, DAY, now), REF)
        samples.append(points.exception_sample(cold_chain_exception(closed=True)))
        return [sample.to_line() for sample in samples]

    assert lines() == lines()


def test_an_empty_day_writes_the_same_series_as_a_busy_one() -> None:
    """Explicit zeros: every series of a busy day exists on an empty day too, at the same
    time, so re-writing a day always overwrites every point it wrote before."""

    def series(totals: DayTotals) -> set[tuple[str, tuple[tuple[str, str], ...], datetime]]:
        return {
            (s.measurement, tuple(sorted(s.tags.items())), s.time)
            for s in points.day_samples(totals, REF)
        }

    assert series(DayTotals(day=DAY)) == series(day_totals())


def test_measurement_names_are_listed_once() -> None:
    assert len(set(points.MEASUREMENTS)) == len(points.MEASUREMENTS) == 19


def measure_projection(actual: float, target: float | None) -> MeasureProjection:
    return MeasureProjection(
        actual=actual,
        projected=4 * actual,
        low=3 * actual,
        high=5 * actual,
        yearly_target=target,
        probability=None if target is None else 0.25,
        seasonal=target is not None,
    )


def test_projection_samples_one_point_per_known_measure_at_the_day_s_midnight() -> None:
    """Tag ``measure`` (the YearProjection's field), the category of ``teu_by_category``;
    float fields, ``seasonal`` 0/1; target and probability only where there is a target;
    an unknown measure (None) has no point."""
    projection = YearProjection(
        as_of=DAY,
        train_runs=measure_projection(100, 500),
        teu=measure_projection(10_000, 50_000),
        teu_by_category={
            "RAIL_SEA": measure_projection(6_000.5, 30_000),
            "OTHER": measure_projection(1, None),
            "CROSS_BORDER": None,
        },
        reefer_teu=None,
        tonnage=measure_projection(12.5, 60),
    )
    samples = points.projection_samples(projection, REF)
    assert {s.measurement for s in samples} == {points.YEAR_PROJECTION}
    found = by_tags(samples, points.YEAR_PROJECTION)

    def fields(actual: float, target: float | None) -> dict[str, FieldValue]:
        expected: dict[str, FieldValue] = {
            "actual": actual,
            "projected": 4 * actual,
            "low": 3 * actual,
            "high": 5 * actual,
            "seasonal": 0 if target is None else 1,
        }
        if target is not None:
            expected |= {"target": target, "probability": 0.25}
        return expected

    assert found == {
        ("train_runs",): fields(100, 500),
        ("teu",): fields(10_000, 50_000),
        ("teu_by_category", "RAIL_SEA"): fields(6_000.5, 30_000),
        ("teu_by_category", "OTHER"): fields(1, None),
        ("tonnage",): fields(12.5, 60),
    }
    assert {s.tags["measure"] for s in samples} <= set(points.PROJECTION_MEASURES)
    assert all(
        type(value) is float
        for s in samples
        for name, value in s.fields.items()
        if name != "seasonal"
    )
    category = next(s for s in samples if s.tags.get("teu_category") == "RAIL_SEA")
    assert category.to_line() == (
        "year_projection,measure=teu_by_category,teu_category=RAIL_SEA actual=6000.5,"
        "high=30002.5,low=18001.5,probability=0.25,projected=24002.0,seasonal=1i,"
        f"target=30000.0 {MIDNIGHT_NS}"
    )


def test_projection_samples_of_an_unknown_year_are_none() -> None:
    empty = YearProjection(
        as_of=DAY, train_runs=None, teu=None, teu_by_category={}, reefer_teu=None, tonnage=None
    )
    assert points.projection_samples(empty, REF) == []


def test_a_line_is_the_same_whatever_the_order_its_keys_came_in() -> None:
    """The cached layout of a point's shape (its measurement and key names) never depends
    on the order its tags and fields were built in."""
    at = datetime(2026, 3, 15, 9, 20, tzinfo=UTC)
    tags = {"b": "2", "a x": "1,2", "c": "3"}
    fields: dict[str, FieldValue] = {"z": 1.5, "y": 2, "x=": True, "w": 'say "hi"'}
    lines = {
        line("m e", dict(reversed(tags.items())), fields, at),
        line("m e", tags, dict(reversed(fields.items())), at),
        line("m e", tags, fields, at),
    }
    assert lines == {
        'm\\ e,a\\ x=1\\,2,b=2,c=3 w="say \\"hi\\"",x\\==true,y=2i,z=1.5 1773566400000000000'
    }


@pytest.mark.parametrize(
    "zone",
    [
        UTC,
        timezone(timedelta(hours=8)),
        timezone(timedelta(hours=-5, minutes=-30)),
        ZoneInfo("Asia/Shanghai"),
        ZoneInfo("America/New_York"),  # daylight saving time: two offsets in one zone
    ],
)
def test_a_line_is_stamped_at_its_instant_in_any_zone(zone: tzinfo) -> None:
    for moment in [
        datetime(2026, 1, 15, 3, 4, 5, 678901, tzinfo=UTC),
        datetime(2026, 7, 15, 3, 4, 5, tzinfo=UTC),
        datetime(1969, 12, 31, 23, 59, 59, tzinfo=UTC),
    ]:
        local = moment.astimezone(zone)
        nanoseconds = (moment - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)
        stamp = line("m", {}, {"v": 1.0}, local).rpartition(" ")[2]
        assert stamp == str(nanoseconds * 1000)
