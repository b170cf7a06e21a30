"""Outages of Alertmanager, InfluxDB and Kafka change nothing (issue 10): one outage of
each, every seed's replay at its own point of it (to keep the file within 10 min); see
``test_faults.py`` for what is compared."""

from __future__ import annotations

import random
import signal
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import replace
from pathlib import Path

import pytest
import requests

from dashboards import influx_reader
from entrypoints.embedded import free_port
from tests.integration.faulty import (
    KAFKA_DOWN_S,
    OUTAGE_S,
    REPLAY_S,
    SEEDS,
    Fault,
    Replayer,
    Run,
    Stage,
    finish,
    new_run,
    progress,
    replay,
    speed_for,
    split,
)
from tests.integration.outcome import differences, observe, status_differences
from tests.integration.servers import Relaunchable, WebhookReceiver, own_server, run_script
from tests.integration.workers import wait_for

# -- outages: one outage, every seed's replay at its own point of it ---------------------------


def outage(
    runs: Mapping[int, Run],
    recording: Path,
    server: str,
    stop: Callable[[], None],
    start: Callable[[], None],
    during: Callable[[Run], list[str]] | None,
) -> None:
    """Replay into every run, each seed's replay starting so that ``server`` stops at its
    own point of it; started again ``OUTAGE_S`` later. ``during``: what must already be
    right while the server is down (checked once the replays are over)."""
    fractions = {seed: random.Random(f"{server}-{seed}").uniform(0.1, 0.9) for seed in runs}
    lead = max(fractions.values()) * REPLAY_S + 1
    speed = speed_for(recording, REPLAY_S)
    replays = {
        seed: Replayer(run.pipeline, recording, speed, lead - fractions[seed] * REPLAY_S)
        for seed, run in runs.items()
    }
    began = time.monotonic()
    for replaying in replays.values():
        replaying.start()
    time.sleep(max(0.0, began + lead - time.monotonic()))
    stop()
    stopped = time.monotonic()
    for seed, run in runs.items():
        run.fault.points.append(
            f"{server} stopped {replays[seed].elapsed():.1f} s into the {REPLAY_S:g} s replay "
            f"(planned at {fractions[seed]:.0%}; {progress(run.workers[-1])}), for {OUTAGE_S:g} s"
        )
    for seed, run in runs.items():
        replays[seed].finish(run.fault)
    if during is not None:
        check_during(runs, during, stopped + OUTAGE_S, server)
    time.sleep(max(0.0, stopped + OUTAGE_S - time.monotonic()))
    start()
    for run in runs.values():
        run.fault.points.append(f"{server} back after {time.monotonic() - stopped:.0f} s")


def check_during(
    runs: Mapping[int, Run], probe: Callable[[Run], list[str]], until: float, server: str
) -> None:
    """Wait (until the outage ends) for each run to show what ``probe`` wants."""
    for run in runs.values():
        found: list[str] = []
        while time.monotonic() < until - 2:
            try:
                found = probe(run)
            except (requests.RequestException, influx_reader.InfluxError, AssertionError) as e:
                found = [f"could not read: {e}"]
            if not found:
                break
            time.sleep(2)
        if found:
            run.fault.problems.append(f"while {server} was down, by the end of its outage:")
            run.fault.problems += found


@contextmanager
def fault_runs(what: str, tmp: Path, stage: Stage) -> Iterator[dict[int, Run]]:
    """A run for each seed, with one worker; the block's failures go to every run's
    record, and after it each run is finished (its outcome and pages checked) and stopped."""
    runs: dict[int, Run] = {}
    try:
        for seed in SEEDS:
            runs[seed] = new_run(Fault(what, seed), tmp, stage)
            runs[seed].start_worker("worker")
        with _all_reporting(runs):
            yield runs
        for run in runs.values():
            finish(run, run.workers[-1])
    finally:
        for run in runs.values():
            run.stop()


