"""Cold chain: each reefer's temperatures in its commodity's safe band, power and gaps,
with every exception of the chosen containers as an annotation (a region once closed) and a
table of open and recent ones, and each container's moves."""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard
from grafana_foundation_sdk.models import common as common_model
from grafana_foundation_sdk.models import dashboard as model

from dashboards.annotations import exception_annotations, move_annotations
from dashboards.influxql import DATASOURCE, select
from dashboards.overview import exceptions_by_kind, open_exceptions
from dashboards.panels import (
    PanelBuilder,
    data_link,
    label,
    override,
    series,
    states,
    table_of,
    value_texts,
)
from lugang.links import (
    COLDCHAIN_UID,
    CONTAINER_VARIABLE,
    ROW_WINDOW,
    centred_range,
    container_params,
    dashboard_path,
)
from lugang.reference import Reference
from streams.schema import points

UID = COLDCHAIN_UID
CONTAINER = CONTAINER_VARIABLE
BOX = "equipment_reference"
"""The tag of the container in the cold-chain measurements."""
ONE_CONTAINER = f'"{BOX}" =~ /^${CONTAINER}$/'
"""Condition on the container variable (a regex, so it holds one or several)."""
ROW_LINK = dashboard_path(
    UID,
    {
        **container_params(f"${{__data.fields.{BOX}}}"),
        **centred_range("${__value.time}", ROW_WINDOW),
    },
)
"""Where a row of the exceptions table leads: this dashboard for the row's container,
around the exception's start (the row's time)."""
GAP_MS = 10 * 60 * 1000
"""A line breaks where readings are more than 10 minutes apart (they come every 5)."""
SUPPLY, RETURN, SETPOINT = "送风 supply air", "回风 return air", "设定 setpoint"
BAND_LOW, BAND_HIGH = "安全下限 band low", "安全上限 band high"


def container_variable() -> dashboard.QueryVariable:
    variable = (
        dashboard.QueryVariable(CONTAINER)
        .label(label("冷藏箱", "Container"))
        .datasource(DATASOURCE)
        .query(f'SHOW TAG VALUES FROM "{points.REEFER_READING}" WITH KEY = "{BOX}"')
        .refresh(model.VariableRefresh.ON_TIME_RANGE_CHANGED)
        .sort(model.VariableSort.ALPHABETICAL_ASC)
        .multi(True)
    )
    # The SDK sets the interval-variable options on every variable; Grafana's published
    # TypeScript schema has no such fields on a query variable.
    built = variable.build()
    built.auto = built.auto_min = built.auto_count = None
    return variable


def temperatures() -> PanelBuilder:
    query = select(
        f'mean("supply_air_c") AS "{SUPPLY}", mean("return_air_c") AS "{RETURN}", '
        f'mean("setpoint_c") AS "{SETPOINT}", min("band_low_c") AS "{BAND_LOW}", '
        f'max("band_high_c") AS "{BAND_HIGH}"',
        points.REEFER_READING,
        where=ONE_CONTAINER,
        group_by="time($__interval) fill(none)",
    ).alias("$col")
    panel = series(
        label("温度与安全区间", "Air temperatures and the safe band, $container"),
        query,
        unit="celsius",
        size=(16, 9),
        description="The shaded band is the commodity's safe supply-air range; "
        "a break in the lines is a gap of more than 10 minutes between readings.",
    ).insert_nulls(GAP_MS)
    band = model.FieldColor(mode=model.FieldColorModeId.FIXED, fixed_color="green")
    for name, properties in (
        override(
            BAND_HIGH,
            color=band,
            custom_fillBelowTo=BAND_LOW,
            custom_fillOpacity=15,
            custom_lineWidth=1,
        ),
        override(BAND_LOW, color=band, custom_lineWidth=1),
        override(SETPOINT, custom_lineStyle={"fill": "dash", "dash": [10, 10]}),
    ):
        panel.override_by_name(name, properties)
    return panel


def readings_per_hour() -> PanelBuilder:
    query = select(
        'count("supply_air_c") AS "读数 readings"',
        points.REEFER_READING,
        where=ONE_CONTAINER,
        group_by="time(1h) fill(0)",
    ).alias("$col")
    return series(
        label("每小时读数", "Readings per hour (12 = one every 5 min)"),
        query,
        steps=((None, "red"), (12, "green")),
        size=(8, 9),
        stacked_bars=True,
        threshold_line=True,
    )


