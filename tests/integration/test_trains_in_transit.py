"""Where our trains are now (issue 12), end to end on the real Kafka, InfluxDB and
Alertmanager: a replayed recording has a train that departed longer ago than its corridor's
benchmark and has not arrived. The worker that keeps the figures pages it ``TrainOverdue``
once (its minute's round), ``/status`` lists it in transit with its hours, InfluxDB has its
``train_in_transit`` point; its arrival resolves the page and takes it off the list."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from lugang.reference import default_reference
from producers.records import Record, write_recording
from tests.integration.servers import WebhookReceiver
from tests.integration.test_stream import drain, replay
from tests.integration.workers import WorkerConfig, influx_rows, running_worker, wait_for

ROUND_S = 150
"""How long to wait for the minute's round (every 60 s, after the worker joined)."""


def train(event_id: str, kind: str, train_id: str, corridor: str, at: datetime) -> Record:
    """A DEPA from Huaihua or an ARRI at the corridor's far end of an outbound run."""
    far_end = default_reference().corridor(corridor).far_end("HHW")
    value = {
        "event_id": event_id, "event_type": kind, "train_id": train_id,
        "corridor": corridor, "location": "HHW" if kind == "DEPA" else far_end,
        "direction": "OUTBOUND", "event_time": at.isoformat(), "wagons": 40,
    }  # fmt: skip
    return Record.of_json("trains", train_id, value, int(at.timestamp() * 1000))


def test_a_late_train_pages_once_shows_in_transit_and_resolves_on_arrival(
    pipeline: WorkerConfig, webhook: WebhookReceiver, tmp_path: Path
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    late, on_time, arrived = "LATE1", "ONTIME1", "ARRIVED1"
    recording = tmp_path / "trains.jsonl"
    with recording.open("wb") as out:
        write_recording(
            [
                train("d-late", "DEPA", late, "HHW-QZH", now - timedelta(hours=31)),  # 30 h
                train("d-on-time", "DEPA", on_time, "HHW-VTE", now - timedelta(hours=10)),
                train("d-arrived", "DEPA", arrived, "HHW-QZH", now - timedelta(hours=20)),
                train("a-arrived", "ARRI", arrived, "HHW-QZH", now - timedelta(hours=2)),
            ],
            out,
        )
    app = f"{pipeline.prefix}app"
    heard: list[dict[str, Any]] = []

    def overdue(status: str) -> list[dict[str, Any]]:
        heard.extend(a for a in drain(webhook) if a["labels"].get("lugang") == app)
        return [
            a for a in heard if a["labels"]["alertname"] == "TrainOverdue" and a["status"] == status
        ]

    today = default_reference().home.today(now).isoformat()
    with running_worker(pipeline, tmp_path / "worker") as worker:
        replay(pipeline, recording)
        wait_for(lambda: overdue("firing"), ROUND_S, "the TrainOverdue page")
        in_transit = {t["train_id"]: t for t in worker.status(today)["trains_in_transit"]}
        assert set(in_transit) == {late, on_time}
        assert in_transit[late]["overdue"] is True and in_transit[late]["benchmark_h"] == 30.0
        assert 31.0 <= in_transit[late]["elapsed_h"] < 31.5
        assert in_transit[on_time]["overdue"] is False
        assert 10.0 <= in_transit[on_time]["elapsed_h"] < 10.5

        def points() -> dict[str, dict[str, Any]]:
            rows = influx_rows(
                pipeline.influx_url,
                pipeline.influx_bucket,
                "SELECT * FROM train_in_transit WHERE time >= now() - 7d GROUP BY *",
            )
            return {r["train_id"]: r for r in rows}

        written = wait_for(lambda: late in points() and points(), 60, "train_in_transit")
        assert written[late]["in_transit"] == 1 and written[late]["overdue"] == 1
        assert written[arrived]["in_transit"] == 0 and written[arrived]["overdue"] == 0

        with recording.open("wb") as out:
            write_recording([train("a-late", "ARRI", late, "HHW-QZH", datetime.now(UTC))], out)
        replay(pipeline, recording)
        wait_for(lambda: overdue("resolved"), ROUND_S, "the TrainOverdue resolved")
        in_transit = {t["train_id"]: t for t in worker.status(today)["trains_in_transit"]}
        assert set(in_transit) == {on_time}
    firing = overdue("firing")
    assert [a["labels"]["train_id"] for a in firing] == [late]  # once, for the late run only
    assert firing[0]["labels"]["severity"] == "warning"  # operations, not on-call
    assert {a["labels"]["train_id"] for a in overdue("resolved")} == {late}
