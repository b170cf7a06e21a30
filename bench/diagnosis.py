"""What a worker process that seems stuck is doing, for a benchmark's or a test's failure
message: its log's last warnings, where its asyncio tasks wait, its consumer lag and agents
on ``/metrics``, and the input its consumer group left uncommitted. Every part is a
diagnosis only: it says "unknown" rather than raise, because the worker, or Kafka, may be
what is wrong."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

import requests
from kafka import KafkaConsumer, TopicPartition

PARTITIONS = "--- partitions"
"""The line before the partitions' part of the SIGUSR2 dump (``streams.waits``)."""

NOISE = ("Unable connect to node", "Unable to update metadata", "NodeNotReadyError")
"""The client's connection noise while a server is down (not what a worker was doing)."""


def notable(log: Path, lines: int = 15) -> str:
    """The log's last warnings and errors (without :data:`NOISE`) and its last line."""
    text = log.read_text(errors="replace").splitlines()
    marked = [
        line
        for line in text
        if ("] [WARNING] " in line or "] [ERROR] " in line)
        and not any(mark in line for mark in NOISE)
    ]
    last = text[-1] if text else "(empty log)"
    return "\n".join([*marked[-lines:], f"last line: {last}"])


def stacks(
    process: subprocess.Popen[bytes], log: Path, lines: int = 40, settle_s: float = 2.0
) -> str:
    """Where the worker's tasks wait now, Lugang's frames only: SIGUSR1 makes mode's
    worker write every asyncio task's stack to its log, SIGUSR2 every suspended coroutine
    (``streams.waits``: the frames inside agents that a task's stack does not show, and
    where each partition stands); ``settle_s``: how long the worker gets to write each."""
    if process.poll() is not None:
        return "(exited)"
    text = _after(process, log, signal.SIGUSR1, settle_s)
    ours = [
        f"{line.strip()} | {after.strip()}"
        for line, after in zip(text, [*text[1:], ""], strict=True)
        if line.strip().startswith("File ") and "/streams/" in line
    ]
    tasks = "\n".join(ours[:lines]) or f"(no frame of Lugang in {len(text)} lines)"
    dumped = _after(process, log, signal.SIGUSR2, settle_s)
    waits = [line for line in dumped if "/streams/" in line]
    held = dumped[dumped.index(PARTITIONS) :] if PARTITIONS in dumped else []
    return "\n".join([tasks, "suspended in Lugang's code:", *waits[: 2 * lines], *held])


def _after(process: subprocess.Popen[bytes], log: Path, number: int, settle_s: float) -> list[str]:
    """The log's lines written within ``settle_s`` of sending ``number`` to ``process``."""
    before = log.stat().st_size
    process.send_signal(number)
    time.sleep(settle_s)
    with log.open("rb") as opened:
        opened.seek(before)
        return opened.read().decode(errors="replace").splitlines()


def lag_lines(url: str) -> str:
    """The worker's consumer lag and agents' state on ``url``/metrics (records its
    partitions are behind: an agent that waits with lag left means unfetched input)."""
    try:
        text = requests.get(f"{url}/metrics", timeout=5).text
    except requests.RequestException as exc:
        return f"unknown ({type(exc).__name__})"
    wanted = ("lugang_consumer_lag{", "lugang_agent_running{")
    return "; ".join(line for line in text.splitlines() if line.startswith(wanted))


def group_lag(bootstrap: str, group: str, topics: list[str]) -> str:
    """Per partition of ``topics`` with messages the group has not committed: ``topic[p]
    committed/end`` (what a stuck consumer left unread, and whether the input reached
    Kafka at all)."""
    try:
        return _group_lag(bootstrap, group, topics)
    except Exception as exc:  # a diagnosis only: Kafka may be what is wrong
        return f"unknown ({type(exc).__name__}: {exc})"


def _group_lag(bootstrap: str, group: str, topics: list[str]) -> str:
    # A consumer of the group that never subscribes reads its commits without joining it.
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
    try:
        partitions = [
            TopicPartition(topic, p)
            for topic in topics
            for p in consumer.partitions_for_topic(topic) or ()
        ]
        ends = consumer.end_offsets(partitions)
        committed = {tp: consumer.committed(tp) for tp in partitions}
        behind = [
            f"{tp.topic}[{tp.partition}] {'-' if committed[tp] is None else committed[tp]}/{end}"
            for tp, end in sorted(ends.items())
            if committed[tp] is None or committed[tp] < end
        ]
        return ", ".join(behind) or "nothing: every partition committed to its end"
    finally:
        consumer.close()


def stall_report(process: subprocess.Popen[bytes], log: Path, url: str, uncommitted: str) -> str:
    """Everything above of one worker, and the group's ``uncommitted`` input."""
    return (
        f"the worker's log, last warnings:\n{notable(log)}\n"
        f"where its tasks wait:\n{stacks(process, log)}\n"
        f"its consumer lag and agents (/metrics): {lag_lines(url)}\n"
        f"uncommitted input: {uncommitted}"
    )
