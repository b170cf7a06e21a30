"""``lugang demo``: the whole monitor on the embedded broker, with a live terminal board.

Tansu (memory only) stands in for Kafka; a ``lugang worker`` subprocess processes the
streams, with the demo's reference configuration; the simulator (:mod:`producers.showcase`)
sends a week of history at full speed, then the plan's traffic at a day a minute, in a
thread; the board shows the worker's /status for the simulated day, and the cold-chain
exceptions the worker pages (:mod:`entrypoints.page_log`), each also printed on a line of
its own as it opens and closes, with the seconds since the demo started. LUGANG_INFLUX_URL
and LUGANG_ALERTMANAGER_URL, when set, reach the worker, which then writes and pages too.
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
from datetime import time as clock_time
from pathlib import Path
from typing import Any

import requests
from rich.console import Console
from rich.live import Live

from dashboards.board import describe_exception, render_board
from entrypoints.embedded import free_port, tansu_broker
from entrypoints.page_log import Change, ExceptionLog, follow_pages
from lugang.net import short_reason
from lugang.reference import Reference
from lugang.topics import TopicNames, ensure_topics
from producers.pacing import paced_after
from producers.schedule import epoch_ms
from producers.sender import ValidatingSender, make_producer
from producers.showcase import A_DAY_A_MINUTE, live_from, showcase_config
from producers.simulator import simulate
from streams.schema.pages import PAGES


def speed_words(speed: float) -> str:
    """How fast simulated time runs, in words."""
    if speed == A_DAY_A_MINUTE:
        return "a day a minute"
    return f"{speed:g}× real time"


class Timeline:
    """Prints what happens, each line with the seconds since the demo started."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.started = time.monotonic()

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def say(self, text: str) -> None:
        line = f"[{self.elapsed():5.1f} s] {text}"
        self.console.print(line, highlight=False, markup=False, soft_wrap=True)


@dataclass
class SimulatorProgress:
    """What the simulator thread has sent so far (read by the board)."""

    sent: int = 0
    last_ms: int = 0
    live: bool = False
    """Whether the history is sent and the simulator paces its records."""
    error: str | None = None


@dataclass(frozen=True)
class Plan:
    """What the demo simulates: from ``start``, ``history_days`` at full speed, then the
    rest of the year at ``speed``."""

    start: date
    history_days: int
    speed: float

    @property
    def live_day(self) -> date:
        return live_from(self.start, self.history_days)

    def note(self, progress: SimulatorProgress) -> str:
        """What the simulator is doing, for the board."""
        live = f"live from {self.live_day} at {speed_words(self.speed)}"
        if not self.history_days:
            return live
        history = f"{self.history_days} days of history from {self.start}"
        if progress.live:
            return f"{live}, after {history} sent at full speed"
        return f"sending {history} at full speed, then {live}"


def _simulate(
    bootstrap: str,
    reference: Reference,
    plan: Plan,
    progress: SimulatorProgress,
    stop: threading.Event,
    timeline: Timeline,
) -> None:
    config = showcase_config(plan.start)
    live_ms = epoch_ms(datetime.combine(plan.live_day, clock_time(), reference.home.tz))
    sender = ValidatingSender(make_producer(bootstrap), TopicNames(), reference)
    try:
        for record in paced_after(simulate(config, reference), live_ms, plan.speed):
            if stop.is_set():
                break
            if not progress.live and record.timestamp_ms >= live_ms:
                progress.live = True
                if plan.history_days:
                    timeline.say(
                        f"history sent: {plan.history_days} days, {progress.sent:,} events; "
                        f"live from {plan.live_day} at {speed_words(plan.speed)}"
                    )
            sender.send(record, "simulator")
            progress.sent += 1
            progress.last_ms = record.timestamp_ms
    except Exception as exc:
        progress.error = repr(exc)
    finally:
        sender.close()


