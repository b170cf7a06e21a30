"""Prometheus ``/metrics``: the worker's figures, read at scrape time where they are counted.

Nothing here counts. Each scrape reads the counters the agents already keep
(:class:`~streams.state.PipelineCounters`, :class:`~streams.state.AgentStates` and its
batch latencies, the sinks' ``retries`` and ``errors``), the open exceptions this worker
knows and its consumer lag, and renders them: an event costs nothing more than it did,
a scrape costs the worker its own few milliseconds (``bench.pipeline --metrics-cost``).

Why both this and the pipeline-health points (``streams.schema.health``): the points are
written through the very path they watch (points topic, points agent, InfluxDB), so an
InfluxDB outage, or a points agent stuck behind one, hides itself: the points stop and
nothing says why. ``/metrics`` is pulled from each worker over HTTP and needs neither
Kafka nor InfluxDB: its ``lugang_sink_errors_total{sink="influxdb"}`` and
``lugang_consumer_lag{topic="points"}`` keep climbing through the outage.

Counters count since the worker process started (Prometheus's ``rate()`` takes a
restart's reset in its stride); gauges are as of the scrape. Every metric's name, type,
labels and help are :data:`METRICS` (one home; the README's table is made from it).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Final, Generic, TypeVar, get_args

from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.exposition import choose_encoder

from lugang.contract import TOPIC_KINDS, ExceptionKind
from streams.agents.ports import Table
from streams.sinks.base import SinkHealth
from streams.state import (
    DEAD_LETTER_REASONS,
    LATENCY_BUCKETS_S,
    AgentStates,
    Finding,
    LiveGaps,
    PipelineCounters,
)
from streams.web import open_exceptions

Lag = Callable[[], Awaitable[Mapping[str, int] | None]]
"""Records behind per topic kind of this worker's partitions (None: not known yet)."""

LAG_TIMEOUT_S: Final = 2.0
"""How long a scrape waits for the consumer's positions before it leaves the lag out."""


F = TypeVar("F", CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily)


@dataclass(frozen=True, slots=True)
class MetricSpec(Generic[F]):
    """One metric of ``/metrics``: its name (a counter's samples add ``_total``), its
    family (counter, gauge or histogram), labels and help."""

    name: str
    kind: type[F]
    labels: tuple[str, ...]
    help: str

    def family(self) -> F:
        """An empty family of this metric, to add samples to."""
        return self.kind(self.name, self.help, labels=self.labels)

    @property
    def type(self) -> str:
        """``counter``, ``gauge`` or ``histogram``."""
        return str(self.family().type)

    @property
    def sample(self) -> str:
        """The name its samples carry (a histogram's add ``_bucket``, ``_sum``, ``_count``)."""
        return f"{self.name}_total" if self.kind is CounterMetricFamily else self.name


WORKER_INFO: Final = MetricSpec(
    "lugang_worker_info",
    GaugeMetricFamily,
    ("worker",),
    "Always 1: the name this worker process reports under (the worker tag of its "
    "pipeline-health points in InfluxDB; LUGANG_WORKER_NAME, default HOSTNAME-PID).",
)
EVENTS: Final = MetricSpec(
    "lugang_events",
    CounterMetricFamily,
    ("topic",),
    "Events read from each input topic (kind), dead-lettered ones included.",
)
DEAD_LETTERS: Final = MetricSpec(
    "lugang_dead_letters",
    CounterMetricFamily,
    ("topic", "reason"),
    "Input events sent to the dead-letter topic, by the class of their reason "
    "(contract, key, time, late, internal).",
)
DUPLICATES: Final = MetricSpec(
    "lugang_duplicates",
    CounterMetricFamily,
    ("topic",),
    "Events seen before and dropped quietly (not dead-lettered).",
)
ORPHAN_ARRIVALS: Final = MetricSpec(
    "lugang_orphan_arrivals",
    CounterMetricFamily,
    ("topic",),
    "Train arrivals no departure pairs with (counted, not dead-lettered).",
)
CONSUMER_LAG: Final = MetricSpec(
    "lugang_consumer_lag",
    GaugeMetricFamily,
    ("topic",),
    "Records this worker's partitions of a topic are behind its end offsets: the input "
    "topics and the agents' own (day-facts, points, pages). Absent until the consumer "
    "knows its positions.",
)
SINK_RETRIES: Final = MetricSpec(
    "lugang_sink_retries",
    CounterMetricFamily,
    ("sink",),
    "Requests to InfluxDB or Alertmanager sent again after a failure.",
)
SINK_ERRORS: Final = MetricSpec(
    "lugang_sink_errors",
    CounterMetricFamily,
    ("sink",),
    "Requests to InfluxDB or Alertmanager that failed (refused ones included).",
)
OPEN_EXCEPTIONS: Final = MetricSpec(
    "lugang_open_exceptions",
    GaugeMetricFamily,
    ("kind", "source"),
    "Cold-chain exceptions open as this worker sees them: source=table, its copy of the "
    "open-exceptions table (alike on every worker: take max across workers); source=live, "
    "the TELEMETRY_GAPs its own live silence check opened (take sum).",
)
AGENT_RUNNING: Final = MetricSpec(
    "lugang_agent_running",
    GaugeMetricFamily,
    ("agent",),
    "1 while the agent runs, 0 once it stopped (a worker whose agent died exits).",
)
BATCH_SECONDS: Final = MetricSpec(
    "lugang_batch_seconds",
    HistogramMetricFamily,
    ("agent",),
    "How long an agent took over one batch of its stream, its deliveries to Kafka, "
    "InfluxDB or Alertmanager included.",
)
METRICS: Final = (
    WORKER_INFO,
    EVENTS,
    DEAD_LETTERS,
    DUPLICATES,
    ORPHAN_ARRIVALS,
    CONSUMER_LAG,
    SINK_RETRIES,
    SINK_ERRORS,
    OPEN_EXCEPTIONS,
    AGENT_RUNNING,
    BATCH_SECONDS,
)
"""Every metric of ``/metrics``, in the order it is exposed."""

