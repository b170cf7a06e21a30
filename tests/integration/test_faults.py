"""Same result under any fault (issue 10), on the real Kafka, InfluxDB and Alertmanager.

A simulated day with high fault rates (many cold-chain exceptions, malformed and late
records) is replayed through a worker while something breaks; what the servers hold at the
end must be what the in-process oracle (``tests/in_process.py``: the worker's own agents,
uninterrupted, in file order) makes of the recording: every exception (id, start, end,
status, peak), every reading point, every day point, ``/status`` of each day, and every
dead letter (kind and reason, any order). Paging: each exception is notified firing at most
once, none fires again after its resolved notification, and no closed exception is firing
in Alertmanager at the end.

The faults: three SIGKILLs of the worker; two workers, one SIGKILLed; Alertmanager stopped
for ``LUGANG_TEST_OUTAGE_S`` (60 s); InfluxDB stopped as long; Kafka SIGKILLed and started
again after ``LUGANG_TEST_KAFKA_DOWN_S`` (30 s). Each runs once per seed
(``LUGANG_TEST_FAULT_SEEDS``, default ``1,2,3``); the seed chooses the fault points, and a
failure names the seed and the points. The outages hit the runs of every seed at once
(one outage, each seed's replay at its own point of it), to keep the file within 15 min.
An uninterrupted run first checks the oracle itself against the real servers.
"""

from __future__ import annotations

import random
import signal
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from streams.schema import points
from tests.integration.faulty import (
    REPLAY_S,
    SEEDS,
    SIMULATION,
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
from tests.integration.outcome import Outcome, status_differences
from tests.integration.workers import Worker, wait_for


def test_the_recording_has_what_the_faults_need(expected: Outcome) -> None:
    """Many exceptions, open and closed, dead letters of the worker's own (late), and
    container_move points of every kind of move (compared like every measurement)."""
    statuses = Counter(
        str(fields["status"]) for fields in expected.points[points.COLDCHAIN_EXCEPTION].values()
    )
    assert statuses["CLOSED"] >= 5 and statuses["OPEN"] >= 5, statuses
    assert any(reason.startswith("late:") for _, reason in expected.letters), expected.letters
    moves = Counter(dict(tags)["event_type"] for tags, _ in expected.points[points.CONTAINER_MOVE])
    assert set(moves) == {"GTIN", "LOAD", "DISC", "GTOT"}, moves


# -- the uninterrupted run ---------------------------------------------------------------------


def test_an_uninterrupted_replay_gives_the_oracle_outcome(
    stage: Stage,
    tmp_path: Path,
) -> None:
    """The reference: with no fault, the real servers hold what the oracle says (if this
    fails, the fault tests below cannot tell a fault's effect from the oracle's)."""
    run = new_run(Fault("no fault", 0), tmp_path, stage)
    try:
        with run.fault.reporting():
            worker = run.start_worker("worker")
            replay(run.pipeline, stage.recording, speed_for(stage.recording, REPLAY_S))
            finish(run, worker)
    finally:
        run.stop()
    run.fault.verdict()


# -- three SIGKILLs -----------------------------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
def test_three_sigkills_of_the_worker_change_nothing(
    seed: int,
    stage: Stage,
    tmp_path: Path,
) -> None:
    """The worker is SIGKILLed three times at random points of a paced replay and each
    time started again, in its data folder or in a new one (restoring its tables from the
    changelogs)."""
    rng = random.Random(f"sigkill-{seed}")
    at = sorted(rng.uniform(0.1, 1.0) * REPLAY_S for _ in range(3))
    folders = ["same", "new", rng.choice(["same", "new"])]
    rng.shuffle(folders)
    fault = Fault("three SIGKILLs of the worker", seed)
    run = new_run(fault, tmp_path, stage)
    try:
        with fault.reporting():
            worker = run.start_worker("w0")
            replaying = Replayer(
                run.pipeline, stage.recording, speed_for(stage.recording, REPLAY_S)
            )
            replaying.start()
            for n, (planned, folder) in enumerate(zip(at, folders, strict=True), start=1):
                time.sleep(max(1.0, planned - replaying.elapsed()))
                seen = progress(worker)
                worker.stop(signal.SIGKILL)
                name = worker.log.parent.name if folder == "same" else f"w{n}"
                fault.points.append(
                    f"kill {n} at {replaying.elapsed():.1f} s of the {REPLAY_S:g} s replay "
                    f"(planned {planned:.1f} s; {seen}); restarted in the {folder} data folder"
                )
                worker = run.start_worker(name)
            replaying.finish(fault)
            finish(run, worker)
    finally:
        run.stop()
    fault.verdict()


# -- two workers, one SIGKILLed ----------------------------------------------------------------


def same_figures(run: Run, first: Worker, second: Worker) -> None:
    """Both workers' /status of every day, once the first's figures stand still: the
    same figures (``days`` is a global table)."""
    day = SIMULATION.end.isoformat()

    def steady() -> dict[str, Any] | None:
        before = first.status(day)["year_to_date"]
        time.sleep(1.5)
        return before if first.status(day)["year_to_date"] == before else None

    wait_for(steady, 60, "the first worker's figures to stand still")
    want = {d: first.status(d) for d in (day,)}
    got: dict[str, Any] = {}

    def agree() -> bool:
        got.update({d: second.status(d) for d in want})
        return not status_differences(
            {d: {"ytd": w["year_to_date"]} for d, w in want.items()},
            {d: {"ytd": g["year_to_date"]} for d, g in got.items()},
        )

    try:
        wait_for(agree, 15, "the second worker's /status to agree with the first's")
        run.fault.notes.append(f"before the kill both workers said {progress(second)}")
    except AssertionError:
        run.fault.problems.append(
            f"before the kill, /status differs between the workers: first {progress(first)}; "
            f"second {progress(second)}"
        )


@pytest.mark.parametrize("seed", SEEDS)
def test_two_workers_one_sigkilled_change_nothing(
    seed: int,
    stage: Stage,
    tmp_path: Path,
) -> None:
    """Two workers share the pipeline. The recording's first part goes in at full speed
    and both /status must agree; during the paced rest one worker is SIGKILLed and the
    other finishes alone."""
    rng = random.Random(f"two-workers-{seed}")
    fraction, victim = rng.uniform(0.2, 0.7), rng.choice([0, 1])
    fault = Fault("two workers, one SIGKILLed", seed)
    run = new_run(fault, tmp_path, stage)
    first, second, cut = split(stage.recording, fraction, tmp_path / "parts")
    rest_s = REPLAY_S * (1 - fraction)
    kill_at = rng.uniform(0.1, 0.8) * rest_s
    try:
        with fault.reporting():
            workers = [run.start_worker("w1"), run.start_worker("w2")]
            for worker in workers:
                worker.wait_ready()
            replay(run.pipeline, first)
            same_figures(run, *workers)
            replaying = Replayer(run.pipeline, second, speed_for(stage.recording, REPLAY_S))
            replaying.start()
            time.sleep(kill_at)
            seen = progress(workers[victim])
            workers[victim].stop(signal.SIGKILL)
            fault.points.append(
                f"records 1-{cut} at full speed, the rest paced ({rest_s:.0f} s); worker "
                f"{victim + 1} killed {replaying.elapsed():.1f} s into it ({seen})"
            )
            replaying.finish(fault)
            finish(run, workers[1 - victim])
    finally:
        run.stop()
    fault.verdict()
