"""Operations overview (the wall screen): today, 天天班, and the year against the plan."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from grafana_foundation_sdk.builders import dashboard
from grafana_foundation_sdk.models import common as common_model
from grafana_foundation_sdk.models import dashboard as model

from dashboards.annotations import departure_annotations
from dashboards.influxql import by, per_day, select
from dashboards.panels import (
    GOOD,
    PACE,
    ZERO_IS_GOOD,
    PanelBuilder,
    Step,
    bars,
    big_stat,
    data_link,
    label,
    override,
    series,
    table_of,
    thresholds,
    value_texts,
)
from lugang.links import COLDCHAIN_UID, OVERVIEW_UID, dashboard_path
from lugang.reference import Reference
from lugang.vocabulary import CHANCE_STEPS, DAILY_SERVICE_LABELS
from streams.schema import points

UID = OVERVIEW_UID
TODAY = "now/d"
THIS_YEAR = "now/y"
LAST_30_DAYS = "now-30d"
LAST_7_DAYS = "now-7d"
NEUTRAL: tuple[Step, ...] = ((None, "text"),)


def plan_year(reference: Reference) -> int:
    """The plan's final year, whose targets the dashboards show (2026: ≥ 500 trains)."""
    return max(reference.targets)


TODAY_STATES: Final[Mapping[str, tuple[int, str]]] = MappingProxyType(
    {"served": (1, "green"), "not_yet": (0, "orange"), "not_served": (-1, "red")}
)
"""Each 天天班 state (:data:`lugang.vocabulary.DAILY_SERVICE_LABELS`) as the tile's value,
``served - warning`` of ``daily_service_live``, and its colour."""


def served_today(reference: Reference) -> PanelBuilder:
    """天天班 today per group: served, not yet, or not served past the warning hour (red),
    from the state the worker writes every minute (the warning comes with the clock)."""
    query = select(
        'last("served") - last("warning") AS "state"',
        points.DAILY_SERVICE_LIVE,
        group_by=by("service_group"),
    ).alias("$tag_service_group")
    texts = {
        value: (str(DAILY_SERVICE_LABELS[state]), colour)
        for state, (value, colour) in TODAY_STATES.items()
    }
    # The same colours as thresholds: from the lowest value up, each state's from its value.
    lowest, *higher = sorted(TODAY_STATES.values())
    steps: tuple[Step, ...] = ((None, lowest[1]), *higher)
    warning_at = f"{reference.daily_service.warning_at:%H:%M}"
    return big_stat(
        label("天天班 今日", "Daily service today"),
        query,
        size=(4, 8),
        steps=steps,
        mappings=value_texts(texts),
        no_value="今日无数据 nothing today",
        description="A day is served when a train of the group leaves "
        f"{reference.home.short_en} outbound; red when none has by {warning_at}.",
    )


def service_figure(title: str, field: str, steps: tuple[Step, ...]) -> PanelBuilder:
    """One 天天班 figure per service group, as of the latest day of this year."""
    query = select(f'last("{field}")', points.DAILY_SERVICE_STATUS, group_by=by("service_group"))
    query.alias("$tag_service_group")
    return big_stat(title, query, size=(4, 8), steps=steps, time_from=THIS_YEAR)


def runs_today() -> PanelBuilder:
    query = select('sum("runs")', points.TRAIN_RUNS_DAILY, group_by=by("corridor"))
    query.alias("$tag_corridor")
    return bars(label("今日班列", "Train runs today, by corridor"), query, size=(8, 8))


def progress(title: str, prefix: str, target: float, decimals: int = 0) -> PanelBuilder:
    """Year to date, its pro-rata target and the pace (their ratio) of one indicator."""
    query = select(
        f'last("{prefix}_ytd") AS "累计 YTD", last("{prefix}_pro_rata") AS "进度目标 pro-rata", '
        f'last("{prefix}_ytd") / last("{prefix}_pro_rata") * 100 AS "进度 pace"',
        points.PROGRESS_DAILY,
    ).alias("$col")
    panel = big_stat(
        f"{title} / {target:,.0f}",
        query,
        size=(6, 6),
        steps=NEUTRAL,
        background=False,
        decimals=decimals,
        time_from=THIS_YEAR,
        description="Year to date against the yearly target × days elapsed ÷ days in the year.",
    )
    name, properties = override(
        "进度 pace",
        unit="percent",
        thresholds=thresholds(PACE).build(),
        color=model.FieldColor(mode=model.FieldColorModeId.THRESHOLDS),
    )
    return panel.override_by_name(name, properties)


