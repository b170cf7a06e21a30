"""The worker's timers: re-sending open alerts, the live silence check, pipeline health."""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Protocol

from lugang.contract import TOPIC_KINDS, ColdChainException
from lugang.reference import Reference
from streams.agents.ports import Table
from streams.domain.coldchain import Close
from streams.domain.reefer import ReeferTrack, arrived, silence
from streams.domain.status import compute_status
from streams.domain.watch import train_arrival
from streams.pager import Pager
from streams.schema import points
from streams.schema.health import SinkHealth, TopicHealth, health_samples
from streams.sinks.base import MetricSink
from streams.sinks.base import SinkHealth as SinkCounters
from streams.state import AgentStates, DayBook, PipelineCounters, Watermarks

Clock = Callable[[], datetime]


class PartitionWatch(Protocol):
    """Which input partitions this worker reads, and how far it has read them."""

    watermarks: Watermarks

    def partition_of(self, key: bytes) -> int:
        """The input partition of a container key."""

    async def caught_up(self) -> dict[int, bool]:
        """Each input partition this worker is assigned: whether it has read all of it."""


def _utc_now() -> datetime:
    return datetime.now(UTC)


class AlertResender:
    """Re-sends firing alerts (Alertmanager resolves an alert it stops hearing about), and
    raises or resolves today's 天天班 warnings."""

    def __init__(
        self,
        open_exceptions: Table,
        book: DayBook,
        pager: Pager,
        reference: Reference,
        clock: Clock = _utc_now,
    ) -> None:
        self.open_exceptions = open_exceptions
        self.book = book
        self.pager = pager
        self.reference = reference
        self.clock = clock

    async def __call__(self) -> None:
        now = self.clock()
        today = now.astimezone(self.reference.home.tz).date()
        opened = [ColdChainException.model_validate_json(v) for v in self.open_exceptions.values()]
        status = compute_status(self.book.year(today.year), self.reference, today, now)
        await self.pager.page(opened, status.daily_service, today)


class SilenceCheck:
    """Live, for each reefer of this worker's partitions: opens the TELEMETRY_GAP of one
    silent on watch (judged against its partition's event time, see
    :class:`~streams.state.Watermarks`), and closes what is still open on one whose
    outbound train has arrived at the far end (its data may never say so: units are
    unplugged there). On replay, the next reading finds the gap from event time."""

    def __init__(
        self,
        tracks: Table,
        arrivals: Table,
        open_exceptions: Table,
        metrics: MetricSink,
        pager: Pager,
        reference: Reference,
        lateness: timedelta,
        watch: PartitionWatch,
        clock: Clock = _utc_now,
    ) -> None:
        self.tracks = tracks
        self.arrivals = arrivals
        self.open_exceptions = open_exceptions
        self.metrics = metrics
        self.pager = pager
        self.reference = reference
        self.lateness = lateness
        self.watch = watch
        self.clock = clock

    async def __call__(self) -> None:
        wall = self.clock()
        caught_up = await self.watch.caught_up()
        found: list[ColdChainException] = []
        closed: list[tuple[int, ColdChainException]] = []
        for key, value in self.tracks.items():
            partition = self.watch.partition_of(key)
            if partition not in caught_up:
                continue  # not a partition of this worker (a standby copy)
            track = ReeferTrack.from_json(value)
            arrival = train_arrival(track, self.arrivals)
            if arrival is not None:
                closed += [(partition, e) for e in self._arrived(track, arrival)]
            elif track.watched:
                now = self.watch.watermarks.now(partition, wall, caught_up[partition])
                if now is not None:
                    rules, profiles = self.reference.exception_rules, self.reference.commodities
                    found += [d.exception for d in silence(track, now, rules, profiles)]
        for partition, exception in closed:
            self.open_exceptions.delete_in(partition, exception.exception_id.encode())
            self.pager.live_gaps.discard(exception.exception_id)
        self.pager.live_gaps.add(found)
        changed = [e for _, e in closed] + found
        await self.metrics.write([points.exception_sample(e) for e in changed])
        await self.metrics.flush()
        await self.open_exceptions.delivered()
        await self.pager.page(changed)

    def _arrived(self, track: ReeferTrack, arrival: datetime) -> list[ColdChainException]:
        """What the container's leaving watch at its train's arrival closes, of what is
        still open (the agent closes the same, with the same ids, when the container's next
        event comes)."""
        train = track.train_id
        if train is None:
            return []
        rules, profiles = self.reference.exception_rules, self.reference.commodities
        _, decisions = arrived(track, train, arrival, self.lateness, rules, profiles)
        closes = [
            d.exception
            for d in decisions
            if isinstance(d, Close) and d.exception.exception_id.encode() in self.open_exceptions
        ]
        for gap in self.pager.live_gaps.of(track.current.equipment_reference):
            ended = max(arrival, gap.started_at)
            closes.append(
                gap.model_copy(
                    update={
                        "ended_at": ended,
                        "duration_s": (ended - gap.started_at).total_seconds(),
                        "status": "CLOSED",
                    }
                )
            )
        return closes


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
