"""Record: consume Lugang's input topics into a JSON Lines recording."""

from __future__ import annotations

from collections.abc import Iterator

from kafka import KafkaConsumer, TopicPartition

from lugang.contract import TOPIC_KINDS
from lugang.topics import TopicNames
from producers.records import Record


def consume_records(
    bootstrap: str, topics: TopicNames, idle_timeout: float, until_end: bool
) -> Iterator[Record]:
    """Yield the records of the input topics from the beginning, each partition in offset
    order (so each key's order is kept).

    Stops when ``until_end`` and every partition has reached the end offset it had when
    recording began, or when no record has arrived for ``idle_timeout`` seconds.
    """
    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap, client_id="lugang-recorder", enable_auto_commit=False
    )
    try:
        kinds = {topics.name(kind): kind for kind in TOPIC_KINDS}
        partitions = [
            TopicPartition(name, p)
            for name in kinds
            for p in sorted(consumer.partitions_for_topic(name) or ())
        ]
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        ends: dict[TopicPartition, int] = consumer.end_offsets(partitions) if until_end else {}
        remaining = {tp for tp, end in ends.items() if end > 0}
        while not until_end or remaining:
            batches = consumer.poll(timeout_ms=int(idle_timeout * 1000), max_records=5000)
            if not batches:
                return
            for tp, messages in batches.items():
                kind = kinds[tp.topic]
                for message in messages:
                    key = None if message.key is None else message.key.decode()
                    yield Record(kind, key, message.value, message.timestamp)
                if until_end and messages and messages[-1].offset + 1 >= ends[tp]:
                    remaining.discard(tp)
    finally:
        consumer.close()
