"""The worker's state shared by its agents, timers and web pages.

- :class:`DayBook`: the per-day totals (a global table every worker can read), decoded
  once;
- :class:`LiveGaps`: TELEMETRY_GAPs the live silence check opened on this worker;
- :class:`MovesKnown`: per input partition of ``containers``, the event time up to which
  its moves have been read (cold-chain tracks hold readings a move may still precede);
- :class:`PipelineCounters`: events, dead letters and data-quality findings per input topic
  kind, since the worker started and since the last health report;
- :class:`AgentStates`: whether each agent runs, why one stopped, and how long its batches
  take (:class:`BatchLatencies`).
"""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from itertools import accumulate
from typing import Final, Generic, Literal, TypeVar, get_args, overload

from lugang.contract import ColdChainException
from streams.agents.ports import Received, Table
from streams.decoded import Decoded
from streams.domain.counts import DayTotals


class DayBook:
    """The per-day totals, keyed by local ISO date, in a table of JSON values."""

    def __init__(self, table: Table) -> None:
        self.table = table
        self._decoded: Decoded[DayTotals] = Decoded(DayTotals.model_validate_json, limit=1000)

    def year(self, year: int | None = None) -> dict[date, DayTotals]:
        """The totals of every day (of ``year``) this worker can see. Values are shared:
        copy one before changing it."""
        totals = {}
        for key, value in self.table.items():
            day = date.fromisoformat(key.decode())
            if year is None or day.year == year:
                totals[day] = self._decoded.get(key, value)
        return totals

    def put(self, owner: Received, totals: DayTotals) -> None:
        """Store the totals of their day (in the partition of ``owner``)."""
        key, value = totals.day.isoformat().encode(), totals.model_dump_json().encode()
        self.table.put(owner, key, value)
        self._decoded.remember(key, value, totals)

    async def delivered(self) -> None:
        """Return once every day put since the last call is in the changelog."""
        await self.table.delivered()


class LiveGaps:
    """The TELEMETRY_GAPs the live silence check opened on this worker (not in a table:
    the check finds the same gap, with the same id, every time until a reading comes)."""

    def __init__(self) -> None:
        self._gaps: dict[str, ColdChainException] = {}
        self._by_container: dict[str, set[str]] = {}  # container -> ids (looked up per batch)

    def add(self, gaps: Iterable[ColdChainException]) -> None:
        for gap in gaps:
            self._gaps[gap.exception_id] = gap
            self._by_container.setdefault(gap.equipment_reference, set()).add(gap.exception_id)

    def discard(self, exception_id: str) -> None:
        gap = self._gaps.pop(exception_id, None)
        if gap is not None:
            ids = self._by_container[gap.equipment_reference]
            ids.discard(exception_id)
            if not ids:
                del self._by_container[gap.equipment_reference]

    def of(self, equipment_reference: str) -> list[ColdChainException]:
        """The live gaps of one container."""
        return [self._gaps[i] for i in self._by_container.get(equipment_reference, ())]

    def all(self) -> list[ColdChainException]:
        return list(self._gaps.values())


