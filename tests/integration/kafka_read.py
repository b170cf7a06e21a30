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


def group_lag(bootstrap: str, group: str, topics: list[str]) -> str:
    """Per partition of ``topics`` with messages the group has not committed: ``topic[p]
    committed/end`` (what a stuck consumer left unread, and whether the input reached
    Kafka at all)."""
    from kafka.admin import KafkaAdminClient

    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="lugang-tests")
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    try:
        committed = admin.list_consumer_group_offsets(group)
        partitions = [
            TopicPartition(topic, p)
            for topic in topics
            for p in consumer.partitions_for_topic(topic) or ()
        ]
        ends = consumer.end_offsets(partitions)
        behind = [
            f"{tp.topic}[{tp.partition}] {committed[tp].offset if tp in committed else '-'}/{end}"
            for tp, end in sorted(ends.items())
            if tp not in committed or committed[tp].offset < end
        ]
        return ", ".join(behind) or "nothing: every partition committed to its end"
    finally:
        consumer.close()
        admin.close()
