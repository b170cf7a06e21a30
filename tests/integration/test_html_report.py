"""``lugang report --html`` end to end: a worker counts a replayed week, the report page is
built from its /status and the InfluxDB points, and headless Chromium renders it."""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
from datetime import date, datetime
from pathlib import Path

import pytest

from dashboards.report.command import html_report_command
from dashboards.report.data import ReportData, ReportError, report_data
from entrypoints.embedded import free_port
from lugang.contract import InvalidEvent, TrainEvent, parse_event
from lugang.reference import default_reference
from lugang.settings import Settings
from producers.records import read_recording
from tests.charts import charts, linked_urls, marks
from tests.in_process import exceptions_of, without_live_gaps
from tests.integration.test_stream import DATA, WEEK, WEEK_RUNS, WEEK_TEU, replay
from tests.integration.workers import Worker, WorkerConfig, running_worker, wait_for
from tests.png import read_png

AS_OF = date(2026, 3, 15)
INSTALL = "deploy/local/install-chromium.sh (apt-get install -y chromium fonts-wqy-microhei)"
CHARTS = (
    "trains", "teu-categories", "reefer", "tonnage", "runs-by-corridor", "balance",
    "daily-service", "daily-runs", "daily-teu", "cumulative", "transit",
)  # fmt: skip
# Root needs --no-sandbox; the network flags keep Chromium from calling out (no network here).
HEADLESS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
)  # fmt: skip
# Colours the page paints only inside its charts and header (dashboards/report/style.py).
BEHIND = (0xCF, 0x22, 0x2E)  # bars of a count behind its pro-rata target
SERVED = (0x1A, 0x7F, 0x37)  # 天天班 calendar: a served day
MISSED = (0xF5, 0xB8, 0xB3)  # 天天班 calendar: a missed day
NOT_COUNTED = (0xE6, 0xE9, 0xED)  # 天天班 calendar: a day before the first day with data
RAIL_SEA = (0x09, 0x69, 0xDA)  # rail-sea bars (per corridor, TEU per day)
HEADER = (0x0B, 0x25, 0x45)


def chromium() -> str:
    """The Chromium binary; fails (never skips) when it is missing."""
    found = os.environ.get("LUGANG_CHROMIUM_BIN") or shutil.which("chromium")
    if not found or not os.access(found, os.X_OK):
        pytest.fail(
            f"Chromium is missing: run {INSTALL}, or set LUGANG_CHROMIUM_BIN", pytrace=False
        )
    return found


