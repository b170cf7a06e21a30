"""Small panel helpers shared by every Lugang dashboard.

Each helper returns a grafana-foundation-sdk panel builder already wired to the Lugang
InfluxDB data source, with its InfluxQL queries, unit, thresholds and size; dashboards
only say what differs. Titles are Chinese first, then English (``label``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TypeVar

from grafana_foundation_sdk.builders import (
    bargauge,
    common,
    dashboard,
    stat,
    statetimeline,
    table,
    timeseries,
)
from grafana_foundation_sdk.cog import builder as cogbuilder
from grafana_foundation_sdk.models import common as common_model
from grafana_foundation_sdk.models import dashboard as model

from dashboards.influxql import DATASOURCE, InfluxQL
from lugang.vocabulary import PACE_STEPS

Step = tuple[float | None, str]
"""A threshold step: from this value on (None: from the lowest), this colour."""

GOOD: tuple[Step, ...] = ((None, "green"),)
ZERO_IS_GOOD: tuple[Step, ...] = ((None, "green"), (1, "red"))
PACE: tuple[Step, ...] = PACE_STEPS
"""Pace in percent of the pro-rata target, coloured by its verdict (lugang.vocabulary):
behind (< 90 %), at risk, on track (≥ 100 %)."""

PanelBuilder = cogbuilder.Builder[model.Panel]
"""Any panel builder (stat, bar gauge, time series, ...), as dashboards take them."""

Panel = TypeVar(
    "Panel", stat.Panel, bargauge.Panel, timeseries.Panel, table.Panel, statetimeline.Panel
)


def label(zh: str, en: str) -> str:
    """A bilingual label, readable by every operator: ``今日班列 Train runs today``."""
    return f"{zh} {en}"


def thresholds(steps: Sequence[Step]) -> dashboard.ThresholdsConfig:
    return (
        dashboard.ThresholdsConfig()
        .mode(model.ThresholdsMode.ABSOLUTE)
        .steps([model.Threshold(value=value, color=color) for value, color in steps])
    )


def value_texts(
    texts: Mapping[int, tuple[str, str]] | Mapping[str, tuple[str, str]],
) -> list[model.ValueMapping]:
    """Show values as words with a colour: ``{1: ("已开行 served", "green")}``."""
    options = {
        str(value): model.ValueMappingResult(text=text, color=color, index=index)
        for index, (value, (text, color)) in enumerate(texts.items())
    }
    return [model.ValueMap(options=options)]


def data_link(title: str, path: str) -> dashboard.DashboardLink:
    """A data link (click a value or a table cell) to ``path`` of this Grafana, made with
    :func:`lugang.links.dashboard_path` (the SDK models field links as dashboard links)."""
    return dashboard.DashboardLink(title).type(model.DashboardLinkType.LINK).url(path)


def _setup(
    panel: Panel,
    title: str,
    queries: Sequence[InfluxQL],
    *,
    size: tuple[int, int],
    unit: str,
    steps: Sequence[Step],
    description: str | None,
    time_from: str | None,
    time_shift: str | None,
) -> Panel:
    """What every panel has: title, data source, queries, size (width, height), unit,
    thresholds, and the optional description and own time range."""
    width, height = size
    for ref_id, query in zip("ABCDEFGH", queries, strict=False):
        query.ref_id(ref_id)
    panel.title(title).datasource(DATASOURCE).targets(list(queries))
    panel.span(width).height(height).unit(unit).thresholds(thresholds(steps))
    if description is not None:
        panel.description(description)
    if time_from is not None:
        panel.time_from(time_from)
    if time_shift is not None:
        panel.time_shift(time_shift)
    return panel


def big_stat(
    title: str,
    *queries: InfluxQL,
    unit: str = "none",
    steps: Sequence[Step] = GOOD,
    size: tuple[int, int] = (6, 5),
    decimals: int | None = None,
    mappings: list[model.ValueMapping] | None = None,
    no_value: str | None = None,
    background: bool = True,
    description: str | None = None,
    time_from: str | None = None,
    time_shift: str | None = None,
) -> stat.Panel:
    """A stat panel for a wall screen: the last value of each series, large, coloured by
    ``steps`` (the whole background when ``background``)."""
    panel = _setup(
        stat.Panel(),
        title,
        queries,
        size=size,
        unit=unit,
        steps=steps,
        description=description,
        time_from=time_from,
        time_shift=time_shift,
    )
    color_mode = common_model.BigValueColorMode.BACKGROUND
    if not background:
        color_mode = common_model.BigValueColorMode.VALUE
    panel.reduce_options(common.ReduceDataOptions().calcs(["lastNotNull"]).values(False))
    panel.color_mode(color_mode).graph_mode(common_model.BigValueGraphMode.NONE)
    panel.text_mode(common_model.BigValueTextMode.VALUE_AND_NAME)
    panel.orientation(common_model.VizOrientation.AUTO)
    if decimals is not None:
        panel.decimals(decimals)
    if mappings is not None:
        panel.mappings(mappings)
    if no_value is not None:
        panel.no_value(no_value)
    return panel


def bars(
    title: str,
    *queries: InfluxQL,
    unit: str = "none",
    steps: Sequence[Step] = GOOD,
    size: tuple[int, int] = (8, 8),
    max_value: float | None = None,
    description: str | None = None,
    time_from: str | None = None,
) -> bargauge.Panel:
    """Horizontal bars, one per series (corridor, category, ...), with their values."""
    panel = _setup(
        bargauge.Panel(),
        title,
        queries,
        size=size,
        unit=unit,
        steps=steps,
        description=description,
        time_from=time_from,
        time_shift=None,
    )
    panel.reduce_options(common.ReduceDataOptions().calcs(["lastNotNull"]).values(False))
    panel.orientation(common_model.VizOrientation.HORIZONTAL)
    panel.display_mode(common_model.BarGaugeDisplayMode.BASIC).show_unfilled(True)
    panel.min(0)
    if max_value is not None:
        panel.max(max_value)
    return panel


def series(
    title: str,
    *queries: InfluxQL,
    unit: str = "none",
    steps: Sequence[Step] = GOOD,
    size: tuple[int, int] = (12, 8),
    stacked_bars: bool = False,
    threshold_line: bool = False,
    description: str | None = None,
    time_from: str | None = None,
    time_shift: str | None = None,
) -> timeseries.Panel:
    """A time series: lines, or stacked daily bars; ``threshold_line`` draws each
    threshold step as a dashed line (a target)."""
    panel = _setup(
        timeseries.Panel(),
        title,
        queries,
        size=size,
        unit=unit,
        steps=steps,
        description=description,
        time_from=time_from,
        time_shift=time_shift,
    )
    panel.legend(
        common.VizLegendOptions()
        .show_legend(True)
        .display_mode(common_model.LegendDisplayMode.LIST)
        .placement(common_model.LegendPlacement.BOTTOM)
    )
    if stacked_bars:
        panel.draw_style(common_model.GraphDrawStyle.BARS).fill_opacity(80)
        panel.stacking(common.StackingConfig().mode(common_model.StackingMode.NORMAL))
    else:
        panel.draw_style(common_model.GraphDrawStyle.LINE).line_width(2)
    if threshold_line:
        panel.thresholds_style(
            common.GraphThresholdsStyleConfig().mode(common_model.GraphThresholdsStyleMode.DASHED)
        )
    return panel


def table_of(
    title: str,
    query: InfluxQL,
    *,
    size: tuple[int, int] = (24, 8),
    description: str | None = None,
    time_from: str | None = None,
) -> table.Panel:
    """A table of the rows of one query, newest first."""
    panel = _setup(
        table.Panel(),
        title,
        [query.table()],
        size=size,
        unit="none",
        steps=GOOD,
        description=description,
        time_from=time_from,
        time_shift=None,
    )
    panel.align(common_model.FieldTextAlignment.AUTO).inspect(False)
    panel.cell_options(common_model.TableAutoCellOptions())
    return panel.sort_by([common.TableSortByFieldState().display_name("Time").desc(True)])


def states(
    title: str,
    *queries: InfluxQL,
    mappings: list[model.ValueMapping],
    size: tuple[int, int] = (12, 4),
    description: str | None = None,
) -> statetimeline.Panel:
    """A state timeline: a coloured band per series, its value named by ``mappings``."""
    panel = _setup(
        statetimeline.Panel(),
        title,
        queries,
        size=size,
        unit="none",
        steps=GOOD,
        description=description,
        time_from=None,
        time_shift=None,
    )
    return panel.mappings(mappings).show_value(common_model.VisibilityMode.NEVER)


def override(name: str, **properties: object) -> tuple[str, list[model.DynamicConfigValue]]:
    """Field override properties by field-config id: ``override("x", unit="percent")``;
    ``custom_`` names a custom option: ``custom_fillBelowTo`` is ``custom.fillBelowTo``."""
    values = [
        model.DynamicConfigValue(id_val=key.replace("custom_", "custom.", 1), value=value)
        for key, value in properties.items()
    ]
    return name, values
