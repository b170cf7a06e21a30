"""Where our trains are now (issue 12), end to end on the real Kafka, InfluxDB and
Alertmanager: a replayed recording has a train that departed longer ago than its corridor's
benchmark and has not arrived, and an inbound run (of the number of an outbound run that has
arrived) likewise. The worker that keeps the figures pages each ``TrainOverdue`` once (its
minute's round), ``/status`` lists them in transit with their hours, InfluxDB has their
``train_in_transit`` points (tag ``direction``); the outbound arrival resolves its page and
takes it off the list, and leaves the inbound run firing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from lugang.reference import default_reference
from producers.records import Record, write_recording
from tests.integration.servers import WebhookReceiver
from tests.integration.test_stream import drain, replay
from tests.integration.workers import WorkerConfig, influx_rows, running_worker, wait_for

OUT, BACK = "OUTBOUND", "INBOUND"
ROUND_S = 150
"""How long to wait for the minute's round (every 60 s, after the worker joined)."""


def train(
    event_id: str, kind: str, train_id: str, corridor: str, at: datetime, way: str = "OUTBOUND"
) -> Record:
    """A DEPA from Huaihua or an ARRI at the corridor's far end of an outbound run (``way``
    INBOUND: a DEPA from the far end or an ARRI at Huaihua of an inbound run)."""
    far_end = default_reference().corridor(corridor).far_end("HHW")
    at_home = (kind == "DEPA") == (way == "OUTBOUND")
    value = {
        "event_id": event_id, "event_type": kind, "train_id": train_id,
        "corridor": corridor, "location": "HHW" if at_home else far_end,
        "direction": way, "event_time": at.isoformat(), "wagons": 40,
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
                # inbound, 30 h too; its number's outbound arrival must not end it
                train("d-in", "DEPA", arrived, "HHW-QZH", now - timedelta(hours=35), "INBOUND"),
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

    def runs(alerts: list[dict[str, Any]]) -> list[tuple[str, str]]:
        return sorted((a["labels"]["train_id"], a["labels"]["direction"]) for a in alerts)

    def in_transit_now() -> dict[tuple[str, str], dict[str, Any]]:
        listed = worker.status(today)["trains_in_transit"]
        return {(t["train_id"], t["direction"]): t for t in listed}

    today = default_reference().home.today(now).isoformat()
    with running_worker(pipeline, tmp_path / "worker") as worker:
        replay(pipeline, recording)
        wait_for(lambda: len(overdue("firing")) >= 2, ROUND_S, "the TrainOverdue pages")
        in_transit = in_transit_now()
        assert set(in_transit) == {(late, OUT), (on_time, OUT), (arrived, BACK)}
        late_run = in_transit[late, OUT]
        assert late_run["overdue"] is True and late_run["benchmark_h"] == 30.0
        assert 31.0 <= late_run["elapsed_h"] < 31.5
        assert in_transit[on_time, OUT]["overdue"] is False
        assert 10.0 <= in_transit[on_time, OUT]["elapsed_h"] < 10.5
        inbound = in_transit[arrived, BACK]
        assert inbound["overdue"] is True and inbound["benchmark_h"] == 30.0
        assert 35.0 <= inbound["elapsed_h"] < 35.5

        def points() -> dict[tuple[str, str], dict[str, Any]]:
            rows = influx_rows(
                pipeline.influx_url,
                pipeline.influx_bucket,
                "SELECT * FROM train_in_transit WHERE time >= now() - 7d GROUP BY *",
            )
            return {(r["train_id"], r["direction"]): r for r in rows}

        def all_written() -> dict[tuple[str, str], dict[str, Any]] | None:
            found = points()
            return found if {(late, OUT), (arrived, BACK)} <= set(found) else None

        written = wait_for(all_written, 60, "train_in_transit")
        assert written[late, OUT]["in_transit"] == 1 and written[late, OUT]["overdue"] == 1
        assert written[arrived, OUT]["in_transit"] == 0 and written[arrived, OUT]["overdue"] == 0
        assert written[arrived, BACK]["in_transit"] == 1 and written[arrived, BACK]["overdue"] == 1

        with recording.open("wb") as out:
            write_recording([train("a-late", "ARRI", late, "HHW-QZH", datetime.now(UTC))], out)
        replay(pipeline, recording)
        wait_for(lambda: overdue("resolved"), ROUND_S, "the TrainOverdue resolved")
        assert set(in_transit_now()) == {(on_time, OUT), (arrived, BACK)}
    firing = overdue("firing")
    assert runs(firing) == [(arrived, BACK), (late, OUT)]  # once each, the late runs only
    assert {a["labels"]["severity"] for a in firing} == {"warning"}  # operations, not on-call
    assert runs(overdue("resolved")) == [(late, OUT)]  # the inbound run is still under way
