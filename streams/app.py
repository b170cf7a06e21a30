"""The faust app: topics, tables, agents, timers and the ``/status`` page of a worker.

Agents are thin glue: decode, hand the event to the pure modules (:mod:`streams.domain.counts`,
:mod:`streams.domain.reefer`), keep the state in a table, write points and alerts through the
sinks. Three agents:

- ``trains`` (key: train id) counts train runs as day facts and measures transit times;
- ``movements`` reads ``containers`` and ``reefer`` together (both keyed by container,
  so one container's moves and readings meet on one partition): it counts container
  moves as day facts and runs each container's cold-chain track;
- ``days`` (one partition) adds the day facts into the per-day totals, a global table
  every worker can read for ``/status``, and writes the daily and running aggregates.

Every agent works in batches (``take_events``) and writes each touched key once per batch;
sinks are flushed, and table writes are in their changelogs, before the agent takes its next
batch (which acknowledges this one), so no offset is committed ahead of what it caused and
a crash loses nothing.
After a crash the events since the last commit come again: the container tracks skip
offsets they have applied, the day totals skip event ids they have counted, and points
and alerts are idempotent, so nothing is counted twice.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import faust
import orjson
from faust.web import Request, Response, View
from pydantic import TypeAdapter

from lugang.contract import (
    TOPIC_KINDS,
    ColdChainException,
    ContainerEvent,
    DeadLetter,
    Event,
    InvalidEvent,
    RawBytes,
    ReeferReading,
    TrainEvent,
    parse_event,
    size_type,
)
from lugang.reference import Reference
from lugang.settings import Settings
from lugang.topics import TopicNames
from streams.decoded import Decoded
from streams.domain.coldchain import Decision
from streams.domain.counts import DayTotals, Fact, fact_of
from streams.domain.reefer import Move, ReeferTrack, move, observe, silence
from streams.domain.status import compute_status
from streams.faustfix.commits import guard_commits, reread
from streams.faustfix.take import take_events
from streams.schema import points
from streams.schema.health import INTERVAL_S, SinkHealth, TopicHealth, health_samples
from streams.sinks import (
    Alert,
    AlertSink,
    MetricSink,
    SinkRejected,
    daily_service_alert,
    exception_alert,
)

log = logging.getLogger(__name__)

DAY_FACTS = "day-facts"
"""Kind of the internal topic of counted events, a JSON list of facts per message (those of
one agent's batch); one partition, so that one worker adds up the days (the topic is
created before the worker starts: a topic faust creates itself can miss the first
partition assignment)."""

WATCH_LOOKBACK = timedelta(hours=6)
"""A reefer silent for longer than this is taken to be off the port's watch (unplugged,
delivered) rather than in a telemetry gap: the live timer looks back no further."""

_FACTS = TypeAdapter(list[Fact])
BATCH_SIZE = 2000
BATCH_SECONDS = 0.5
Stream = Any
"""A faust stream of raw bytes (``faust.StreamT`` does not declare ``take_events``)."""

_RAW: dict[str, Any] = {
    "key_type": bytes,
    "value_type": bytes,
    "key_serializer": "raw",
    "value_serializer": "raw",
}


@dataclass
class Monitor:
    """A worker's faust app with its topics and tables (what tests and the CLI need)."""

    app: faust.App
    topics: TopicNames
    days: Any  # faust GlobalTable: day ISO date -> DayTotals JSON
    open_exceptions: Any  # faust GlobalTable: exception id -> ColdChainException JSON
    decoded_days: Decoded[DayTotals] = field(
        default_factory=lambda: Decoded(DayTotals.model_validate_json, limit=1000)
    )

    def changelog_topics(self) -> dict[str, int]:
        """The changelog topic of each table, with its partition count."""
        return {
            table.changelog_topic.get_topic_name(): (
                table.changelog_topic.partitions or self.app.conf.topic_partitions
            )
            for table in self.app.tables.values()
        }

    def day_totals(self, year: int | None = None) -> dict[date, DayTotals]:
        """The per-day totals this worker can see (all of them: the table is global)."""
        totals = {}
        for key, value in self.days.items():
            day = date.fromisoformat(key.decode())
            if year is None or day.year == year:
                totals[day] = self.decoded_days.get(key, value)
        return totals


