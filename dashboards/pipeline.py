"""Pipeline health: events per second, consumer lag, dead letters and sink trouble, from
the figures every worker reports each ``streams.schema.health.INTERVAL_S`` seconds."""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard
from grafana_foundation_sdk.models import dashboard as model

from dashboards.influxql import by, per_day, select
from dashboards.panels import ZERO_IS_GOOD, big_stat, label, series
from lugang.reference import Reference
from streams.schema import health

UID = "lugang-pipeline"
EVERY_REPORT = f"time({health.INTERVAL_S}s)"
EVERY_MINUTE = "time(1m)"
EVENTS_PER_S = f'sum("events") / {health.INTERVAL_S}'
"""All workers' events of one report interval, per second."""


def pipeline(reference: Reference) -> dashboard.Dashboard:
    lag = select('sum("lag")', health.PIPELINE, group_by=f"{EVERY_REPORT}, {by('topic')}")
    dead = select('sum("dead_letters")', health.PIPELINE, group_by=f"{EVERY_MINUTE}, {by('topic')}")
    sinks = select(
        'sum("retries") AS "重试 retries", sum("errors") AS "错误 errors"',
        health.PIPELINE_SINK,
        group_by=f"{EVERY_MINUTE}, {by('sink')}",
    )
    quality = select(
        'sum("count")',
        health.PIPELINE_QUALITY,
        group_by=per_day(reference.home.timezone, "topic", "finding"),
    )
    return (
        dashboard.Dashboard(label("数据管道健康", "Lugang pipeline health"))
        .uid(UID)
        .tags(["lugang"])
        .timezone(reference.home.timezone)
        .time("now-1h", "now")
        .refresh("10s")
        .readonly()
        .tooltip(model.DashboardCursorSync.CROSSHAIR)
        .with_row(dashboard.Row(label("现在", "Now")))
        .with_panel(
            big_stat(
                label("每秒事件", "Events per second"),
                select(EVENTS_PER_S, health.PIPELINE, group_by=EVERY_REPORT),
                unit="ops",
                background=False,
            )
        )
        .with_panel(
            big_stat(
                label("消费滞后", "Consumer lag (records)"),
                select('sum("lag")', health.PIPELINE, group_by=EVERY_REPORT),
                steps=((None, "green"), (10_000, "orange"), (100_000, "red")),
            )
        )
        .with_panel(
            big_stat(
                label("死信", "Dead letters in range"),
                select('sum("dead_letters")', health.PIPELINE),
                steps=ZERO_IS_GOOD,
                no_value="0",
            )
        )
        .with_panel(
            big_stat(
                label("写入错误", "Sink errors in range"),
                select('sum("errors")', health.PIPELINE_SINK),
                steps=ZERO_IS_GOOD,
                no_value="0",
            )
        )
        .with_panel(
            big_stat(
                label("停止的代理", "Agents stopped (last report)"),
                select(
                    'count("running")',
                    health.PIPELINE_AGENT,
                    where='"running" = 0',
                    group_by=EVERY_REPORT,
                ),
                steps=ZERO_IS_GOOD,
                no_value="0",
            )
        )
        .with_row(dashboard.Row(label("按主题", "Per topic and sink")))
        .with_panel(
            series(
                label("每秒事件", "Events per second by topic"),
                select(
                    EVENTS_PER_S,
                    health.PIPELINE,
                    group_by=f"{EVERY_REPORT}, {by('topic')}",
                ).alias("$tag_topic"),
                unit="ops",
            )
        )
        .with_panel(series(label("消费滞后", "Consumer lag by topic"), lag.alias("$tag_topic")))
        .with_panel(
            series(
                label("每分钟死信", "Dead letters per minute by topic"),
                dead.alias("$tag_topic"),
                stacked_bars=True,
            )
        )
        .with_panel(
            series(
                label("写入重试与错误", "Sink retries and errors per minute"),
                sinks.alias("$tag_sink $col"),
                stacked_bars=True,
            )
        )
        .with_row(dashboard.Row(label("数据质量", "Data quality")))
        .with_panel(
            series(
                label(
                    "每日数据质量",
                    "Data quality per topic and day: dead letters by reason, duplicates",
                ),
                quality.alias("$tag_topic $tag_finding"),
                size=(24, 8),
                stacked_bars=True,
            )
        )
    )
