"""Replay: publish a JSON Lines recording to Kafka, keeping each key's order."""

from __future__ import annotations

from collections.abc import Generator, Iterator
from pathlib import Path

from lugang.contract import TOPIC_KINDS
from lugang.reference import Reference
from producers.ahead import Checked, Checker
from producers.pacing import paced_by
from producers.records import Record, RecordingError, read_topics


def check_recording(path: Path) -> int:
    """Read the whole recording before anything is sent; return its record count.

    Raises:
        RecordingError: an unreadable or truncated line, or a topic that is not an input
            topic kind (the message names the file and line).
    """
    count = 0
    for count, topic in enumerate(read_topics(path), start=1):
        if topic not in TOPIC_KINDS:
            raise RecordingError(
                f"{path}: record {count}: unknown topic {topic!r} "
                f"(expected one of {', '.join(TOPIC_KINDS)})"
            )
    return count


def replayed_records(
    path: Path, speed: float | None, reference: Reference, checker: Checker
) -> Generator[tuple[Record, str, str | None]]:
    """The records of a checked recording in file order, paced by ``speed``, each with its
    source (``FILE:N``) for dead letters and its verdict (why it breaks the event contract,
    None if it keeps it) from ``checker`` (:mod:`producers.ahead`).

    Sent by one producer in this order with idempotent retries, the records of one key
    (one partition) arrive in the order they were recorded.
    """
    checked = paced_by(checker.checked(_lines(path), reference), speed, _at)
    for number, (record, reason) in enumerate(checked, start=1):
        yield record, f"{path.name}:{number}", reason


def _lines(path: Path) -> Iterator[bytes]:
    """The recording's non-blank lines (the records :func:`read_recording` reads)."""
    with path.open("rb") as file:
        for line in file:
            if line.strip():
                yield line


def _at(checked: Checked) -> int:
    return checked[0].timestamp_ms
