"""The dead-letter ledger against a real broker (Apache Kafka and Tansu): commits carry
its mark, and an assignment finds the letters of the uncommitted input from there."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from streams.agents.intake import dead_letter
from streams.agents.ports import PlainMessage
from streams.faustfix.commits import mark_commits
from streams.letter_archive import KafkaLetterArchive
from streams.letters import LetterLedger, Source, parse_mark

NOW = datetime(2026, 3, 16, tzinfo=UTC)


@pytest.fixture
def marks_off() -> Iterator[None]:
    mark_commits(None)
    yield
    mark_commits(None)


async def send_letters(bootstrap: str, topic: str, sources: list[Source]) -> list[tuple[int, int]]:
    """Dead-letter ``sources`` into ``topic``, each into partition 0; where they went."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        placed = []
        for source in sources:
            message = PlainMessage(*source, key=b"MSKU1234565", value=b"{}")
            value = dead_letter(message, "late: a test's", NOW)
            sent = await producer.send_and_wait(topic, value, key=b"MSKU1234565", partition=0)
            placed.append((sent.partition, sent.offset))
        return placed
    finally:
        await producer.stop()


async def commit(bootstrap: str, group: str, offsets: dict[TopicPartition, int]) -> None:
    # No auto-commit: on stop it would commit the partition's position (0 of an empty
    # topic, once the fetcher has looked it up) over the offset committed here.
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False
    )
    await consumer.start()
    try:
        consumer.assign(list(offsets))
        await consumer.commit(offsets)
    finally:
        await consumer.stop()


async def metadata(bootstrap: str, group: str, tp: TopicPartition, offset: int) -> str:
    """The metadata of the group's commit of ``offset`` on ``tp``, once an offset fetch
    shows that commit."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        for _ in range(100):
            found = (await admin.list_consumer_group_offsets(group, partitions=[tp])).get(tp)
            if found is not None and found.offset == offset:
                stored: str = found.metadata
                return stored
            await asyncio.sleep(0.1)
    finally:
        await admin.close()
    raise AssertionError(f"the commit of {offset} on {tp} never showed: {found}")


def test_an_assignment_finds_the_letters_of_uncommitted_input_from_the_commits_mark(
    any_bootstrap: str,
    new_topic: Callable[..., str],
    marks_off: None,
    request: pytest.FixtureRequest,
) -> None:
    bootstraps = {"tansu": request.getfixturevalue("tansu_bootstrap")}
    source, letters = new_topic("reefer"), new_topic("dead-letters")
    group = f"{source}-group"
    archive = KafkaLetterArchive(any_bootstrap, group, letters)
    inputs = {(source, 0), (source, 1)}

    async def scenario() -> None:
        # A first worker letters offsets 3 and 5 of partition 0, commits 4 without a mark.
        await send_letters(any_bootstrap, letters, [(source, 0, 3), (source, 0, 5)])
        await commit(any_bootstrap, group, {TopicPartition(source, 0): 4})
        await metadata(any_bootstrap, group, TopicPartition(source, 0), 4)
        first = LetterLedger(archive)
        await first.assign(inputs)
        assert not first.claim((source, 0, 5))  # lettered before: not sent again
        assert first.claim((source, 0, 3)) is True  # committed past: never read again

        # The next letters are claimed, placed and marked in the commit.
        mark_commits(first)
        assert first.claim((source, 0, 9)) and first.claim((source, 1, 2))
        placed = await send_letters(any_bootstrap, letters, [(source, 0, 9), (source, 1, 2)])
        first.placed(zip([(source, 0, 9), (source, 1, 2)], placed, strict=True))
        await commit(any_bootstrap, group, {TopicPartition(source, 0): 7})
        stored = await metadata(any_bootstrap, group, TopicPartition(source, 0), 7)
        mark = parse_mark(stored)
        if any_bootstrap == bootstraps.get("tansu"):
            assert mark is None  # Tansu keeps no commit metadata: a successor reads it all
        else:
            # where the letter of offset 9 lies
            assert mark == {0: placed[0][1], 1: 0}, (stored, first.mark(source, 0, 7))

        # A successor finds the letters of offsets past the commit.
        found = await archive.uncommitted_letters({(source, 0)})
        assert set(found.letters) == {(source, 0, 9)}
        assert found.ends == {0: placed[1][1] + 1, 1: 0}
        second = LetterLedger(archive)
        await second.assign(inputs)  # partition 1 never committed: the whole topic read
        assert not second.claim((source, 0, 9))
        assert not second.claim((source, 1, 2))
        assert second.claim((source, 0, 10))

    asyncio.run(asyncio.wait_for(scenario(), 60))
