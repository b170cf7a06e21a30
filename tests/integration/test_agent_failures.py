"""Unhappy input and a dying agent, on the real Kafka, InfluxDB and Alertmanager: an
arrival dated before its departure (it once crashed the trains agent, issue 8) is a
data-quality finding in the middle of a batch that is otherwise counted, and a worker
whose agent dies exits non-zero instead of going on silently. (The per-event policy for an
event the domain code raises on is checked in process, tests/unit/test_agents.py.)"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from kafka import KafkaProducer
from kafka.admin import KafkaAdminClient, NewTopic

from streams.supervision import EXIT_AGENT_DIED
from tests.integration.kafka_read import read_topic
from tests.integration.workers import Worker, WorkerConfig, influx_rows, wait_for


def train(event_id: str, train_id: str, kind: str, at: str, **changes: Any) -> dict[str, Any]:
    event = {
        "event_id": event_id,
        "event_type": kind,
        "train_id": train_id,
        "corridor": "HHW-QZH",
        "location": "HHW" if kind == "DEPA" else "CNQZH",
        "direction": "OUTBOUND",
        "event_time": at,
        "wagons": 50,
    }
    return {**event, **changes}


def produce(pipeline: WorkerConfig, topic: str, events: list[dict[str, Any]]) -> None:
    """Straight to the topic (one partition's worth of keys in order), past the producers'
    validation, as another system would."""
    producer = KafkaProducer(bootstrap_servers=pipeline.bootstrap)
    try:
        for event in events:
            key = event["train_id"].encode()
            producer.send(pipeline.prefix + topic, key=key, value=json.dumps(event).encode())
        producer.flush()
    finally:
        producer.close()


def test_an_arrival_before_its_departure_is_a_finding_and_every_other_event_counted(
    pipeline: WorkerConfig, worker: Worker
) -> None:
    """An arrival dated before its departure made the trains agent raise: faust logged a
    crash, acknowledged the whole batch, and every run of it read 0 (issue 8); then it was
    dead-lettered as ``internal`` (issue 8's policy). Now it gives no transit time, is
    counted as an ``orphan_arrival`` finding, and nothing is dead-lettered."""
    events = [
        train("d1", "X9001", "DEPA", "2026-03-15T09:20:00+08:00"),
        train("d2", "X9002", "DEPA", "2026-03-15T10:20:00+08:00"),
        train("bad", "X9001", "ARRI", "2026-03-14T09:00:00+08:00"),  # before its departure
        train("d3", "X9003", "DEPA", "2026-03-15T11:20:00+08:00"),
        train("d4", "X9004", "DEPA", "2026-03-15T12:20:00+08:00", corridor="HHW-VTE"),
    ]
    produce(pipeline, "trains", events)

    def runs() -> int:
        count: int = worker.status("2026-03-15")["today"]["train_runs"]
        return count

    wait_for(lambda: runs() == 4, 60, "4 train runs on 2026-03-15")

    def orphans() -> list[dict[str, Any]]:
        return influx_rows(
            pipeline.influx_url,
            pipeline.influx_bucket,
            'SELECT "count" FROM pipeline_quality WHERE "finding" = \'orphan_arrival\'',
        )

    [finding] = wait_for(orphans, 60, "the orphan arrival in the data-quality view")
    assert finding["count"] == 1
    assert read_topic(pipeline.bootstrap, pipeline.prefix + "deadletter") == []
    health = worker.status("2026-03-15")
    assert health["today"]["train_runs"] == 4


def test_a_train_in_the_year_9999_is_dead_lettered_and_counting_goes_on(
    pipeline: WorkerConfig, worker: Worker
) -> None:
    """It once killed the days agent (InfluxDB refuses its day points): an event time more
    than a day ahead of the worker's clock is dead-lettered with reason ``time: …``."""
    produce(
        pipeline,
        "trains",
        [
            train("far", "X9999", "DEPA", "9999-06-01T10:00:00+08:00"),
            train("d1", "X9001", "DEPA", "2026-03-15T09:20:00+08:00"),
        ],
    )
    wait_for(lambda: worker.status("2026-03-15")["today"]["train_runs"] == 1, 60, "the run")
    letters = wait_for(
        lambda: read_topic(pipeline.bootstrap, pipeline.prefix + "deadletter"), 30, "a letter"
    )
    assert [json.loads(value)["reason"].split(":")[0] for _, value in letters] == ["time"]
    assert worker.process.poll() is None


def test_a_worker_whose_agent_dies_exits_non_zero(pipeline: WorkerConfig, tmp_path: Path) -> None:
    """No input kills an agent now (issue 10), but Kafka can refuse what an agent must
    write before it acknowledges its batch: here the dead-letter topic takes messages of at
    most 200 bytes, so the dead letter of a malformed train cannot be written. The trains
    agent dies outside the per-event path, and the worker must not go on serving /status as
    if all were well."""
    admin = KafkaAdminClient(bootstrap_servers=pipeline.bootstrap, client_id="lugang-tests")
    try:
        tiny = {"max.message.bytes": "200"}
        topic = NewTopic(pipeline.prefix + "deadletter", 4, 1, topic_configs=tiny)
        admin.create_topics([topic])
    finally:
        admin.close()
    worker = Worker(pipeline, tmp_path / "dying")
    try:
        produce(pipeline, "trains", [train("bad", "X9999", "DEPA", "not a time")])
        worker.process.wait(timeout=120)
        assert worker.process.returncode == EXIT_AGENT_DIED, worker.log_tail()
        log = worker.log.read_text(errors="replace")
        assert "agent trains died" in log
    finally:
        worker.stop()
