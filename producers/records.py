"""Records as they travel on Kafka, and recordings of them as JSON Lines.

A recording line is ``{"topic": …, "key": …, "value": {…}, "timestamp": …}``: ``topic`` is
the topic *kind* (``trains``, ``containers``, ``reefer``; real names are configuration),
``key`` the entity id, ``value`` the message's JSON and ``timestamp`` the Kafka timestamp in
milliseconds since the epoch. A value that is not JSON (a malformed message, kept so that a
replay reproduces it) is stored as ``"value_b64"`` instead of ``"value"``.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, TypeVar

import orjson

T = TypeVar("T")


class RecordingError(ValueError):
    """A recording line that cannot be read; the message names the file and line."""


@dataclass(frozen=True, slots=True)
class Record:
    """One Kafka message: the topic kind, the key, the exact value bytes, the timestamp."""

    topic: str
    key: str | None
    value: bytes
    timestamp_ms: int

    @classmethod
    def of_json(cls, topic: str, key: str | None, value: Any, timestamp_ms: int) -> Record:
        """A record whose value is ``value`` serialised as compact JSON."""
        return cls(topic, key, orjson.dumps(value), timestamp_ms)

    def to_line(self) -> bytes:
        """This record as one recording line, newline included."""
        line: dict[str, Any] = {"topic": self.topic, "key": self.key}
        try:
            line["value"] = orjson.loads(self.value)
        except orjson.JSONDecodeError:
            line["value_b64"] = base64.b64encode(self.value).decode("ascii")
        line["timestamp"] = self.timestamp_ms
        return orjson.dumps(line) + b"\n"

    @classmethod
    def from_line(cls, line: bytes) -> Record:
        """Parse one recording line; raise :class:`RecordingError` (without the place)."""
        fields = _fields(line)
        value = orjson.dumps(fields["value"]) if "value" in fields else _base64_value(fields)
        return cls(fields["topic"], fields["key"], value, fields["timestamp"])


def topic_of_line(line: bytes) -> str:
    """The topic kind of one recording line, checked as :meth:`Record.from_line` checks it,
    without building the record (a JSON value is not serialised again)."""
    fields = _fields(line)
    if "value" not in fields:
        _base64_value(fields)
    topic: str = fields["topic"]
    return topic


def _base64_value(fields: dict[str, Any]) -> bytes:
    try:
        return base64.b64decode(fields["value_b64"], validate=True)
    except binascii.Error:
        raise RecordingError("'value_b64' is not base64") from None


def _fields(line: bytes) -> dict[str, Any]:
    """A recording line's JSON object, its fields checked; raise :class:`RecordingError`."""
    try:
        fields = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        raise RecordingError(f"not JSON ({exc})") from None
    if not isinstance(fields, dict):
        raise RecordingError("not a JSON object")
    topic, key, timestamp = fields.get("topic"), fields.get("key"), fields.get("timestamp")
    if not isinstance(topic, str) or not topic:
        raise RecordingError("'topic' must be a non-empty string")
    if key is not None and not isinstance(key, str):
        raise RecordingError("'key' must be a string or null")
    if not isinstance(timestamp, int) or isinstance(timestamp, bool) or timestamp < 0:
        raise RecordingError("'timestamp' must be milliseconds since the epoch")
    if "value" not in fields and not isinstance(fields.get("value_b64"), str):
        raise RecordingError("needs 'value' (JSON) or 'value_b64'")
    return fields


def read_recording(path: Path) -> Iterator[Record]:
    """The records of a JSON Lines recording, in file order.

    Raises:
        RecordingError: a line cannot be read (the message says which file and line; a
            last line without its newline is reported as truncated).
        OSError: the file cannot be opened.
    """
    return _read_lines(path, Record.from_line)


def read_topics(path: Path) -> Iterator[str]:
    """The topic kind of each record of a recording, read as :func:`read_recording` reads
    it (with the same errors) at about half its cost: the check of a whole recording
    before a replay sends any of it."""
    return _read_lines(path, topic_of_line)


def _read_lines(path: Path, parse: Callable[[bytes], T]) -> Iterator[T]:
    with path.open("rb") as file:
        for number, line in enumerate(file, start=1):
            if not line.strip():
                continue
            try:
                yield parse(line)
            except RecordingError as exc:
                truncated = "" if line.endswith(b"\n") else " (the file looks truncated)"
                raise RecordingError(f"{path}:{number}: {exc}{truncated}") from None


def write_recording(records: Iterable[Record], out: IO[bytes]) -> int:
    """Write records as JSON Lines to a binary stream; return how many were written."""
    count = 0
    for record in records:
        out.write(record.to_line())
        count += 1
    return count