@pytest.fixture(scope="module")
def alertmanager_outage(
    stage: Stage,
    webhook: WebhookReceiver,
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[int, Fault]:
    """Alertmanager of this fault's own (the session one is shared), notifying the
    session webhook; stopped by stop-alertmanager.sh and started again with its data."""
    tmp = tmp_path_factory.mktemp("alertmanager-outage")
    env = {"LUGANG_ALERTMANAGER_WEBHOOK_URL": webhook.url}
    with own_server("alertmanager", tmp / "server", env) as url:
        folder = tmp / "server" / "alertmanager"
        server = Relaunchable(folder / "alertmanager.pid", folder / "alertmanager.log")
        faulted = replace(stage, alertmanager_url=url)
        with fault_runs("Alertmanager stopped", tmp, faulted) as runs:

            def start() -> None:
                server.relaunch()
                wait_for(lambda: _ok(f"{url}/-/ready"), 30, "Alertmanager ready again")

            def during(run: Run) -> list[str]:
                """Counting, readings and exceptions go on without Alertmanager."""
                expected = stage.expected
                return differences(expected, observe(run.pipeline, run.workers[-1], expected))

            def stop() -> None:
                run_script("stop-alertmanager", {"LUGANG_WORK": str(tmp / "server")})

            outage(runs, stage.recording, "Alertmanager", stop, start, _if_long(during))
    return {seed: run.fault for seed, run in runs.items()}


def _ok(url: str) -> bool:
    with suppress(requests.RequestException):
        return requests.get(url, timeout=2).status_code == 200
    return False


def _if_long(probe: Callable[[Run], list[str]]) -> Callable[[Run], list[str]] | None:
    """``probe`` when the outage outlasts the replay by 30 s (time to catch up), else None
    (a shortened outage for quick local runs)."""
    return probe if OUTAGE_S >= REPLAY_S + 30 else None


@contextmanager
def _all_reporting(runs: Mapping[int, Run]) -> Iterator[None]:
    try:
        yield
    except (AssertionError, requests.RequestException, influx_reader.InfluxError) as exc:
        for run in runs.values():
            run.fault.problems.append(f"the fault could not be run: {exc}")


@pytest.mark.parametrize("seed", SEEDS)
def test_an_alertmanager_outage_changes_nothing(
    seed: int, alertmanager_outage: dict[int, Fault]
) -> None:
    alertmanager_outage[seed].verdict()


@pytest.fixture(scope="module")
def influxdb_outage(
    stage: Stage,
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[int, Fault]:
    """InfluxDB of this fault's own, stopped by stop-influxdb.sh and started again by
    start-influxdb.sh with its data (``LUGANG_INFLUX_KEEP_DATA=1``) on the same port."""
    tmp = tmp_path_factory.mktemp("influxdb-outage")
    env = {"LUGANG_WORK": str(tmp / "server"), "LUGANG_INFLUX_PORT": str(free_port())}
    want = stage.expected.status

    def during(run: Run) -> list[str]:
        """Counting goes on without InfluxDB (its figures are in /status)."""
        seen = {day: run.workers[-1].status(day, ready_within=5) for day in want}
        return status_differences(want, {d: {k: s[k] for k in want[d]} for d, s in seen.items()})

    def stop() -> None:
        run_script("stop-influxdb", env)

    def start() -> None:
        run_script("start-influxdb", {**env, "LUGANG_INFLUX_KEEP_DATA": "1"})

    with (
        own_server("influxdb", tmp / "server", env) as url,
        fault_runs("InfluxDB stopped", tmp, replace(stage, influx_url=url)) as runs,
    ):
        outage(runs, stage.recording, "InfluxDB", stop, start, _if_long(during))
    return {seed: run.fault for seed, run in runs.items()}


@pytest.mark.parametrize("seed", SEEDS)
def test_an_influxdb_outage_changes_nothing(seed: int, influxdb_outage: dict[int, Fault]) -> None:
    influxdb_outage[seed].verdict()


# -- Kafka SIGKILLed ----------------------------------------------------------------------------


def kafka_started(log: Path) -> int:
    """How many times the broker has said it started (its log is appended to)."""
    return log.read_text(errors="replace").count("Kafka Server started") if log.exists() else 0


@pytest.fixture(scope="module")
def kafka_kill(
    stage: Stage,
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[int, Fault]:
    """A Kafka of this fault's own (start-kafka.sh, its own LUGANG_WORK and port). Each
    seed's run gets the first part of the recording (cut where its seed says); the
    broker is SIGKILLed while the workers work on it, started again ``KAFKA_DOWN_S``
    later with the same command line and data, and the rest goes in."""
    tmp = tmp_path_factory.mktemp("kafka-kill")
    work = tmp / "server"
    with own_server("kafka", work, {"LUGANG_KAFKA_PORT": str(free_port())}) as bootstrap:
        logs = work / "kafka" / "logs"
        broker = Relaunchable(work / "kafka" / "kafka.pid", logs / "stdout.log")
        with fault_runs("Kafka SIGKILLed", tmp, replace(stage, bootstrap=bootstrap)) as runs:
            cuts = {seed: random.Random(f"kafka-{seed}").uniform(0.2, 0.8) for seed in runs}
            parts = {seed: split(stage.recording, cuts[seed], tmp / str(seed)) for seed in runs}
            delay = random.Random(f"kafka-{SEEDS}").uniform(0.5, 3.0)
            for seed, run in runs.items():
                replay(run.pipeline, parts[seed][0])
            time.sleep(delay)
            started = kafka_started(logs / "server.log")
            seen = {seed: progress(run.workers[-1]) for seed, run in runs.items()}
            broker.kill(signal.SIGKILL)
            killed = time.monotonic()
            for seed, run in runs.items():
                run.fault.points.append(
                    f"records 1-{parts[seed][2]} replayed at full speed; Kafka SIGKILLed "
                    f"{delay:.1f} s after the last run's part ({seen[seed]})"
                )
            time.sleep(KAFKA_DOWN_S)
            broker.relaunch()
            wait_for(
                lambda: kafka_started(logs / "server.log") > started, 90, "Kafka started again"
            )
            for seed, run in runs.items():
                run.fault.points.append(
                    f"Kafka back {time.monotonic() - killed:.0f} s after the kill; the rest "
                    "replayed at full speed"
                )
                replay(run.pipeline, parts[seed][1])
    return {seed: run.fault for seed, run in runs.items()}


@pytest.mark.parametrize("seed", SEEDS)
def test_a_kafka_sigkill_changes_nothing(seed: int, kafka_kill: dict[int, Fault]) -> None:
    kafka_kill[seed].verdict()
