"""Dwell time on the real servers (issue 12): the recorded week replayed to Kafka and read
by a real worker writes one ``container_dwell`` point per completed visit, the points the
agents write in process from the same recording (the global ``dwell`` table on a real faust
app, InfluxDB's storage of the nudged times); InfluxQL gives the daily mean and 90th
percentile the README documents; a second replay changes nothing."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from streams.agents.memory import MemoryTable
from streams.schema import points
from tests.fakes import Topic
from tests.in_process import _runs
from tests.integration.test_stream import DATA, expect_week_totals, replay
from tests.integration.workers import Worker, WorkerConfig, influx_rows, running_worker, wait_for
from tests.unit.test_agents import Harness, run

WEEK = DATA / "week.jsonl"


def in_process(recording: Path) -> Counter[tuple[str, str, str, float]]:
    """The dwell points the agents write for ``recording`` (direction, category, laden,
    hours)."""
    h = Harness()
    h.movements.dwell = MemoryTable()
    topics = {name: Topic(name) for name in ("trains", "containers", "reefer")}
    for agent, records in _runs(recording):
        events = [topics[r.topic].event(r.key, r.value) for r in records]
        run((h.trains if agent == "trains" else h.movements).handle(events))
    return Counter(
        (
            str(s.tags["direction"]),
            str(s.tags["teu_category"]),
            str(s.tags["laden"]),
            round(float(s.fields["dwell_h"]), 6),
        )
        for s in h.metrics.measurement(points.CONTAINER_DWELL)
    )


def rows(pipeline: WorkerConfig, query: str) -> list[dict[str, Any]]:
    return influx_rows(pipeline.influx_url, pipeline.influx_bucket, query, pipeline.influx_token)


def stored(pipeline: WorkerConfig) -> Counter[tuple[str, str, str, float]]:
    found = rows(
        pipeline,
        'SELECT "dwell_h" FROM "container_dwell" GROUP BY "direction", "teu_category", "laden"',
    )
    return Counter(
        (r["direction"], r["teu_category"], r["laden"], round(float(r["dwell_h"]), 6))
        for r in found
    )


def test_the_week_writes_every_completed_visit_once(pipeline: WorkerConfig, tmp_path: Path) -> None:
    want = in_process(WEEK)
    assert want, "the week should have completed visits"
    with running_worker(pipeline, tmp_path / "worker") as worker:
        replay(pipeline, WEEK)
        expect_week_totals(worker, pipeline)
        wait_for(lambda: stored(pipeline) == want, 120, f"{sum(want.values())} dwell points")
        daily = rows(
            pipeline,
            'SELECT mean("dwell_h"), percentile("dwell_h", 90) FROM "container_dwell" '
            "WHERE time >= '2026-03-01T00:00:00Z' GROUP BY time(1d), \"teu_category\", "
            "\"laden\" fill(none) tz('Asia/Shanghai')",
        )
        assert daily and all(r["mean"] > 0 and r["percentile"] >= 0 for r in daily)
        body = status(worker)
        assert all(v["elapsed_h"] >= 0 for v in body["dwell_longest"])
        replay(pipeline, WEEK)  # again: every move a duplicate, every point the same
        expect_week_totals(worker, pipeline)
        assert stored(pipeline) == want


def status(worker: Worker) -> dict[str, Any]:
    body: dict[str, Any] = worker.status("2026-03-15")
    assert "dwell_longest" in body
    return body
