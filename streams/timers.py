"""The worker's timers: the minute's round (re-sent alerts, 天天班 today, trains in
transit), the live silence check, pipeline health, the running points due."""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Protocol

from lugang.contract import TOPIC_KINDS, ColdChainException
from lugang.reference import Reference
from streams.acknowledgements import Acknowledgements
from streams.domain.projection import project_year
from streams.domain.status import compute_status
from streams.domain.transit import KnownTrain, runs_under_way
from streams.pager import Pager
from streams.schema import points
from streams.schema.health import SinkHealth, TopicHealth, health_samples
from streams.sinks.base import MetricSink
from streams.sinks.base import SinkHealth as SinkCounters
from streams.state import AgentStates, DayBook, PipelineCounters, Watermarks

Clock = Callable[[], datetime]


class Timed(Protocol):
    """The movements agent's timed work (:meth:`MovementsAgent.tick`)."""

    async def tick(
        self, event_times: Mapping[int, datetime | None]
    ) -> list[ColdChainException]: ...


class Running(Protocol):
    """The days agent's running points (:meth:`DaysAgent.write_running`)."""

    async def write_running(self) -> None: ...


class RunningPoints:
    """Every :data:`~streams.agents.days.RUNNING_EVERY_S` seconds, on the worker whose days
    agent keeps the figures (``keeps_figures``): the running points a batch left due."""

    def __init__(self, days: Running, keeps_figures: Callable[[], bool]) -> None:
        self.days = days
        self.keeps_figures = keeps_figures

    async def __call__(self) -> None:
        if self.keeps_figures():
            await self.days.write_running()


class PartitionWatch(Protocol):
    """Which input partitions this worker reads, and how far it has read them."""

    watermarks: Watermarks

    async def caught_up(self) -> dict[int, bool]:
        """Each input partition this worker is assigned: whether it has read all of it."""


def _utc_now() -> datetime:
    return datetime.now(UTC)


class MinuteRound:
    """Every minute, on the worker that keeps the figures (``keeps_figures``: it reads the
    day-facts topic, so its day totals are current; other workers' copies of that global
    table can be stale, faust-streaming issue 283): today's 天天班 computed once, paged
    (``DailyServiceAtRisk`` raised or resolved, with the re-send of every firing alert,
    which Alertmanager resolves once it stops hearing of them) and written for the wall
    screen's tile (``daily_service_live``, whose warning no event would ever write); and
    the runs under way, outbound and inbound (``trains``: the trains agent's tables), each written
    (``train_in_transit``) and, once overdue, paged (``TrainOverdue``) until it arrives:
    only the clock makes a train late, no event does. And today's year-end projection
    (``year_projection``, as ``/status`` gives it: with last year's season where the book
    holds last year), so the wall screen shows where the year is heading. Last, the
    acknowledgements of the pipeline's pages (``acks``: learnt, those of closed exceptions
    expired, written; :mod:`streams.acknowledgements`)."""

    def __init__(
        self,
        book: DayBook,
        pager: Pager,
        metrics: MetricSink,
        reference: Reference,
        keeps_figures: Callable[[], bool],
        clock: Clock = _utc_now,
        trains: Callable[[], Iterable[KnownTrain]] = tuple,
        acks: Acknowledgements | None = None,
    ) -> None:
        self.book = book
        self.pager = pager
        self.metrics = metrics
        self.reference = reference
        self.keeps_figures = keeps_figures
        self.clock = clock
        self.trains = trains
        self.acks = acks

    async def __call__(self) -> None:
        if not self.keeps_figures():
            return
        now = self.clock()
        today = now.astimezone(self.reference.home.tz).date()
        days = self.book.year(today.year)  # one pass over the days table for both uses
        status = compute_status(days, self.reference, today, now)
        runs = runs_under_way(self.trains(), self.reference, now)
        await self.pager.resend(status.daily_service, today, runs)
        samples = points.live_daily_service_samples(status, self.reference)
        samples += map(points.in_transit_sample, runs)
        target = self.reference.targets.get(today.year)
        projection = project_year(days, today, target, self.book.year(today.year - 1))
        if projection is not None:
            samples += points.projection_samples(projection, self.reference)
        await self.metrics.write(samples)
        await self.metrics.flush()
        if self.acks is not None:
            await self.acks.refresh()


