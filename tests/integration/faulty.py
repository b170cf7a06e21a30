"""What the fault tests (``test_faults.py``, ``test_outages.py``) share: the faulty day
they replay, a fault's record of its points and problems, paced replays, and the checks of
the servers' outcome and of the pages against the in-process oracle."""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import requests

from dashboards import influx_reader
from entrypoints.cli import main
from producers.records import read_recording, write_recording
from producers.simulator import SimulationConfig
from streams.schema import points
from tests.integration.outcome import Outcome, differences, observe
from tests.integration.servers import WebhookReceiver
from tests.integration.workers import Worker, WorkerConfig, stall_report


def _seeds() -> list[int]:
    text = os.environ.get("LUGANG_TEST_FAULT_SEEDS", "1,2,3")
    return [int(seed) for seed in text.replace(",", " ").split()]


SEEDS = _seeds()
OUTAGE_S = float(os.environ.get("LUGANG_TEST_OUTAGE_S", "60"))
KAFKA_DOWN_S = float(os.environ.get("LUGANG_TEST_KAFKA_DOWN_S", "30"))
REPLAY_S = float(os.environ.get("LUGANG_TEST_REPLAY_S", "20"))
"""How long a paced replay of the recording lasts (a simulated day in 20 s)."""
SETTLE_S = 150.0
"""Longest wait for the expected outcome once the fault is over."""
STABLE_S = 20.0
"""An outcome unchanged this long is final (a failing run does not wait ``SETTLE_S``)."""
PAGE_GRACE_S = 5.0
"""Wait this long after the outcome settled before the paging checks (a stale re-send, a
late notification)."""

SIMULATION = SimulationConfig(
    start=date(2026, 3, 16),
    end=date(2026, 3, 16),
    seed=11,
    scale=8,
    excursion_rate=0.6,
    power_off_rate=0.3,
    gap_rate=0.3,
    wrong_setpoint_rate=0.2,
    duplicate_rate=0.01,
    out_of_order_rate=0.01,
    late_rate=0.003,
    malformed_rate=0.005,
)
"""One day, 5,123 records, 20 exceptions of 8 reefers (7 closed, every kind), 11 late
readings and 29 malformed records (40 dead letters); made at test time (the simulator is
deterministic)."""


class Pages:
    """The session webhook's notifications, by the app id (``lugang`` label), in order."""

    def __init__(self, webhook: WebhookReceiver) -> None:
        self.webhook = webhook
        self._by_app: dict[str, list[dict[str, Any]]] = defaultdict(list)

    def of(self, app: str) -> list[dict[str, Any]]:
        while not self.webhook.notifications.empty():
            for alert in self.webhook.notifications.get()["alerts"]:
                self._by_app[alert["labels"].get("lugang", "")].append(alert)
        return list(self._by_app[app])


# -- a fault, its points and what it found ----------------------------------------------------


@dataclass
class Fault:
    """One fault of one seed: where it struck, and what differed from the oracle."""

    what: str
    seed: int
    points: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def header(self) -> str:
        lines = [f"{self.what}, seed {self.seed} (LUGANG_TEST_FAULT_SEEDS={self.seed} repeats it)"]
        lines += [f"  fault point: {point}" for point in self.points]
        lines += [f"  note: {note}" for note in self.notes]
        return "\n".join(lines)

    @contextmanager
    def reporting(self) -> Iterator[None]:
        """A run that cannot go on (a worker that does not come back, ...) is a problem
        of this fault, reported with its points."""
        try:
            yield
        except (AssertionError, requests.RequestException, influx_reader.InfluxError) as exc:
            self.problems.append(f"the run could not go on: {exc}")

    def verdict(self) -> None:
        print(self.header())
        if self.problems:
            pytest.fail(f"{self.header()}\nwhat differs:\n" + "\n".join(self.problems), False)


@dataclass(frozen=True)
class Stage:
    """Where fault runs play: the servers, the recording with its oracle outcome, and the
    pages. A fault with a server of its own replaces that server's address."""

    bootstrap: str
    influx_url: str
    alertmanager_url: str
    recording: Path
    expected: Outcome
    pages: Pages


@dataclass
class Run:
    """A pipeline of its own (topics, app id, database) with its workers and its fault."""

    pipeline: WorkerConfig
    folder: Path
    fault: Fault
    stage: Stage
    workers: list[Worker] = field(default_factory=list)

    @property
    def app(self) -> str:
        return f"{self.pipeline.prefix}app"

    def start_worker(self, name: str) -> Worker:
        worker = Worker(self.pipeline, self.folder / name)
        self.workers.append(worker)
        return worker

    def stop(self) -> None:
        for worker in self.workers:
            worker.stop()


