"""Trends: the year day by day against the plan, the month to date, and last year."""

from __future__ import annotations

from datetime import date

from grafana_foundation_sdk.builders import dashboard
from grafana_foundation_sdk.models import dashboard as model

from dashboards.annotations import departure_annotations
from dashboards.influxql import per_day, select
from dashboards.overview import THIS_YEAR, cumulative, plan_year
from dashboards.panels import PanelBuilder, big_stat, label, series, states, value_texts
from lugang.reference import Reference
from lugang.vocabulary import DAILY_SERVICE_LABELS, pro_rata
from streams.schema import points

UID = "lugang-trends"
THIS_MONTH = "now/M"
ONE_YEAR_AGO = "1y"


def daily(title: str, source: str, tag: str, daily_target: float, timezone: str) -> PanelBuilder:
    """Stacked daily bars of ``source`` (``measurement.field``) per ``tag``, with the
    plan's daily share of the yearly target as a dashed line."""
    measurement, field = source.split(".")
    query = select(f'sum("{field}")', measurement, group_by=per_day(timezone, tag))
    return series(
        f"{title} ({daily_target:,.2f} / day)",
        query.alias(f"$tag_{tag}"),
        steps=((None, "green"), (daily_target, "red")),
        size=(12, 8),
        stacked_bars=True,
        threshold_line=True,
    )


def total(title: str, source: str, time_from: str) -> PanelBuilder:
    """``source`` (``measurement.field``) summed over the panel's range."""
    measurement, field = source.split(".")
    return big_stat(
        title,
        select(f'sum("{field}")', measurement),
        background=False,
        decimals=0,
        size=(6, 5),
        time_from=time_from,
    )


def year_to_date(title: str, field: str, time_shift: str | None) -> PanelBuilder:
    """The latest year-to-date figure of this year, or of last year at this date."""
    return big_stat(
        title,
        select(f'last("{field}")', points.PROGRESS_DAILY),
        background=False,
        decimals=0,
        size=(3, 5),
        time_from=THIS_YEAR,
        time_shift=time_shift,
    )


def daily_service_days(timezone: str) -> PanelBuilder:
    """天天班 of each group day by day, from the day totals (``daily_service``)."""
    query = select(
        'last("served")', points.DAILY_SERVICE, group_by=per_day(timezone, "service_group")
    )
    served, missed = DAILY_SERVICE_LABELS["served"], DAILY_SERVICE_LABELS["not_served"]
    return states(
        label("天天班 每日", "Daily service day by day"),
        query.alias("$tag_service_group"),
        mappings=value_texts({1: (str(served), "green"), 0: (str(missed), "red")}),
        size=(24, 5),
        description="A day with nothing counted at all has no point and shows blank; "
        "today stays red until a train leaves (the overview tells not yet from not served).",
    )


def trends(reference: Reference) -> dashboard.Dashboard:
    year = plan_year(reference)
    target = reference.targets[year]
    # The pro-rata share of one day: the daily target line.
    trains_a_day = pro_rata(target.trains, date(year, 1, 1))
    teu_a_day = pro_rata(target.teu_total, date(year, 1, 1))
    tz = reference.home.timezone
    runs = f"{points.TRAIN_RUNS_DAILY}.runs"
    teu = f"{points.TEU_DAILY}.teu"
    reefer = f"{points.REEFER_TEU_DAILY}.teu"
    ytd_pairs = (
        (label("班列", "Train runs"), "trains_ytd"),
        (label("集装箱", "TEU"), "teu_ytd"),
        (label("冷链箱", "Reefer TEU"), "reefer_teu_ytd"),
        (label("货运吞吐量（万吨）", "Freight (10⁴ t)"), "tonnage_10k_t_ytd"),
    )
    built = (
        dashboard.Dashboard(label("趋势", "Lugang trends"))
        .uid(UID)
        .tags(["lugang"])
        .timezone(tz)
        .time(THIS_YEAR, "now")
        .refresh("5m")
        .readonly()
        .tooltip(model.DashboardCursorSync.CROSSHAIR)
        .annotation(departure_annotations())
        .with_row(dashboard.Row(label("每日", f"Day by day against the {year} plan")))
        .with_panel(
            daily(
                label("每日班列", "Daily train runs"),
                runs,
                "direction",
                trains_a_day,
                tz,
            )
        )
        .with_panel(
            daily(
                label("每日到发量", "Daily TEU"),
                teu,
                "teu_category",
                teu_a_day,
                tz,
            )
        )
        .with_panel(cumulative(label("班列累计", "Train runs YTD"), "trains", target.trains, tz))
        .with_panel(cumulative(label("到发量累计", "TEU YTD"), "teu", target.teu_total, tz))
        .with_row(dashboard.Row(label("本月累计", "Month to date")))
        .with_panel(total(label("本月班列", "Train runs MTD"), runs, THIS_MONTH))
        .with_panel(total(label("本月到发量", "TEU MTD"), teu, THIS_MONTH))
        .with_panel(total(label("本月冷链箱", "Reefer TEU MTD"), reefer, THIS_MONTH))
        .with_panel(
            total(
                label("本月吨位", "Tonnage MTD (t)"),
                f"{points.TONNAGE_DAILY}.gross_weight_t",
                THIS_MONTH,
            )
        )
        .with_row(dashboard.Row(label("同比", "This year against the same period last year")))
    )
    for title, field in ytd_pairs:
        built.with_panel(year_to_date(f"{title} 本年 YTD", field, None))
        built.with_panel(year_to_date(f"{title} 去年同期 last year", field, ONE_YEAR_AGO))
    return (
        built.with_panel(
            series(
                label("去年每日班列", "Daily train runs, last year"),
                select('sum("runs")', points.TRAIN_RUNS_DAILY, group_by=per_day(tz)),
                size=(24, 8),
                stacked_bars=True,
                time_shift=ONE_YEAR_AGO,
            )
        )
        .with_row(dashboard.Row(label("天天班", "Daily service")))
        .with_panel(daily_service_days(tz))
    )
