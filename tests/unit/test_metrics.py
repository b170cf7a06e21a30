"""``/metrics``: the worker's own counters, read at scrape time and rendered in Prometheus's
text format (and OpenMetrics when asked), parsed back here with prometheus_client's parsers.
A scrape reads what the health report counts without taking it away from the report."""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import orjson
import pytest
from prometheus_client.openmetrics.parser import (
    text_string_to_metric_families as openmetrics_families,
)
from prometheus_client.parser import text_string_to_metric_families

from lugang.contract import ColdChainException, ExceptionKind, exception_id
from lugang.reference import default_reference
from lugang.settings import Settings
from streams.agents.memory import MemoryTable
from streams.agents.ports import Received
from streams.app import AGENTS, COMMIT_INTERVAL_S, FETCHED_RECORDS_MAX, create_monitor
from streams.identity import worker_name
from streams.metrics import (
    BATCH_SECONDS,
    LAG_TIMEOUT_S,
    METRICS,
    MetricSources,
    exposition,
)
from streams.sinks.base import RefusedCallback, SinkHealth
from streams.state import LATENCY_BUCKETS_S, AgentStates, LiveGaps, PipelineCounters
from streams.supervision import supervised
from streams.timers import HealthReport
from streams.web import open_exceptions
from tests.fakes import FakeAlertSink, FakeMetricSink

Labels = tuple[tuple[str, str], ...]
START = datetime(2026, 3, 16, 1, 0, tzinfo=UTC)
BOX = "MSKU9070323"


def exception(kind: ExceptionKind, hour: int = 1) -> ColdChainException:
    start = START.replace(hour=hour)
    return ColdChainException(
        exception_id=exception_id(BOX, kind, start),
        kind=kind,
        equipment_reference=BOX,
        started_at=start,
        status="OPEN",
    )


class World:
    """A worker's state as the agents leave it, with the sources ``/metrics`` reads."""

    def __init__(self, lag: Mapping[str, int] | None = None) -> None:
        self.counters = PipelineCounters()
        self.agents = AgentStates(["trains", "movements"])
        self.influx = FakeMetricSink()
        self.alertmanager = FakeAlertSink()
        self.table = MemoryTable()
        self.live_gaps = LiveGaps()
        self.lag = lag

    async def read_lag(self) -> Mapping[str, int] | None:
        return self.lag

    def sources(self) -> MetricSources:
        sinks: dict[str, SinkHealth] = {"influxdb": self.influx, "alertmanager": self.alertmanager}
        table, gaps = self.table, self.live_gaps
        return MetricSources(
            "host-a-41", self.counters, self.agents, sinks, table, gaps, self.read_lag
        )

    def scrape(self, accept: str = "") -> tuple[str, str]:
        body, content_type = asyncio.run(exposition(self.sources(), accept))
        return body.decode(), content_type

    def samples(self) -> dict[str, dict[Labels, float]]:
        """Sample name -> sorted labels -> value, as Prometheus would read them."""
        text, _ = self.scrape()
        found: dict[str, dict[Labels, float]] = {}
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                labels = tuple(sorted(sample.labels.items()))
                found.setdefault(sample.name, {})[labels] = sample.value
        return found


def test_every_metric_is_exposed_with_its_type_and_help() -> None:
    world = World(lag={"reefer": 0})
    text, content_type = world.scrape()
    assert content_type.startswith("text/plain; version=0.0.4")
    families = {family.name: family for family in text_string_to_metric_families(text)}
    for spec in METRICS:
        assert families[spec.name].type == spec.type
        assert families[spec.name].documentation == spec.help
    assert [family.name for family in families.values()] == [spec.name for spec in METRICS]


def test_counters_are_the_pipeline_counters_since_the_start_by_topic_and_reason() -> None:
    world = World()
    for _ in range(5):
        world.counters.count("reefer", "events")
    world.counters.count("trains", "events")
    world.counters.count("reefer", "dead_letters")
    world.counters.found("reefer", "late")
    world.counters.found("reefer", "duplicate", 3)
    world.counters.found("trains", "orphan_arrival")
    samples = world.samples()
    events = samples["lugang_events_total"]
    assert events == {
        (("topic", "containers"),): 0,  # every input topic from the start
        (("topic", "reefer"),): 5,
        (("topic", "trains"),): 1,
    }
    dead = samples["lugang_dead_letters_total"]
    assert dead[("reason", "late"), ("topic", "reefer")] == 1
    assert dead[("reason", "contract"), ("topic", "trains")] == 0
    assert len(dead) == 3 * 5  # input topics x reason classes
    assert samples["lugang_duplicates_total"][(("topic", "reefer"),)] == 3
    assert samples["lugang_orphan_arrivals_total"][(("topic", "trains"),)] == 1


