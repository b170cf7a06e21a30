"""The stream worker end to end on the real Kafka, InfluxDB and Alertmanager."""

from __future__ import annotations

import json
import random
import signal
import threading
from collections import Counter
from collections.abc import Callable
from contextlib import suppress
from datetime import UTC, date, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from entrypoints.cli import main
from lugang.contract import (
    DeadLetter,
    InvalidEvent,
    exception_id,
    parse_event,
)
from producers.records import Record, read_recording, write_recording
from tests.in_process import exceptions_of, without_live_gaps
from tests.integration.kafka_read import read_topic
from tests.integration.servers import WebhookReceiver, run_script
from tests.integration.workers import (
    Worker,
    WorkerConfig,
    influx_rows,
    running_worker,
    stall_report,
    wait_for,
)

DATA = Path(__file__).resolve().parents[1] / "data"
CONTAINERS = {"CAIU2000022", "TGHU1000018"}  # the reefers of coldchain.jsonl
WEEK = json.loads((DATA / "week.expected.json").read_text())
WEEK_RUNS = sum(sum(d["train_runs"].values()) for d in WEEK["days"].values())
WEEK_TEU = sum(sum(d["teu"].values()) for d in WEEK["days"].values())


def replay(pipeline: WorkerConfig, recording: Path, speed: str = "max") -> None:
    args = ["--bootstrap", pipeline.bootstrap, "--topic-prefix", pipeline.prefix]
    assert main(["replay", str(recording), *args, "--speed", speed]) == 0


def ytd(worker: Worker, day: str) -> tuple[int, float] | None:
    figures = worker.status(day)["year_to_date"]
    return figures["train_runs"], figures["teu"]


def expect_week_totals(worker: Worker, pipeline: WorkerConfig) -> None:
    want = (WEEK_RUNS, WEEK_TEU)
    seen: list[tuple[int, float] | None] = []

    def reached() -> bool:
        seen.append(ytd(worker, "2026-03-15"))
        return seen[-1] == want

    try:
        wait_for(reached, 120, f"YTD {want} in /status")
    except AssertionError as exc:
        raise AssertionError(
            f"{exc}; the last YTD seen was {seen[-1:]}\n{stall_report(worker, pipeline)}"
        ) from None
    status = worker.status("2026-03-10")
    assert status["today"]["train_runs"] == sum(WEEK["days"]["2026-03-10"]["train_runs"].values())
    want_runs = {d: v["train_runs"] for d, v in WEEK["days"].items() if v["train_runs"]}
    # The points follow the totals through the points topic and its agent: wait for them.
    written: list[dict[str, dict[str, int]]] = []

    def arrived() -> bool:
        written.append(_daily_runs(pipeline))
        return written[-1] == want_runs

    with suppress(AssertionError):
        wait_for(arrived, 60, "the daily runs in InfluxDB")
    assert written[-1] == want_runs


def _daily_runs(pipeline: WorkerConfig) -> dict[str, dict[str, int]]:
    """Train runs per local day and corridor/direction, as written to InfluxDB."""
    runs = influx_rows(
        pipeline.influx_url,
        pipeline.influx_bucket,
        "SELECT runs FROM train_runs_daily WHERE runs > 0 GROUP BY corridor, direction",
    )
    got: dict[str, dict[str, int]] = {}
    for row in runs:
        # The point of a day is at its local midnight: 16:00Z the day before.
        local = (date.fromisoformat(row["time"][:10]) + timedelta(days=1)).isoformat()
        got.setdefault(local, {})[f"{row['corridor']}/{row['direction']}"] = row["runs"]
    return got


def test_replaying_a_week_gives_the_hand_checked_totals(
    pipeline: WorkerConfig, worker: Worker
) -> None:
    replay(pipeline, DATA / "week.jsonl")
    expect_week_totals(worker, pipeline)

    def health() -> tuple[int, int]:
        rows = influx_rows(
            pipeline.influx_url,
            pipeline.influx_bucket,
            'SELECT sum("events") AS "events", sum("dead_letters") AS "dead" FROM "pipeline"',
        )
        return (rows[0]["events"], rows[0]["dead"]) if rows else (0, 0)

    # The worker reports its own health every 10 s: every record it read (replay itself
    # dead-letters the malformed ones, so they never reach the worker).
    sent = WEEK["records"] - WEEK["dead_letters"]
    wait_for(lambda: health()[0] == sent, 40, f"{sent} records in the pipeline health")


