"""What a benchmark says of a worker that stalls (bench/diagnosis.py, bench/pipeline.py)."""

from __future__ import annotations

import argparse
from pathlib import Path

from bench import diagnosis
from bench.pipeline import Figures, _detail_lines


def test_notable_gives_the_last_warnings_without_connection_noise(tmp_path: Path) -> None:
    log = tmp_path / "worker.log"
    log.write_text(
        "[2026-12-04 05:05:24,524] [1] [INFO] started\n"
        "[2026-12-04 05:05:25,000] [1] [WARNING] Unable connect to node with id 1\n"
        "[2026-12-04 05:05:26,000] [1] [WARNING] Timer commit is overlapping\n"
        "[2026-12-04 05:05:27,000] [1] [ERROR] points: InfluxDB refused\n"
        "[2026-12-04 05:05:28,000] [1] [INFO] still here\n"
    )
    assert diagnosis.notable(log).splitlines() == [
        "[2026-12-04 05:05:26,000] [1] [WARNING] Timer commit is overlapping",
        "[2026-12-04 05:05:27,000] [1] [ERROR] points: InfluxDB refused",
        "last line: [2026-12-04 05:05:28,000] [1] [INFO] still here",
    ]


def test_a_worker_that_does_not_answer_has_unknown_metrics() -> None:
    assert diagnosis.lag_lines("http://127.0.0.1:9").startswith("unknown (")


def test_a_failed_measurement_prints_its_whole_report() -> None:
    """The first line beside the measurement's name, the stall report indented below."""
    why = "g: 231,810 of 299,697 committed after 480 s\n--- two #0\nwhere its tasks wait:"
    args = argparse.Namespace(alert_rate=2000, reefers=10_000)
    lines = _detail_lines(Figures(), args, {"end to end, two workers": why})
    assert lines[-3:] == [
        "  failed: end to end, two workers: g: 231,810 of 299,697 committed after 480 s",
        "    --- two #0",
        "    where its tasks wait:",
    ]