def test_a_scrape_takes_nothing_from_the_health_report_and_the_report_nothing_from_it() -> None:
    """One count, two readers: the report's points get the interval's events, ``/metrics``
    the total since the start, whichever reads first."""
    world = World()

    async def no_lag() -> Mapping[str, int]:
        return {}

    report = HealthReport(
        "host-a-41", world.counters, world.agents, {}, world.influx, no_lag, clock=lambda: START
    )

    def reported() -> list[object]:
        trains = [s for s in world.influx.samples if s.tags.get("topic") == "trains"]
        return [s.fields["events"] for s in trains]

    world.counters.count("trains", "events")
    assert world.samples()["lugang_events_total"][(("topic", "trains"),)] == 1
    asyncio.run(report())
    world.counters.count("trains", "events")
    world.samples()
    asyncio.run(report())
    asyncio.run(report())
    assert reported() == [1, 1, 0]
    assert world.samples()["lugang_events_total"][(("topic", "trains"),)] == 2
    assert {s.tags["worker"] for s in world.influx.samples} == {"host-a-41"}


def test_sinks_agents_worker_and_lag() -> None:
    world = World(lag={"reefer": 120, "points": 7})
    world.influx.retries, world.influx.errors = 4, 2
    world.agents.running("trains")
    world.agents.died("movements", "RuntimeError: boom")
    samples = world.samples()
    assert samples["lugang_sink_retries_total"] == {
        (("sink", "alertmanager"),): 0,
        (("sink", "influxdb"),): 4,
    }
    assert samples["lugang_sink_errors_total"][(("sink", "influxdb"),)] == 2
    assert samples["lugang_agent_running"] == {
        (("agent", "movements"),): 0,
        (("agent", "trains"),): 1,
    }
    assert samples["lugang_worker_info"] == {(("worker", "host-a-41"),): 1}
    assert samples["lugang_consumer_lag"] == {
        (("topic", "points"),): 7,
        (("topic", "reefer"),): 120,
    }


def test_an_unknown_lag_is_left_out_not_zero() -> None:
    """Not known (the consumer has not started) is not "caught up"."""
    assert "lugang_consumer_lag" not in World(lag=None).samples()