class SilenceCheck:
    """Live, on the reefers of this worker's partitions, against each partition's event
    time (:class:`~streams.state.Watermarks`: consumer lag is not silence): the movements
    agent's timed work (containers whose train has arrived leave watch, a silent unit's
    last readings are settled), then the TELEMETRY_GAP of each unit silent on watch that it
    finds, paged until the unit reports again or leaves. On replay, the next reading finds
    the gap from event time."""

    def __init__(
        self,
        movements: Timed,
        metrics: MetricSink,
        pager: Pager,
        watch: PartitionWatch,
        clock: Clock = _utc_now,
        settled: Callable[[], bool] = lambda: True,
    ) -> None:
        self.movements = movements
        self.metrics = metrics
        self.pager = pager
        self.watch = watch
        self.clock = clock
        self.settled = settled  # the tables may be read and written (no rebalance under way)

    async def __call__(self) -> None:
        if not self.settled():
            return  # the next check comes within a minute
        wall = self.clock()
        caught_up = await self.watch.caught_up()
        times = {p: self.watch.watermarks.now(p, wall, read) for p, read in caught_up.items()}
        found = await self.movements.tick(times)
        self.pager.live_gaps.add(found)
        await self.metrics.write([points.exception_sample(e) for e in found])
        await self.metrics.flush()
        await self.pager.page(found, live=True)


class HealthReport:
    """Every ``INTERVAL_S``: events, dead letters and lag per input topic, the sinks'
    retries and errors, and whether each agent runs (Pipeline health dashboard, alert
    rules)."""

    def __init__(
        self,
        worker: str,
        counters: PipelineCounters,
        agents: AgentStates,
        sinks: Mapping[str, SinkCounters],
        metrics: MetricSink,
        lag: Callable[[], Awaitable[Mapping[str, int]]],
        clock: Clock = _utc_now,
    ) -> None:
        self.worker = worker
        self.counters = counters
        self.agents = agents
        self.sinks = sinks
        self.metrics = metrics
        self.lag = lag
        self.clock = clock
        self._reported: dict[str, SinkHealth] = {}

    async def __call__(self) -> None:
        lag = await self.lag()
        counts = self.counters.take()
        topics = {
            kind: TopicHealth(
                counts[kind, "events"], counts[kind, "dead_letters"], lag.get(kind, 0)
            )
            for kind in TOPIC_KINDS
        }
        running = {name: state.running for name, state in self.agents.all().items()}
        findings = {
            (topic, str(what)): n for (topic, what), n in self.counters.take_findings().items()
        }
        samples = health_samples(
            self.worker, self.clock(), topics, self._sink_deltas(), running, findings
        )
        await self.metrics.write(samples)
        await self.metrics.flush()

    def _sink_deltas(self) -> dict[str, SinkHealth]:
        """Each sink's retries and errors since the last report."""
        deltas = {}
        for name, sink in self.sinks.items():
            seen = SinkHealth(sink.retries, sink.errors)
            before = self._reported.get(name, SinkHealth(0, 0))
            deltas[name] = SinkHealth(seen.retries - before.retries, seen.errors - before.errors)
            self._reported[name] = seen
        return deltas


def lag_by_kind(positions: Iterable[tuple[str, int]]) -> Counter[str]:
    """Sum per topic kind of (kind, records behind) pairs."""
    lag: Counter[str] = Counter()
    for kind, behind in positions:
        lag[kind] += max(0, behind)
    return lag