def _as_current(event: Any) -> None:
    """Make ``event`` faust's current event, as iterating a stream does one at a time.

    A table writes a key to the changelog partition (and the RocksDB partition) of the
    current event, and ``take_events`` batches leave none set: so before writing a key,
    the agent names an event of that key, whose partition is the key's.
    """
    faust.streams._current_event.set(weakref.ref(event))


class _Changelog:
    """A batch's table writes, each awaited in its changelog before the batch ends.

    ``table[key] = value`` only queues its changelog message; faust flushes that queue before
    it commits offsets, but the flush gives up when no message leaves within 0.1 s
    (``ProducerBuffer.flush_atmost``), so on a busy worker an offset could be committed ahead
    of the state it depends on, and SIGKILL lost the write. Agents write through this and
    await :meth:`delivered` before taking their next batch, which is what acknowledges the
    last one.
    """

    def __init__(self) -> None:
        self._deliveries: list[asyncio.Future[Any]] = []

    def put(self, table: Any, event: Any, key: bytes, value: bytes | None) -> None:
        """Set ``key`` (delete it when ``value`` is None) in the partition of ``event``."""
        _as_current(event)
        partition = event.message.partition
        if value is None:
            if key in table.data:
                del table.data[key]
            sent = table.send_changelog(partition, key, None, value_serializer="raw")
        else:
            table.data[key] = value
            sent = table.send_changelog(partition, key, value)
        self._deliveries.append(sent)

    async def delivered(self) -> None:
        """Wait until Kafka has every write since the last call."""
        deliveries, self._deliveries = self._deliveries, []
        await asyncio.gather(*deliveries)


def _dead_letter(message: Any, reason: str) -> bytes:
    letter = DeadLetter(
        value=RawBytes.of(message.value or b""),
        key=None if message.key is None else RawBytes.of(message.key),
        reason=reason,
        topic=message.topic,
        partition=message.partition,
        offset=message.offset,
        dead_lettered_at=datetime.now(UTC),
    )
    return letter.model_dump_json().encode()