def new_run(fault: Fault, folder: Path, stage: Stage) -> Run:
    name = f"f{fault.seed}_{uuid.uuid4().hex[:8]}"
    influx_reader.query(stage.influx_url, None, f'CREATE DATABASE "{name}"', method="POST")
    pipeline = WorkerConfig(
        stage.bootstrap, f"{name}.", stage.influx_url, f"{name}/autogen", stage.alertmanager_url
    )
    return Run(pipeline, folder / name, fault, stage)


# -- replays ------------------------------------------------------------------------------------


def replay(pipeline: WorkerConfig, recording: Path, speed: float | None = None) -> None:
    args = ["--bootstrap", pipeline.bootstrap, "--topic-prefix", pipeline.prefix]
    pace = "max" if speed is None else f"{speed:g}"
    assert main(["replay", str(recording), *args, "--speed", pace]) == 0, "the replay failed"


def speed_for(recording: Path, seconds: float) -> float:
    """The replay speed at which ``recording`` lasts ``seconds``."""
    stamps = [record.timestamp_ms for record in read_recording(recording)]
    return (max(stamps) - stamps[0]) / 1000 / seconds


class Replayer(threading.Thread):
    """``lugang replay`` in a thread, after ``delay`` seconds."""

    def __init__(
        self, pipeline: WorkerConfig, recording: Path, speed: float | None, delay: float = 0
    ) -> None:
        super().__init__(daemon=True)
        self.pipeline, self.recording, self.speed, self.delay = pipeline, recording, speed, delay
        self.started_at: float | None = None
        self.error: BaseException | None = None

    def run(self) -> None:
        time.sleep(self.delay)
        self.started_at = time.monotonic()
        try:
            replay(self.pipeline, self.recording, self.speed)
        except BaseException as exc:
            self.error = exc

    def elapsed(self) -> float:
        return 0.0 if self.started_at is None else time.monotonic() - self.started_at

    def finish(self, fault: Fault) -> None:
        self.join()
        if self.error is not None:
            fault.problems.append(f"the replay failed: {self.error!r}")


def split(recording: Path, fraction: float, folder: Path) -> tuple[Path, Path, int]:
    """The recording cut in two at ``fraction`` of its records."""
    records = list(read_recording(recording))
    cut = int(len(records) * fraction)
    first, second = folder / "first.jsonl", folder / "second.jsonl"
    folder.mkdir(parents=True, exist_ok=True)
    for path, part in ((first, records[:cut]), (second, records[cut:])):
        with path.open("wb") as out:
            write_recording(part, out)
    return first, second, cut


def progress(worker: Worker) -> str:
    """What the worker's /status says now, in a few words (without waiting)."""
    day = SIMULATION.end.isoformat()
    try:
        response = requests.get(f"{worker.url}/status", params={"date": day}, timeout=2)
    except requests.RequestException as exc:
        return f"/status unreachable ({type(exc).__name__})"
    if response.status_code != 200:
        return f"/status {response.status_code} {response.text[:80]}"
    body = response.json()
    ytd = body["year_to_date"]
    opened = len(body.get("open_exceptions", []))
    return f"/status: {ytd['train_runs']} runs, {ytd['teu']:g} TEU, {opened} open exceptions"


# -- the checks ---------------------------------------------------------------------------------


def alive(run: Run, worker: Worker) -> list[str]:
    if worker.process.poll() is not None:
        code = worker.process.returncode
        return [f"the worker exited ({code}); its first error:\n{worker.first_error()}"]
    try:
        health = requests.get(f"{worker.url}/health", timeout=5)
    except requests.RequestException as exc:
        return [f"/health unreachable: {exc}"]
    return [] if health.status_code == 200 else [f"/health {health.status_code}: {health.text}"]


def settle(run: Run, worker: Worker, expected: Outcome) -> None:
    """Wait until the servers hold the expected outcome; otherwise, once the differences
    stay the same for ``STABLE_S`` (or after ``SETTLE_S``, or at once when the worker has
    exited), record them."""
    started = time.monotonic()
    last: list[str] | None = None
    since = started
    while True:
        exited = worker.process.poll() is not None
        try:
            want = replace(expected, status={}) if exited else expected  # no /status to ask
            found = differences(want, observe(run.pipeline, None if exited else worker, want))
        except (requests.RequestException, influx_reader.InfluxError, AssertionError) as exc:
            found = [f"could not read the outcome: {exc}"]
        now = time.monotonic()
        if not found and not exited:
            run.fault.notes.append(f"outcome as expected {now - started:.0f} s on")
            break
        if found != last:
            last, since = found, now
        if exited:  # its death first; what it left behind in short
            run.fault.problems += alive(run, worker)
            run.fault.problems.append(f"what the servers hold differs ({len(found)} lines):")
            run.fault.problems += found[:8]
            return
        if now - since >= STABLE_S or now - started >= SETTLE_S:
            run.fault.problems.append(
                f"after {now - started:.0f} s (unchanged for {now - since:.0f} s):"
            )
            run.fault.problems += found
            run.fault.problems.append(stall_report(worker, run.pipeline))
            break
        time.sleep(2)
    run.fault.problems += alive(run, worker)