def power() -> PanelBuilder:
    query = select(
        'min("power_on") AS "电源 power"',
        points.REEFER_READING,
        where=ONE_CONTAINER,
        group_by="time($__interval) fill(none)",
    ).alias("$col")
    return states(
        label("电源", "Power, $container"),
        query,
        mappings=value_texts({1: ("通电 on", "green"), 0: ("断电 off", "red")}),
        size=(24, 3),
    )


def moves_table() -> PanelBuilder:
    """The container's moves (``container_move``): its journey, gate to gate."""
    query = select(
        f'"event_type", "location", "direction", "train_id", "corridor", "commodity", "laden", '
        f'"gross_weight_kg", "{BOX}"',
        points.CONTAINER_MOVE,
        where=ONE_CONTAINER,
    )
    panel = table_of(
        label("箱子动态", "Moves of $container, last 30 days"),
        query,
        size=(24, 6),
        time_from="now-30d",
        description="Gate in (GTIN), load (LOAD), discharge (DISC) and gate out (GTOT), "
        "at the home port and at the corridors' far ends; time is the move's event time.",
    )
    panel.override_by_name(*override("gross_weight_kg", unit="masskg"))
    return panel


def exceptions_table() -> PanelBuilder:
    query = select(
        f'"kind", "{BOX}", "commodity", "corridor", "status", "peak_deviation_c", '
        '"duration_s", "exception_id"',
        points.COLDCHAIN_EXCEPTION,
    )
    panel = table_of(
        label("未关闭及近期异常", "Open and recent exceptions, last 7 days"),
        query,
        size=(12, 8),
        time_from="now-7d",
        description="Time is the start; duration_s is set once the exception closes; "
        "acknowledged by: who acknowledged its page (lugang ack), in force or ended (the "
        "worker ends it when the exception closes). "
        "Click a row to see its container around the exception's start.",
    )
    # The acknowledgement point has the exception's time and id: merged into its row.
    acks = select('"by", "active", "exception_id"', points.COLDCHAIN_ACK)
    panel.with_target(acks.table().ref_id("B"))
    panel.with_transformation(model.DataTransformerConfig(id_val="merge", options={}))
    panel.data_links([data_link(label("查看该箱", "Show this container"), ROW_LINK)])
    for name, properties in (
        override("exception_id", custom_hidden=True),
        override("by", displayName="确认人 acknowledged by"),
        override(
            "active",
            displayName="确认 acknowledgement",
            mappings=value_texts({1: ("在确认 in force", "blue"), 0: ("已结束 ended", "text")}),
        ),
        override("duration_s", unit="s", displayName="持续 duration"),
        override("peak_deviation_c", unit="celsius", displayName="峰值偏差 peak deviation"),
        override(
            "status",
            mappings=value_texts(
                {"OPEN": ("未关闭 OPEN", "red"), "CLOSED": ("已关闭 CLOSED", "green")}
            ),
            custom_cellOptions=common_model.TableColoredBackgroundCellOptions(),
        ),
    ):
        panel.override_by_name(name, properties)
    return panel


def coldchain(reference: Reference) -> dashboard.Dashboard:
    return (
        dashboard.Dashboard(label("冷链监控", "Lugang cold chain"))
        .uid(UID)
        .tags(["lugang"])
        .timezone(reference.home.timezone)
        .time("now-24h", "now")
        .refresh("1m")
        .readonly()
        .tooltip(model.DashboardCursorSync.CROSSHAIR)
        .with_variable(container_variable())
        .annotation(exception_annotations(ONE_CONTAINER))
        .annotation(move_annotations(ONE_CONTAINER))
        .with_row(dashboard.Row(label("冷链异常", "Cold-chain exceptions")))
        .with_panel(open_exceptions(size=(6, 8), linked=False))
        .with_panel(exceptions_by_kind(None, size=(6, 8)))
        .with_panel(exceptions_table())
        .with_row(dashboard.Row(label("冷藏箱", "Container $container")).repeat(CONTAINER))
        .with_panel(temperatures())
        .with_panel(readings_per_hour())
        .with_panel(power())
        .with_panel(moves_table())
    )
