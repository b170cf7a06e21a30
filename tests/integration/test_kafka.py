"""kafka-python produces and aiokafka consumes, on Apache Kafka and on Tansu alike."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from aiokafka import AIOKafkaConsumer
from kafka import KafkaProducer

MESSAGES = [(f"MSKU{i:07d}".encode(), f'{{"n": {i}}}'.encode()) for i in range(50)]


async def consume(bootstrap: str, topic: str, count: int) -> list[tuple[bytes, bytes]]:
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", group_id=f"{topic}-g"
    )
    await consumer.start()
    received: list[tuple[bytes, bytes]] = []
    try:
        async with asyncio.timeout(60):
            while len(received) < count:
                batches = await consumer.getmany(timeout_ms=500)
                received += [(m.key, m.value) for ms in batches.values() for m in ms]
    finally:
        await consumer.stop()
    return received


def test_produced_messages_are_consumed_once_in_key_order(
    any_bootstrap: str, new_topic: Callable[..., str]
) -> None:
    topic = new_topic("roundtrip", partitions=2)
    producer = KafkaProducer(bootstrap_servers=any_bootstrap, acks="all", linger_ms=5)
    for key, value in MESSAGES:
        producer.send(topic, key=key, value=value).get(timeout=30)
    producer.flush()
    producer.close()

    received = asyncio.run(consume(any_bootstrap, topic, len(MESSAGES)))

    assert sorted(received) == sorted(MESSAGES)