def duplicated_and_shuffled(source: Path, target: Path, lateness_min: float = 9.5) -> None:
    """Every record twice, each copy moved by up to the lateness of event time."""
    rng = random.Random(5)
    records = list(read_recording(source)) * 2
    keyed = [
        (r.timestamp_ms + int(rng.uniform(0, lateness_min) * 60_000), n, r)
        for n, r in enumerate(records)
    ]
    shuffled: list[Record] = [r for _, _, r in sorted(keyed, key=lambda k: (k[0], k[1]))]
    with target.open("wb") as out:
        write_recording(shuffled, out)


def test_duplicated_and_shuffled_events_give_the_same_totals_and_exceptions(
    pipeline: WorkerConfig, worker: Worker, tmp_path: Path
) -> None:
    shuffled = tmp_path / "shuffled.jsonl"
    duplicated_and_shuffled(DATA / "week.jsonl", shuffled)
    replay(pipeline, shuffled)
    expect_week_totals(worker, pipeline)
    want = exceptions_of(DATA / "week.jsonl")
    try:
        wait_for(lambda: seen(pipeline, want, shuffled) == want, 120, f"the exceptions {want}")
    except AssertionError as exc:
        raise AssertionError(f"{exc}; stored {stored_exceptions(pipeline)}") from None


def dead_letters(pipeline: WorkerConfig) -> list[DeadLetter]:
    topic = pipeline.prefix + "deadletter"
    return [DeadLetter.model_validate_json(v) for _, v in read_topic(pipeline.bootstrap, topic)]


REEFER_DUPLICATES = (
    'SELECT sum("count") FROM pipeline_quality '
    "WHERE \"topic\" = 'reefer' AND \"finding\" = 'duplicate'"
)


def reefer_duplicates(pipeline: WorkerConfig) -> int:
    """Readings dropped quietly as duplicates so far (data-quality view, all workers)."""
    rows = influx_rows(pipeline.influx_url, pipeline.influx_bucket, REEFER_DUPLICATES)
    return int(rows[0]["sum"]) if rows else 0


def valid_readings(recording: Path) -> int:
    """Readings of ``recording`` the worker takes (valid, keyed by their container)."""
    count = 0
    for record in read_recording(recording):
        if record.topic != "reefer":
            continue
        try:
            event = parse_event(record.topic, record.value)
        except InvalidEvent:
            continue
        count += record.key == event.entity_key
    return count


def ytd_of(expected: dict[str, Any]) -> tuple[str, tuple[int, float]]:
    """The last day of an expected file and the year-to-date runs and TEU on it."""
    days = expected["days"]
    runs = sum(sum(d["train_runs"].values()) for d in days.values())
    return max(days), (runs, float(sum(sum(d["teu"].values()) for d in days.values())))


@pytest.mark.parametrize("name", ["unhappy", "week"])
def test_replaying_a_recording_twice_changes_nothing(
    name: str, pipeline: WorkerConfig, worker: Worker, webhook: WebhookReceiver
) -> None:
    """Domain §5 (issue 9): a recording replayed a second time into the same running worker
    changes no total, opens no exception, pages nothing new, and dead-letters nothing but
    the malformed records again (every reading is a duplicate, one that was late the first
    time included). ``unhappy.jsonl`` holds one case of each unhappy path of issue 9."""
    recording = DATA / f"{name}.jsonl"
    last_day, totals = ytd_of(json.loads((DATA / f"{name}.expected.json").read_text()))
    app = f"{pipeline.prefix}app"
    replay(pipeline, recording)
    wait_for(lambda: ytd(worker, last_day) == totals, 120, f"YTD {totals} on {last_day}")
    want = exceptions_of(recording)
    wait_for(lambda: seen(pipeline, want, recording) == want, 120, f"the exceptions {want}")
    first_letters = dead_letters(pipeline)
    duplicates = reefer_duplicates(pipeline)
    heard = drain(webhook)

    second = datetime.now(UTC)
    replay(pipeline, recording)
    taken = valid_readings(recording)
    wait_for(
        lambda: reefer_duplicates(pipeline) >= duplicates + taken,
        90,
        "every reading of the second replay counted as a duplicate",
    )
    assert ytd(worker, last_day) == totals
    assert seen(pipeline, want, recording) == want
    again = [letter for letter in dead_letters(pipeline) if letter.dead_lettered_at >= second]
    malformed = [r.reason for r in first_letters if not r.reason.startswith("late:")]
    assert sorted(r.reason for r in again) == sorted(malformed)
    firing_before = {a["labels"].get("exception_id") for a in heard if a["status"] == "firing"}
    firing_after = {
        a["labels"].get("exception_id")
        for a in drain(webhook)
        if a["labels"].get("lugang") == app and a["status"] == "firing"
    }
    assert firing_after <= firing_before | {e for e, s in want.items() if s == "OPEN"}


