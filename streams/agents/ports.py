"""What an agent needs of faust, as Protocols: the messages it reads, the tables it keeps
and the topics it sends to.

faust implements them (``streams.faustfix.tables``); the in-process tests implement them
with dictionaries and lists (``tests/fakes.py``), so every agent runs without a broker.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol


class Message(Protocol):
    """A Kafka message as an agent reads it (faust's ``Message``)."""

    @property
    def topic(self) -> str: ...

    @property
    def partition(self) -> int: ...

    @property
    def offset(self) -> int: ...

    @property
    def key(self) -> bytes | None: ...

    @property
    def value(self) -> bytes | None: ...


class Received(Protocol):
    """One event of a batch (faust's ``EventT``): the message it came in."""

    @property
    def message(self) -> Message: ...


class Table(Protocol):
    """A keyed state table whose writes land in the partition of the event that caused them.

    A write is queued; :meth:`delivered` returns once every write since its last call is
    in the table's changelog, which an agent awaits before it acknowledges its batch.
    """

    def get(self, key: bytes, owner: Received | None = None) -> bytes | None:
        """The stored value of ``key`` (``owner``: an event of that key, a faster look-up)."""

    def __contains__(self, key: object) -> bool: ...

    def items(self) -> Iterable[tuple[bytes, bytes]]:
        """Every key and value this worker holds."""

    def values(self) -> Iterable[bytes]:
        """Every value this worker holds."""

    def put(self, owner: Received, key: bytes, value: bytes | None) -> None:
        """Set ``key`` (delete it when ``value`` is None) in the partition of ``owner``."""

    def delete_in(self, partition: int, key: bytes) -> None:
        """Delete ``key``, writing the deletion to changelog partition ``partition`` (a
        timer has no event to name the partition with)."""

    async def delivered(self) -> None:
        """Return once every write since the last call is in the changelog."""


class Outbox(Protocol):
    """A topic one agent sends to: :meth:`delivered` awaits what was sent through this
    outbox, so two agents sending to one topic each need an outbox of their own (a shared
    one would let an agent return while another's messages are still in flight)."""

    async def send(self, key: bytes | None, value: bytes) -> None:
        """Queue a message (waits only while the producer's buffer is full)."""

    async def delivered(self) -> None:
        """Return once Kafka has every message sent since the last call."""


class Letterbox(Outbox, Protocol):
    """The dead-letter topic as an outbox that also tells where each letter went."""

    async def placed(self) -> list[tuple[int, int]]:
        """:meth:`delivered`, returning the partition and offset of each message sent since
        the last call, in the order sent."""
        ...


@dataclass(frozen=True)
class PlainMessage:
    """A message made here rather than read from Kafka (a timer's stand-in, a test's)."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None


@dataclass(frozen=True)
class PlainEvent:
    """An event carrying a :class:`PlainMessage`."""

    message: PlainMessage


def timer_owner(partition: int, key: bytes) -> Received:
    """A stand-in event for a timer's table write of ``key`` in ``partition`` (a table
    writes to the partition of the event it is handed)."""
    return PlainEvent(PlainMessage("timer", partition, -1, key, None))
