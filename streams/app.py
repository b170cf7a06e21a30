"""The faust app of a Lugang worker: its topics, tables, agents, timers and web pages.

This module only builds and wires; what each part does lives in its own module:

- agents (``streams.agents``): ``trains`` (key: train id) counts train runs and measures
  transit times; ``movements`` reads ``containers`` and ``reefer`` together (both keyed by
  container) to count container moves and run each reefer's cold-chain track; ``days``
  (one partition) adds the day facts of both into the per-day totals, a global table every
  worker can read;
- how an agent runs and dies (``streams.supervision``), the per-event error policy
  (``streams.agents.intake``), timers (``streams.timers``), web pages (``streams.web``),
  Prometheus ``/metrics`` (``streams.metrics``), the worker's URL and name
  (``streams.identity``);
- faust's workarounds (``streams.faustfix``), installed here before the app is built.

Every agent works in batches, writes each touched key once per batch, and delivers its
points, pages and facts, and waits for its table writes, before it takes its next batch
(which acknowledges this one), so no offset is committed ahead of what it caused. After a
crash the events since the last commit come again: the container tracks skip offsets they
have applied, the day totals skip event ids they have counted, and points and alerts are
idempotent, so nothing is counted twice.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from functools import partial
from typing import Any, Final

import aiohttp
import faust
from faust.exceptions import ConsumerNotStarted
from faust.types import TP
from faust.web import Request, Response, View
from yarl import URL

from lugang.contract import TOPIC_KINDS
from lugang.links import Links
from lugang.reference import Reference
from lugang.settings import Settings
from lugang.topics import TopicNames
from streams import faustfix
from streams.acknowledgements import Acknowledgements
from streams.agents.days import RUNNING_EVERY_S, DaysAgent
from streams.agents.facts import DAY_FACTS
from streams.agents.intake import Intake, TimeWindow
from streams.agents.movements import MovementsAgent
from streams.agents.paging import PagingAgent
from streams.agents.relay import POINTS, PointsAgent, RelayedMetrics
from streams.agents.trains import TrainsAgent, TrainsKnown
from streams.faustfix.commits import ConsumerSeeker, mark_commits
from streams.faustfix.fetches import fresh_highwater, last_fetched_s, read_to_end
from streams.faustfix.tables import (
    FaustOutbox,
    FaustTable,
    key_partition,
    tables_recovered,
    tables_settled,
)
from streams.identity import worker_name, worker_url
from streams.letter_archive import KafkaLetterArchive
from streams.letters import LetterLedger
from streams.metrics import MetricSources, exposition
from streams.order import InOrder
from streams.pager import Pager
from streams.schema.health import INTERVAL_S
from streams.schema.pages import PAGES
from streams.sinks.base import AlertSink, LineSink
from streams.sinks.silences import Silences
from streams.state import (
    AgentStates,
    DayBook,
    LiveGaps,
    MovesKnown,
    PipelineCounters,
    Watermarks,
)
from streams.supervision import OnCrash, stop_this_process, supervised
from streams.timers import HealthReport, MinuteRound, RunningPoints, SilenceCheck, lag_by_kind
from streams.web import (
    FORWARDED,
    figures_keeper,
    health_body,
    open_exceptions,
    ready_body,
    status_body,
)

__all__ = ["DAY_FACTS", "OWN_TOPIC_KINDS", "Monitor", "create_monitor"]

AGENTS = ("trains", "movements", "days", "points", "paging")
COMMIT_INTERVAL_S: Final = 1.0
"""How often faust commits the offsets the agents have acknowledged (besides every 10,000
acknowledgements); faust's default is 2.8 s. A commit is one request a second per worker;
less is redone after a crash, the lag a worker reports is that much fresher, and the last
events of a burst are committed within a second: the benchmark's short two-worker run
(300,000 events, a 16.7 s span) waited 2.8 s for its last commit, 17 % of its span."""
FETCHED_RECORDS_MAX: Final = 2_000
"""The most records the fetch loop takes from the consumer at once (faust's
``broker_max_poll_records``; its default takes everything aiokafka has buffered). The
worker reads its own topics (points, pages, day facts) through the same fetch loop as its
inputs, and a record written to one of them is handed over only with a later batch: a
busy worker's batches held up to 150,000 records and took seconds each, so its points
reached InfluxDB, and its pages Alertmanager, up to a whole backlog late (``bench``,
300,000 events, one worker: a quarter of the inputs committed at 11-13 s, a quarter of
the points written at 26-31 s; when the inputs were done half the points were not
written). 2,000: the points keep pace with the inputs (a quarter written at 10-15 s), and
the worker is no slower with its own topics' tail counted in its span: one worker 10,866
and 11,852 events/s against faust's default 10,329 and 10,149 (A-B-B-A); two workers
15,157 / 13,539 / 17,132 / 15,138 against 16,672 / 15,543 / 14,636 / 14,858, so two
workers make less of one worker than before (1.44x one in session 24's runs: README,
"fifteenth steps"). 10,000 left half its runs as late as the default; 5,000, points 4-6 s
behind."""
OWN_TOPIC_KINDS: Final = (DAY_FACTS, POINTS, PAGES)
"""The topics the worker both writes and reads: its work on an event is done when these
are read to their end too (its day facts counted, its points written to InfluxDB, its
pages posted)."""
_RAW: dict[str, Any] = {
    "key_type": bytes,
    "value_type": bytes,
    "key_serializer": "raw",
    "value_serializer": "raw",
}
_RAW_TABLE: dict[str, Any] = {"key_type": bytes, "value_type": bytes}


@dataclass
class Monitor:
    """A worker's faust app with what tests, timers and the roof need of it."""

    app: faust.App
    topics: TopicNames
    book: DayBook
    open_exceptions: FaustTable
    agents: AgentStates
    internal: list[Any]
    gates: dict[str, InOrder]
    """Each agent's order gate (for :mod:`streams.waits`' dump)."""

    def internal_topics(self) -> dict[str, int]:
        """The topics the agents send each other (day facts, points, pages), with their
        partition counts: created before the worker joins its group."""
        return {
            topic.get_topic_name(): topic.partitions or self.app.conf.topic_partitions
            for topic in self.internal
        }

    def changelog_topics(self) -> dict[str, int]:
        """The changelog topic of each table, with its partition count."""
        return {
            table.changelog_topic.get_topic_name(): (
                table.changelog_topic.partitions or self.app.conf.topic_partitions
            )
            for table in self.app.tables.values()
        }