def alertmanager_alerts(url: str, app: str) -> list[dict[str, Any]]:
    response = requests.get(
        f"{url}/api/v2/alerts", params={"filter": f'lugang="{app}"'}, timeout=10
    )
    response.raise_for_status()
    alerts: list[dict[str, Any]] = response.json()
    return alerts


def paging_problems(
    heard: list[dict[str, Any]],
    active: list[dict[str, Any]],
    exceptions: Mapping[str, str],
    live_gaps: frozenset[str] = frozenset(),
) -> tuple[list[str], list[str]]:
    """Problems (and notes) of the notifications ``heard`` and the alerts ``active`` at
    Alertmanager, against the expected exceptions (id -> final status); a TELEMETRY_GAP of
    ``live_gaps`` paged is a note (:func:`tests.in_process.live_gaps`)."""
    problems: list[str] = []
    firing: dict[str, list[str]] = defaultdict(list)
    resolved: set[str] = set()
    for alert in heard:
        eid = alert["labels"].get("exception_id")
        if eid is None:
            continue
        if alert["status"] == "firing":
            firing[eid].append(alert["labels"].get("alertname", "?"))
            if eid in resolved:
                problems.append(f"paging: {eid} fired again after its resolved notification")
        else:
            resolved.add(eid)
    problems += [
        f"paging: {eid} notified firing {len(names)} times ({', '.join(names)})"
        for eid, names in firing.items()
        if len(names) > 1
    ]
    extra = (firing.keys() | resolved) - exceptions.keys()
    # A live gap the worker that paged it did not live to resolve ends at its endsAt
    # (Alertmanager resolves it); its InfluxDB point, if any, is checked apart (CLOSED).
    live = {eid for eid in extra if eid in live_gaps}
    problems += [
        f"paging: {eid} paged, but it is no exception of the uninterrupted run"
        for eid in sorted(extra - live)
    ]
    firing_now = {
        a["labels"].get("exception_id"): a
        for a in active
        if a["labels"].get("alertname") == "ColdChainException" and a["status"]["state"] == "active"
    }
    problems += [
        f"paging: {eid} is CLOSED but firing in Alertmanager (endsAt {a['endsAt']})"
        for eid, a in sorted(firing_now.items(), key=lambda kv: str(kv[0]))
        if exceptions.get(str(eid)) == "CLOSED"
    ]
    unheard = sorted(exceptions.keys() - firing.keys())
    not_firing = sorted(e for e, s in exceptions.items() if s == "OPEN" and e not in firing_now)
    notes = [
        f"live gap where the feed stopped, paged and "
        f"{'resolved' if eid in resolved else 'left to expire'}: {eid}"
        for eid in sorted(live)
    ]
    notes += [
        f"{len(exceptions) - len(unheard)} of {len(exceptions)} exceptions notified firing"
        + (f" (never: {len(unheard)}, e.g. {unheard[:3]})" if unheard else ""),
        f"{len(active)} alerts active in Alertmanager"
        + (
            f"; {len(not_firing)} open not firing there, e.g. {not_firing[:3]}"
            if not_firing
            else ""
        ),
    ]
    return problems, notes


def check_paging(run: Run) -> None:
    time.sleep(PAGE_GRACE_S)
    expected, pages = run.stage.expected, run.stage.pages
    exceptions = {
        dict(tags)["exception_id"]: str(fields["status"])
        for (tags, _), fields in expected.points[points.COLDCHAIN_EXCEPTION].items()
    }
    try:
        active = alertmanager_alerts(run.stage.alertmanager_url, run.app)
    except requests.RequestException as exc:
        run.fault.problems.append(f"Alertmanager unreadable at the end: {exc}")
        active = []
    problems, notes = paging_problems(pages.of(run.app), active, exceptions, expected.live_gaps)
    run.fault.problems += problems
    run.fault.notes += notes


def finish(run: Run, worker: Worker) -> None:
    with run.fault.reporting():
        settle(run, worker, run.stage.expected)
        check_paging(run)