def test_a_lag_the_consumer_cannot_give_in_time_is_left_out(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("streams.metrics.LAG_TIMEOUT_S", 0.01)
    world = World()

    async def stuck() -> Mapping[str, int] | None:
        await asyncio.sleep(LAG_TIMEOUT_S)
        return {"reefer": 1}

    body, _ = asyncio.run(exposition(replace(world.sources(), lag=stuck)))
    assert b"lugang_consumer_lag" not in body
    assert b"lugang_events_total" in body


def put(table: MemoryTable, found: ColdChainException) -> None:
    table.data[found.exception_id.encode()] = found.model_dump_json().encode()


def test_open_exceptions_by_kind_from_the_table_and_this_workers_live_gaps() -> None:
    world = World()
    put(world.table, exception("HIGH"))
    put(world.table, exception("HIGH", hour=5))
    put(world.table, exception("POWER_OFF"))
    gap = exception("TELEMETRY_GAP", hour=7)
    world.live_gaps.add([gap])
    put(world.table, gap)  # the same gap in both counts once, as live
    opened = world.samples()["lugang_open_exceptions"]
    assert opened[("kind", "HIGH"), ("source", "table")] == 2
    assert opened[("kind", "POWER_OFF"), ("source", "table")] == 1
    assert opened[("kind", "TELEMETRY_GAP"), ("source", "live")] == 1
    assert opened[("kind", "TELEMETRY_GAP"), ("source", "table")] == 0
    assert opened[("kind", "LOW"), ("source", "live")] == 0
    assert sum(opened.values()) == 4


def test_batch_latency_is_a_histogram_per_agent_fed_by_the_supervised_agent() -> None:
    world = World()
    world.agents.batches.observe("trains", 0.004)
    world.agents.batches.observe("trains", 0.25)  # on a bound: counted in its bucket
    world.agents.batches.observe("trains", 99.0)

    async def handle(batch: Sequence[Received]) -> None:
        await asyncio.sleep(0)

    async def take(stream: Any, size: int, within: float, held: Any) -> Any:
        for batch in (["a"], ["b"]):
            yield batch

    agent = supervised("movements", handle, world.agents, lambda n, e: None, take=take)

    async def drive() -> None:
        async for _ in agent(object()):
            pass

    asyncio.run(drive())
    samples = world.samples()
    buckets = samples["lugang_batch_seconds_bucket"]
    assert buckets[("agent", "trains"), ("le", "0.005")] == 1
    assert buckets[("agent", "trains"), ("le", "0.1")] == 1
    assert buckets[("agent", "trains"), ("le", "0.25")] == 2
    assert buckets[("agent", "trains"), ("le", "30.0")] == 2
    assert buckets[("agent", "trains"), ("le", "+Inf")] == 3
    assert (
        len([labels for labels in buckets if ("agent", "trains") in labels])
        == len(LATENCY_BUCKETS_S) + 1
    )
    assert samples["lugang_batch_seconds_count"][(("agent", "trains"),)] == 3
    assert samples["lugang_batch_seconds_sum"][(("agent", "trains"),)] == pytest.approx(99.254)
    assert samples["lugang_batch_seconds_count"][(("agent", "movements"),)] == 2
    assert buckets[("agent", "movements"), ("le", "+Inf")] == 2


def test_openmetrics_when_prometheus_asks_for_it() -> None:
    world = World(lag={"reefer": 3})
    world.counters.count("reefer", "events")
    text, content_type = world.scrape("application/openmetrics-text; version=1.0.0,text/plain")
    assert content_type.startswith("application/openmetrics-text")
    assert text.endswith("# EOF\n")
    parsed = openmetrics_families(text)  # type: ignore[no-untyped-call]  # unannotated upstream
    families = {family.name: family for family in parsed}
    assert {spec.name for spec in METRICS} <= set(families)
    [reefer] = [
        s
        for s in families["lugang_events"].samples
        if s.name == "lugang_events_total" and s.labels == {"topic": "reefer"}
    ]
    assert reefer.value == 1
    assert families[BATCH_SECONDS.name].type == "histogram"


def test_the_worker_name_is_unique_per_process_unless_set() -> None:
    assert worker_name(Settings()) == f"{socket.gethostname()}-{os.getpid()}"
    assert worker_name(Settings(worker_name="worker-2")) == "worker-2"
    # What two compose replicas were both called before (0.0.0.0:6066) no longer names one.
    replica = Settings(web_host="0.0.0.0", web_port=6066)
    assert worker_name(replica) != f"{replica.web_host}:{replica.web_port}"


def test_the_table_holds_json_the_metrics_read_as_the_status_page_does() -> None:
    """``/status`` and ``/metrics`` read open exceptions through one function."""
    table, gaps = MemoryTable(), LiveGaps()
    put(table, exception("LOW"))
    [(key, value)] = open_exceptions(table, gaps).items()
    assert value == orjson.loads(table.data[key.encode()])


class FakeLineSink(FakeMetricSink):
    """The points agent's sink: lines instead of samples."""

    on_refused: RefusedCallback | None = None

    async def write_lines(self, lines: Sequence[str]) -> None:
        """Dropped: no agent runs here."""


def test_the_worker_serves_metrics_under_its_name_before_its_consumer_starts(
    tmp_path: Path,
) -> None:
    """The app's own ``/metrics`` page (faust's view, not started): a scrape while the
    worker starts answers, without the lag it cannot know yet."""
    settings = Settings(store="memory://", data_dir=tmp_path, worker_name="worker-7")
    monitor = create_monitor(settings, default_reference(), FakeLineSink(), FakeAlertSink())
    view = monitor.app.web.views["/metrics"]
    response = asyncio.run(view.get(SimpleNamespace(headers={}, query={})))
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    families = {f.name: f for f in text_string_to_metric_families(response.body.decode())}
    assert families["lugang_worker_info"].samples[0].labels == {"worker": "worker-7"}
    assert "lugang_consumer_lag" not in families
    running = families["lugang_agent_running"].samples
    assert {s.labels["agent"]: s.value for s in running} == dict.fromkeys(AGENTS, 0)


def test_the_worker_commits_every_second(tmp_path: Path) -> None:
    """faust's default is every 2.8 s: a burst's last events waited that long to commit."""
    settings = Settings(store="memory://", data_dir=tmp_path, worker_name="worker-7")
    monitor = create_monitor(settings, default_reference(), FakeLineSink(), FakeAlertSink())
    assert monitor.app.conf.broker_commit_interval == COMMIT_INTERVAL_S == 1.0


def test_the_worker_takes_at_most_2000_fetched_records_at_once(tmp_path: Path) -> None:
    """faust's default takes all aiokafka has buffered: a busy worker handed its own points
    and pages over seconds late, behind batches of up to 150,000 input records."""
    settings = Settings(store="memory://", data_dir=tmp_path, worker_name="worker-7")
    monitor = create_monitor(settings, default_reference(), FakeLineSink(), FakeAlertSink())
    assert monitor.app.conf.broker_max_poll_records == FETCHED_RECORDS_MAX == 2_000
