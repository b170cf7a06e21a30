"""The pipeline-health schema: what each worker reports about itself every ``INTERVAL_S``.

The Pipeline health dashboard and the alert rules (no data from the stream, dead-letter
spike, sink failing) read these measurements. A worker writes, every ``INTERVAL_S``
seconds, the figures of the interval that just ended through its metric sink:

- ``pipeline`` (tags ``topic``, the input topic kind, and ``worker``): ``events``,
  ``dead_letters`` and ``lag``, integers;
- ``pipeline_sink`` (tags ``sink``, ``influxdb`` or ``alertmanager``, and ``worker``):
  ``retries`` and ``errors``, integers;
- ``pipeline_agent`` (tags ``agent`` and ``worker``): ``running``, 1 while the agent runs,
  0 once it stopped (a worker whose agent stops exits, so the last point says which);
- ``pipeline_quality`` (tags ``topic``, ``finding`` and ``worker``): ``count``, the
  data-quality findings of the interval: dead letters by the class of their reason
  (``contract``, ``key``, ``late``, ``internal``) and ``duplicate`` events dropped quietly;
  only findings that happened get a point.

``events`` and ``dead_letters`` count records read and sent to the dead-letter topic
during the interval (so events/s = ``sum(events) / INTERVAL_S`` over all workers);
``lag`` is how many records the worker's partitions of the topic were behind their end
offsets at the end of the interval (so the topic's lag = ``sum(lag)`` at one timestamp).
``retries`` and ``errors`` are the sink's requests sent again, and failed, during the
interval. Times are aligned to multiples of ``INTERVAL_S`` since the epoch, so the points
of every worker share timestamps and sum per interval; the ``worker`` tag, a name unique
per process (``streams.identity.worker_name``), keeps one worker's point from overwriting
another's.

These points travel the path they watch (points topic, points agent, InfluxDB): during an
InfluxDB outage they stop too. Prometheus's ``/metrics`` (``streams.metrics``) reads the
same counters straight from each worker and goes on through it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import astuple, dataclass
from datetime import UTC, datetime, timedelta
from typing import Final

from streams.schema.points import Sample

PIPELINE: Final = "pipeline"
PIPELINE_SINK: Final = "pipeline_sink"
PIPELINE_AGENT: Final = "pipeline_agent"
PIPELINE_QUALITY: Final = "pipeline_quality"
HEALTH_MEASUREMENTS: Final = (PIPELINE, PIPELINE_SINK, PIPELINE_AGENT, PIPELINE_QUALITY)
"""Every measurement of pipeline health (dashboards may query these besides ``points``)."""

INTERVAL_S: Final = 10
"""Seconds between two health reports of one worker."""

_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class TopicHealth:
    """One input topic as one worker saw it during an interval."""

    events: int
    dead_letters: int
    lag: int


@dataclass(frozen=True, slots=True)
class SinkHealth:
    """One sink (InfluxDB or Alertmanager) of one worker during an interval."""

    retries: int
    errors: int


def interval_end(moment: datetime) -> datetime:
    """``moment`` rounded down to a multiple of ``INTERVAL_S`` since the epoch, in UTC.

    Raises:
        ValueError: ``moment`` has no UTC offset.
    """
    if moment.utcoffset() is None:
        raise ValueError("health: time needs a UTC offset")
    step = timedelta(seconds=INTERVAL_S)
    return _EPOCH + (moment - _EPOCH) // step * step


def health_samples(
    worker: str,
    at: datetime,
    topics: Mapping[str, TopicHealth],
    sinks: Mapping[str, SinkHealth],
    agents: Mapping[str, bool] | None = None,
    findings: Mapping[tuple[str, str], int] | None = None,
) -> list[Sample]:
    """The health points of one worker for the interval ending at ``at`` (aligned down to
    ``INTERVAL_S``): one ``pipeline`` point per topic kind, one ``pipeline_sink`` point per
    sink, one ``pipeline_agent`` point per agent, one ``pipeline_quality`` point per (topic,
    finding) that happened. Topics and sinks with nothing to report
    still get their zeros, so a quiet pipeline is told apart from a silent worker.

    Raises:
        ValueError: a negative figure, or ``at`` without a UTC offset.
    """
    stamp = interval_end(at)
    figures: list[TopicHealth | SinkHealth] = [*topics.values(), *sinks.values()]
    if any(value < 0 for item in figures for value in astuple(item)):
        raise ValueError(f"health of {worker}: figures cannot be negative")
    samples = [
        Sample(
            PIPELINE,
            {"topic": topic, "worker": worker},
            {"events": item.events, "dead_letters": item.dead_letters, "lag": item.lag},
            stamp,
        )
        for topic, item in sorted(topics.items())
    ]
    samples += [
        Sample(
            PIPELINE_SINK,
            {"sink": sink, "worker": worker},
            {"retries": item.retries, "errors": item.errors},
            stamp,
        )
        for sink, item in sorted(sinks.items())
    ]
    samples += [
        Sample(PIPELINE_AGENT, {"agent": agent, "worker": worker}, {"running": int(up)}, stamp)
        for agent, up in sorted((agents or {}).items())
    ]
    samples += [
        Sample(
            PIPELINE_QUALITY,
            {"topic": topic, "finding": finding, "worker": worker},
            {"count": count},
            stamp,
        )
        for (topic, finding), count in sorted((findings or {}).items())
        if count > 0
    ]
    return samples
