"""Points through Kafka: the agents write their InfluxDB points to the ``points`` topic, and
the ``points`` agent writes that topic to InfluxDB (the Kafka Connect pattern).

An InfluxDB outage then stops the points agent alone: counting and paging go on, the
points wait in Kafka (durably: an agent acknowledges its batch only once Kafka has its
points), and every one arrives when InfluxDB is back. Writes are idempotent (a point with
the same series and timestamp overwrites), so a points batch redone after a crash changes
nothing. A point InfluxDB refuses for good is dead-lettered with InfluxDB's reason and
never stops an agent.
"""

from __future__ import annotations

import zlib
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from functools import lru_cache
from typing import Final

from lugang.contract import DeadLetter, RawBytes
from streams.agents.ports import Outbox, Received
from streams.schema.points import Sample
from streams.sinks.base import LineSink

POINTS: Final = "points"
"""Kind of the internal topic of InfluxDB points: line protocol, one batch of lines per
message."""

CHUNK_BYTES: Final = 256 * 1024
"""The most line protocol one message carries (well under Kafka's 1 MB message limit)."""

SERIES_KEYS: Final = 8
"""Keys the points of a series are sent under: a series always has the same key, so its
points reach InfluxDB in the order they were sent (the last write of a point wins: a day's
total or an exception's status must not be overwritten by an older one that travelled
through another partition). A batch sends one message per key it has points for, so more
keys cost more: 64 keys, one worker ran 5 % slower (``bench``, 300,000 events, new-8-8-new:
6,635 / 6,423 against 6,954 / 6,747 events/s); 8 keys spread the points over up to 8
partitions. Changing it moves series to other keys: while workers of both values run, or
the points topic has unrelayed points of the old value, a point can overtake an older one
of its series (stop every worker and let the points agent catch up first)."""


_KEYS: Final = tuple(str(number).encode() for number in range(SERIES_KEYS))


def series_key(sample: Sample) -> bytes:
    """The message key of the sample's series (measurement and tags)."""
    return _series_key(sample.measurement, tuple(sample.tags.items()))


@lru_cache(maxsize=1 << 12)
def _series_key(measurement: str, tags: tuple[tuple[str, str], ...]) -> bytes:
    """Made once per series (a reefer's reading points repeat theirs; the size as for
    :func:`streams.schema.line._head`)."""
    series = measurement + "".join([f",{key}={value}" for key, value in sorted(tags)])
    return _KEYS[zlib.crc32(series.encode()) % SERIES_KEYS]


class RelayedMetrics:
    """A :class:`~streams.sinks.base.MetricSink` that sends the samples, as line protocol,
    to the points topic (one per agent or timer: ``flush`` awaits what its outbox sent)."""

    retries = 0
    errors = 0

    def __init__(self, outbox: Outbox, chunk_bytes: int = CHUNK_BYTES) -> None:
        self.outbox = outbox
        self.chunk_bytes = chunk_bytes
        self._lines: defaultdict[bytes, list[str]] = defaultdict(list)

    async def write(self, samples: Sequence[Sample]) -> None:
        """Queue the samples' lines, by series key."""
        for sample in samples:
            self._lines[series_key(sample)].append(sample.to_line())

    async def flush(self) -> None:
        """Send the queued lines and return once Kafka has them."""
        queued, self._lines = self._lines, defaultdict(list)
        for key, lines in queued.items():
            chunk: list[str] = []
            size = 0
            for line in lines:
                if chunk and size + len(line) + 1 > self.chunk_bytes:
                    await self.outbox.send(key, "\n".join(chunk).encode())
                    chunk, size = [], 0
                chunk.append(line)
                size += len(line.encode()) + 1
            if chunk:
                await self.outbox.send(key, "\n".join(chunk).encode())
        await self.outbox.delivered()

    async def close(self) -> None:
        await self.flush()


class PointsAgent:
    """Writes the points topic to InfluxDB; refused points go to the dead-letter topic."""

    def __init__(
        self,
        influx: LineSink,
        topic: str,
        dead_letters: Outbox,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.influx = influx
        self.topic = topic
        self.dead_letters = dead_letters
        self.clock = clock
        self._refused: list[tuple[str, str]] = []

    async def refused(self, line: str, reason: str) -> None:
        """The sink's callback for a point InfluxDB refused for good: queued to be
        dead-lettered with the batch."""
        self._refused.append((line, reason))

    async def handle(self, batch: Sequence[Received]) -> None:
        """Write the batch's lines; return once InfluxDB has them and every refused one is
        in the dead-letter topic."""
        for received in batch:
            value = received.message.value or b""
            lines = [line for line in value.decode(errors="replace").split("\n") if line]
            await self.influx.write_lines(lines)
        await self.influx.flush()
        refused, self._refused = self._refused, []
        for line, reason in refused:
            letter = DeadLetter(
                value=RawBytes.of(line.encode()),
                key=None,
                reason=f"sink: InfluxDB refused the point: {reason}",
                topic=self.topic,
                source="influxdb",
                dead_lettered_at=self.clock(),
            )
            await self.dead_letters.send(None, letter.model_dump_json().encode())
        await self.dead_letters.delivered()
