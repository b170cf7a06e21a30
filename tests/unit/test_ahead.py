"""Validation ahead of the send (producers/ahead.py), the lighter check of a recording
before a replay (producers/records.read_topics) and the sender's remembered partitions:
replay's speed-ups give what the plain path gives, record for record."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest
from kafka.partitioner.default import DefaultPartitioner

import producers.ahead
from lugang.reference import default_reference
from lugang.topics import TopicNames
from producers.ahead import Checker
from producers.records import Record, RecordingError, read_recording, read_topics
from producers.replay import replayed_records
from producers.sender import ValidatingSender, verdict

DATA = Path(__file__).parent.parent / "data"


@pytest.fixture
def recording(tmp_path: Path) -> Path:
    """Valid records among invalid ones, values that are not JSON included."""
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(
        (DATA / "malformed.jsonl").read_bytes() + (DATA / "unhappy.jsonl").read_bytes()
    )
    return path


def plain(path: Path) -> list[tuple[Record, str, str | None]]:
    reference = default_reference()
    return [
        (record, f"{path.name}:{n}", verdict(record, reference))
        for n, record in enumerate(read_recording(path), start=1)
    ]


@pytest.mark.parametrize(
    ("in_child", "started"),
    [(False, False), (True, True), (True, False)],
    ids=["in process", "in the child", "here until the child has started"],
)
def test_records_and_verdicts_are_those_of_the_plain_path(
    in_child: bool, started: bool, recording: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(producers.ahead, "CHUNK_LINES", 7)  # many chunks, several in flight
    expected = plain(recording)
    assert any(reason is not None for _, _, reason in expected)
    assert any(reason is None for _, _, reason in expected)
    with Checker(in_child) as checker:
        if started:
            checker.wait_started()
        got = list(replayed_records(recording, None, default_reference(), checker))
    assert got == expected


def test_a_replay_stopped_early_stops_the_child(
    recording: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(producers.ahead, "CHUNK_LINES", 3)
    before = set(multiprocessing.active_children())
    with Checker(True) as checker:
        checker.wait_started()
        records = replayed_records(recording, None, default_reference(), checker)
        first = next(records)
        assert len(set(multiprocessing.active_children()) - before) == 1
        records.close()
    assert first == plain(recording)[0]
    assert set(multiprocessing.active_children()) - before == set()


@pytest.mark.parametrize(
    ("line", "says"),
    [
        (b"{not json\n", "not JSON"),
        (b"[1]\n", "not a JSON object"),
        (b'{"topic": "", "key": null, "value": {}, "timestamp": 1}\n', "'topic' must be"),
        (b'{"topic": "reefer", "key": 5, "value": {}, "timestamp": 1}\n', "'key' must be"),
        (b'{"topic": "reefer", "key": null, "value": {}, "timestamp": -1}\n', "'timestamp'"),
        (b'{"topic": "reefer", "key": null, "timestamp": 1}\n', "needs 'value'"),
        (b'{"topic": "reefer", "key": null, "value_b64": "@@", "timestamp": 1}\n', "not base64"),
        (b'{"topic": "reefer", "key": null, "value": {}, "timestamp": 1', "looks truncated"),
    ],
)
def test_the_check_finds_what_reading_finds(tmp_path: Path, line: bytes, says: str) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_bytes(b'{"topic": "trains", "key": "T", "value": {}, "timestamp": 1}\n' + line)
    with pytest.raises(RecordingError) as checking:
        list(read_topics(path))
    with pytest.raises(RecordingError) as reading:
        list(read_recording(path))
    assert str(checking.value) == str(reading.value)
    assert says in str(checking.value)
    assert f"{path}:2: " in str(checking.value)


def test_the_check_reads_every_topic(recording: Path) -> None:
    assert list(read_topics(recording)) == [r.topic for r in read_recording(recording)]


class Producer:
    """Records what is sent; four partitions per topic."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes | None, int | None]] = []

    def partitions_for(self, topic: str) -> set[int]:
        return {0, 1, 2, 3}

    def send(self, topic: str, **fields: object) -> Producer:
        self.sent.append((topic, fields["key"], fields["partition"]))  # type: ignore[arg-type]
        return self

    def add_errback(self, errback: object) -> None:
        pass


class Cluster:
    """What kafka-python's partitioner asks of the cluster metadata: four partitions."""

    def topics(self) -> set[str]:
        return set(TopicNames().inputs) | {TopicNames().dead_letter}

    def partitions_for_topic(self, topic: str) -> set[int]:
        return {0, 1, 2, 3}

    def available_partitions_for_topic(self, topic: str) -> set[int]:
        return {0, 1, 2, 3}


def test_each_key_goes_where_kafka_pythons_partitioner_puts_it(recording: Path) -> None:
    producer = Producer()
    sender = ValidatingSender(producer, TopicNames(), default_reference())
    for record, source, reason in plain(recording) * 2:
        sender.send_checked(record, source, reason)
    assert producer.sent
    for topic, key, partition in producer.sent:
        if key is None:
            assert partition is None
        else:
            kafka = DefaultPartitioner().partition(topic, None, key, None, None, Cluster())
            assert partition == kafka