def cumulative(title: str, prefix: str, target: float, timezone: str) -> PanelBuilder:
    """Year to date day by day against the pro-rata target (the pace line) and the yearly
    target (a dashed line)."""
    query = select(
        f'last("{prefix}_ytd") AS "累计 YTD", last("{prefix}_pro_rata") AS "进度目标 pro-rata"',
        points.PROGRESS_DAILY,
        group_by=per_day(timezone),
    ).alias("$col")
    return series(
        f"{title} / {target:,.0f}",
        query,
        steps=((None, "green"), (target, "red")),
        threshold_line=True,
        time_from=THIS_YEAR,
    ).axis_soft_max(target)


def teu_by_category(reference: Reference, year: int) -> PanelBuilder:
    query = select(
        'last("teu_ytd")', points.TEU_CATEGORY_PROGRESS_DAILY, group_by=by("teu_category")
    )
    query.alias("$tag_teu_category")
    panel = bars(
        label("集装箱到发量 年累计", f"TEU YTD by category, bar = {year} target"),
        query,
        size=(12, 8),
        time_from=THIS_YEAR,
    )
    for category, teu in reference.targets[year].teu.items():
        name, properties = override(
            category,
            max=teu,
            displayName=f"{reference.teu_categories[category].name_zh} {category}",
        )
        panel.override_by_name(name, properties)
    return panel


def teu_pace_by_category() -> PanelBuilder:
    query = select(
        'last("teu_ytd") / last("teu_pro_rata") * 100',
        points.TEU_CATEGORY_PROGRESS_DAILY,
        group_by=by("teu_category"),
    ).alias("$tag_teu_category")
    return bars(
        label("分类进度", "TEU pace by category (YTD ÷ pro-rata)"),
        query,
        unit="percent",
        steps=PACE,
        size=(12, 8),
        max_value=150,
        time_from=THIS_YEAR,
    )


MEASURE_LABELS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "train_runs": label("班列", "Train runs"),
        "teu": label("集装箱到发量", "TEU"),
        "teu_by_category": label("分类", "TEU by category"),
        "reefer_teu": label("冷链箱", "Reefer TEU"),
        "tonnage": label("货运吞吐量（万吨）", "Freight (10⁴ t)"),
    }
)
"""The projection table's name of each ``measure`` of ``year_projection``."""
PROJECTION_FIELDS: Final = (
    ('last("actual")', "累计 YTD"),
    ('last("projected")', "预计年末 projected"),
    ('last("low")', "下限 low"),
    ('last("high")', "上限 high"),
    ('last("target")', "年度目标 target"),
    ('last("probability") * 100', "达标概率 chance"),
)
"""The projection table's figures: InfluxQL and column name."""
CHANCE: tuple[Step, ...] = CHANCE_STEPS
"""The chance of reaching the target in percent (``lugang.vocabulary``)."""


def year_projection(reference: Reference) -> PanelBuilder:
    """Where each yearly figure is heading (:mod:`streams.domain.projection`): year to date,
    the projected year-end total and its 80 % interval, the target and the chance of
    reaching it, per measure and TEU category, as the worker's minute round last wrote them
    (``year_projection``, rewritten every minute for today)."""
    fields = ", ".join(f'{expression} AS "{name}"' for expression, name in PROJECTION_FIELDS)
    query = select(fields, points.YEAR_PROJECTION, group_by=by("measure", "teu_category"))
    panel = table_of(
        label("年末预测", "Year-end projection"),
        query,
        size=(12, 10),
        description="Projected from the year to date and the last four weeks, with last "
        "year's season where the worker holds last year; low to high holds the year-end "
        "total with 80 % probability. From 14 January on, for the measures with something "
        "counted; written by the worker every minute for today.",
    )
    panel.decimals(0).no_value("暂无预测 no projection")
    categories = {
        code: (f"{category.name_zh.split('（')[0]} {code}", "text")  # the name, not the route
        for code, category in reference.teu_categories.items()
    }
    for name, properties in (
        override("Time", custom_hidden=True),
        override(
            "measure",
            displayName="指标 measure",
            mappings=value_texts({m: (text, "text") for m, text in MEASURE_LABELS.items()}),
        ),
        override("teu_category", displayName="箱类 category", mappings=value_texts(categories)),
        override(
            "达标概率 chance",
            unit="percent",
            thresholds=thresholds(CHANCE).build(),
            color=model.FieldColor(mode=model.FieldColorModeId.THRESHOLDS),
            custom_cellOptions=common_model.TableColoredBackgroundCellOptions(),
        ),
    ):
        panel.override_by_name(name, properties)
    return panel.sort_by([])


