"""In-process stand-ins for what the agents need of faust and of the servers: messages,
tables, topics and sinks implementing the same Protocols (``streams.agents.ports``,
``streams.sinks.base``). For the unit tier only; the integration tests use the real ones."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from lugang.contract import DeadLetter
from streams.agents.ports import PlainEvent, PlainMessage, Received
from streams.schema.alerts import Alert
from streams.schema.points import Sample

FakeMessage = PlainMessage
FakeEvent = PlainEvent


class Topic:
    """Messages of one topic, given offsets in the order they are made (one partition)."""

    def __init__(self, name: str, partition: int = 0) -> None:
        self.name = name
        self.partition = partition
        self.offset = 0

    def event(self, key: str | None, value: dict[str, Any] | bytes) -> FakeEvent:
        raw = value if isinstance(value, bytes) else orjson.dumps(value)
        encoded = None if key is None else key.encode()
        message = FakeMessage(self.name, self.partition, self.offset, encoded, raw)
        self.offset += 1
        return FakeEvent(message)


class MemoryOutbox:
    """A topic in a list; ``undelivered`` counts messages sent but not yet awaited."""

    def __init__(self) -> None:
        self.sent: list[tuple[bytes | None, bytes]] = []
        self.undelivered = 0

    async def send(self, key: bytes | None, value: bytes) -> None:
        self.sent.append((key, value))
        self.undelivered += 1

    async def delivered(self) -> None:
        self.undelivered = 0

    async def placed(self) -> list[tuple[int, int]]:
        first = len(self.sent) - self.undelivered
        placed = [(0, offset) for offset in range(first, len(self.sent))]
        self.undelivered = 0
        return placed

    def dead_letters(self) -> list[DeadLetter]:
        return [DeadLetter.model_validate_json(value) for _, value in self.sent]


class LoopbackOutbox:
    """A topic read at once: :meth:`delivered` hands what was sent since the last call, as
    events of one partition, to ``handle`` (an agent's), as Kafka and faust would."""

    def __init__(self, name: str, handle: Callable[[Sequence[Received]], Awaitable[None]]) -> None:
        self.topic = Topic(name)
        self.handle = handle
        self.sent: list[tuple[bytes | None, bytes]] = []
        self._pending: list[FakeEvent] = []

    async def send(self, key: bytes | None, value: bytes) -> None:
        self.sent.append((key, value))
        self._pending.append(self.topic.event(None if key is None else key.decode(), value))

    async def delivered(self) -> None:
        pending, self._pending = self._pending, []
        if pending:
            await self.handle(pending)


@dataclass
class FakeMetricSink:
    """Keeps what it is given; ``flushed`` is what a flush has seen."""

    samples: list[Sample] = field(default_factory=list)
    flushed: int = 0
    retries: int = 0
    errors: int = 0

    async def write(self, samples: Sequence[Sample]) -> None:
        self.samples.extend(samples)

    async def flush(self) -> None:
        self.flushed = len(self.samples)

    async def close(self) -> None:
        await self.flush()

    def measurement(self, name: str) -> list[Sample]:
        return [s for s in self.samples if s.measurement == name]


@dataclass
class FakeAlertSink:
    """Keeps every alert it fires."""

    fired: list[Alert] = field(default_factory=list)
    retries: int = 0
    errors: int = 0

    async def fire(self, alerts: Sequence[Alert]) -> None:
        self.fired.extend(alerts)

    async def close(self) -> None:
        """Nothing to release."""