def drain(webhook: WebhookReceiver) -> list[dict[str, Any]]:
    """Every alert of the notifications received so far."""
    alerts: list[dict[str, Any]] = []
    while not webhook.notifications.empty():
        alerts += webhook.notifications.get()["alerts"]
    return alerts


def test_an_excursion_fires_and_resolves_and_29_minutes_fire_nothing(
    pipeline: WorkerConfig, worker: Worker, webhook: WebhookReceiver
) -> None:
    # 10 minutes of event time a second: the page fires (09:00) seconds before it resolves
    # (09:25), as it would live; Alertmanager says nothing of an alert that was resolved
    # before it was ever notified.
    replay(pipeline, DATA / "coldchain.jsonl", speed="600")

    def closed() -> list[dict[str, Any]]:
        return influx_rows(
            pipeline.influx_url,
            pipeline.influx_bucket,
            "SELECT * FROM coldchain_exception GROUP BY *",
        )

    rows = wait_for(
        lambda: [r for r in closed() if r["status"] == "CLOSED"], 60, "a closed exception"
    )
    expected = json.loads((DATA / "coldchain.expected.json").read_text())["exceptions"]
    assert [(r["exception_id"], r["duration_s"]) for r in rows] == [
        (e["exception_id"], e["duration_s"]) for e in expected
    ]
    heard: list[dict[str, Any]] = []

    def resolved() -> bool:
        heard.extend(a for a in drain(webhook) if a["labels"].get("container") in CONTAINERS)
        return any(a["status"] == "resolved" for a in heard)

    wait_for(resolved, 30, "the resolved notification")
    assert {(a["labels"]["exception_id"], a["status"]) for a in heard} == {
        (expected[0]["exception_id"], "firing"),
        (expected[0]["exception_id"], "resolved"),
    }  # and nothing for TGHU1000018's 29 minutes


def stored_exceptions(pipeline: WorkerConfig) -> dict[str, str]:
    """Exception id -> status, as the worker wrote them to InfluxDB."""
    rows = influx_rows(
        pipeline.influx_url,
        pipeline.influx_bucket,
        "SELECT status FROM coldchain_exception GROUP BY exception_id",
    )
    return {r["exception_id"]: r["status"] for r in rows}


def seen(pipeline: WorkerConfig, want: dict[str, str], recording: Path) -> dict[str, str]:
    """The exceptions stored, less a closed live gap the replay of ``recording`` may have
    shown the worker (it caught up where a unit's readings lag its partition's)."""
    return without_live_gaps(stored_exceptions(pipeline), want, recording)


def test_a_worker_killed_mid_replay_and_restarted_counts_everything_once(
    pipeline: WorkerConfig, tmp_path: Path, webhook: WebhookReceiver
) -> None:
    first = Worker(pipeline, tmp_path / "first")
    replaying = threading.Thread(
        target=replay,
        args=(pipeline, DATA / "week.jsonl", "150000"),  # about 4 s
    )
    replaying.start()
    try:
        wait_for(lambda: (ytd(first, "2026-03-15") or (0, 0))[1] > 0, 60, "the first TEU")
        first.stop(signal.SIGKILL)
        # A new data folder: the second worker restores every table from its changelog.
        with running_worker(pipeline, tmp_path / "second") as second:
            replaying.join()
            expect_week_totals(second, pipeline)
            want = exceptions_of(DATA / "week.jsonl")
            assert want, "the week should have cold-chain exceptions"

            week = DATA / "week.jsonl"
            wait_for(lambda: seen(pipeline, want, week) == want, 120, f"the exceptions {want}")
    finally:
        first.stop(signal.SIGKILL)
        replaying.join()
    app = f"{pipeline.prefix}app"
    firing = Counter(
        a["labels"]["exception_id"]
        for a in drain(webhook)
        if a["labels"].get("lugang") == app
        and a["status"] == "firing"
        and "exception_id" in a["labels"]  # not 天天班 at risk, paged past the warning hour
    )
    assert all(n == 1 for n in firing.values()), firing