def tonnage(title: str, time_from: str | None) -> PanelBuilder:
    query = select('sum("gross_weight_t") AS "t"', points.TONNAGE_DAILY)
    return big_stat(
        title, query, unit="masst", decimals=0, background=False, time_from=time_from, size=(4, 6)
    )


def open_exceptions(size: tuple[int, int] = (4, 6), linked: bool = True) -> PanelBuilder:
    """Cold-chain exceptions still open (started within the last 30 days); ``linked``: a
    click opens the cold-chain dashboard, whose table links each exception's container."""
    query = select('count("open")', points.COLDCHAIN_EXCEPTION, where='"open" = 1')
    panel = big_stat(
        label("未关闭冷链异常", "Open cold-chain exceptions"),
        query,
        steps=ZERO_IS_GOOD,
        no_value="0",
        size=size,
        time_from=LAST_30_DAYS,
    )
    if linked:
        link = data_link(label("冷链监控", "Cold chain"), dashboard_path(COLDCHAIN_UID))
        panel.data_links([link])
    return panel


def exceptions_by_kind(time_from: str | None, size: tuple[int, int] = (4, 6)) -> PanelBuilder:
    query = select('count("status")', points.COLDCHAIN_EXCEPTION, group_by=by("kind"))
    query.alias("$tag_kind")
    return big_stat(
        label("冷链异常", "Cold-chain exceptions by kind"),
        query,
        steps=((None, "orange"),),
        no_value="0",
        background=False,
        size=size,
        time_from=time_from,
    )


def transit(reference: Reference) -> PanelBuilder:
    query = select('mean("hours")', points.TRANSIT, group_by=by("corridor"))
    query.alias("$tag_corridor")
    panel = bars(
        label("运输时效 近30天", "Mean transit time, last 30 days (red: over the benchmark)"),
        query,
        unit="h",
        size=(8, 6),
        max_value=96,
        time_from=LAST_30_DAYS,
    )
    for cid, corridor in reference.corridors.items():
        if corridor.transit_benchmark_h is not None:
            name, properties = override(
                cid,
                thresholds=thresholds(
                    ((None, "green"), (corridor.transit_benchmark_h, "red"))
                ).build(),
            )
            panel.override_by_name(name, properties)
    return panel


BALANCE_FIELDS: Final = (
    ('last("inbound_teu")', "进 in TEU", "none"),
    ('last("outbound_teu")', "出 out TEU", "none"),
    ('last("balance_ratio") * 100', "均衡 balance", "percent"),
    ('last("inbound_empty_share") * 100', "进空箱 in empty", "percent"),
    ('last("outbound_empty_share") * 100', "出空箱 out empty", "percent"),
)
"""The figures of a corridor's balance panel: InfluxQL, name, unit."""


def corridor_balance(reference: Reference, corridor: str) -> PanelBuilder:
    """One corridor's two-way flow (双向货流均衡) year to date: TEU in and out of the home
    location, the balance ratio (min ÷ max: 100 % balanced) and each direction's empty
    share (:mod:`streams.domain.balance`). No verdict colours: the plan sets no threshold."""
    fields = ", ".join(f'{expression} AS "{name}"' for expression, name, _ in BALANCE_FIELDS)
    query = select(
        fields,
        points.CORRIDOR_BALANCE_DAILY,
        where=f""""corridor" = '{corridor}' AND "period" = 'year_to_date'""",
    ).alias("$col")
    spec = reference.corridors[corridor]
    home = reference.home.short_en
    panel = big_stat(
        label(f"{corridor} 双向货流", "two-way flow"),
        query,
        steps=NEUTRAL,
        background=False,
        decimals=0,
        no_value="无箱 no containers",
        time_from=THIS_YEAR,
        description=f"{spec.name_en}, year to date: TEU discharged at {home} (in) and loaded "
        f"there (out); balance = the smaller ÷ the larger (100 % balanced); empty = the "
        f"share of each direction's TEU in empty containers.",
    )
    for _, name, unit in BALANCE_FIELDS:
        if unit != "none":
            panel.override_by_name(*override(name, unit=unit))
    return panel


