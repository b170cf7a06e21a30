"""``lugang trace`` and ``lugang ack`` end to end on the real Kafka, InfluxDB and
Alertmanager (issue 13): one durian reefer's whole journey (``tests/data/journey.jsonl``)
replayed in two parts. After the first (its HIGH excursion open and paged) the page is
acknowledged: Alertmanager sends it no more, and ``/status`` and the trace name who
acknowledged it. After the second (the excursion's end, a telemetry gap, the train's
arrival at Qinzhou, the discharge there) the worker has expired the acknowledgement's
silence, and the trace tells every move, the train's run against its benchmark, each
exception with its exact start and end and who acknowledged it, and the trip's time out of
band and mean kinetic temperature, which this test computes on its own from the recording;
the HTML page renders in headless Chromium with its timeline and chart."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from entrypoints.cli import main
from producers.records import read_recording, write_recording
from streams.sinks.silences import AlertmanagerSilences
from tests.integration.servers import WebhookReceiver
from tests.integration.test_ack import alerts_of
from tests.integration.test_html_report import browse, chromium
from tests.integration.test_stream import replay
from tests.integration.workers import WorkerConfig, running_worker, wait_for

DATA = Path(__file__).resolve().parents[1] / "data"
EXPECTED = json.loads((DATA / "journey.expected.json").read_text())
BOX = EXPECTED["equipment_reference"]
HIGH = next(i for i in EXPECTED["exceptions"] if ":HIGH:" in i)
SPLIT = datetime.fromisoformat("2026-03-20T12:45:00+08:00")
"""The first part ends with the reading at 12:45, the first in band again: the worker has
settled the readings up to 12:35 (10 minutes of allowed lateness), so the HIGH from 12:00
has lasted its 30 minutes and is paged, and stays open (it ends once 10 minutes in band are
settled)."""
ACTIVATION_K = 83.144e3 / 8.314462618  # ΔH/R of durian: the default 83.144 kJ/mol


def parts(folder: Path) -> tuple[Path, Path]:
    """The recording up to :data:`SPLIT` and the rest, as two files."""
    records = list(read_recording(DATA / "journey.jsonl"))
    cut = int(SPLIT.timestamp() * 1000)
    paths = folder / "first.jsonl", folder / "second.jsonl"
    early = [r for r in records if r.timestamp_ms <= cut]
    late = [r for r in records if r.timestamp_ms > cut]
    for path, part in zip(paths, (early, late), strict=True):
        with path.open("wb") as out:
            write_recording(part, out)
    return paths


def mkt_of_the_trip() -> float:
    """The trip's mean kinetic temperature, from the recording by the USP ⟨1079⟩ formula:
    each reading held until the next (sample and hold), the last until the trip's end."""
    trip = EXPECTED["trip"]
    start, end = (datetime.fromisoformat(trip[k]) for k in ("start", "end"))
    values = [json.loads(r.value) for r in read_recording(DATA / "journey.jsonl")]
    readings = sorted(
        (datetime.fromisoformat(v["reading_time"]), float(v["supply_air_c"]))
        for v in values
        if "reading_time" in v and start <= datetime.fromisoformat(v["reading_time"]) < end
    )
    weight = total = 0.0
    for (at, celsius), (after, _) in zip(readings, [*readings[1:], (end, 0.0)], strict=True):
        seconds = (after - at).total_seconds()
        weight += seconds * math.exp(-ACTIVATION_K / (celsius + 273.15))
        total += seconds
    return ACTIVATION_K / -math.log(weight / total) - 273.15


