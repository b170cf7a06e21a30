"""The ``movements`` agent: reads ``containers`` and ``reefer`` together (both keyed by
container, so one container's moves and readings meet on one partition), counts container
moves as day facts and runs each reefer's cold-chain track.

Per batch: group the messages by container and decode them; then fold each container's
moves and readings into its track (:mod:`streams.domain.reefer`); then deliver (reading and
exception points, the open-exceptions table and the pages, the counted moves, the dead
letters), and only then write the tracks, which remember the offsets they applied: a crash
in between makes a restart redo the batch, never skip it.

Kafka orders neither input topic against the other, and a consumer catching up after a
crash can read ``reefer`` hours of event time ahead of ``containers``: the readings of a
reefer would be settled before the gate in and load that give them their commodity (a
pharma reefer at 16 °C went unpaged). So the tracks hold readings unsettled until the
moves that may precede them are read: :class:`~streams.state.MovesKnown` tells, per
partition, up to which event time its moves have been read (no cap once the partition is
read to its end), and a container's own moves still ahead in the batch cap it further (the
batch is processed container by container, so another container's later move may have been
processed first). The live timer settles what that allows once the ``containers``
partition has read further, even if no reading comes. A reading's point carries the
commodity and corridor in force at its time, whichever topic was read first.

A dry container gets no track: its moves are counted (facts are deduplicated by event id)
and nothing else needs them; writing a track for each would be most of the worker's
changelog traffic. A message a track has applied before a restart is skipped: the track
keeps the offsets it applied one by one (:mod:`streams.domain.offsets`), so a message the
commit guard reads again after later ones (it never reached an agent) is applied.

Every container's moves at the home location also open and close its visit at the port
(:mod:`streams.domain.dwell`), kept in the ``dwell`` table with its last end move and the
start of its last completed visit (one write per batch that changes it, before the tracks);
a completed visit becomes a ``container_dwell`` point. Moves may come in any order and any
number of times: a start or end read again (a redelivery, a replay) is recognised by its
event id and changes nothing, and an end read before its start (a load before its gate in)
is kept until the start comes, which completes the visit at once. A point written again
overwrites itself.

Every move read and not dead-lettered, of any container at any place, counted or not, is
written as a ``container_move`` point (:func:`streams.schema.points.move_sample`), the
journeys' record; a move read again writes its point again, the same point.
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
from streams.domain.dwell import MoveAt, Stay
from streams.domain.dwell import step as dwell_step
from streams.domain.items import Judged, Move
from streams.domain.reefer import (
    Outcome,
    ReeferTrack,
    arrived,
    flush,
    move,
    observe,
    settle,
    silence,
)
from streams.domain.run import observe_run
from streams.domain.watch import Arrivals, leaves_watch, silence_watched, train_arrival
from streams.pager import Pager
from streams.schema import points
from streams.sinks.base import MetricSink
from streams.state import MovesKnown, Watermarks, earliest

Committed = Callable[[str, int], int | None]
"""The committed offset of (topic, partition), None: none known."""


@dataclass
class _Outputs:
    facts: list[Fact] = field(default_factory=list)
    samples: list[points.Sample] = field(default_factory=list)
    decisions: list[Decision] = field(default_factory=list)
    owners: list[Received] = field(default_factory=list)  # an event of each decision's box
    tracks: dict[bytes, tuple[Received, ReeferTrack]] = field(default_factory=dict)
    stays: dict[bytes, tuple[Received, Stay]] = field(default_factory=dict)


@dataclass(slots=True)
class _Read:
    """One container's messages of a batch: its stored track and the messages to apply,
    each with its event (None: dead-lettered)."""

    key: bytes
    owner: Received
    track: ReeferTrack | None
    events: list[tuple[Received, Event | None]]


@dataclass(slots=True)
class _Step:
    """What one message does: the container's track after it (None: a dry container, or
    nothing to track) and what it produced."""

    track: ReeferTrack | None
    fact: Fact | None = None
    decisions: tuple[Decision, ...] = ()
    samples: tuple[points.Sample, ...] = ()
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
        committed: Committed = lambda topic, partition: None,
        arrivals: Table | None = None,
        watermarks: Watermarks | None = None,
        partition_of: Callable[[bytes], int] = lambda key: 0,
        *,
        moves_known: MovesKnown | None = None,
        dwell: Table | None = None,
    ) -> None:
        self.intake = intake
        self.reference = reference
        self.lateness = allowed_lateness
        self.tracks = tracks  # container id -> ReeferTrack JSON
        self.open_exceptions = open_exceptions  # exception id -> ColdChainException JSON
        self.facts = facts
        self.metrics = metrics
        self.pager = pager
        self.committed = committed
        self._committed: dict[tuple[str, int], int | None] = {}  # this batch's answers
        # outbound train id -> arrival time at the far end (ISO); none known without a table
        self.arrivals: Arrivals = {} if arrivals is None else arrivals
        self.watermarks = watermarks or Watermarks()
        self.partition_of = partition_of  # the input partition of a container key
        # how far each containers partition is read (default: always read to its end)
        self.moves_known = moves_known or MovesKnown(allowed_lateness)
        self._lock = asyncio.Lock()  # a batch and the timer's work never interleave
        self.decoded = Decoded(ReeferTrack.from_json, limit=20_000)
        # container id -> what dwell keeps of it (Stay JSON: open visit, last end, last
        # completed start); None: dwell not followed
        self.dwell = dwell

    async def handle(self, batch: Sequence[Received]) -> None:
        """Process one batch; return once everything it caused is delivered and written."""
        by_container: dict[bytes, list[Received]] = defaultdict(list)
        for received in batch:
            by_container[received.message.key or b""].append(received)
        async with self._lock:
            out = _Outputs()
            self._committed.clear()  # asked once a partition a batch (no await until _deliver)
            reads = [self._read(key, events) for key, events in by_container.items()]
            # After the whole batch is read: a move of a later batch is at most the
            # lateness older than the newest move read before it.
            partitions = {received.message.partition for received in batch}
            known = {p: self.moves_known.until(p) for p in partitions}
            for read in reads:
                self._follow(read, known, out)
            await self._deliver(out)

    async def tick(self, event_times: Mapping[int, datetime | None]) -> list[ColdChainException]:
        """The live timer's work on the tracks of this worker's partitions (``event_times``:
        each partition and the event time reached there, None: not known yet): a container
        whose outbound train has arrived at the far end leaves watch (units are unplugged
        there, so no reading would say so), readings held for moves not yet read are settled
        as far as the moves read since allow, a silent unit's last readings are settled once
        its silence is a gap (so what they show is paged); return the TELEMETRY_GAPs of the
        units silent on watch (not kept in the tracks: found again, with the same ids, until
        a reading comes)."""
        rules, profiles = self.reference.exception_rules, self.reference.commodities
        gaps: list[ColdChainException] = []
        async with self._lock:
            out = _Outputs()
            known = {p: self.moves_known.until(p) for p in event_times}
            for key, value in list(self.tracks.items()):
                partition = self.partition_of(key)
                if partition not in event_times:
                    continue  # not a partition of this worker (a standby copy)
                owner = timer_owner(partition, key)
                track = self.decoded.get(key, value)
                now = event_times[partition]
                timed = self._timed(track, now, known[partition], out, owner)
                if timed is not track:
                    out.tracks[key] = (owner, timed)
                if now is not None and silence_watched(timed, self.arrivals):
                    # No further than the moves are known: a move not read yet (a gate out,
                    # while the containers partition catches up) may end the watch before it.
                    judged_at = earliest(now, known[partition])
                    gaps += [d.exception for d in silence(timed, judged_at, rules, profiles)]
            await self._deliver(out)
        return gaps

    def _timed(
        self,
        track: ReeferTrack,
        now: datetime | None,
        known: datetime | None,
        out: _Outputs,
        owner: Received,
    ) -> ReeferTrack:
        rules, profiles = self.reference.exception_rules, self.reference.commodities
        if track.current.watching:
            track = self._leave_at_arrival(track, None, known, out, owner)
        if track.recent:
            settled = settle(track, self.lateness, rules, profiles, known=known)
            track = self._take(settled, out, owner)
        if now is not None and track.recent and self._silent_for_a_gap(track, now):
            # Up to where the partition is read: while it catches up, the containers
            # partition runs ahead, and a move past ``now`` may still have readings before it.
            horizon = earliest(now, known)
            track = self._take(flush(track, rules, profiles, known=horizon), out, owner)
        return self._end_live_gaps(track, out, owner)

    def _take(self, outcome: Outcome, out: _Outputs, owner: Received) -> ReeferTrack:
        """The track of ``outcome``, its decisions and reading points put in ``out``."""
        out.decisions += outcome.decisions
        out.owners += [owner] * len(outcome.decisions)
        out.samples += self._points(outcome.readings)
        return outcome.track

    def _points(self, readings: Sequence[Judged]) -> list[points.Sample]:
        """The points of readings, with the commodity and corridor each is judged by and
        that commodity's band."""
        profiles = self.reference.commodities
        return [
            points.reading_sample(
                judged.reading,
                judged.commodity,
                profiles.get(judged.commodity) if judged.commodity else None,
                judged.corridor,
            )
            for judged in readings
        ]

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
        if self.dwell is not None and out.stays:
            # Before the tracks: a reefer's track skips the moves it applied after a crash,
            # so their visits must be stored by then.
            for key, (owner, stay) in out.stays.items():
                self.dwell.put(owner, key, None if stay.empty else stay.model_dump_json().encode())
            await self.dwell.delivered()
        for key, (owner, track) in out.tracks.items():
            stored = track.to_json()
            self.tracks.put(owner, key, stored)
            self.decoded.remember(key, stored, track)
        await self.tracks.delivered()

    def _read(self, key: bytes, events: list[Received]) -> _Read:
        """Decode one container's messages of a batch (those its track applied before a
        restart are skipped), telling :attr:`moves_known` of each ``containers`` one."""
        stored = self.tracks.get(key, events[0])
        track = None if stored is None else self.decoded.get(key, stored)
        decoded: list[tuple[Received, Event | None]] = []
        for received in events:
            message = received.message
            containers = self.intake.kind(message.topic) == "containers"
            if track is not None and track.seen(message.topic, message.offset):
                if containers:
                    self.moves_known.read(message.partition, message.offset)
                continue
            event = self.intake.decode(received)
            if isinstance(event, ReeferReading):
                self.watermarks.saw(message.partition, event.reading_time)
            if containers:
                at = event.event_time if isinstance(event, ContainerEvent) else None
                self.moves_known.read(message.partition, message.offset, at)
            decoded.append((received, event))
        return _Read(key, events[0], track, decoded)

    def _follow(self, read: _Read, known: Mapping[int, datetime | None], out: _Outputs) -> None:
        """One container's messages of a batch: its counted moves, its decisions, and its
        track (kept in ``out.tracks`` when it changed). ``known``: per partition, the event
        time up to which its moves are read, after this batch (None: all)."""
        key, owner = read.key, read.owner
        loaded = track = read.track
        stay = kept = self._stay(key, read)
        events, aheads = read.events, _moves_ahead(read.events)
        place = 0
        while place < len(events):
            received, event = events[place]
            message = received.message
            until = earliest(known[message.partition], aheads[place])
            if track is not None and isinstance(event, ReeferReading):
                end = self._run_end(track, events, place)
                run = self._observe_run(track, events[place:end], until, out, owner)
                if run is not None:
                    track, place = run, end
                    continue
            place += 1
            track, stay = self._take_one(read, track, stay, events[place - 1], until, out)
        if track is not None:
            track = self._end_live_gaps(track, out, owner)
        if track is not None and track is not loaded:
            out.tracks[key] = (owner, track)
        if stay != kept:
            out.stays[key] = (owner, stay)

    def _take_one(
        self,
        read: _Read,
        track: ReeferTrack | None,
        stay: Stay,
        message_event: tuple[Received, Event | None],
        until: datetime | None,
        out: _Outputs,
    ) -> tuple[ReeferTrack | None, Stay]:
        """One message of the container (``until``: the event time up to which its moves
        are read): the track and what dwell keeps after it."""
        (received, event), key, owner = message_event, read.key, read.owner
        message = received.message
        if track is not None and event is not None:
            track = self._leave_at_arrival(track, event.occurred_at, until, out, owner)
        step = self.intake.attempt(received, self._step, key, track, event, message, until)
        if step is None:
            return track, stay  # dead-lettered; the track stays as it was
        if isinstance(event, ContainerEvent):
            out.samples.append(points.move_sample(event, step.fact))
            stay = self._dwell(key, stay, event, step.fact, out)
        if step.fact is not None:
            out.facts.append(step.fact)
        out.samples += step.samples
        if step.late is not None:
            self.intake.reject(received, step.late, "late")
        if step.duplicate:
            self.intake.duplicate(self.intake.kind(message.topic))
        out.decisions += step.decisions
        out.owners += [owner] * len(step.decisions)
        return step.track, stay

    def _observe_run(
        self,
        track: ReeferTrack,
        run: Sequence[tuple[Received, Event | None]],
        known: datetime | None,
        out: _Outputs,
        owner: Received,
    ) -> ReeferTrack | None:
        """Readings of one container, one after another in a batch, taken at once (what
        :meth:`_take_one` does for each, at a fraction of the cost); None, with nothing
        done, if there are none or taking them fails (then each is taken alone, so the one
        that fails is the one dead-lettered)."""
        if not run:
            return None
        readings = [event for _, event in run if isinstance(event, ReeferReading)]
        rules, profiles = self.reference.exception_rules, self.reference.commodities
        try:
            after, decisions, taken = observe_run(
                track, readings, self.lateness, rules, profiles, known=known
            )
            due = [self._points(result.readings) for result in taken]
        except Exception:  # the policy is per event: taken alone, the failing one is found
            return None
        message = run[0][0].message
        offsets = [received.message.offset for received, _ in run]
        for (received, reading), result, samples in zip(run, taken, due, strict=True):
            out.samples += samples
            if result.verdict == "late" and isinstance(reading, ReeferReading):
                reason = _late_reason(result.left_at, reading, self.lateness)
                self.intake.reject(received, reason, "late")
            elif result.verdict == "duplicate":
                self.intake.duplicate(self.intake.kind(message.topic))
        out.decisions += decisions
        out.owners += [owner] * len(decisions)
        return after.at_offsets(message.topic, offsets, self._committed_of(message))

    def _run_end(
        self, track: ReeferTrack, events: Sequence[tuple[Received, Event | None]], start: int
    ) -> int:
        """Where the readings that start at ``start`` end: at the next message not a
        reading, or at the first reading after the arrival of the container's outbound
        train (it may leave watch before that reading: :meth:`_leave_at_arrival`)."""
        arrival = train_arrival(track, self.arrivals)
        end = start
        while end < len(events):
            event = events[end][1]
            if not isinstance(event, ReeferReading):
                break
            if arrival is not None and event.occurred_at > arrival:
                break
            end += 1
        return end

    def _stay(self, key: bytes, read: _Read) -> Stay:
        """What dwell keeps of the container (empty: nothing, or dwell not followed); read
        only for a batch with moves of it."""
        if self.dwell is None or not any(isinstance(e, ContainerEvent) for _, e in read.events):
            return Stay()
        stored = self.dwell.get(key, read.owner)
        return Stay() if stored is None else Stay.model_validate_json(stored)

    def _dwell(
        self,
        key: bytes,
        stay: Stay,
        event: ContainerEvent,
        fact: Fact | None,
        out: _Outputs,
    ) -> Stay:
        """What dwell keeps of the container after a move (a completed visit's point goes
        in ``out``): only moves at the home location count, and the counted train move
        (``fact``) gives the TEU category."""
        if self.dwell is None or event.location != self.reference.home.location:
            return stay
        category = None if fact is None else fact.teu_category
        laden = event.empty_indicator == "LADEN"
        moved = MoveAt(event.event_id, event.event_type, event.event_time, category, laden)
        after = dwell_step(key.decode(), stay, moved)
        if after.dwell is not None:
            out.samples.append(points.dwell_sample(after.dwell))
        return after.stay

    def _leave_at_arrival(
        self,
        track: ReeferTrack,
        before: datetime | None,
        known: datetime | None,
        out: _Outputs,
        owner: Received,
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
        train = track.train_id
        left = arrived(track, train, arrival, self.lateness, rules, profiles, known=known)
        return self._take(left, out, owner)

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
        self,
        key: bytes,
        track: ReeferTrack | None,
        event: Event | None,
        message: Message,
        known: datetime | None,
    ) -> _Step:
        """One decoded message (None: dead-lettered) onto the container's track, which
        remembers its offset; a dry container's move is only counted. ``known``: the event
        time up to which the container's moves are read (None: all)."""
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
            track = self._move(step, track, event, known)
        elif isinstance(event, ReeferReading):
            track = self._observe(step, track, event, known)
        step.track = track.at_offset(message.topic, message.offset, self._committed_of(message))
        return step

    def _committed_of(self, message: Message) -> int | None:
        """The committed offset of the message's partition, asked once a batch."""
        where = (message.topic, message.partition)
        if where not in self._committed:
            self._committed[where] = self.committed(*where)
        return self._committed[where]

    def _move(
        self, step: _Step, track: ReeferTrack, event: ContainerEvent, known: datetime | None
    ) -> ReeferTrack:
        """The track after ``event``; its decisions, and the points of the readings it
        settles, go into ``step``."""
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
        outcome = move(track, moved, self.lateness, rules, profiles, known=known)
        step.decisions = tuple(outcome.decisions)
        step.samples = tuple(self._points(outcome.readings))
        return outcome.track

    def _observe(
        self, step: _Step, track: ReeferTrack, reading: ReeferReading, known: datetime | None
    ) -> ReeferTrack:
        """The track after ``reading``; its decisions, the points due (its own if it names
        its commodity and corridor, those of the readings it settles that do not), or its
        late or duplicate verdict go into ``step``."""
        rules, profiles = self.reference.exception_rules, self.reference.commodities
        outcome = observe(track, reading, self.lateness, rules, profiles, known=known)
        step.decisions = tuple(outcome.decisions)
        step.samples = tuple(self._points(outcome.readings))
        if outcome.verdict == "late":
            step.late = _late_reason(outcome.track.settled.left_at, reading, self.lateness)
        step.duplicate = outcome.verdict == "duplicate"
        return outcome.track

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


def _late_reason(left: datetime | None, reading: ReeferReading, lateness: timedelta) -> str:
    """Why a reading is late (``left``: when the container last left watch, None: never)."""
    at = reading.reading_time.isoformat()
    if left is not None and reading.reading_time <= left:
        return f"late: reading_time {at} is not after the container left watch at {left}"
    minutes = lateness / timedelta(minutes=1)
    return f"late: reading_time {at} is more than {minutes:g} min older than the newest reading"


def _moves_ahead(events: Sequence[tuple[Received, Event | None]]) -> list[datetime | None]:
    """For each of one container's messages of a batch, the earliest event time of its
    moves after it in the batch (None: none): readings before them must wait for them."""
    ahead: list[datetime | None] = []
    first: datetime | None = None
    for _, event in reversed(events):
        ahead.append(first)
        if isinstance(event, ContainerEvent):
            first = earliest(first, event.event_time)
    ahead.reverse()
    return ahead