def trains_in_transit() -> PanelBuilder:
    """The runs departed and not yet arrived, outbound and inbound (the worker rewrites each
    run's point every minute, ``in_transit`` 0 once it arrives), overdue rows red. A run
    departs less than a week before it can pair with its arrival, hence the 7 days."""
    query = select(
        '"train_id", "corridor", "direction", "elapsed_h", "benchmark_h", "overdue"',
        points.TRAIN_IN_TRANSIT,
        where='"in_transit" = 1',
    )
    panel = table_of(
        label("在途班列", "Trains in transit"),
        query,
        size=(12, 8),
        time_from=LAST_7_DAYS,
        description="Time is the departure: from the port (outbound) or from the corridor's "
        "far end (inbound); elapsed_h is as of the last minute. Overdue: past the corridor's "
        "transit benchmark, the same both ways (plus the configured margin).",
    )
    for name, properties in (
        override(
            "direction",
            displayName="方向 direction",
            mappings=value_texts(
                {"OUTBOUND": ("去程 outbound", "text"), "INBOUND": ("回程 inbound", "text")}
            ),
        ),
        override("elapsed_h", unit="h", decimals=1, displayName="已运行 elapsed"),
        override("benchmark_h", unit="h", displayName="时限 benchmark"),
        override(
            "overdue",
            displayName="超时 overdue",
            mappings=value_texts({1: ("超时 overdue", "red"), 0: ("正常 on time", "transparent")}),
            custom_cellOptions=common_model.TableColoredBackgroundCellOptions(apply_to_row=True),
        ),
    ):
        panel.override_by_name(name, properties)
    return panel


def container_dwell(timezone: str) -> PanelBuilder:
    """How long boxes sit at the port (:mod:`streams.domain.dwell`): each local day's mean
    and 90th percentile dwell of the visits that ended that day, per TEU category and
    laden/empty, over the dashboard's range."""
    query = select(
        'mean("dwell_h") AS "mean", percentile("dwell_h", 90) AS "p90"',
        points.CONTAINER_DWELL,
        group_by=per_day(timezone, "teu_category", "laden"),
    ).alias("$tag_teu_category $tag_laden $col")
    return series(
        label("箱子在港时间", "Container dwell (h)"),
        query,
        unit="h",
        steps=NEUTRAL,
        description="A visit runs from the gate in (outbound) or the discharge (inbound) to "
        "the load onto an outbound train or the gate out; each day's mean and 90th percentile "
        "(InfluxQL's, its rank rounded) of the visits ended that day, per TEU category and "
        "laden or empty.",
    )


def overview(reference: Reference) -> dashboard.Dashboard:
    year = plan_year(reference)
    target = reference.targets[year]
    board = (
        dashboard.Dashboard(label("陆港运营总览", "Lugang operations overview"))
        .uid(UID)
        .tags(["lugang"])
        .timezone(reference.home.timezone)
        .time(TODAY, TODAY)
        .refresh("1m")
        .readonly()
        .tooltip(model.DashboardCursorSync.OFF)
        .annotation(departure_annotations())
        .with_row(dashboard.Row(label("今日 · 天天班", "Today and daily service")))
        .with_panel(runs_today())
        .with_panel(served_today(reference))
        .with_panel(service_figure(label("连续开行天数", "Streak (days)"), "streak_days", GOOD))
        .with_panel(
            service_figure(label("本月缺班", "Missed days MTD"), "missed_mtd", ZERO_IS_GOOD)
        )
        .with_panel(
            service_figure(label("本年缺班", "Missed days YTD"), "missed_ytd", ZERO_IS_GOOD)
        )
        .with_row(dashboard.Row(label("年度目标进度", f"Year to date against the {year} plan")))
        .with_panel(progress(label("班列", "Train runs"), "trains", target.trains))
        .with_panel(progress(label("集装箱到发量", "TEU"), "teu", target.teu_total))
        .with_panel(progress(label("冷链箱", "Reefer TEU"), "reefer_teu", target.reefer_teu))
        .with_panel(
            progress(
                label("货运吞吐量（万吨）", "Freight (10⁴ t)"),
                "tonnage_10k_t",
                target.freight_10k_t,
                decimals=2,
            )
        )
        .with_panel(
            cumulative(
                label("班列累计与进度线", "Train runs YTD, pace line and target"),
                "trains",
                target.trains,
                reference.home.timezone,
            )
        )
        .with_panel(teu_pace_by_category())
        .with_panel(teu_by_category(reference, year))
        .with_panel(year_projection(reference))
        .with_row(
            dashboard.Row(label("货量 · 冷链 · 时效 · 在港", "Tonnage, cold chain, transit, dwell"))
        )
        .with_panel(tonnage(label("今日吨位", "Tonnage today"), None))
        .with_panel(tonnage(label("本年吨位", "Tonnage YTD"), THIS_YEAR))
        .with_panel(open_exceptions())
        .with_panel(exceptions_by_kind(LAST_30_DAYS))
        .with_panel(transit(reference))
        .with_panel(trains_in_transit())
        .with_panel(container_dwell(reference.home.timezone))
        .with_row(dashboard.Row(label("双向货流均衡 年累计", "Two-way balance by corridor, YTD")))
    )
    for corridor in reference.corridors:
        board.with_panel(corridor_balance(reference, corridor))
    return board
