"""A minimal faust agent with a table runs on Apache Kafka and on Tansu."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from aiokafka import AIOKafkaConsumer
from kafka import KafkaProducer

KEYS = [f"MSKU{i:07d}" for i in range(5)]
EVENTS_PER_KEY = 8


async def final_counts(bootstrap: str, topic: str, expected: dict[str, int]) -> dict[str, int]:
    """Follow the output topic until every key shows its expected count (or time out)."""
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest")
    await consumer.start()
    seen: dict[str, int] = {}
    try:
        async with asyncio.timeout(90):
            while seen != expected:
                for messages in (await consumer.getmany(timeout_ms=500)).values():
                    for m in messages:
                        seen[m.key.decode()] = max(seen.get(m.key.decode(), 0), int(m.value))
    except TimeoutError:
        pass
    finally:
        await consumer.stop()
    return seen


def test_agent_counts_each_key_in_a_table(
    any_bootstrap: str, new_topic: Callable[..., str], tmp_path: Path
) -> None:
    source, output = new_topic("events", partitions=2), new_topic("counts", partitions=2)
    env = {
        **os.environ,
        "COUNTER_APP_ID": f"{source}-app",
        "COUNTER_BOOTSTRAP": any_bootstrap,
        "COUNTER_DATADIR": str(tmp_path / "faust"),
        "COUNTER_SOURCE": source,
        "COUNTER_OUTPUT": output,
    }
    log = tmp_path / "worker.log"
    with log.open("w") as log_file:
        worker = subprocess.Popen(
            [
                sys.executable,
                str(Path(__file__).with_name("faust_counter.py")),
                "worker",
                "--without-web",
                "--loglevel",
                "info",
            ],
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    try:
        producer = KafkaProducer(bootstrap_servers=any_bootstrap, acks="all")
        for _ in range(EVENTS_PER_KEY):
            for key in KEYS:
                producer.send(source, key=key.encode(), value=b"{}")
        producer.flush()
        producer.close()

        expected = dict.fromkeys(KEYS, EVENTS_PER_KEY)
        seen = asyncio.run(final_counts(any_bootstrap, output, expected))
    finally:
        worker.terminate()
        worker.wait(timeout=30)

    assert seen == expected, f"worker log tail:\n{log.read_text()[-3000:]}"
