"""``lugang demo``: the whole monitor on the embedded broker, with a live terminal board.

Tansu (memory only) stands in for Kafka; a ``lugang worker`` subprocess processes the
streams, with the demo's reference configuration; the simulator sends the plan's traffic
at a day a minute in a thread; the board shows the worker's /status for the simulated day.
LUGANG_INFLUX_URL and LUGANG_ALERTMANAGER_URL, when set, reach the worker, which then
writes and pages too.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import requests
from rich.console import Console
from rich.live import Live

from dashboards.board import render_board
from entrypoints.embedded import free_port, tansu_broker
from lugang.net import short_reason
from lugang.reference import Reference
from lugang.topics import TopicNames, ensure_topics
from producers.pacing import paced
from producers.sender import ValidatingSender, make_producer
from producers.simulator import SimulationConfig, simulate


@dataclass
class SimulatorProgress:
    """What the simulator thread has sent so far (read by the board)."""

    sent: int = 0
    last_ms: int = 0
    error: str | None = None


def _simulate(
    bootstrap: str,
    reference: Reference,
    start: date,
    speed: float,
    progress: SimulatorProgress,
    stop: threading.Event,
) -> None:
    config = SimulationConfig(start=start, end=date(start.year, 12, 31), seed=2026)
    sender = ValidatingSender(make_producer(bootstrap), TopicNames(), reference)
    try:
        for record in paced(simulate(config, reference), speed):
            if stop.is_set():
                break
            sender.send(record, "simulator")
            progress.sent += 1
            progress.last_ms = record.timestamp_ms
    except Exception as exc:
        progress.error = repr(exc)
    finally:
        sender.close()


def worker_command(reference_path: Path | None) -> list[str]:
    """The command line of the demo's worker, with the demo's ``--reference`` if any."""
    command = [sys.executable, "-m", "entrypoints.cli", "worker"]
    if reference_path is not None:
        command += ["--reference", str(reference_path.resolve())]
    return command


def _wait_ready(url: str, worker: subprocess.Popen[bytes], log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if worker.poll() is not None:
            raise RuntimeError(f"the worker exited; log tail:\n{log.read_text()[-2000:]}")
        try:
            requests.get(url, timeout=1).raise_for_status()
            return
        except requests.RequestException:
            time.sleep(0.3)
    raise RuntimeError(f"the worker did not answer in {timeout:g} s; log: {log}")


def run_demo(
    reference: Reference,
    seconds: float | None,
    start: date,
    speed: float,
    port: int | None,
    reference_path: Path | None = None,
) -> None:
    """Run the demo until Ctrl-C or ``seconds``; print the final board.

    ``reference`` is loaded from ``reference_path`` (None: the packaged one), which the
    worker subprocess is given too, so the simulator, the worker and the board agree.
    """
    work = Path(tempfile.mkdtemp(prefix="lugang-demo-"))
    console = Console()
    with tansu_broker(work / "tansu.log", port) as bootstrap:
        topics = TopicNames()
        ensure_topics(bootstrap, [*topics.inputs, topics.dead_letter], 4)
        web_port = free_port()
        env = {
            **os.environ,
            "LUGANG_KAFKA_BOOTSTRAP": bootstrap,
            "LUGANG_TOPIC_PREFIX": "",
            "LUGANG_APP_ID": "lugang-demo",
            "LUGANG_DATA_DIR": str(work / "data"),
            "LUGANG_WEB_PORT": str(web_port),
        }
        log = work / "worker.log"
        console.print(f"Lugang demo: Tansu broker on {bootstrap}; starting a worker (log {log})")
        with log.open("wb") as log_file:
            worker = subprocess.Popen(
                worker_command(reference_path),
                env=env,
                stdout=log_file,
                stderr=subprocess.STDOUT,
            )
        stop = threading.Event()
        try:
            status_url = f"http://127.0.0.1:{web_port}/status"
            _wait_ready(status_url, worker, log, timeout=90)
            progress = SimulatorProgress()
            thread = threading.Thread(
                target=_simulate,
                args=(bootstrap, reference, start, speed, progress, stop),
                daemon=True,
            )
            thread.start()
            _show(console, status_url, reference, progress, start, seconds)
        except KeyboardInterrupt:
            pass
        finally:
            stop.set()
            worker.terminate()
            try:
                worker.wait(timeout=20)
            except subprocess.TimeoutExpired:  # faust can hang stopping mid-start-up
                worker.kill()
                worker.wait()
    console.print("Lugang demo stopped.")


def _show(
    console: Console,
    status_url: str,
    reference: Reference,
    progress: SimulatorProgress,
    start: date,
    seconds: float | None,
) -> None:
    """Refresh the board every second until ``seconds`` have passed (or forever)."""
    ends = None if seconds is None else time.monotonic() + seconds
    with Live(console=console, refresh_per_second=2) as live:
        while ends is None or time.monotonic() < ends:
            moment = (
                datetime.fromtimestamp(progress.last_ms / 1000, UTC).astimezone(reference.home.tz)
                if progress.last_ms
                else datetime(start.year, start.month, start.day, tzinfo=reference.home.tz)
            )
            try:
                query = {"date": moment.date().isoformat(), "now": moment.isoformat()}
                response = requests.get(status_url, params=query, timeout=5)
                body: dict[str, Any] = response.json()
                clock = moment.strftime("%Y-%m-%d %H:%M")
                if response.status_code == 503:
                    live.update(f"waiting for the worker: {body.get('reason', 'not ready')}")
                else:
                    live.update(render_board(body, clock, progress.sent, reference))
            except requests.RequestException as exc:
                live.update(f"waiting for the worker: {short_reason(exc, 5)}")
            if progress.error:
                live.console.print(f"simulator stopped: {progress.error}")
                progress.error = None
            time.sleep(1)