class Watermarks:
    """Per partition of the input topics, the newest reading time this worker has read, and
    when it read it: the event time the live silence check judges that partition's reefers
    against, so a consumer that lags behind does not take the lag for silence."""

    def __init__(self, clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._clock = clock
        self._newest: dict[int, tuple[datetime, datetime]] = {}  # (event time, read at)

    def saw(self, partition: int, at: datetime) -> None:
        newest = self._newest.get(partition)
        if newest is None or at > newest[0]:
            self._newest[partition] = (at, self._clock())

    def now(self, partition: int, wall: datetime, caught_up: bool) -> datetime | None:
        """The event time of ``partition`` at wall-clock time ``wall`` (None: nothing read
        there yet). Behind, it is the newest reading read; once everything on the partition
        is read, event time goes on as the wall clock does from then, so a unit silent on a
        quiet partition is still found silent, and a recording replayed from the past is
        not all silent at once."""
        newest = self._newest.get(partition)
        if newest is None:
            return None
        at, read_at = newest
        return at + (wall - read_at) if caught_up else at


NOTHING_KNOWN = datetime.min.replace(tzinfo=UTC)
""":meth:`MovesKnown.until` of a partition that is behind and where no move was read yet:
every reading is held."""


class MovesKnown:
    """Per input partition of ``containers``: the event time up to which the moves there
    are known, the ``known`` of :mod:`streams.domain.reefer` (a track settles no reading a
    move not yet read may precede).

    Kafka orders ``containers`` and ``reefer`` not against each other, and a consumer that
    catches up may read hours of readings before the moves of the same hours. A partition
    whose every message has been read (its next offset to read is at its highwater) knows
    all its moves: None, no cap. One that is behind knows its moves up to the newest event
    time read there minus the allowed lateness (moves may come out of order within it), or
    nothing (:data:`NOTHING_KNOWN`) when none was read.

    ``highwater(partition)``: the offset the next message written there will get, as the
    broker lately said (None: not known yet, or not said lately: taken as behind); without
    it every partition counts as caught up, which is what the worker did before it had
    this. ``committed(partition)``: the offset the
    group committed there (the next to read when the worker has read nothing there since it
    took the partition; None: not known), so a partition that was read to its end before a
    restart counts as caught up without a new move."""

    def __init__(
        self,
        lateness: timedelta = timedelta(0),
        highwater: Callable[[int], int | None] | None = None,
        committed: Callable[[int], int | None] | None = None,
    ) -> None:
        self._lateness = lateness
        self._highwater = highwater
        self._committed = committed
        self._next: dict[int, int] = {}  # partition -> next offset to read
        self._newest: dict[int, datetime] = {}  # partition -> newest move time read

    def read(self, partition: int, offset: int, at: datetime | None = None) -> None:
        """The message at ``offset`` of ``containers`` partition ``partition`` is read (and
        will be processed in this batch); ``at``: the event time of its move, None when it
        decoded to none (dead-lettered, or skipped as applied before)."""
        self._next[partition] = max(offset + 1, self._next.get(partition, 0))
        newest = self._newest.get(partition)
        if at is not None and (newest is None or at > newest):
            self._newest[partition] = at

    def forget(self, partitions: Iterable[int]) -> None:
        """The partitions are taken from this worker (a rebalance): what it read there
        before says nothing of what its tracks will hold when it gets them back (another
        worker may have read on, and what this one read but had not committed is read
        again), so it starts again from the committed offset."""
        for partition in partitions:
            self._next.pop(partition, None)
            self._newest.pop(partition, None)

    def caught_up(self, partition: int) -> bool:
        """Whether every message written to the partition so far has been read."""
        if self._highwater is None:
            return True
        highwater = self._highwater(partition)
        if highwater is None:
            return False
        committed = None if self._committed is None else self._committed(partition)
        read = max(self._next.get(partition, 0), committed or 0)
        return read >= highwater

    def until(self, partition: int) -> datetime | None:
        """The event time up to which the partition's moves are known (None: all of them
        written so far)."""
        if self.caught_up(partition):
            return None
        newest = self._newest.get(partition)
        return NOTHING_KNOWN if newest is None else newest - self._lateness


@overload
def earliest(one: datetime, other: datetime | None) -> datetime: ...
@overload
def earliest(one: datetime | None, other: datetime | None) -> datetime | None: ...
def earliest(one: datetime | None, other: datetime | None) -> datetime | None:
    """The earlier of two caps on an event time (None: no cap): the moves known and the
    moves ahead in a batch, or a partition's event time and its moves known."""
    if one is None:
        return other
    return one if other is None else min(one, other)


Figure = Literal["events", "dead_letters"]


DeadLetterReason = Literal["contract", "key", "time", "late", "internal"]
"""The class of a dead letter's reason: the contract broken, a key that is not the entity
id, an implausible event time, a late reading, an event the worker's own code failed on."""
DEAD_LETTER_REASONS: Final = get_args(DeadLetterReason)

Finding = Literal[DeadLetterReason, "duplicate", "orphan_arrival"]
"""What the data-quality view counts per topic: dead letters by their reason's class,
duplicates dropped quietly, and arrivals no departure pairs with (``orphan_arrival``:
counted, not dead-lettered)."""

K = TypeVar("K", bound=Hashable)


class _Tally(Generic[K]):
    """Counts that only grow: read whole (:attr:`total`, for ``/metrics``) or as what they
    grew by since the last :meth:`take` (for the pipeline-health points), so each event
    is counted once whoever reads it."""

    def __init__(self) -> None:
        self.total: Counter[K] = Counter()
        self._taken: Counter[K] = Counter()

    def take(self) -> Counter[K]:
        grown = self.total - self._taken
        self._taken = self.total.copy()
        return grown


class PipelineCounters:
    """Events read and dead letters sent per topic kind, and data-quality findings per topic
    kind: in total since the worker started (:meth:`totals`, :meth:`finding_totals`), or
    since :meth:`take` and :meth:`take_findings` last ran."""

    def __init__(self) -> None:
        self._counts: _Tally[tuple[str, Figure]] = _Tally()
        self._findings: _Tally[tuple[str, Finding]] = _Tally()

    def count(self, kind: str, figure: Figure) -> None:
        self._counts.total[kind, figure] += 1

    def found(self, kind: str, finding: Finding, times: int = 1) -> None:
        self._findings.total[kind, finding] += times

    def take(self) -> Counter[tuple[str, Figure]]:
        """The counts since the last call."""
        return self._counts.take()

    def take_findings(self) -> Counter[tuple[str, Finding]]:
        """The findings since the last call."""
        return self._findings.take()

    def totals(self) -> Counter[tuple[str, Figure]]:
        """The counts since the worker started (a copy)."""
        return self._counts.total.copy()

    def finding_totals(self) -> Counter[tuple[str, Finding]]:
        """The findings since the worker started (a copy)."""
        return self._findings.total.copy()


LATENCY_BUCKETS_S: Final = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
"""Upper bounds (seconds) of the batch-latency buckets: a batch of a caught-up worker takes
milliseconds, one of thousands of readings a good part of a second, and one waiting on an
InfluxDB or Alertmanager outage (the sinks retry; backpressure) tens of seconds."""


@dataclass(frozen=True, slots=True)
class Latencies:
    """How long one agent's batches took since the worker started: ``buckets[i]`` counts
    those that took at most ``LATENCY_BUCKETS_S[i]`` (cumulative, as Prometheus has them),
    ``count`` all of them, ``total_s`` their sum."""

    buckets: tuple[int, ...]
    count: int
    total_s: float


class BatchLatencies:
    """Per agent, how long its handler took over each batch (``streams.supervision``)."""

    def __init__(self, names: Iterable[str]) -> None:
        self._counts = {name: [0] * (len(LATENCY_BUCKETS_S) + 1) for name in names}
        self._total_s = dict.fromkeys(self._counts, 0.0)

    def observe(self, name: str, seconds: float) -> None:
        self._counts[name][bisect_left(LATENCY_BUCKETS_S, seconds)] += 1
        self._total_s[name] += seconds

    def all(self) -> dict[str, Latencies]:
        return {
            name: Latencies(tuple(accumulate(counts[:-1])), sum(counts), self._total_s[name])
            for name, counts in self._counts.items()
        }


@dataclass(frozen=True, slots=True)
class AgentState:
    """Whether one agent runs; ``reason`` says why one that stopped did."""

    running: bool
    reason: str | None = None
    died: bool = False
    """Stopped by an exception (not by the worker stopping)."""


class AgentStates:
    """Each agent's state, for ``/health``, ``/metrics`` and the pipeline-health
    measurement, and how long its batches take (:attr:`batches`)."""

    def __init__(self, names: Iterable[str]) -> None:
        self._states = {name: AgentState(False, "not started") for name in names}
        self.batches = BatchLatencies(self._states)

    def running(self, name: str) -> None:
        """Mark ``name`` running, unless it died: faust's supervisor restarts a dead agent,
        but the worker is stopping by then, and must say why."""
        if not self._states[name].died:
            self._states[name] = AgentState(True)

    def stopped(self, name: str, reason: str) -> None:
        if not self._states[name].died:
            self._states[name] = AgentState(False, reason)

    def died(self, name: str, reason: str) -> None:
        self._states[name] = AgentState(False, reason, died=True)

    @property
    def dead(self) -> list[str]:
        """The agents an exception stopped."""
        return [name for name, state in self._states.items() if state.died]

    def all(self) -> dict[str, AgentState]:
        return dict(self._states)

    @property
    def healthy(self) -> bool:
        """Whether every agent runs."""
        return all(state.running for state in self._states.values())