def trace(pipeline: WorkerConfig, app: str, capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    """What ``lugang trace`` prints for the box over the journey's days."""
    urls = [
        "--influx-url", pipeline.influx_url, "--influx-bucket", pipeline.influx_bucket,
        "--alertmanager-url", pipeline.alertmanager_url, "--app-id", app,
    ]  # fmt: skip
    capsys.readouterr()
    assert main(["trace", BOX, "--from", "2026-03-19", "--to", "2026-03-22", *urls, *argv]) == 0
    return capsys.readouterr().out


def firing(webhook: WebhookReceiver, app: str) -> Iterator[dict[str, Any]]:
    """The firing cold-chain pages of ``app`` in what the webhook has received so far (not
    its other alerts: past the warning hour of the wall clock, 天天班 at risk pages too)."""
    while not webhook.notifications.empty():
        for alert in webhook.notifications.get_nowait()["alerts"]:
            labels = alert["labels"]
            ours = labels.get("lugang") == app and "exception_id" in labels
            if ours and alert["status"] == "firing":
                yield alert


def test_trace_tells_a_reefers_whole_journey_and_who_acknowledged_its_page(  # noqa: PLR0915
    pipeline: WorkerConfig,
    webhook: WebhookReceiver,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    chromium()  # before the replay: a missing browser fails at once, naming the install
    app = f"{pipeline.prefix}app"
    silences = AlertmanagerSilences(pipeline.alertmanager_url, "start it")
    first, second = parts(tmp_path)
    with running_worker(pipeline, tmp_path / "worker") as worker:
        replay(pipeline, first)

        def paged() -> bool:
            return any(a["labels"]["exception_id"] == HIGH for a in firing(webhook, app))

        wait_for(paged, 90, f"the page of {HIGH}")
        assert main(["ack", HIGH, "--by", "Li Wei", "--comment", "reefer tech called",
                     "--alertmanager-url", pipeline.alertmanager_url, "--app-id", app,
                     "--worker-url", worker.url]) == 0  # fmt: skip
        acked_at = time.monotonic()

        def suppressed() -> bool:
            alerts = alerts_of(pipeline.alertmanager_url, HIGH, app)
            return bool(alerts) and all(a["status"]["state"] == "suppressed" for a in alerts)

        wait_for(suppressed, 30, "the page silenced at Alertmanager")
        list(firing(webhook, app))  # what was sent before the silence took hold

        def acknowledged_at_status() -> dict[str, Any] | None:
            listed = worker.status("2026-03-20")["open_exceptions"]
            mine = [e for e in listed if e["exception_id"] == HIGH]
            return (mine[0].get("acknowledgement") or None) if mine else None

        ack = wait_for(acknowledged_at_status, 90, "the acknowledgement at /status")
        assert ack["by"] == "Li Wei" and ack["comment"] == "reefer tech called"
        open_trace = json.loads(trace(pipeline, app, capsys, "--json"))
        (high,) = [e for e in open_trace["exceptions"] if e["exception_id"] == HIGH]
        assert high["open"] and high["acknowledgement"]["by"] == "Li Wei"

        replay(pipeline, second)

        def complete() -> dict[str, Any] | None:
            got = json.loads(trace(pipeline, app, capsys, "--json"))
            closed = {e["exception_id"] for e in got["exceptions"] if not e["open"]}
            arrived = [t for t in got["trains"] if t["arrived"]]
            done = closed == set(EXPECTED["exceptions"]) and arrived and len(got["moves"]) == 3
            return got if done else None

        journey = wait_for(complete, 120, "the whole journey in the trace")

        def ended() -> bool:  # the worker expired the acknowledgement as the HIGH closed
            ours = [s for s in silences.all() if any(m["value"] == HIGH for m in s["matchers"])]
            return bool(ours) and all(s["status"]["state"] == "expired" for s in ours)

        wait_for(ended, 90, "the acknowledgement's silence expired on close")
        # Acknowledged, the page was never sent again while the exception stayed open.
        assert all(a["labels"]["exception_id"] != HIGH for a in firing(webhook, app)), (
            f"{HIGH} paged again after its acknowledgement ({time.monotonic() - acked_at:.0f} s)"
        )

    moves = [(m["time"], m["event_type"], m["location"]) for m in journey["moves"]]
    assert [(datetime.fromisoformat(t), kind, place) for t, kind, place in moves] == [
        (datetime.fromisoformat(t), kind, place) for t, kind, place in EXPECTED["moves"]
    ]
    (run,) = journey["trains"]
    want = EXPECTED["train"]
    assert run["train_id"] == want["train_id"]
    for key in ("departed", "arrived"):
        assert datetime.fromisoformat(run[key]) == datetime.fromisoformat(want[key]), key
    assert run["transit_h"] == pytest.approx(want["transit_h"])
    assert run["benchmark_h"] == pytest.approx(want["benchmark_h"]) and run["within_benchmark"]
    for found in journey["exceptions"]:
        expected = EXPECTED["exceptions"][found["exception_id"]]
        for key in ("start", "end"):
            assert datetime.fromisoformat(found[key]) == datetime.fromisoformat(expected[key])
        assert found["duration_s"] == expected["duration_s"]
        if expected["peak_deviation_c"] is not None:
            assert found["peak_deviation_c"] == pytest.approx(expected["peak_deviation_c"])
    (high,) = [e for e in journey["exceptions"] if e["exception_id"] == HIGH]
    assert high["acknowledgement"]["by"] == "Li Wei", "the trace keeps who acknowledged it"
    (trip,) = journey["trips"]
    for key in ("start", "end"):
        assert datetime.fromisoformat(trip[key]) == datetime.fromisoformat(EXPECTED["trip"][key])
    assert trip["out_of_band_s"] == EXPECTED["trip"]["out_of_band_s"]
    assert trip["largest_deviation_c"] == pytest.approx(EXPECTED["trip"]["largest_deviation_c"])
    assert (trip["band_low_c"], trip["band_high_c"]) == tuple(EXPECTED["band_c"])
    assert trip["mkt_c"] == pytest.approx(mkt_of_the_trip(), abs=0.01)
    assert len(journey["gaps"]) == 1 and journey["power_off"] == []

    text = trace(pipeline, app, capsys)
    assert BOX in text and "Li Wei" in text and f"{mkt_of_the_trip():.2f}" in text

    page = tmp_path / "trace.html"
    trace(pipeline, app, capsys, "--html", str(page))
    html = page.read_text(encoding="utf-8")
    assert "<script" not in html and "http://" not in html and "https://" not in html
    dumped = browse(page, tmp_path / "profile-dom", "--dump-dom")
    assert dumped.returncode == 0, dumped.stderr[-2000:]
    assert "<svg" in dumped.stdout and BOX in dumped.stdout
    for kind in ("GTIN", "LOAD", "DISC"):
        assert kind in dumped.stdout, f"the timeline lacks {kind}"
    shot = tmp_path / "trace.png"
    taken = browse(
        page, tmp_path / "profile-shot", f"--screenshot={shot}", "--window-size=1000,1400"
    )
    assert taken.returncode == 0 and shot.exists(), taken.stderr[-2000:]


def test_the_independent_mkt_is_in_the_band_and_below_the_excursion() -> None:
    """The test's own MKT is plausible: within durian's band, warmer than the setpoint."""
    assert 14.0 < mkt_of_the_trip() < 16.0
    assert timedelta(hours=27) == datetime.fromisoformat(
        EXPECTED["trip"]["end"]
    ) - datetime.fromisoformat(EXPECTED["trip"]["start"])
