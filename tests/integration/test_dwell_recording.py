"""Dwell time of a hand-checked recording on the real servers: ``tests/data/dwell.jsonl``
replayed to Kafka and read by a real worker. Its ``container_dwell`` points in InfluxDB, the
daily count, mean and 90th percentile of the README's InfluxQL query and of the overview's
dwell panel, and ``/status`` ``dwell_longest`` match ``dwell.expected.json``, and a second
replay of the recording changes none of them (``tests/unit/test_dwell_recording.py`` checks
the same in process; ``tests/dwell_expected.py`` holds the comparison for both)."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import requests

from dashboards import build
from lugang.links import OVERVIEW_UID
from lugang.reference import default_reference
from producers.records import read_recording
from tests import dwell_expected as expected
from tests.integration.test_stream import replay
from tests.integration.workers import (
    Worker,
    WorkerConfig,
    container_duplicates,
    pipeline_rows,
    running_worker,
    wait_for,
)

REF = default_reference()
TZ = REF.home.tz
README = Path(__file__).resolve().parents[2] / "README.md"
README_WINDOW = "time >= now() - 30d"
"""The README query's time filter, replaced by the recording's days (its now() is today)."""


def window() -> str:
    """An InfluxQL time filter over the local days the recording's visits end on."""
    first, last = expected.days()
    start = datetime.combine(first, datetime.min.time(), TZ).astimezone(UTC)
    end = datetime.combine(last + timedelta(days=1), datetime.min.time(), TZ).astimezone(UTC)
    return f"time >= '{start:%Y-%m-%dT%H:%M:%SZ}' AND time < '{end:%Y-%m-%dT%H:%M:%SZ}'"


def readme_query() -> str:
    """The README's daily count, mean and 90th percentile of outbound dwell (under
    *InfluxDB schema*), over the recording's days."""
    (query,) = [
        line
        for line in README.read_text(encoding="utf-8").splitlines()
        if line.startswith('SELECT count("dwell_h")')
    ]
    assert README_WINDOW in query, query
    return query.replace(README_WINDOW, window())


def panel_query() -> str:
    """The overview's dwell panel as Grafana asks it over the recording's days."""
    board = json.loads(build.rendered(REF)[f"{build.JSON_DIR}/{OVERVIEW_UID}.json"])
    queries = [
        target["query"]
        for panel in board["panels"]
        for target in panel.get("targets", [])
        if '"container_dwell"' in target.get("query", "")
    ]
    (query,) = queries
    assert "$timeFilter" in query, query
    return str(query).replace("$timeFilter", window())


COUNTED = sum(
    json.loads(r.value)["event_type"] in ("LOAD", "DISC")
    for r in read_recording(expected.RECORDING)
)
"""Moves of the recording the day totals count (loads and discharges at HHW): read again,
each is dropped as a duplicate."""
HOLD = 10.0
"""Seconds the figures are watched after the second replay's day facts came through (its
last moves, gate moves, may follow them)."""


def stored(pipeline: WorkerConfig) -> list[expected.Dwell]:
    """Every container_dwell point in InfluxDB, as the expectations are written."""
    found = pipeline_rows(
        pipeline,
        'SELECT "dwell_h", "equipment_reference" FROM "container_dwell" '
        'GROUP BY "direction", "teu_category", "laden"',
    )
    return expected.written_dwells(
        (
            (
                datetime.fromisoformat(str(r["time"]).replace("Z", "+00:00")),
                {k: r[k] for k in ("direction", "teu_category", "laden")},
                {k: r[k] for k in ("dwell_h", "equipment_reference")},
            )
            for r in found
        ),
        REF,
    )


def panel_figures(pipeline: WorkerConfig) -> dict[expected.Group, tuple[float, float]]:
    """Per day and group, the panel's mean and p90 (every direction)."""
    figures: dict[expected.Group, tuple[float, float]] = {}
    for r in pipeline_rows(pipeline, panel_query()):
        day = datetime.fromisoformat(str(r["time"]).replace("Z", "+00:00")).astimezone(TZ)
        key = (day.date().isoformat(), r["teu_category"], r["laden"])
        figures[key] = (
            round(float(r["mean"]), expected.PLACES),
            round(float(r["p90"]), expected.PLACES),
        )
    return figures


def longest(worker: Worker, ready_within: float = 60) -> list[dict[str, Any]]:
    """``dwell_longest`` of the worker's ``/status`` at the expected file's clock, once it
    is ready (a rebalance makes it answer 503 for a moment)."""
    deadline = time.monotonic() + ready_within
    while True:
        response = requests.get(f"{worker.url}/status", params=expected.STATUS_QUERY, timeout=5)
        if response.status_code != 503 or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    response.raise_for_status()
    return expected.longest(response.json()["dwell_longest"])


def test_the_dwell_of_a_hand_checked_recording(pipeline: WorkerConfig, tmp_path: Path) -> None:
    want = expected.expected_dwells()
    with running_worker(pipeline, tmp_path / "worker") as worker:
        replay(pipeline, expected.RECORDING)
        seen: list[list[expected.Dwell]] = []

        def arrived() -> bool:
            seen.append(stored(pipeline))
            return seen[-1] == want

        try:
            wait_for(arrived, 120, f"{len(want)} container_dwell points")
        except AssertionError:
            last = seen[-1] if seen else []
            raise AssertionError(
                f"points missing: {sorted(set(want) - set(last))}, "
                f"not expected: {sorted(set(last) - set(want))}"
            ) from None

        # The README's query: outbound only, InfluxQL's percentile (its rank rounded).
        outbound = expected.expected_daily(influxql=True, outbound=True)
        assert expected.daily_rows(pipeline_rows(pipeline, readme_query()), REF) == outbound
        # The overview's dwell panel: every direction, mean and p90.
        daily = expected.expected_daily(influxql=True)
        figures = {key: (m, p90) for key, (_, m, p90) in daily.items()}
        assert panel_figures(pipeline) == figures

        want_longest = expected.expected_longest()
        listed: list[list[dict[str, Any]]] = []

        def listed_right() -> bool:
            listed.append(longest(worker))
            return listed[-1] == want_longest

        try:
            wait_for(listed_right, 60, "the open visits in /status dwell_longest")
        except AssertionError:
            raise AssertionError(
                f"dwell_longest {listed[-1] if listed else None}, expected {want_longest}"
            ) from None

        # Replayed again: every start and end is its box's last one, nothing changes. The
        # day facts of the second pass (dropped as duplicates) show the worker has read
        # it; the figures are then watched for a while.
        before = container_duplicates(pipeline)
        replay(pipeline, expected.RECORDING)
        wait_for(
            lambda: container_duplicates(pipeline) >= before + COUNTED,
            90,
            "every counted move of the second replay dropped as a duplicate",
        )
        deadline = time.monotonic() + HOLD
        while True:
            assert stored(pipeline) == want, "the second replay changed the container_dwell points"
            assert expected.daily_rows(pipeline_rows(pipeline, readme_query()), REF) == outbound
            assert panel_figures(pipeline) == figures
            assert longest(worker) == want_longest
            if time.monotonic() > deadline:
                break
            time.sleep(1)