def browse(page: Path, profile: Path, *options: str) -> subprocess.CompletedProcess[str]:
    """Run headless Chromium on a file with a fresh profile, as root can."""
    return subprocess.run(
        [chromium(), *HEADLESS, f"--user-data-dir={profile}", *options, page.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def week_transits() -> dict[str, float]:
    """Train id -> hours of each outbound run of the week that also arrived in it."""
    reference = default_reference()
    departed: dict[str, datetime] = {}
    hours: dict[str, float] = {}
    for record in read_recording(DATA / "week.jsonl"):
        try:
            event = parse_event(record.topic, record.value)
        except InvalidEvent:
            continue
        if not isinstance(event, TrainEvent) or event.direction != "OUTBOUND":
            continue
        if event.event_type == "DEPA" and event.location == reference.home.location:
            departed[event.train_id] = event.event_time
        elif event.event_type == "ARRI" and event.train_id in departed:
            hours[event.train_id] = (
                event.event_time - departed[event.train_id]
            ).total_seconds() / 3600
    return hours


def test_the_report_page_of_a_replayed_week_renders_in_chromium(
    any_pipeline: WorkerConfig, tmp_path: Path
) -> None:
    """On InfluxDB 1.12, then on compose's 2.7."""
    chromium()  # before the replay: a missing browser fails at once, naming the install
    pipeline = any_pipeline
    with running_worker(pipeline, tmp_path / "worker") as worker:
        replay(pipeline, DATA / "week.jsonl")
        report_of_the_week(pipeline, worker, tmp_path)


def report_of_the_week(pipeline: WorkerConfig, worker: Worker, tmp_path: Path) -> None:
    database, _, retention = pipeline.influx_bucket.partition("/")
    transits = week_transits()
    exceptions = exceptions_of(DATA / "week.jsonl")

    def complete() -> ReportData | None:
        data = report_data(
            worker.url,
            pipeline.influx_url,
            database,
            AS_OF,
            "year",
            retention=retention,
            token=pipeline.influx_token,
            reference=default_reference(),
        )
        daily = data.daily or {}
        totals = (
            sum(d["runs"] for d in daily.values()),
            sum(d["teu"] for d in daily.values()),
            data.status["year_to_date"]["train_runs"],
            data.status["year_to_date"]["teu"],
        )
        stored = {e["exception_id"]: e["status"] for e in data.exceptions or []}
        ready = (
            totals == (WEEK_RUNS, WEEK_TEU, WEEK_RUNS, WEEK_TEU)
            and {t["train_id"] for t in data.transit or []} == set(transits)
            and without_live_gaps(stored, exceptions, DATA / "week.jsonl") == exceptions
        )
        return data if ready else None

    data = wait_for(complete, 240, "the week's totals, transits and exceptions")
    assert (WEEK_RUNS, WEEK_TEU) == (10, 988)  # tests/data/week.expected.json
    assert transits, "the week should have measured transit times"
    for run in data.transit or []:
        assert run["hours"] == pytest.approx(transits[run["train_id"]])
    for day, figures in WEEK["days"].items():
        assert data.daily and data.daily[day]["teu"] == sum(figures["teu"].values())

    report = tmp_path / "report.html"
    args = argparse.Namespace(
        url=worker.url,
        date=AS_OF,
        period="year",
        influx_url=pipeline.influx_url,
        influx_bucket=pipeline.influx_bucket,
        html=report,
    )
    token = pipeline.influx_token or Settings().influx_token.get_secret_value()
    assert html_report_command(args, default_reference(), token) == 0
    text = report.read_text(encoding="utf-8")
    assert "http://" not in text and "https://" not in text and linked_urls(text) == []

    # The DOM as Chromium built it: every chart, with marks drawn from the week's figures.
    dumped = browse(report, tmp_path / "profile-dom", "--dump-dom")
    assert dumped.returncode == 0, dumped.stderr[-2000:]
    found = charts(dumped.stdout)
    assert set(found) == set(CHARTS)
    for name in CHARTS:
        assert [e for e in found[name] if e["tag"] in {"rect", "path", "circle"}], name
    assert [float(e["data-value"]) for e in marks(found["trains"], "bar")] == [10]
    assert sum(float(e["data-value"]) for e in marks(found["daily-teu"], "bar")) == 988
    assert sum(float(e["data-value"]) for e in marks(found["daily-runs"], "bar")) == 10
    assert sum(float(e["data-value"]) for e in marks(found["runs-by-corridor"], "bar")) == 10
    assert [e["data-value"] for e in marks(found["cumulative"], "series")] == ["10"]
    assert len(marks(found["daily-service"], "day")) == 2 * 74  # two groups, Jan 1 – Mar 15
    # Counted from the week's first day (9 March): Jan 1 – Mar 8 are not counted, not missed
    # (the page said 71 and 73 days missed when it counted from 1 January).
    assert len(marks(found["daily-service"], "not_counted")) == 2 * 67
    assert len(marks(found["daily-service"], "missed")) == 4 + 6  # rail-sea 9, 11, 13, 14
    assert ">report due 2027-01-15<" in dumped.stdout
    assert len(marks(found["transit"], "run")) == len(transits)
    assert ">10 runs<" in dumped.stdout and ">988<" in dumped.stdout
    for exception_id in exceptions:
        assert exception_id.split(":")[0] in dumped.stdout

    # The screenshot: a real picture, with the charts' colours painted in it.
    shot = tmp_path / "report.png"
    taken = browse(
        report, tmp_path / "profile-shot", f"--screenshot={shot}", "--window-size=1400,3000"
    )
    assert taken.returncode == 0 and shot.exists(), taken.stderr[-2000:]
    image = read_png(shot)
    assert (image.width, image.height) == (1400, 3000)
    colours = image.colours()
    assert len(colours) > 200, f"a blank page? {colours.most_common(5)}"
    for name, colour, at_least in (
        ("header", HEADER, 50_000),
        ("bars behind pro-rata", BEHIND, 2_000),
        ("served days", SERVED, 500),
        ("missed days", MISSED, 4_000),
        ("days not counted", NOT_COUNTED, 40_000),
        ("rail-sea bars", RAIL_SEA, 2_000),
    ):
        assert colours[colour] >= at_least, f"{name}: {colours[colour]} pixels of {colour}"


def test_report_data_names_what_cannot_be_read(worker: Worker, pipeline: WorkerConfig) -> None:
    closed = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(ReportError, match=r"cannot reach the worker at .*(lugang worker)"):
        report_data(closed, None, "lugang", AS_OF, "year", reference=default_reference())
    with pytest.raises(ReportError, match=r"cannot reach InfluxDB at .*LUGANG_INFLUX_URL"):
        report_data(worker.url, closed, "lugang", AS_OF, "year", reference=default_reference())
    with pytest.raises(ReportError, match=r"database not found"):
        report_data(
            worker.url,
            pipeline.influx_url,
            "no_such_database",
            AS_OF,
            "month",
            reference=default_reference(),
        )
