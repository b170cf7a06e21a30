"""Read back what a test produced: every message of a topic, from the beginning."""

from __future__ import annotations

from kafka import KafkaConsumer, TopicPartition


def read_topic(bootstrap: str, topic: str) -> list[tuple[bytes | None, bytes]]:
    """All (key, value) pairs of ``topic`` as it is now, each partition in offset order."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    try:
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        ends = consumer.end_offsets(partitions)
        messages: list[tuple[bytes | None, bytes]] = []
        while any(consumer.position(tp) < end for tp, end in ends.items()):
            for batch in consumer.poll(timeout_ms=1000).values():
                messages += [(m.key, m.value) for m in batch]
        return messages
    finally:
        consumer.close()
