"""What the pipeline benchmark says of the machine's load: how busy its cores were, what
the local servers cost an event, and the ceiling that leaves two workers (bench/harness.py,
bench/pipeline.py)."""

from __future__ import annotations

import argparse
import os
import time
from dataclasses import replace

import pytest

from bench import harness
from bench.harness import MachineLoad, MachineProbe, Servers, Throughput, listening_process
from bench.pipeline import Figures, _detail_lines


def _details(figures: Figures) -> list[str]:
    """The report's details of ``figures`` (no failures)."""
    return _detail_lines(figures, argparse.Namespace(alert_rate=2000, reefers=10_000), {})


def test_the_ceiling_is_the_cores_time_over_one_worker_and_its_servers_cost_an_event(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    load = MachineLoad(busy=0.62, kafka_us=22.0, influx_us=11.0)
    one = Throughput(300_000, 25.0, cpu_us=78.0, load=load)  # 12,000 events/s
    lines = _details(Figures(one=(one, 375.0)))
    assert (
        "  one worker: 300,000 events in 25.0 s, CPU 78 µs an event; "
        "the 2 cores 62% busy over the workers' life; Kafka 22 µs, InfluxDB 11 µs CPU an event"
    ) in lines
    # 2 cores / (78 + 33) µs = 18,018 events/s: 1.50 x 12,000
    assert (
        "  the machine's ceiling at one worker's CPU an event (78 µs, and 33 µs of Kafka and "
        "InfluxDB): 18,018 events/s on its 2 cores, 1.50× one worker (two workers' target: 1.5×)"
    ) in lines


def test_no_ceiling_without_the_load() -> None:
    one = Throughput(300_000, 25.0, cpu_us=78.0)
    lines = _details(Figures(one=(one, 375.0)))
    assert not any("ceiling" in line for line in lines)


def test_servers_not_on_this_machine_cost_nothing_known() -> None:
    assert listening_process("127.0.0.1:9") is None  # nothing listens on the discard port
    probe = MachineProbe(Servers("127.0.0.1:9", "http://127.0.0.1:9", "http://127.0.0.1:9"))
    load = probe.stop(events=1000)
    assert 0.0 <= load.busy <= 1.0
    assert load.kafka_us is None and load.influx_us is None
    assert load.servers_us() == 0.0


class _Clock:
    """time.monotonic and time.sleep of bench.harness, on a clock that only sleeps move."""

    def __init__(self) -> None:
        self.now = 0.0

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


class _Watch:
    """A group whose committed input offsets are read from a script, one a poll."""

    total = 1000
    group = "g"

    def __init__(self, script: list[int], follower_lags: list[int] | None = None) -> None:
        self.inputs = ["p0"]
        self._script = iter(script)
        self._done = 0
        self._follower_lags = iter(follower_lags or [])

    def committed(self) -> dict[str, int]:
        self._done = next(self._script, self._done)
        return {"p0": self._done}

    def stable_members(self) -> int:
        return 2

    def follower_lag(self, committed: object) -> int:
        return next(self._follower_lags, 0)


def _cores(monkeypatch: pytest.MonkeyPatch, *readings: tuple[float, float]) -> None:
    """The cores' (busy, idle) seconds as harness.cores_times reads them, in turn."""
    reads = iter(readings)
    monkeypatch.setattr(harness, "cores_times", lambda: next(reads))


def test_the_longest_wait_for_a_commit_is_the_stall_in_a_runs_span(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = _Clock()
    monkeypatch.setattr(time, "monotonic", clock.monotonic)  # bench.harness reads time.*
    monkeypatch.setattr(time, "sleep", clock.sleep)
    _cores(monkeypatch, (100.0, 100.0), (101.0, 103.0))  # span: 1 s busy of 4
    # polled every 0.2 s: started at 100, commits every poll, then 15 polls (3 s) at 900
    script = [0, 100, 300, 500, 700, 900, *[900] * 14, 1000]
    through = harness.measure_consumption(_Watch(script), [], 2, timeout=60)  # type: ignore[arg-type]
    assert through is not None
    assert through.events == 900
    assert through.longest_wait_s == pytest.approx(3.0)
    assert through.seconds == pytest.approx(3.8)  # 0.2 s × 4 commits, then the 3 s stall
    lines = _details(Figures(two=(through, 500.0)))
    assert (
        "  two workers: 900 events in 3.8 s; the cores 25% busy over its span; the longest "
        "wait for a commit 3.0 s; its own topics read to their end 0.0 s after its inputs"
    ) in lines
    assert not any("bounded by the machine" in line for line in lines)


def test_a_two_worker_run_whose_span_kept_the_cores_busy_was_bounded_by_the_machine(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The cores' share is read over the span alone (from the first commit with the group
    stable), not over the workers' start-up: there the report says the machine bounded
    the run."""
    clock = _Clock()
    monkeypatch.setattr(time, "monotonic", clock.monotonic)
    monkeypatch.setattr(time, "sleep", clock.sleep)
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    # read at the span's start (the start-up before it: 10 s busy, 40 s idle, not counted)
    # and at its end: 9.8 s busy of 10
    _cores(monkeypatch, (10.0, 40.0), (19.8, 40.2))
    through = harness.measure_consumption(_Watch([0, 100, 600, 1000]), [], 2, timeout=60)  # type: ignore[arg-type]
    assert through is not None
    assert through.span_busy == pytest.approx(0.98)
    lines = _details(Figures(two=(through, 500.0)))
    assert (
        "  two workers were bounded by the machine: its cores 98% busy over their span "
        "(workers, Kafka and InfluxDB together)"
    ) in lines
    # with their CPU and the servers' known, what the cores allow at their cost an event:
    # 2 cores / (106 + 34) µs = 14,286 events/s, 1.43x one worker's 10,000
    two = replace(through, cpu_us=106.0, load=MachineLoad(busy=0.9, kafka_us=13.0, influx_us=21.0))
    one = Throughput(300_000, 30.0)
    lines = _details(Figures(one=(one, 300.0), two=(two, 500.0)))
    assert (
        "  at two workers' own CPU an event (106 µs, and 34 µs of Kafka and InfluxDB) its 2 "
        "cores allow 14,286 events/s, 1.43× one worker"
    ) in lines


def test_the_cores_busy_share_is_busy_time_over_all_time_between_two_readings() -> None:
    assert harness.busy_share((10.0, 30.0), (25.0, 35.0)) == pytest.approx(0.75)
    assert harness.busy_share((10.0, 30.0), (10.0, 30.0)) == 0.0
    then = harness.cores_times()
    assert 0.0 <= harness.busy_share(then, harness.cores_times()) <= 1.0


def test_a_runs_span_ends_once_its_own_topics_are_read_after_its_inputs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The points a worker relays after its last input commit are its work too: the span
    runs on until its own topics are read to their end, and the tail is reported."""
    clock = _Clock()
    monkeypatch.setattr(time, "monotonic", clock.monotonic)
    monkeypatch.setattr(time, "sleep", clock.sleep)
    # inputs: started at 100, all 1000 committed at the 4th poll after the start; the
    # followers (asked only while the inputs are done) still behind for 5 more polls
    script = [0, 100, 400, 700, 1000]
    through = harness.measure_consumption(
        _Watch(script, follower_lags=[30, 30, 20, 10, 5, 0]),  # type: ignore[arg-type]
        [],
        2,
        timeout=60,
    )
    assert through is not None
    assert through.events == 900
    assert through.own_tail_s == pytest.approx(1.0)  # 5 polls of 0.2 s
    assert through.seconds == pytest.approx(1.6)  # 3 polls to the inputs' end, then the tail
    lines = _details(Figures(one=(through, 300.0)))
    assert any(
        line.endswith("its own topics read to their end 1.0 s after its inputs") for line in lines
    )
