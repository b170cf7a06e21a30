"""What a benchmark says of a worker that stalls (bench/diagnosis.py, bench/pipeline.py)."""

from __future__ import annotations

import argparse
import signal
import subprocess
from pathlib import Path
from typing import cast

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


class _Worker:
    """A worker process that answers SIGUSR1 and SIGUSR2 as Lugang's does, in its log."""

    def __init__(self, log: Path) -> None:
        self.log = log

    def poll(self) -> int | None:
        return None

    def send_signal(self, number: int) -> None:
        with self.log.open("a") as out:
            if number == signal.SIGUSR1:
                out.write(
                    'File "/x/streams/faustfix/drain.py", line 90, in drain_messages\n'
                    "    async for tp, message in ait:\n"
                    'File "/x/faust/agents/agent.py", line 694, in _execute_actor\n'
                )
            else:
                out.write(
                    "--- suspended frames (2) ---\n"
                    "/x/streams/faustfix/take.py:79 _Intake.batch <- wait_for\n"
                    "aiokafka/conn.py:521 AIOKafkaConnection._read <- readexactly\n"
                    "--- partitions\n"
                    "t.reefer[1] read 50870 committed 375; movements: next 50871\n"
                    "--- end of suspended frames ---\n"
                )


def test_where_a_worker_waits_has_its_tasks_frames_and_partitions(tmp_path: Path) -> None:
    log = tmp_path / "worker.log"
    log.write_text("started\n")
    worker = cast(subprocess.Popen[bytes], _Worker(log))
    assert diagnosis.stacks(worker, log, settle_s=0).splitlines() == [
        'File "/x/streams/faustfix/drain.py", line 90, in drain_messages'
        " | async for tp, message in ait:",
        "suspended in Lugang's code:",
        "/x/streams/faustfix/take.py:79 _Intake.batch <- wait_for",
        "--- partitions",
        "t.reefer[1] read 50870 committed 375; movements: next 50871",
        "--- end of suspended frames ---",
    ]
