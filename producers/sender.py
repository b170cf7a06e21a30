"""The send path: validate each record, produce it keyed by its entity id, or dead-letter it.

Delivery is checked, not assumed: every send's future reports failures through a callback,
and :meth:`ValidatingSender.close` flushes and raises :class:`DeliveryFailed` if any send
failed (kafka-python's ``flush()`` alone does not guarantee delivery).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime

from kafka import KafkaProducer
from kafka.partitioner.default import murmur2

from lugang.contract import DeadLetter, InvalidEvent, RawBytes, parse_event
from lugang.reference import Reference
from lugang.topics import TopicNames
from producers.records import Record

PARTITIONS_REMEMBERED = 200_000
"""Keys whose partition a sender remembers (then it starts again): a bounded memory."""


class DeliveryFailed(RuntimeError):
    """Kafka did not acknowledge some records."""


def make_producer(bootstrap: str) -> KafkaProducer:
    """A producer for Lugang's topics: ``acks=all``, idempotent retries (which keep each
    key's order), lz4 compression and batching."""
    return KafkaProducer(
        bootstrap_servers=bootstrap,
        client_id="lugang-producer",
        acks="all",
        enable_idempotence=True,
        compression_type="lz4",
        linger_ms=20,
        batch_size=256 * 1024,
    )


@dataclass
class SendSummary:
    """What a run sent and rejected, per topic kind."""

    sent: Counter[str] = field(default_factory=Counter)
    rejected: Counter[str] = field(default_factory=Counter)

    def lines(self) -> list[str]:
        """A short table for the end of a run."""
        kinds = sorted(set(self.sent) | set(self.rejected))
        rows = [f"  {kind:<12} {self.sent[kind]:>10,} {self.rejected[kind]:>10,}" for kind in kinds]
        total = f"  {'total':<12} {self.sent.total():>10,} {self.rejected.total():>10,}"
        return [f"  {'topic':<12} {'sent':>10} {'rejected':>10}", *rows, total]


def verdict(record: Record, reference: Reference) -> str | None:
    """Why ``record`` breaks the event contract, or None if it keeps it."""
    try:
        parse_event(record.topic, record.value, reference)
    except InvalidEvent as exc:
        return exc.reason
    return None


class ValidatingSender:
    """Validates records against the event contract and produces them to their topics;
    invalid ones go to the dead-letter topic with the reason."""

    def __init__(self, producer: KafkaProducer, topics: TopicNames, reference: Reference) -> None:
        self._producer = producer
        self._topics = topics
        self._reference = reference
        self._failures: list[BaseException] = []
        self._partitions: dict[tuple[str, bytes], int] = {}
        self.summary = SendSummary()

    def send(self, record: Record, source: str) -> None:
        """Produce one record, or its dead letter; ``source`` says where it came from."""
        self.send_checked(record, source, verdict(record, self._reference))

    def send_checked(self, record: Record, source: str, reason: str | None) -> None:
        """Produce one record already validated: ``reason`` is why it breaks the contract
        (it goes to the dead-letter topic with it), None if it keeps it."""
        topic = self._topics.name(record.topic)
        key = None if record.key is None else record.key.encode()
        if reason is not None:
            letter = DeadLetter(
                value=RawBytes.of(record.value),
                key=None if key is None else RawBytes.of(key),
                reason=reason,
                topic=topic,
                source=source,
                dead_lettered_at=datetime.now(UTC),
            )
            self._produce(self._topics.dead_letter, key, letter.model_dump_json().encode(), None)
            self.summary.rejected[record.topic] += 1
            return
        self._produce(topic, key, record.value, record.timestamp_ms)
        self.summary.sent[record.topic] += 1

    def _produce(self, topic: str, key: bytes | None, value: bytes, ts: int | None) -> None:
        partition = self._partition(topic, key)
        future = self._producer.send(
            topic, key=key, value=value, partition=partition, timestamp_ms=ts
        )
        future.add_errback(self._failures.append)

    def _partition(self, topic: str, key: bytes | None) -> int | None:
        """The partition kafka-python's default partitioner gives ``key`` (the murmur2 hash
        of the key over the topic's partitions, as Kafka's Java client), remembered per key:
        its pure-Python hash cost replay about a tenth of its time. None (no key): the
        producer picks one."""
        if key is None:
            return None
        partition = self._partitions.get((topic, key))
        if partition is None:
            if len(self._partitions) >= PARTITIONS_REMEMBERED:
                self._partitions.clear()
            count = len(self._producer.partitions_for(topic))
            partition = (murmur2(key) & 0x7FFFFFFF) % count
            self._partitions[(topic, key)] = partition
        return partition

    def close(self, timeout: float = 60) -> SendSummary:
        """Flush and close the producer; raise :class:`DeliveryFailed` if a send failed."""
        self._producer.flush(timeout=timeout)
        self._producer.close(timeout=timeout)
        if self._failures:
            raise DeliveryFailed(
                f"{len(self._failures)} records were not acknowledged by Kafka "
                f"(first error: {self._failures[0]!r})"
            )
        return self.summary