class _InputPartitions:
    """The input partitions of this worker, for the live silence check
    (:class:`streams.timers.PartitionWatch`)."""

    def __init__(self, app: faust.App, names: TopicNames, partitions: int) -> None:
        self.app = app
        self.reefer = names.name("reefer")
        self.partitions = partitions
        self.watermarks = Watermarks()

    def partition_of(self, key: bytes) -> int:
        return key_partition(key, self.partitions)

    async def caught_up(self) -> dict[int, bool]:
        consumer = self.app.consumer
        read = {}
        for tp in consumer.assignment():
            if tp.topic == self.reefer:
                # The highwater is unknown (None) until the partition's first fetch.
                highwater = consumer.highwater(tp)
                position = await consumer.position(tp)
                fetched_at = last_fetched_s(consumer, tp)
                now = datetime.now(UTC).timestamp()
                read[tp.partition] = read_to_end(highwater, position, fetched_at, now)
        return read


class _ConsumerLag:
    """Records behind per topic kind, on this worker's partitions of the topics the agents
    read (the pipeline-health points and ``/metrics``). A table's changelog partitions are
    assigned too, but left out: the consumer stops reading an active table's once it has
    recovered, so their "lag" is only the table's writes since."""

    def __init__(self, app: faust.App, names: TopicNames, kinds: Iterable[str]) -> None:
        self.app = app
        self.names = names
        self.topics = {names.name(kind) for kind in kinds}

    async def __call__(self) -> dict[str, int]:
        consumer = self.app.consumer
        positions = []
        for tp in consumer.assignment():
            if tp.topic not in self.topics:
                continue
            highwater = consumer.highwater(tp)
            if highwater is None:  # not fetched yet: its lag is not known
                continue
            position = await consumer.position(tp)
            positions.append((self.names.kind(tp.topic), highwater - (position or 0)))
        return lag_by_kind(positions)

    async def known(self) -> dict[str, int] | None:
        """The lag, or None while the consumer has not started (a scrape at start-up)."""
        try:
            return await self()
        except ConsumerNotStarted:
            return None