def test_every_point_arrives_when_influxdb_stops_during_a_replay(
    kafka_bootstrap: str,
    alertmanager_url: str,
    unique_name: Callable[[str], str],
    own_influx: dict[str, str],
    tmp_path: Path,
) -> None:
    url = f"http://127.0.0.1:{own_influx['LUGANG_INFLUX_PORT']}"
    pipeline = WorkerConfig(
        kafka_bootstrap, unique_name("p") + ".", url, "lugang/autogen", alertmanager_url
    )
    with running_worker(pipeline, tmp_path / "worker") as worker:
        replaying = threading.Thread(
            target=replay,
            args=(pipeline, DATA / "week.jsonl", "100000"),  # about 6 s
        )
        replaying.start()
        wait_for(lambda: (ytd(worker, "2026-03-15") or (0, 0))[1] > 0, 60, "the first TEU")
        run_script("stop-influxdb", own_influx)
        replaying.join()  # the rest of the week goes in while InfluxDB is down
        run_script("start-influxdb", {**own_influx, "LUGANG_INFLUX_KEEP_DATA": "1"})
        expect_week_totals(worker, pipeline)


def test_a_silent_reefer_pages_while_silent_and_resolves_when_it_reports(
    pipeline: WorkerConfig, webhook: WebhookReceiver, tmp_path: Path
) -> None:
    """Live: a unit on watch that stops reporting gets a TELEMETRY_GAP from the timer,
    judged against its partition's event time (here with a 1-minute gap rule, so the test
    does not wait 30), before any new reading; the next reading closes it."""
    packaged = resources.files("lugang").joinpath("reference.toml").read_text(encoding="utf-8")
    quick = tmp_path / "reference.toml"
    quick.write_text(packaged.replace("telemetry_gap_minutes = 30", "telemetry_gap_minutes = 1"))
    container = "MSKU9070323"
    now = datetime.now(UTC).replace(microsecond=0)
    start = now - timedelta(minutes=5)
    load = {
        "event_id": "live-load", "event_type": "LOAD", "equipment_reference": container,
        "iso_equipment_code": "45R1", "empty_indicator": "LADEN", "train_id": "LIVE1",
        "corridor": "HHW-QZH", "direction": "OUTBOUND", "location": "HHW",
        "event_time": start.isoformat(), "commodity": "citrus",
    }  # fmt: skip

    def reading(n: int, at: datetime) -> Record:
        value = {
            "event_id": f"live-{n}", "equipment_reference": container,
            "reading_time": at.isoformat(), "setpoint_c": 6.0, "supply_air_c": 6.2,
            "power_on": True,
        }  # fmt: skip
        return Record.of_json("reefer", container, value, int(at.timestamp() * 1000))

    before = [reading(n, start + timedelta(seconds=30 * n)) for n in range(11)]  # to now
    recording = tmp_path / "live.jsonl"
    with recording.open("wb") as out:
        write_recording([Record.of_json("containers", container, load, 0), *before], out)
    app = f"{pipeline.prefix}app"
    heard: list[dict[str, Any]] = []

    def gap(status: str) -> bool:
        heard.extend(a for a in drain(webhook) if a["labels"].get("lugang") == app)
        return any(
            a["labels"].get("kind") == "TELEMETRY_GAP" and a["status"] == status for a in heard
        )

    with running_worker(pipeline, tmp_path / "worker", "--reference", str(quick)):
        replay(pipeline, recording)
        wait_for(lambda: gap("firing"), 150, "the live TELEMETRY_GAP page")
        with recording.open("wb") as out:
            write_recording([reading(99, datetime.now(UTC))], out)
        replay(pipeline, recording)
        wait_for(lambda: gap("resolved"), 30, "the TELEMETRY_GAP resolved")
    last_reading = start + timedelta(seconds=300)  # the gap starts at the last reading
    ids = {a["labels"]["exception_id"] for a in heard if "exception_id" in a["labels"]}
    assert ids == {exception_id(container, "TELEMETRY_GAP", last_reading)}
