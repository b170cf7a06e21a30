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

from lugang.contract import DeadLetter, InvalidEvent, RawBytes, parse_event
from lugang.reference import Reference
from lugang.topics import TopicNames
from producers.records import Record


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


class ValidatingSender:
    """Validates records against the event contract and produces them to their topics;
    invalid ones go to the dead-letter topic with the reason."""

    def __init__(self, producer: KafkaProducer, topics: TopicNames, reference: Reference) -> None:
        self._producer = producer
        self._topics = topics
        self._reference = reference
        self._failures: list[BaseException] = []
        self.summary = SendSummary()

    def send(self, record: Record, source: str) -> None:
        """Produce one record, or its dead letter; ``source`` says where it came from."""
        topic = self._topics.name(record.topic)
        key = None if record.key is None else record.key.encode()
        try:
            parse_event(record.topic, record.value, self._reference)
        except InvalidEvent as exc:
            letter = DeadLetter(
                value=RawBytes.of(record.value),
                key=None if key is None else RawBytes.of(key),
                reason=exc.reason,
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
        future = self._producer.send(topic, key=key, value=value, timestamp_ms=ts)
        future.add_errback(self._failures.append)

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