def _moves_known(
    app: faust.App, containers: str, lateness: timedelta, seeker: ConsumerSeeker
) -> MovesKnown:
    """How far this worker has read each of its ``containers`` partitions: the broker's
    fresh highwater, the group's committed offset, and nothing of what it read before a
    rebalance took a partition away."""

    def highwater(partition: int) -> int | None:
        now = datetime.now(UTC).timestamp()
        return fresh_highwater(app.consumer, TP(containers, partition), now)

    known = MovesKnown(lateness, highwater, partial(seeker.committed, containers))

    def forget_moves_read(sender: Any, /, *args: Any, signal: Any, **kwargs: Any) -> None:
        (revoked,) = args  # the partitions taken away (faust's signal)
        known.forget(tp.partition for tp in revoked if tp.topic == containers)

    app.on_partitions_revoked.connect(forget_moves_read)

    return known


def _letter_ledger(app: faust.App, settings: Settings, names: TopicNames) -> LetterLedger:
    """The ledger of the dead letters of the input topics read through an
    :class:`~streams.agents.intake.Intake`, read again at each assignment."""
    inputs = {names.name(kind) for kind in ("trains", "containers", "reefer", DAY_FACTS)}
    archive = KafkaLetterArchive(settings.kafka_bootstrap, settings.app_id, names.dead_letter)
    ledger = LetterLedger(archive)
    mark_commits(ledger)

    def read_letters(sender: Any, /, *args: Any, signal: Any, **kwargs: Any) -> None:
        (assigned,) = args  # every partition now assigned (faust's signal)
        ledger.assign({(tp.topic, tp.partition) for tp in assigned if tp.topic in inputs})

    app.on_partitions_assigned.connect(read_letters)
    return ledger


def _days_agent(app: faust.App, days: DaysAgent) -> DaysAgent:
    """``days``, told of each assignment (its next running points cover every day)."""

    def assigned(sender: Any, /, *args: Any, signal: Any, **kwargs: Any) -> None:
        days.assigned()

    app.on_partitions_assigned.connect(assigned)
    return days


def _reads_partition_0(app: faust.App, topic: str) -> Callable[[], bool]:
    """Whether this worker is assigned partition 0 of ``topic`` now (of the day-facts
    topic, one partition: whether its days agent keeps the figures), its tables settled
    (no rebalance under way: :func:`~streams.faustfix.tables.tables_settled`)."""
    partition = TP(topic, 0)
    return lambda: partition in app.consumer.assignment() and tables_settled(app)


def _faust_app(settings: Settings) -> faust.App:
    return faust.App(
        settings.app_id,
        broker=f"kafka://{settings.kafka_bootstrap}",
        store=settings.store,
        datadir=str(settings.data_dir),
        topic_partitions=settings.topic_partitions,
        topic_replication_factor=1,
        web_host=settings.web_host,
        web_port=settings.web_port,
        canonical_url=worker_url(settings),
        broker_session_timeout=settings.session_timeout_s,
        broker_heartbeat_interval=min(3.0, settings.session_timeout_s / 3),
        stream_wait_empty=False,
        broker_commit_interval=COMMIT_INTERVAL_S,
        broker_max_poll_records=FETCHED_RECORDS_MAX,
        autodiscover=False,
    )


def _serve_pages(
    app: faust.App,
    reference: Reference,
    book: DayBook,
    table: FaustTable,
    live_gaps: LiveGaps,
    states: AgentStates,
    facts: str,
    trains: TrainsKnown,
    dwell: FaustTable,
    acks: Acknowledgements | None,
) -> None:
    """The worker's web pages: ``/status`` (the figures, as the worker that reads the
    ``facts`` topic keeps them), ``/ready`` and ``/health``."""

    def not_ready() -> str | None:
        """Why this worker cannot answer for its tables yet (None: it can)."""
        if not tables_recovered(app):
            return "recovering its tables from their changelogs"
        if app.rebalancing:
            return "rebalancing: its consumer group is assigning partitions"
        return None

    @app.page("/status")
    async def status_page(view: View, request: Request) -> Response:
        reason = not_ready()
        if reason is not None:
            return view.json(ready_body(reason), status=503)
        keeper = figures_keeper(app.router.external_topics_metadata(), facts)
        here = str(app.conf.canonical_url)
        if keeper is not None and URL(keeper) != URL(here) and FORWARDED not in request.headers:
            return await _ask_keeper(app, view, request, keeper)
        query = dict(request.query)
        known = (lambda _: None) if acks is None else acks.of
        body = status_body(query, reference, book, table, live_gaps, trains, dwell, known)
        return view.json({**body, "answered_by": here})

    @app.page("/ready")
    async def ready_page(view: View, request: Request) -> Response:
        reason = not_ready()
        return view.json(ready_body(reason), status=200 if reason is None else 503)

    @app.page("/health")
    async def health_page(view: View, request: Request) -> Response:
        code, body = health_body(states)
        return view.json(body, status=code)


