"""The dead-letter topic and the group's commits read with aiokafka: the
:class:`~streams.letters.LetterArchive` of a worker (see :mod:`streams.letters`)."""

from __future__ import annotations

import json
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from streams.letters import Found, Placed, Source, parse_mark

READ_TIMEOUT_MS = 1_000
"""How long one fetch of the dead-letter topic waits for records."""


def source_of(value: bytes) -> Source | None:
    """The input message a dead letter is of (None: a sink's letter, or no letter)."""
    try:
        letter: Any = json.loads(value)
        topic, partition, offset = letter["topic"], letter["partition"], letter["offset"]
    except (ValueError, TypeError, KeyError):
        return None
    if isinstance(topic, str) and isinstance(partition, int) and isinstance(offset, int):
        return topic, partition, offset
    return None


class KafkaLetterArchive:
    """Reads the group's commits and the dead-letter topic on the broker ``bootstrap``."""

    def __init__(self, bootstrap: str, group: str, topic: str) -> None:
        self.bootstrap = bootstrap
        self.group = group
        self.topic = topic

    async def uncommitted_letters(self, partitions: set[tuple[str, int]]) -> Found:
        committed, starts, ids = await self._commits(partitions)
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap,
            enable_auto_commit=False,
            group_id=None,
            auto_offset_reset="earliest",  # a position before the log's start: its start
        )
        await consumer.start()
        try:
            tps = [TopicPartition(self.topic, p) for p in sorted(ids)]
            ends = {tp.partition: end for tp, end in (await consumer.end_offsets(tps)).items()}
            letters = await self._read(consumer, tps, starts, ends, committed)
        finally:
            await consumer.stop()
        return Found(letters, ends)

    async def _commits(
        self, partitions: set[tuple[str, int]]
    ) -> tuple[dict[tuple[str, int], int], dict[int, int] | None, list[int]]:
        """Each input partition's committed offset (0: none), the lowest position of their
        marks per dead-letter partition (None: some commit has no mark), and the
        dead-letter topic's partitions."""
        admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap)
        await admin.start()
        try:
            wanted = [TopicPartition(topic, partition) for topic, partition in partitions]
            offsets = await admin.list_consumer_group_offsets(self.group, partitions=wanted)
            (described,) = await admin.describe_topics([self.topic])
        finally:
            await admin.close()
        committed: dict[tuple[str, int], int] = {tp: 0 for tp in partitions}
        starts: dict[int, int] | None = {}
        for tp in wanted:
            found = offsets.get(tp)
            if found is None or found.offset < 0:
                continue  # nothing committed: every letter of the partition counts
            committed[(tp.topic, tp.partition)] = found.offset
            mark = parse_mark(found.metadata)
            if mark is None:
                starts = None
            elif starts is not None:
                for at, offset in mark.items():
                    starts[at] = min(starts.get(at, offset), offset)
        if any(offset == 0 for offset in committed.values()):
            starts = None  # a partition never committed: its letters may lie anywhere
        ids = [p["partition"] for p in described["partitions"]]
        if described["error_code"] or not ids:  # not created yet, or no leader yet
            raise ConnectionError(
                f"the broker does not describe the dead-letter topic {self.topic!r} yet "
                f"(error code {described['error_code']})"
            )
        return committed, starts, ids

    async def _read(
        self,
        consumer: AIOKafkaConsumer,
        tps: list[TopicPartition],
        starts: dict[int, int] | None,
        ends: dict[int, int],
        committed: dict[tuple[str, int], int],
    ) -> dict[Source, Placed]:
        letters: dict[Source, Placed] = {}
        consumer.assign(tps)
        todo = set()
        for tp in tps:
            start = 0 if starts is None else starts.get(tp.partition, 0)
            if start < ends[tp.partition]:
                consumer.seek(tp, start)
                todo.add(tp)
        while todo:
            batches = await consumer.getmany(*todo, timeout_ms=READ_TIMEOUT_MS)
            for tp, records in batches.items():
                for record in records:
                    source = source_of(record.value or b"")
                    if source is not None and source[2] >= committed.get(source[:2], 1 << 62):
                        letters[source] = (tp.partition, record.offset)
            for tp in list(todo):
                if await consumer.position(tp) >= ends[tp.partition]:
                    todo.discard(tp)
        return letters
