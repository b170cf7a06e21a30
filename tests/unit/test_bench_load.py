"""What the pipeline benchmark says of the machine's load: how busy its cores were, what
the local servers cost an event, and the ceiling that leaves two workers (bench/harness.py,
bench/pipeline.py)."""

from __future__ import annotations

import argparse
import os

import pytest

from bench.harness import MachineLoad, MachineProbe, Servers, Throughput, listening_process
from bench.pipeline import Figures, _detail_lines


def test_the_ceiling_is_the_cores_time_over_one_worker_and_its_servers_cost_an_event(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    load = MachineLoad(busy=0.62, kafka_us=22.0, influx_us=11.0)
    one = Throughput(300_000, 25.0, cpu_us=78.0, load=load)  # 12,000 events/s
    args = argparse.Namespace(alert_rate=2000, reefers=10_000)
    lines = _detail_lines(Figures(one=(one, 375.0)), args, {})
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
    args = argparse.Namespace(alert_rate=2000, reefers=10_000)
    lines = _detail_lines(Figures(one=(one, 375.0)), args, {})
    assert not any("ceiling" in line for line in lines)


def test_servers_not_on_this_machine_cost_nothing_known() -> None:
    assert listening_process("127.0.0.1:9") is None  # nothing listens on the discard port
    probe = MachineProbe(Servers("127.0.0.1:9", "http://127.0.0.1:9", "http://127.0.0.1:9"))
    load = probe.stop(events=1000)
    assert 0.0 <= load.busy <= 1.0
    assert load.kafka_us is None and load.influx_us is None
    assert load.servers_us() == 0.0