def _serve_metrics(app: faust.App, sources: MetricSources) -> None:
    """``/metrics``, for Prometheus: this worker's figures, read at scrape time."""

    @app.page("/metrics")
    async def metrics_page(view: View, request: Request) -> Response:
        body, content_type = await exposition(sources, request.headers.get("Accept", ""))
        return view.bytes(body, headers={"Content-Type": content_type})


async def _ask_keeper(app: faust.App, view: View, request: Request, keeper: str) -> Response:
    """``/status`` as the worker that keeps the figures answers it: faust's global tables
    do not keep every worker's copy current (faust-streaming issue 283: a second worker
    answered 0 runs where the first had 5), so the figures come from one place."""
    url = URL(keeper).with_path(request.url.path).with_query(dict(request.query))
    headers = {FORWARDED: str(app.conf.canonical_url)}
    try:
        async with app.http_client.get(
            url, headers=headers, timeout=aiohttp.ClientTimeout(total=10)
        ) as response:
            return view.json(await response.json(), status=response.status)
    except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
        error = str(exc) or type(exc).__name__
        why = f"the worker that keeps the figures, {keeper}, did not answer: {error}"
        return view.json(ready_body(why), status=503)


def _acknowledgements(
    silences: Silences, app_id: str, metrics: RelayedMetrics, table: FaustTable, gaps: LiveGaps
) -> Acknowledgements:
    """The acknowledgements of this pipeline's pages (its ``app_id``), as the worker learns
    and ends them against the exceptions open in ``table`` and its live ``gaps``."""
    return Acknowledgements(silences, app_id, metrics, lambda: open_exceptions(table, gaps).keys())