def create_monitor(
    settings: Settings, reference: Reference, metrics: MetricSink, alerts: AlertSink
) -> Monitor:
    """Build the faust app of a Lugang worker."""
    guard_commits()
    app = faust.App(
        settings.app_id,
        broker=f"kafka://{settings.kafka_bootstrap}",
        store=settings.store,
        datadir=str(settings.data_dir),
        topic_partitions=settings.topic_partitions,
        topic_replication_factor=1,
        web_host=settings.web_host,
        web_port=settings.web_port,
        broker_session_timeout=settings.session_timeout_s,
        broker_heartbeat_interval=min(3.0, settings.session_timeout_s / 3),
        stream_wait_empty=False,
        autodiscover=False,
    )
    names = TopicNames(settings.topic_prefix)
    trains_topic = app.topic(names.name("trains"), **_RAW)
    movements_topic = app.topic(names.name("containers"), names.name("reefer"), **_RAW)
    dead_letters = app.topic(names.dead_letter, **_RAW)
    facts_topic = app.topic(names.name(DAY_FACTS), partitions=1, **_RAW)
    raw_table: dict[str, Any] = {"key_type": bytes, "value_type": bytes}
    tracks = app.Table("reefer-tracks", **raw_table)
    departures = app.Table("departures", **raw_table)
    days = app.GlobalTable("days", partitions=1, **raw_table)
    open_exceptions = app.GlobalTable("open-exceptions", **raw_table)
    arrivals = app.GlobalTable("arrivals", **raw_table)  # outbound train id -> arrival
    decoded_tracks = Decoded(ReeferTrack.from_json, limit=20_000)
    live_gaps: dict[str, ColdChainException] = {}  # opened by this worker's silence timer
    monitor = Monitor(app, names, days, open_exceptions)
    lateness = timedelta(minutes=settings.allowed_lateness_minutes)
    rules, profiles = reference.exception_rules, reference.commodities

    health = Counter[tuple[str, str]]()  # (topic kind, "events" | "dead_letters")
    reported_sinks: dict[str, SinkHealth] = {}

    def kind_of(topic: str) -> str:
        return topic.removeprefix(settings.topic_prefix)

    async def dead_letter(message: Any, reason: str) -> None:
        health[kind_of(message.topic), "dead_letters"] += 1
        await dead_letters.send(key=message.key, value=_dead_letter(message, reason))

    async def page(batch: list[Alert]) -> None:
        """Send alerts to Alertmanager. A batch it refuses for good (a bug of ours: logged,
        and counted in the sink's errors on the Pipeline health dashboard) must not stop
        the worker, which would stop the counts and every later page with it."""
        try:
            await alerts.fire(batch)
        except SinkRejected as exc:
            log.error("alerts dropped: %s", exc)

    async def decode(event: Any) -> Event | None:
        """The validated event of a message, or None after dead-lettering it."""
        message = event.message
        health[kind_of(message.topic), "events"] += 1
        try:
            return parse_event(kind_of(message.topic), message.value or b"", reference)
        except InvalidEvent as exc:
            await dead_letter(message, exc.reason)
            return None

    async def send_facts(facts: list[Fact]) -> None:
        """Send a batch's facts as one message and wait until Kafka has it (faust's cost
        is per message: one per fact made the days agent the worker's slowest part)."""
        if facts:
            await (await facts_topic.send(key=b"facts", value=_FACTS.dump_json(facts)))

    async def trains(stream: Stream) -> AsyncIterator[None]:
        async for batch in take_events(stream, BATCH_SIZE, BATCH_SECONDS):
            facts, samples, writes = [], [], _Changelog()
            for event in batch:
                train = await decode(event)
                if not isinstance(train, TrainEvent):
                    continue
                fact = fact_of(train, reference)
                if fact is not None:
                    facts.append(fact)
                samples += transit(train, event, writes)
            await metrics.write(samples)
            await metrics.flush()
            await send_facts(facts)
            await writes.delivered()
            yield None

    def transit(train: TrainEvent, event: Any, writes: _Changelog) -> list[points.Sample]:
        """Remember an outbound departure; on its arrival at the far end, its transit."""
        corridor = reference.corridor(train.corridor)
        if train.direction != "OUTBOUND":
            return []
        key = train.train_id.encode()
        when = train.event_time.isoformat().encode()
        if train.event_type == "DEPA" and train.location == reference.home.location:
            writes.put(departures, event, key, when)
            return []
        if train.event_type != "ARRI":
            return []
        writes.put(arrivals, event, key, when)  # its reefers' watch ends
        departed = departures.get(key)
        if departed is None:
            return []
        return [
            points.transit_sample(
                train.train_id,
                train.corridor,
                datetime.fromisoformat(departed.decode()),
                train.event_time,
                corridor.transit_benchmark_h,
            )
        ]

    async def movements(stream: Stream) -> AsyncIterator[None]:
        async for batch in take_events(stream, BATCH_SIZE, BATCH_SECONDS):
            by_container: dict[bytes, list[Any]] = defaultdict(list)
            for event in batch:
                by_container[event.message.key or b""].append(event)
            facts: list[Fact] = []
            samples: list[points.Sample] = []
            decisions: list[Decision] = []
            owners: list[Any] = []  # an event of each decision's container
            updated: dict[bytes, ReeferTrack] = {}
            for key, events in by_container.items():
                made = len(decisions)
                track = await follow(key, events, facts, samples, decisions)
                owners += [events[0]] * (len(decisions) - made)
                if track is not None:
                    updated[key] = track
            samples += [points.exception_sample(d.exception) for d in decisions]
            # Everything the batch produced is delivered before the tracks remember its
            # offsets: a crash in between makes a restart redo the batch, never skip it.
            await metrics.write(samples)
            await metrics.flush()
            await publish(decisions, owners)
            await send_facts(facts)
            writes = _Changelog()
            for key, track in updated.items():
                stored = track.to_json()
                writes.put(tracks, by_container[key][0], key, stored)
                decoded_tracks.remember(key, stored, track)
            await writes.delivered()
            yield None

    async def follow(
        key: bytes,
        events: list[Any],
        facts: list[Fact],
        samples: list[points.Sample],
        decisions: list[Decision],
    ) -> ReeferTrack | None:
        """One container's messages of a batch: its counted moves, and its track (the new
        one, or None when it did not change).

        A dry container gets no track: its moves are counted (facts are deduplicated by
        event id) and nothing else needs them; writing a track for each would be most of
        the worker's changelog traffic. A message applied before a restart is skipped."""
        _as_current(events[0])
        stored = tracks.get(key)
        loaded = track = None if stored is None else decoded_tracks.get(key, stored)
        for event in events:
            message = event.message
            applied = track is not None and track.seen(message.topic, message.offset)
            if applied and not reread(message.tp, message.offset):
                continue
            parsed = await decode(event)
            if isinstance(parsed, ContainerEvent):
                fact = fact_of(parsed, reference)
                if fact is not None:
                    facts.append(fact)
                if track is None and not size_type(parsed.iso_equipment_code, reference).is_reefer:
                    continue
            if track is None:
                if parsed is None:
                    continue  # dead-lettered, and nothing to track
                track = ReeferTrack.new(key.decode())
            track = await apply(track, message, parsed, samples, decisions)
        return None if track is loaded else track

    async def apply(
        track: ReeferTrack,
        message: Any,
        parsed: Event | None,
        samples: list[points.Sample],
        decisions: list[Decision],
    ) -> ReeferTrack:
        """One decoded container message (None: dead-lettered) onto the container's track,
        which remembers its offset."""
        if isinstance(parsed, ContainerEvent):
            home = parsed.location == reference.home.location
            moved = Move(
                parsed.event_id,
                parsed.event_time,
                parsed.commodity,
                parsed.corridor,
                parsed.train_id,
                leaves=(parsed.event_type, home) in (("GTOT", True), ("DISC", False)),
            )
            track, made = move(track, moved, lateness, rules, profiles)
            decisions += made
        elif isinstance(parsed, ReeferReading):
            track, made, verdict = observe(track, parsed, lateness, rules, profiles)
            decisions += made
            if verdict == "late":
                reason = (
                    f"late: reading_time {parsed.reading_time.isoformat()} is more than "
                    f"{settings.allowed_lateness_minutes:g} min older than the newest reading"
                )
                await dead_letter(message, reason)
            elif verdict == "applied":
                commodity = parsed.commodity or track.settled.commodity
                profile = profiles.get(commodity) if commodity else None
                corridor = parsed.corridor or track.settled.corridor
                samples.append(points.reading_sample(parsed, commodity, profile, corridor))
        return track.at_offset(message.topic, message.offset)

    async def publish(decisions: list[Decision], owners: list[Any]) -> None:
        """Open and close the exceptions in the open-exceptions table and alert; each
        exception is written in the partition of its container's ``owners`` event, so a
        close never overtakes its open when the table is restored."""
        writes = _Changelog()
        for decision, event in zip(decisions, owners, strict=True):
            exception = decision.exception
            key = exception.exception_id.encode()
            if exception.status == "OPEN":
                writes.put(open_exceptions, event, key, exception.model_dump_json().encode())
            else:
                live_gaps.pop(exception.exception_id, None)
                writes.put(open_exceptions, event, key, None)
        await writes.delivered()
        await page([exception_alert(d.exception, datetime.now(UTC)) for d in decisions])

    async def day_facts(stream: Stream) -> AsyncIterator[None]:
        async for batch in take_events(stream, BATCH_SIZE, BATCH_SECONDS):
            facts = [fact for event in batch for fact in _FACTS.validate_json(event.value)]
            working: dict[date, DayTotals] = {}  # the table's days are shared: change copies
            changed_days: dict[date, DayTotals] = {}
            for year in {f.day.year for f in facts}:
                totals = monitor.day_totals(year)
                for fact in facts:
                    if fact.day.year != year:
                        continue
                    day_totals = working.get(fact.day)
                    if day_totals is None:
                        stored = totals.get(fact.day)
                        day_totals = working[fact.day] = (
                            DayTotals(day=fact.day)
                            if stored is None
                            else stored.model_copy(deep=True)
                        )
                    if day_totals.add(fact):
                        totals[fact.day] = changed_days[fact.day] = day_totals
                changed = [day for day in changed_days if day.year == year]
                if changed:
                    await metrics.write(aggregates(totals, min(changed)))
            # The points are in InfluxDB before the days remember their facts (see movements).
            await metrics.flush()
            writes = _Changelog()
            for day, day_totals in changed_days.items():
                key, value = day.isoformat().encode(), day_totals.model_dump_json().encode()
                writes.put(days, batch[-1], key, value)
                monitor.decoded_days.remember(key, value, day_totals)
            await writes.delivered()
            yield None

    def aggregates(totals: Mapping[date, DayTotals], since: date) -> list[points.Sample]:
        """Daily points of each changed day and running points from ``since`` to the last
        day with totals (a late event for a past day changes every later running total)."""
        samples: list[points.Sample] = []
        last = max(totals)
        day = since
        while day <= last:
            if day in totals:
                samples += points.day_samples(totals[day], reference)
            status = compute_status(totals, reference, day, now=datetime.now(UTC))
            samples += points.status_samples(status, reference)
            day += timedelta(days=1)
        return samples

    app.agent(trains_topic, name="trains")(trains)
    app.agent(movements_topic, name="movements")(movements)
    app.agent(facts_topic, name="days")(day_facts)

    async def resend_alerts() -> None:
        """Re-send firing alerts (Alertmanager resolves an alert it stops hearing about),
        and raise or resolve today's 天天班 warnings."""
        now = datetime.now(UTC)
        today = now.astimezone(reference.home.tz).date()
        opened = [ColdChainException.model_validate_json(v) for v in open_exceptions.values()]
        status = compute_status(monitor.day_totals(today.year), reference, today, now)
        await page(
            [exception_alert(e, now) for e in opened]
            + [daily_service_alert(s.group, today, s.warning, now) for s in status.daily_service]
        )

    async def find_silent_reefers() -> None:
        """Live: open the TELEMETRY_GAP of each watched reefer of this worker that has
        been silent too long (on replay, the next reading finds the gap from event time)."""
        now = datetime.now(UTC)
        found: list[ColdChainException] = []
        for value in tracks.values():
            track = ReeferTrack.from_json(value)
            train = track.train_id
            if not track.watched(now, WATCH_LOOKBACK) or (train and train.encode() in arrivals):
                continue
            found += [d.exception for d in silence(track, now, rules, profiles)]
        live_gaps.update((e.exception_id, e) for e in found)
        await metrics.write([points.exception_sample(e) for e in found])
        await metrics.flush()
        await page([exception_alert(e, now) for e in found])

    async def report_health() -> None:
        """Every ``INTERVAL_S``: events, dead letters and lag per input topic, and the
        sinks' retries and errors (Pipeline health dashboard, alert rules)."""
        lag: Counter[str] = Counter()
        for tp in app.consumer.assignment():
            kind = kind_of(tp.topic)
            if kind in TOPIC_KINDS:
                position = await app.consumer.position(tp)
                lag[kind] += max(0, app.consumer.highwater(tp) - (position or 0))
        topics = {
            kind: TopicHealth(health[kind, "events"], health[kind, "dead_letters"], lag[kind])
            for kind in TOPIC_KINDS
        }
        health.clear()
        sinks = {}
        for name, sink in (("influxdb", metrics), ("alertmanager", alerts)):
            now_seen = SinkHealth(getattr(sink, "retries", 0), getattr(sink, "errors", 0))
            before = reported_sinks.get(name, SinkHealth(0, 0))
            sinks[name] = SinkHealth(
                now_seen.retries - before.retries, now_seen.errors - before.errors
            )
            reported_sinks[name] = now_seen
        worker = f"{settings.web_host}:{settings.web_port}"
        await metrics.write(health_samples(worker, datetime.now(UTC), topics, sinks))
        await metrics.flush()

    app.timer(float(INTERVAL_S))(report_health)
    app.timer(60.0)(resend_alerts)
    app.timer(settings.silence_check_s)(find_silent_reefers)

    @app.page("/status")
    async def status_page(view: View, request: Request) -> Response:
        """Figures as of ``?date=YYYY-MM-DD`` (default: today in the port's timezone);
        ``?now=`` (RFC 3339) sets the clock of the 天天班 warning, e.g. a simulated one."""
        clock = request.query.get("now")
        now = datetime.fromisoformat(clock) if clock else datetime.now(UTC)
        as_of = request.query.get("date")
        day = date.fromisoformat(as_of) if as_of else now.astimezone(reference.home.tz).date()
        status = compute_status(monitor.day_totals(day.year), reference, day, now)
        body = orjson.loads(status.model_dump_json())
        opened = {e["exception_id"]: e for e in map(orjson.loads, open_exceptions.values())}
        opened.update((k, orjson.loads(e.model_dump_json())) for k, e in live_gaps.items())
        body["open_exceptions"] = list(opened.values())
        return view.json(body)

    return monitor
