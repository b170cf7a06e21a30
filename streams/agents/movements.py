"""The ``movements`` agent: reads ``containers`` and ``reefer`` together (both keyed by
container, so one container's moves and readings meet on one partition), counts container
moves as day facts and runs each reefer's cold-chain track.

Per batch: group the messages by container; for each, decode and fold its moves and
readings into its track (:mod:`streams.domain.reefer`); then deliver (reading and exception
points, the open-exceptions table and the pages, the counted moves, the dead letters), and
only then write the tracks, which remember the offsets they applied: a crash in between
makes a restart redo the batch, never skip it.

A dry container gets no track: its moves are counted (facts are deduplicated by event id)
and nothing else needs them; writing a track for each would be most of the worker's
changelog traffic. A message a track has applied before a restart is skipped, unless the
commit guard reads it again (it never reached an agent).
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from lugang.contract import ColdChainException, ContainerEvent, Event, ReeferReading, size_type
from lugang.reference import Reference
from streams.agents.facts import send_facts
from streams.agents.intake import Intake
from streams.agents.ports import Message, Outbox, Received, Table, timer_owner
from streams.decoded import Decoded
from streams.domain.coldchain import Close, Decision, closed
from streams.domain.counts import Fact, fact_of
from streams.domain.reefer import Move, ReeferTrack, arrived, flush, move, observe, silence
from streams.domain.watch import Arrivals, leaves_watch, silence_watched, train_arrival
from streams.pager import Pager
from streams.schema import points
from streams.sinks.base import MetricSink
from streams.state import Watermarks

Rereads = Callable[[str, int, int], bool]
"""Whether the message at (topic, partition, offset) is read again by the commit guard."""


@dataclass
class _Outputs:
    facts: list[Fact] = field(default_factory=list)
    samples: list[points.Sample] = field(default_factory=list)
    decisions: list[Decision] = field(default_factory=list)
    owners: list[Received] = field(default_factory=list)  # an event of each decision's box
    tracks: dict[bytes, tuple[Received, ReeferTrack]] = field(default_factory=dict)


@dataclass(slots=True)
class _Step:
    """What one message does: the container's track after it (None: a dry container, or
    nothing to track) and what it produced."""

    track: ReeferTrack | None
    fact: Fact | None = None
    decisions: tuple[Decision, ...] = ()
    sample: points.Sample | None = None
    late: str | None = None
    duplicate: bool = False


class MovementsAgent:
    """Counts container moves and follows every reefer's cold chain."""

    def __init__(
        self,
        intake: Intake,
        reference: Reference,
        allowed_lateness: timedelta,
        tracks: Table,
        open_exceptions: Table,
        facts: Outbox,
        metrics: MetricSink,
        pager: Pager,
        rereads: Rereads = lambda topic, partition, offset: False,
        arrivals: Table | None = None,
        watermarks: Watermarks | None = None,
        partition_of: Callable[[bytes], int] = lambda key: 0,
    ) -> None:
        self.intake = intake
        self.reference = reference
        self.lateness = allowed_lateness
        self.tracks = tracks  # container id -> ReeferTrack JSON
        self.open_exceptions = open_exceptions  # exception id -> ColdChainException JSON
        self.facts = facts
        self.metrics = metrics
        self.pager = pager
        self.rereads = rereads
        # outbound train id -> arrival time at the far end (ISO); none known without a table
        self.arrivals: Arrivals = {} if arrivals is None else arrivals
        self.watermarks = watermarks or Watermarks()
        self.partition_of = partition_of  # the input partition of a container key
        self._lock = asyncio.Lock()  # a batch and the timer's work never interleave
        self.decoded = Decoded(ReeferTrack.from_json, limit=20_000)

    async def handle(self, batch: Sequence[Received]) -> None:
        """Process one batch; return once everything it caused is delivered and written."""
        by_container: dict[bytes, list[Received]] = defaultdict(list)
        for received in batch:
            by_container[received.message.key or b""].append(received)
        async with self._lock:
            out = _Outputs()
            for key, events in by_container.items():
                self._follow(key, events, out)
            await self._deliver(out)

    async def tick(self, event_times: Mapping[int, datetime | None]) -> list[ColdChainException]:
        """The live timer's work on the tracks of this worker's partitions (``event_times``:
        each partition and the event time reached there, None: not known yet): a container
        whose outbound train has arrived at the far end leaves watch (units are unplugged
        there, so no reading would say so), a silent unit's last readings are settled once
        its silence is a gap (so what they show is paged); return the TELEMETRY_GAPs of the
        units silent on watch (not kept in the tracks: found again, with the same ids, until
        a reading comes)."""
        rules, profiles = self.reference.exception_rules, self.reference.commodities
        gaps: list[ColdChainException] = []
        async with self._lock:
            out = _Outputs()
            for key, value in list(self.tracks.items()):
                partition = self.partition_of(key)
                if partition not in event_times:
                    continue  # not a partition of this worker (a standby copy)
                owner = timer_owner(partition, key)
                track = self.decoded.get(key, value)
                now = event_times[partition]
                timed = self._timed(track, now, out, owner)
                if timed is not track:
                    out.tracks[key] = (owner, timed)
                if now is not None and silence_watched(timed, self.arrivals):
                    gaps += [d.exception for d in silence(timed, now, rules, profiles)]
            await self._deliver(out)
        return gaps

    def _timed(
        self, track: ReeferTrack, now: datetime | None, out: _Outputs, owner: Received
    ) -> ReeferTrack:
        if track.current.watching:
            track = self._leave_at_arrival(track, None, out, owner)
        if now is not None and track.recent and self._silent_for_a_gap(track, now):
            rules, profiles = self.reference.exception_rules, self.reference.commodities
            track, flushed = flush(track, rules, profiles)
            out.decisions += flushed
            out.owners += [owner] * len(flushed)
        return self._end_live_gaps(track, out, owner)

    def _silent_for_a_gap(self, track: ReeferTrack, now: datetime) -> bool:
        """Whether the unit has been silent long enough for a gap (a delay shorter than
        that, or readings of one container behind others of its partition, is no reason
        to call its last readings final)."""
        newest = track.newest_reading
        gap = timedelta(minutes=self.reference.exception_rules.telemetry_gap_minutes)
        return newest is not None and now - newest > max(self.lateness, gap)

    async def _deliver(self, out: _Outputs) -> None:
        """Deliver what a batch (or the timer) caused, then write the changed tracks."""
        out.samples += [points.exception_sample(d.exception) for d in out.decisions]
        await self.metrics.write(out.samples)
        await self.metrics.flush()
        await self._publish(out.decisions, out.owners)
        await send_facts(self.facts, out.facts)
        await self.intake.deliver()
        for key, (owner, track) in out.tracks.items():
            stored = track.to_json()
            self.tracks.put(owner, key, stored)
            self.decoded.remember(key, stored, track)
        await self.tracks.delivered()

    def _follow(self, key: bytes, events: list[Received], out: _Outputs) -> None:
        """One container's messages of a batch: its counted moves, its decisions, and its
        track (kept in ``out.tracks`` when it changed)."""
        stored = self.tracks.get(key, events[0])
        loaded = track = None if stored is None else self.decoded.get(key, stored)
        for received in events:
            message = received.message
            applied = track is not None and track.seen(message.topic, message.offset)
            if applied and not self.rereads(message.topic, message.partition, message.offset):
                continue
            event = self.intake.decode(received)
            if isinstance(event, ReeferReading):
                self.watermarks.saw(message.partition, event.reading_time)
            if track is not None and event is not None:
                track = self._leave_at_arrival(track, event.occurred_at, out, events[0])
            step = self.intake.attempt(received, self._step, key, track, event, message)
            if step is None:
                continue  # dead-lettered; the track stays as it was
            track = step.track
            if step.fact is not None:
                out.facts.append(step.fact)
            if step.sample is not None:
                out.samples.append(step.sample)
            if step.late is not None:
                self.intake.reject(received, step.late, "late")
            if step.duplicate:
                self.intake.duplicate(self.intake.kind(message.topic))
            out.decisions += step.decisions
            out.owners += [events[0]] * len(step.decisions)
        if track is not None:
            track = self._end_live_gaps(track, out, events[0])
        if track is not None and track is not loaded:
            out.tracks[key] = (events[0], track)

    def _leave_at_arrival(
        self, track: ReeferTrack, before: datetime | None, out: _Outputs, owner: Received
    ) -> ReeferTrack:
        """The track after its outbound train's arrival at the far end, if the train has
        arrived (and, given ``before``, the arrival comes before that event time: an event
        after it shows the container's data have caught up with it)."""
        arrival = train_arrival(track, self.arrivals)
        if arrival is None or track.train_id is None:
            return track
        if before is not None and before <= arrival:
            return track
        rules, profiles = self.reference.exception_rules, self.reference.commodities
        track, made = arrived(track, track.train_id, arrival, self.lateness, rules, profiles)
        out.decisions += made
        out.owners += [owner] * len(made)
        return track

    def _end_live_gaps(self, track: ReeferTrack, out: _Outputs, owner: Received) -> ReeferTrack:
        """Close the live TELEMETRY_GAPs of the container that its data now disprove: a
        reading after the gap's start came (late readings can fill a silence the live check
        took for a gap), or the container left watch. The track remembers each as closed,
        so the gap its readings settle later is not paged again."""
        state = track.current
        gaps = self.pager.live_gaps.of(state.equipment_reference)
        if not gaps:
            return track
        recent = [r.reading_time for r in track.recent if isinstance(r, ReeferReading)]
        for gap in gaps:
            after = [t for t in recent if t > gap.started_at]
            last = state.last_reading_at
            if not after and last is not None and last > gap.started_at:
                after = [last]
            ended = min(after) if after else (None if state.watching else state.left_at)
            if ended is None:
                continue
            self.pager.live_gaps.discard(gap.exception_id)
            track = track.closing(gap.exception_id)
            out.decisions.append(Close(closed(gap, ended)))
            out.owners.append(owner)
        return track

    def _step(
        self, key: bytes, track: ReeferTrack | None, event: Event | None, message: Message
    ) -> _Step:
        """One decoded message (None: dead-lettered) onto the container's track, which
        remembers its offset; a dry container's move is only counted."""
        fact = None
        if isinstance(event, ContainerEvent):
            fact = fact_of(event, self.reference)
            if track is None and not size_type(event.iso_equipment_code, self.reference).is_reefer:
                return _Step(None, fact)
        if track is None:
            if event is None:
                return _Step(None)  # dead-lettered, and nothing to track
            track = ReeferTrack.new(key.decode())
        step = _Step(None, fact)
        if isinstance(event, ContainerEvent):
            track = self._move(step, track, event)
        elif isinstance(event, ReeferReading):
            track = self._observe(step, track, event)
        step.track = track.at_offset(message.topic, message.offset)
        return step

    def _move(self, step: _Step, track: ReeferTrack, event: ContainerEvent) -> ReeferTrack:
        """The track after ``event``; its decisions go into ``step``."""
        home = event.location == self.reference.home.location
        moved = Move(
            event.event_id,
            event.event_time,
            event.commodity,
            event.corridor,
            event.train_id,
            leaves=leaves_watch(event.event_type, home),
        )
        rules, profiles = self.reference.exception_rules, self.reference.commodities
        track, made = move(track, moved, self.lateness, rules, profiles)
        step.decisions = tuple(made)
        return track

    def _observe(self, step: _Step, track: ReeferTrack, reading: ReeferReading) -> ReeferTrack:
        """The track after ``reading``; its decisions, point, or late or duplicate verdict go
        into ``step``."""
        rules, profiles = self.reference.exception_rules, self.reference.commodities
        track, made, verdict = observe(track, reading, self.lateness, rules, profiles)
        step.decisions = tuple(made)
        if verdict == "late":
            step.late = self._late_reason(track, reading)
        elif verdict == "applied":
            commodity = reading.commodity or track.settled.commodity
            profile = profiles.get(commodity) if commodity else None
            corridor = reading.corridor or track.settled.corridor
            step.sample = points.reading_sample(reading, commodity, profile, corridor)
        step.duplicate = verdict == "duplicate"
        return track

    def _late_reason(self, track: ReeferTrack, reading: ReeferReading) -> str:
        at = reading.reading_time.isoformat()
        left = track.settled.left_at
        if left is not None and reading.reading_time <= left:
            return f"late: reading_time {at} is not after the container left watch at {left}"
        minutes = self.lateness / timedelta(minutes=1)
        return f"late: reading_time {at} is more than {minutes:g} min older than the newest reading"

    async def _publish(self, decisions: list[Decision], owners: list[Received]) -> None:
        """Open and close the exceptions in the open-exceptions table, then page; each
        exception is written in the partition of its container's ``owners`` event, so a
        close never overtakes its open when the table is restored."""
        for decision, owner in zip(decisions, owners, strict=True):
            exception = decision.exception
            key = exception.exception_id.encode()
            if exception.status == "OPEN":
                self.open_exceptions.put(owner, key, exception.model_dump_json().encode())
            else:
                self.pager.live_gaps.discard(exception.exception_id)
                self.open_exceptions.put(owner, key, None)
        await self.open_exceptions.delivered()
        await self.pager.page([d.exception for d in decisions])
