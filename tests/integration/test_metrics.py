"""Two workers of one pipeline each report themselves, on the real Kafka and InfluxDB:
``/metrics`` answers on each worker's web port with that worker's own name and figures, and
the pipeline-health points in InfluxDB carry two distinct ``worker`` tags, the same names,
each summing to the events that worker's ``/metrics`` counted. (Every compose replica once
tagged its points ``0.0.0.0:6066``, so the replicas overwrote one another's.)"""

from __future__ import annotations

import socket
from pathlib import Path

import requests
from prometheus_client.parser import text_string_to_metric_families

from tests.integration.test_agent_failures import produce, train
from tests.integration.workers import (
    Worker,
    WorkerConfig,
    influx_rows,
    running_worker,
    wait_for,
)

TRAINS = 40
"""Departures with as many train ids: both workers' partitions of ``trains`` get some."""

Samples = dict[str, dict[tuple[tuple[str, str], ...], float]]


def scrape(worker: Worker) -> Samples:
    """A worker's ``/metrics``, as Prometheus reads it: name -> labels -> value."""
    response = requests.get(f"{worker.url}/metrics", timeout=10)
    response.raise_for_status()
    assert response.headers["Content-Type"].startswith("text/plain"), response.headers
    samples: Samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            labels = tuple(sorted(sample.labels.items()))
            samples.setdefault(sample.name, {})[labels] = sample.value
    return samples


def name_of(samples: Samples) -> str:
    [(labels, one)] = samples["lugang_worker_info"].items()
    assert one == 1
    return dict(labels)["worker"]


def events(samples: Samples, topic: str | None = None) -> int:
    """Events a worker counted (of one topic, or of all)."""
    counted = samples["lugang_events_total"]
    return int(sum(v for labels, v in counted.items() if topic in (None, dict(labels)["topic"])))


def ready(worker: Worker) -> bool:
    return requests.get(f"{worker.url}/ready", timeout=5).status_code == 200


def reported_events(pipeline: WorkerConfig) -> dict[str, int]:
    """Worker tag -> events of its pipeline-health points in InfluxDB."""
    rows = influx_rows(
        pipeline.influx_url,
        pipeline.influx_bucket,
        'SELECT sum("events") AS "events" FROM "pipeline" GROUP BY "worker"',
    )
    return {row["worker"]: int(row["events"]) for row in rows}


def test_two_workers_each_serve_their_own_metrics_and_tag_their_own_health_points(
    pipeline: WorkerConfig, tmp_path: Path
) -> None:
    with (
        running_worker(pipeline, tmp_path / "a") as a,
        running_worker(pipeline, tmp_path / "b") as b,
    ):
        wait_for(lambda: ready(a) and ready(b), 120, "both workers ready after the rebalance")
        departures = [
            train(f"d{n}", f"X{9000 + n}", "DEPA", "2026-03-15T09:20:00+08:00")
            for n in range(TRAINS)
        ]
        produce(pipeline, "trains", departures)

        def counted() -> tuple[Samples, Samples] | None:
            scraped = scrape(a), scrape(b)
            done = sum(events(s, "trains") for s in scraped) >= TRAINS
            # An event is counted when it is decoded, its batch's time once the batch is
            # handled: a scrape in between saw events and no batch (a flaky failure).
            timed = all(
                s.get("lugang_batch_seconds_count", {}).get((("agent", "trains"),), 0) > 0
                for s in scraped
                if events(s, "trains") > 0
            )
            return scraped if done and timed else None

        on_a, on_b = wait_for(counted, 90, f"{TRAINS} trains counted on the two /metrics")
        names = {name_of(on_a), name_of(on_b)}
        host = socket.gethostname()
        assert names == {f"{host}-{a.process.pid}", f"{host}-{b.process.pid}"}
        for samples in (on_a, on_b):
            assert events(samples, "trains") > 0, "each worker reads some of the partitions"
            assert samples["lugang_agent_running"][(("agent", "trains"),)] == 1
            assert (("sink", "influxdb"),) in samples["lugang_sink_errors_total"]
            assert samples["lugang_batch_seconds_count"][(("agent", "trains"),)] > 0

        def agree() -> dict[str, int] | None:
            """The points of each worker sum to what its /metrics counted: the health
            report writes every interval's events, zero or not."""
            scraped = {name_of(s): events(s) for s in (scrape(a), scrape(b))}
            reported = reported_events(pipeline)
            return reported if reported == scraped else None

        reported = wait_for(agree, 90, "each worker's health points summing to its /metrics")
        assert set(reported) == names
