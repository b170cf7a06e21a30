"""Run ``lugang worker`` processes against the test servers, and read what they report."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from bench import diagnosis
from dashboards import influx_reader
from entrypoints.embedded import free_port
from lugang.contract import TOPIC_KINDS


@dataclass
class WorkerConfig:
    """The LUGANG_* environment of one monitored pipeline (shared by its workers)."""

    bootstrap: str
    prefix: str
    influx_url: str
    influx_bucket: str
    alertmanager_url: str
    influx_token: str | None = None  # None: the default (1.x runs without auth)
    influx_org: str = "-"

    def env(self, data_dir: Path, web_port: int) -> dict[str, str]:
        return {
            **os.environ,
            "LUGANG_KAFKA_BOOTSTRAP": self.bootstrap,
            "LUGANG_TOPIC_PREFIX": self.prefix,
            "LUGANG_APP_ID": f"{self.prefix}app",
            "LUGANG_INFLUX_URL": self.influx_url,
            "LUGANG_INFLUX_BUCKET": self.influx_bucket,
            "LUGANG_INFLUX_ORG": self.influx_org,
            **({"LUGANG_INFLUX_TOKEN": self.influx_token} if self.influx_token else {}),
            "LUGANG_ALERTMANAGER_URL": self.alertmanager_url,
            "LUGANG_DATA_DIR": str(data_dir),
            "LUGANG_WEB_PORT": str(web_port),
            "LUGANG_SESSION_TIMEOUT_S": "6",
            "LUGANG_SINK_MAX_BACKOFF_S": "1",
            "LUGANG_SILENCE_CHECK_S": "1",
        }


def uncommitted(pipeline: WorkerConfig) -> str:
    """The input partitions the pipeline's group has not committed to their end."""
    topics = [f"{pipeline.prefix}{kind}" for kind in TOPIC_KINDS]
    return diagnosis.group_lag(pipeline.bootstrap, f"{pipeline.prefix}app", topics)


def stall_report(worker: Worker, pipeline: WorkerConfig) -> str:
    """What a worker whose figures stopped changing was doing: its last warnings, where its
    tasks wait, and the input its group left uncommitted."""
    return diagnosis.stall_report(worker.process, worker.log, worker.url, uncommitted(pipeline))


class Worker:
    """One ``lugang worker`` subprocess with its own data folder, web port and log."""

    def __init__(self, config: WorkerConfig, folder: Path, *options: str) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.log = folder / "worker.log"
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "entrypoints.cli", "worker", "--loglevel", "info", *options],
                env=config.env(folder / "data", self.port),
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.wait_ready()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log_tail(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]

    def first_error(self, lines: int = 25) -> str:
        """The first crash or traceback in the log, with what follows it, else the first
        ERROR line: why a worker stopped, where the end of its log only shows the
        shutdown."""
        text = self.log.read_text(errors="replace").splitlines()
        for marks in (
            ("Crashed reason=", "Traceback (most recent"),
            ("] [ERROR] ", "] [CRITICAL] "),
        ):
            for n, line in enumerate(text):
                if any(mark in line for mark in marks):
                    return "\n".join(text[max(0, n - 1) : n + lines])
        return "(no error in its log)"

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(
                    f"worker exited early ({self.process.returncode}); its first error:\n"
                    f"{self.first_error()}"
                )
            try:
                requests.get(f"{self.url}/status", timeout=1).raise_for_status()
                return
            except requests.RequestException:
                time.sleep(0.3)
        raise AssertionError(f"worker not ready in {timeout} s:\n{self.log_tail()}")

    def status(self, day: str, ready_within: float = 60) -> dict[str, Any]:
        """The worker's /status of ``day``, once it is ready (a rebalance makes it answer
        503 for a moment)."""
        deadline = time.monotonic() + ready_within
        while True:
            response = requests.get(f"{self.url}/status", params={"date": day}, timeout=5)
            if response.status_code != 503 or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        response.raise_for_status()
        body: dict[str, Any] = response.json()
        return body

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@contextmanager
def running_worker(config: WorkerConfig, folder: Path, *options: str) -> Iterator[Worker]:
    worker = Worker(config, folder, *options)
    try:
        yield worker
    finally:
        worker.stop()


def influx_rows(
    influx_url: str, bucket: str, query: str, token: str | None = None
) -> list[dict[str, Any]]:
    """Rows of an InfluxQL query as dicts (tags and column name -> value)."""
    database = bucket.split("/")[0]
    (series,) = influx_reader.query(influx_url, database, query, token=token, timeout=10)
    return influx_reader.rows(series)


def wait_for(probe: Any, timeout: float, what: str, interval: float = 0.5) -> Any:
    """Call ``probe`` until it returns something truthy, or fail after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = probe()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:g} s waiting for {what}; last: {last!r}")


def pipeline_rows(pipeline: WorkerConfig, query: str) -> list[dict[str, Any]]:
    """Rows of an InfluxQL query on ``pipeline``'s bucket (see :func:`influx_rows`)."""
    return influx_rows(pipeline.influx_url, pipeline.influx_bucket, query, pipeline.influx_token)


def container_duplicates(pipeline: WorkerConfig) -> int:
    """Container moves dropped as duplicates so far (``pipeline_quality``): a replay is
    through once they have risen by the moves it counts again."""
    found = pipeline_rows(
        pipeline,
        'SELECT sum("count") FROM "pipeline_quality" '
        "WHERE \"topic\" = 'containers' AND \"finding\" = 'duplicate'",
    )
    return int(found[0]["sum"]) if found else 0