def create_monitor(
    settings: Settings,
    reference: Reference,
    metrics: LineSink,
    alerts: AlertSink,
    on_crash: OnCrash = stop_this_process,
    silences: Silences | None = None,
) -> Monitor:
    """Build the faust app of a Lugang worker (``on_crash``: what an agent's death does;
    ``silences``: Alertmanager's, where acknowledgements are read and ended)."""
    faustfix.install()
    app = _faust_app(settings)
    names = TopicNames(settings.topic_prefix)
    tracks = FaustTable(app.Table("reefer-tracks", **_RAW_TABLE))
    departures = FaustTable(app.GlobalTable("departures", **_RAW_TABLE))
    book = DayBook(FaustTable(app.GlobalTable("days", partitions=1, **_RAW_TABLE)))
    open_table = FaustTable(app.GlobalTable("open-exceptions", **_RAW_TABLE))
    # Global, as open-exceptions: the one worker that answers /status shows every visit.
    dwell = FaustTable(app.GlobalTable("dwell", **_RAW_TABLE))
    arrivals = FaustTable(app.GlobalTable("arrivals", **_RAW_TABLE))
    paged = FaustTable(app.Table("paged", partitions=1, **_RAW_TABLE))
    facts_topic = app.topic(names.name(DAY_FACTS), partitions=1, **_RAW)
    pages_topic = app.topic(names.name(PAGES), partitions=1, **_RAW)
    points_topic = app.topic(names.name(POINTS), **_RAW)
    dead_letter_topic = app.topic(names.dead_letter, **_RAW)
    counters, states, live_gaps = PipelineCounters(), AgentStates(AGENTS), LiveGaps()
    ledger = _letter_ledger(app, settings, names)

    # Agents and timers send their points and pages to topics, read by the points and
    # paging agents: an InfluxDB or Alertmanager outage stops only the agent that writes
    # to it (streams.agents.relay, streams.agents.paging).
    def relayed() -> RelayedMetrics:
        return RelayedMetrics(FaustOutbox(points_topic))

    def pager() -> Pager:
        return Pager(FaustOutbox(pages_topic), live_gaps)

    # Each agent gets outboxes of its own: an outbox's delivered() awaits the messages sent
    # through it, and one agent must never return with another's still in flight.
    earliest = datetime.combine(settings.earliest_event_time, time(0), tzinfo=UTC)
    window = TimeWindow(earliest, timedelta(hours=settings.event_time_ahead_h))

    def intake() -> Intake:
        outbox = FaustOutbox(dead_letter_topic)
        return Intake(
            settings.topic_prefix, reference, outbox, counters, window=window, ledger=ledger
        )

    lateness = timedelta(minutes=settings.allowed_lateness_minutes)
    trains = TrainsAgent(
        intake(), reference, departures, arrivals, FaustOutbox(facts_topic), relayed()
    )
    watch = _InputPartitions(app, names, settings.topic_partitions)

    seeker = ConsumerSeeker(lambda: app.consumer)
    movements = MovementsAgent(
        intake(),
        reference,
        lateness,
        tracks,
        open_table,
        FaustOutbox(facts_topic),
        relayed(),
        pager(),
        seeker.committed,
        arrivals,
        watch.watermarks,
        watch.partition_of,
        moves_known=_moves_known(app, names.name("containers"), lateness, seeker),
        dwell=dwell,
    )
    points = PointsAgent(metrics, points_topic.get_topic_name(), FaustOutbox(dead_letter_topic))
    days = _days_agent(app, DaysAgent(intake(), reference, book, relayed()))
    metrics.on_refused = points.refused
    acks = (
        None
        if silences is None
        else _acknowledgements(silences, settings.app_id, relayed(), open_table, live_gaps)
    )
    handlers = {
        "trains": trains.handle,
        "movements": movements.handle,
        "days": days.handle,
        "points": points.handle,
        "paging": PagingAgent(
            alerts,
            paged,
            reference,
            live_stale=timedelta(seconds=max(180.0, 3 * settings.silence_check_s)),
            links=Links.of(settings),
            on_close=(lambda ids: None) if acks is None else acks.closed,
        ).handle,
    }
    sources = {
        "trains": app.topic(names.name("trains"), **_RAW),
        "movements": app.topic(names.name("containers"), names.name("reefer"), **_RAW),
        "days": facts_topic,
        "points": points_topic,
        "paging": pages_topic,
    }
    gates = {name: InOrder(seeker, topics=sources[name].topics) for name in AGENTS}
    for name in AGENTS:  # each agent is handed its partitions' messages in offset order
        app.agent(sources[name], name=name)(
            supervised(name, handlers[name], states, on_crash, order=gates[name])
        )

    worker = worker_name(settings)
    sinks = {"influxdb": metrics, "alertmanager": alerts}
    lag = _ConsumerLag(app, names, (*TOPIC_KINDS, *OWN_TOPIC_KINDS))
    report = HealthReport(worker, counters, states, sinks, relayed(), lag)
    app.timer(float(INTERVAL_S))(report)
    keeps_figures = _reads_partition_0(app, facts_topic.get_topic_name())
    known = TrainsKnown(departures, arrivals)
    minute = MinuteRound(
        book, pager(), relayed(), reference, keeps_figures, trains=known, acks=acks
    )
    app.timer(60.0)(minute)
    app.timer(RUNNING_EVERY_S)(RunningPoints(days, keeps_figures))
    silence = SilenceCheck(
        movements, relayed(), pager(), watch, settled=partial(tables_settled, app)
    )
    app.timer(settings.silence_check_s)(silence)

    _serve_pages(
        app,
        reference,
        book,
        open_table,
        live_gaps,
        states,
        facts_topic.get_topic_name(),
        known,
        dwell,
        acks,
    )
    _serve_metrics(
        app, MetricSources(worker, counters, states, sinks, open_table, live_gaps, lag.known)
    )
    return Monitor(
        app, names, book, open_table, states, [facts_topic, pages_topic, points_topic], gates
    )
