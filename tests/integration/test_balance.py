"""Two-way balance per corridor on the real servers: the hand-checked recording
``tests/data/balance.jsonl`` replayed to Kafka and counted by a real worker. Its ``/status``
and its ``corridor_balance_daily`` points in InfluxDB (1.12, and 2.7 as compose ships) match
``balance.expected.json``; the overview's balance panels read them; a second replay changes
nothing (``tests/unit/test_balance_recording.py`` checks the same in process)."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path

from dashboards import build
from dashboards.overview import BALANCE_FIELDS
from lugang.links import OVERVIEW_UID
from lugang.reference import default_reference
from streams.schema import points
from tests import balance_expected as expected
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
FIRST_DAY, LAST_DAY = min(expected.EXPECTED["teu"]), expected.AS_OF
WRITTEN_DAYS = (date.fromisoformat(LAST_DAY) - date.fromisoformat(FIRST_DAY)).days + 1
"""Days the worker writes balance points for: every day from the first with a move to the
last (zeros on the days between)."""
MOVES = 12
"""Records of the recording the day totals count, or drop as duplicates: 11 counted moves
and one of them sent twice (the far-end discharge and the gate in are no day facts)."""


def stored(pipeline: WorkerConfig) -> dict[expected.Key, dict[str, float]]:
    """Every corridor_balance_daily point in InfluxDB, keyed as the expectations are."""
    found = pipeline_rows(
        pipeline, 'SELECT * FROM "corridor_balance_daily" GROUP BY "corridor", "period"'
    )
    tags = ("time", "corridor", "period")
    written = [
        (
            datetime.fromisoformat(r["time"].replace("Z", "+00:00")),
            {"corridor": r["corridor"], "period": r["period"]},
            {k: v for k, v in r.items() if k not in tags},
        )
        for r in found
    ]
    return expected.written(written, REF)


def day_teu(worker: Worker) -> dict[str, float]:
    return {day: worker.status(day)["today"]["teu"] for day in expected.EXPECTED["teu"]}


def panel_figures(pipeline: WorkerConfig, corridor: str) -> dict[str, float | None]:
    """The overview's balance panel of ``corridor`` as Grafana asks it in the recording's
    year (its time range is the year to date)."""
    board = json.loads(build.rendered(REF)[f"{build.JSON_DIR}/{OVERVIEW_UID}.json"])
    (panel,) = [p for p in board["panels"] if p["title"].startswith(f"{corridor} ")]
    (target,) = panel["targets"]
    year = date.fromisoformat(LAST_DAY).year
    start = datetime(year, 1, 1, tzinfo=TZ)
    end = datetime(year + 1, 1, 1, tzinfo=TZ) - timedelta(milliseconds=1)
    millis = [int(t.timestamp() * 1000) for t in (start, end)]
    query = target["query"].replace(
        "$timeFilter", f"time >= {millis[0]}ms and time <= {millis[1]}ms"
    )
    (row,) = pipeline_rows(pipeline, query)
    return {name: row[name] for _, name, _ in BALANCE_FIELDS}


def test_the_balance_of_a_hand_checked_recording(
    any_pipeline: WorkerConfig, tmp_path: Path
) -> None:
    pipeline = any_pipeline
    want_points = expected.expected_points(REF)
    with running_worker(pipeline, tmp_path / "worker") as worker:
        replay(pipeline, expected.RECORDING)
        wait_for(lambda: day_teu(worker) == expected.EXPECTED["teu"], 120, "the day TEU in /status")

        for (day, period), want in expected.status_balances().items():
            assert expected.status_balance(worker.status(day), period) == want, (day, period)

        seen: list[dict[expected.Key, dict[str, float]]] = []

        def arrived() -> bool:
            seen.append(stored(pipeline))
            return {key: seen[-1].get(key) for key in want_points} == want_points

        try:
            wait_for(arrived, 120, "the balance points in InfluxDB")
        except AssertionError:
            last = seen[-1] if seen else {}
            wrong = {k: (last.get(k), v) for k, v in want_points.items() if last.get(k) != v}
            raise AssertionError(f"points (stored, expected) that differ: {wrong}") from None
        # One point per corridor, period and day, every day written (explicit zeros).
        counts = pipeline_rows(
            pipeline,
            'SELECT count("inbound_teu") FROM "corridor_balance_daily" '
            'GROUP BY "corridor", "period"',
        )
        assert len(counts) == len(REF.corridors) * len(points.BALANCE_PERIODS)
        assert {r["count"] for r in counts} == {WRITTEN_DAYS}

        # The wall screen's panels: year to date, ratio and shares in percent.
        qzh, vte = (
            expected.EXPECTED["year_to_date"]["HHW-QZH"],
            expected.EXPECTED["year_to_date"]["HHW-VTE"],
        )
        assert panel_figures(pipeline, "HHW-QZH") == {
            "进 in TEU": qzh["inbound"]["teu"],
            "出 out TEU": qzh["outbound"]["teu"],
            "均衡 balance": qzh["balance_ratio"] * 100,
            "进空箱 in empty": qzh["inbound"]["empty_share"] * 100,
            "出空箱 out empty": qzh["outbound"]["empty_share"] * 100,
        }
        assert panel_figures(pipeline, "HHW-VTE")["均衡 balance"] == vte["balance_ratio"] * 100
        assert panel_figures(pipeline, "KHN-HHW") == {
            "进 in TEU": 0.0,
            "出 out TEU": 0.0,
            "均衡 balance": None,
            "进空箱 in empty": None,
            "出空箱 out empty": None,
        }

        # Replayed again: every counted move is a duplicate, and no figure moves.
        wait_for(lambda: container_duplicates(pipeline) == 1, 60, "the LOAD sent twice")
        replay(pipeline, expected.RECORDING)
        wait_for(
            lambda: container_duplicates(pipeline) >= 1 + MOVES,
            90,
            "every counted move of the second replay dropped as a duplicate",
        )
        assert {key: stored(pipeline).get(key) for key in want_points} == want_points
        for (day, period), want in expected.status_balances().items():
            assert expected.status_balance(worker.status(day), period) == want, (day, period)
