"""kafka-python produces and aiokafka consumes, on Apache Kafka and on Tansu alike."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable

import pytest
from aiokafka import AIOKafkaConsumer
from kafka import KafkaAdminClient, KafkaProducer
from kafka.admin import ConfigResource, ConfigResourceType

from lugang.topics import KEEP_FOREVER, SEGMENT_MS, ensure_topics

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


def test_topics_kept_for_ever_roll_segments_by_size_only(
    any_bootstrap: str, request: pytest.FixtureRequest
) -> None:
    """``ensure_topics`` creates kept topics with ``segment.ms`` past any recording (a replay
    of event-time records rolled by time lay in weekly slivers), and both brokers take it."""
    name = f"kept-{uuid.uuid4().hex[:8]}"
    assert ensure_topics(any_bootstrap, [name], 2) == [name]
    producer = KafkaProducer(bootstrap_servers=any_bootstrap, acks="all")
    producer.send(name, key=b"MSKU9070323", value=b"{}", timestamp_ms=1_767_225_600_000)
    producer.flush()
    producer.close()
    assert asyncio.run(consume(any_bootstrap, name, 1)) == [(b"MSKU9070323", b"{}")]
    admin = KafkaAdminClient(bootstrap_servers=any_bootstrap)
    try:
        described = admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, name)])
    finally:
        admin.close()
    # {resource type: {resource: {key: {"value": ...}}}}, the keys set on the topic only
    configs = {key: data["value"] for key, data in described.get("topic", {}).get(name, {}).items()}
    # Kafka must describe them; Tansu keeps a topic's configs without describing them
    if request.node.callspec.params["any_bootstrap"] == "kafka" or configs:
        assert configs["segment.ms"] == str(SEGMENT_MS)
        assert configs["retention.ms"] == str(KEEP_FOREVER)