def _follow_pages(
    bootstrap: str,
    log: ExceptionLog,
    stop: threading.Event,
    timeline: Timeline,
    reference: Reference,
    paged: bool,
) -> None:
    """Keep ``log`` up to date from the worker's pages, and say each change on a line."""
    after = {"opened": " (paged)", "closed": " (page resolved)", "opened and closed": " (paged)"}

    def on_change(change: Change, exception: dict[str, Any]) -> None:
        suffix = after[change] if paged else ""
        timeline.say(
            f"cold-chain exception {change}: {describe_exception(exception, reference)}{suffix}"
        )

    try:
        follow_pages(bootstrap, TopicNames().name(PAGES), log, stop, on_change)
    except Exception as exc:
        timeline.say(f"the board stopped reading the worker's pages: {exc!r}")


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
    plan: Plan,
    port: int | None,
    reference_path: Path | None = None,
) -> None:
    """Run the demo until Ctrl-C or ``seconds``; print the final board.

    ``reference`` is loaded from ``reference_path`` (None: the packaged one), which the
    worker subprocess is given too, so the simulator, the worker and the board agree.
    """
    work = Path(tempfile.mkdtemp(prefix="lugang-demo-"))
    console = Console()
    timeline = Timeline(console)
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
            timeline.say("the worker is ready; the simulator starts")
            progress, exceptions = SimulatorProgress(), ExceptionLog()
            alertmanager = os.environ.get("LUGANG_ALERTMANAGER_URL")
            threads = [
                threading.Thread(
                    target=_simulate,
                    args=(bootstrap, reference, plan, progress, stop, timeline),
                    daemon=True,
                ),
                threading.Thread(
                    target=_follow_pages,
                    args=(bootstrap, exceptions, stop, timeline, reference, bool(alertmanager)),
                    daemon=True,
                ),
            ]
            for thread in threads:
                thread.start()
            paging = (
                f"paged to Alertmanager at {alertmanager}"
                if alertmanager
                else "not paged: LUGANG_ALERTMANAGER_URL is unset"
            )
            board = _Board(reference, plan, progress, exceptions, paging)
            _show(console, status_url, board, seconds, timeline)
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
    if not console.is_terminal:  # the final board, printed once, ends without a newline
        console.line()
    console.print("Lugang demo stopped.")


@dataclass(frozen=True)
class _Board:
    """What the board shows besides the worker's /status."""

    reference: Reference
    plan: Plan
    progress: SimulatorProgress
    exceptions: ExceptionLog
    paging: str

    def moment(self) -> datetime:
        """The simulated time: that of the last record sent (the start, before the first)."""
        tz = self.reference.home.tz
        if self.progress.last_ms:
            return datetime.fromtimestamp(self.progress.last_ms / 1000, UTC).astimezone(tz)
        return datetime.combine(self.plan.start, clock_time(), tz)


def _show(
    console: Console, status_url: str, board: _Board, seconds: float | None, timeline: Timeline
) -> None:
    """Refresh the board every second until ``seconds`` have passed (or forever)."""
    ends = None if seconds is None else time.monotonic() + seconds
    progress = board.progress
    with Live(console=console, refresh_per_second=2) as live:
        while ends is None or time.monotonic() < ends:
            moment = board.moment()
            try:
                query = {"date": moment.date().isoformat(), "now": moment.isoformat()}
                response = requests.get(status_url, params=query, timeout=5)
                body: dict[str, Any] = response.json()
                clock = moment.strftime("%Y-%m-%d %H:%M")
                if response.status_code == 503:
                    live.update(f"waiting for the worker: {body.get('reason', 'not ready')}")
                else:
                    live.update(
                        render_board(
                            body,
                            clock,
                            progress.sent,
                            board.reference,
                            exceptions=board.exceptions.all(),
                            note=board.plan.note(progress),
                            paging=board.paging,
                        )
                    )
            except requests.RequestException as exc:
                live.update(f"waiting for the worker: {short_reason(exc, 5)}")
            if progress.error:
                timeline.say(f"simulator stopped: {progress.error}")
                progress.error = None
            time.sleep(1)
