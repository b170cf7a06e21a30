"""Replay: publish a JSON Lines recording to Kafka, keeping each key's order."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from lugang.contract import TOPIC_KINDS
from producers.pacing import paced
from producers.records import Record, RecordingError, read_recording


def check_recording(path: Path) -> int:
    """Read the whole recording before anything is sent; return its record count.

    Raises:
        RecordingError: an unreadable or truncated line, or a topic that is not an input
            topic kind (the message names the file and line).
    """
    count = 0
    for count, record in enumerate(read_recording(path), start=1):
        if record.topic not in TOPIC_KINDS:
            raise RecordingError(
                f"{path}: record {count}: unknown topic {record.topic!r} "
                f"(expected one of {', '.join(TOPIC_KINDS)})"
            )
    return count


def replayed_records(path: Path, speed: float | None) -> Iterator[tuple[Record, str]]:
    """The records of a checked recording in file order, paced by ``speed``, each with its
    source (``FILE:N``) for dead letters.

    Sent by one producer in this order with idempotent retries, the records of one key
    (one partition) arrive in the order they were recorded.
    """
    for number, record in enumerate(paced(read_recording(path), speed), start=1):
        yield record, f"{path.name}:{number}"