_FINDING_METRICS: Final[Mapping[Finding, MetricSpec[CounterMetricFamily]]] = {
    **dict.fromkeys(DEAD_LETTER_REASONS, DEAD_LETTERS),
    "duplicate": DUPLICATES,
    "orphan_arrival": ORPHAN_ARRIVALS,
}


@dataclass(frozen=True, slots=True)
class MetricSources:
    """Where ``/metrics`` reads its figures: the worker's own state, shared with its
    health report and web pages."""

    worker: str
    counters: PipelineCounters
    agents: AgentStates
    sinks: Mapping[str, SinkHealth]
    open_table: Table
    """The open-exceptions table (exception id -> JSON)."""
    live_gaps: LiveGaps
    lag: Lag


class Scrape:
    """The families of one scrape (a ``prometheus_client`` collector: ``collect()``)."""

    def __init__(self, sources: MetricSources, lag: Mapping[str, int] | None) -> None:
        self.sources = sources
        self.lag = lag

    def collect(self) -> Iterator[Metric]:
        sources = self.sources
        info = WORKER_INFO.family()
        info.add_metric([sources.worker], 1)
        yield info
        yield from self._topics()
        if self.lag is not None:
            lag = CONSUMER_LAG.family()
            for topic, behind in sorted(self.lag.items()):
                lag.add_metric([topic], behind)
            yield lag
        retries, errors = SINK_RETRIES.family(), SINK_ERRORS.family()
        for sink, health in sorted(sources.sinks.items()):
            retries.add_metric([sink], health.retries)
            errors.add_metric([sink], health.errors)
        yield retries
        yield errors
        yield self._open_exceptions()
        running = AGENT_RUNNING.family()
        for agent, state in sources.agents.all().items():
            running.add_metric([agent], int(state.running))
        yield running
        yield self._batches()

    def _topics(self) -> Iterator[Metric]:
        """Events, dead letters, duplicates and orphan arrivals per topic: zeros for the
        input topics too, so every series exists from the start (``rate()`` needs two
        samples)."""
        counts = self.sources.counters.totals()
        events = EVENTS.family()
        for topic in sorted({*TOPIC_KINDS, *(kind for kind, _ in counts)}):
            events.add_metric([topic], counts[topic, "events"])
        yield events
        findings = self.sources.counters.finding_totals()
        for topic in TOPIC_KINDS:  # the zeros
            findings.update(dict.fromkeys(((topic, f) for f in _FINDING_METRICS), 0))
        families = {spec.name: spec.family() for spec in _FINDING_METRICS.values()}
        for (topic, finding), count in sorted(findings.items()):
            spec = _FINDING_METRICS[finding]
            labels = [topic, finding] if spec is DEAD_LETTERS else [topic]
            families[spec.name].add_metric(labels, count)
        yield from families.values()

    def _open_exceptions(self) -> Metric:
        live = {gap.exception_id for gap in self.sources.live_gaps.all()}
        opened = open_exceptions(self.sources.open_table, self.sources.live_gaps)
        counts: Counter[tuple[str, str]] = Counter(
            (exception["kind"], "live" if key in live else "table")
            for key, exception in opened.items()
        )
        family = OPEN_EXCEPTIONS.family()
        for kind in sorted({*get_args(ExceptionKind), *(k for k, _ in counts)}):
            for source in ("live", "table"):
                family.add_metric([kind, source], counts[kind, source])
        return family

    def _batches(self) -> Metric:
        family = BATCH_SECONDS.family()
        bounds = [str(float(bound)) for bound in LATENCY_BUCKETS_S]
        for agent, latency in self.sources.agents.batches.all().items():
            buckets = [*zip(bounds, latency.buckets, strict=True), ("+Inf", latency.count)]
            family.add_metric([agent], buckets, latency.total_s)
        return family


async def exposition(sources: MetricSources, accept: str = "") -> tuple[bytes, str]:
    """The ``/metrics`` body and its content type, in the format the ``Accept`` header asks
    for (Prometheus text, or OpenMetrics). The consumer lag is left out when the consumer
    cannot say within :data:`LAG_TIMEOUT_S` (its thread is busy, or not started)."""
    try:
        lag = await asyncio.wait_for(sources.lag(), LAG_TIMEOUT_S)
    except TimeoutError:
        lag = None
    encode, content_type = choose_encoder(accept)
    return encode(Scrape(sources, lag)), content_type
