"""The InfluxDB sink: buffered line protocol over the v2 write API (also served by 1.8+).

A point InfluxDB refuses for good never stops the agent that wrote it: the refused batch
is split in halves, sent again, until each refused line is alone; the others are written
and the refused one is recorded (counted, logged, handed to an ``on_refused`` callback, the
worker's dead-letter topic). Nothing here raises :class:`SinkRejected` to a caller.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from urllib.parse import urlencode

from streams.schema.points import Sample
from streams.sinks.base import RefusedCallback, SinkRejected
from streams.sinks.http import Endpoint, EndpointCounters

logger = logging.getLogger(__name__)


class InfluxSink(EndpointCounters):
    """Buffers samples and writes them to InfluxDB (v2 write API, also served by 1.8+),
    one HTTP request per batch of line protocol.

    A background task flushes every ``flush_interval`` seconds; a writer that fills a
    batch flushes it itself and so waits while InfluxDB is unreachable: a failure that may
    pass (unreachable, timeout, 5xx, 408, 429) is retried forever.

    A batch InfluxDB refuses for good (any other 4xx) is bisected: each half is sent again,
    and each refused half split again, until every refused line is alone. InfluxDB 1.x
    answers 400 "partial write" and keeps the valid lines of a batch, 2.x may refuse the
    whole batch; bisecting serves both, and sending an accepted line again is harmless
    (same series and timestamp: it overwrites). Only refusals cost requests: k refused
    lines among n take about 2·k·log2(n/k) more (one among 5,000: about 26), never more
    than 2·n - 1. A refused line alone is *recorded*: counted in ``refused``, logged at
    error level with InfluxDB's reason, and handed to ``on_refused(line, reason)`` if
    given (at construction, or later as the attribute); it then leaves the buffer.
    :meth:`write`, :meth:`flush` and :meth:`close` never raise :class:`SinkRejected`; an
    exception of ``on_refused`` reaches the caller (the background task logs it) and its
    line stays buffered, to be sent and recorded again.

    Lines leave the buffer from its front, each only once accepted or recorded, so a
    cancelled flush loses nothing (a line whose ``on_refused`` it cut is recorded again).

    Counters: ``written`` (samples accepted), ``refused`` (samples recorded as refused),
    ``retries`` and ``errors`` (requests, refused ones included; see ``Endpoint``).
    """

    def __init__(
        self,
        url: str,
        token: str,
        org: str,
        bucket: str,
        batch_size: int = 5000,
        flush_interval: float = 1.0,
        max_backoff: float = 30.0,
        on_refused: RefusedCallback | None = None,
    ) -> None:
        query = urlencode({"org": org, "bucket": bucket, "precision": "ns"})
        self._endpoint = Endpoint(
            f"InfluxDB {url}",
            f"{url.rstrip('/')}/api/v2/write?{query}",
            {"Authorization": f"Token {token}", "Content-Type": "text/plain; charset=utf-8"},
            max_backoff,
        )
        self._batch_size = batch_size
        self._flush_interval = flush_interval
        self._buffer: list[str] = []
        self._lock = asyncio.Lock()
        self._flusher: asyncio.Task[None] | None = None
        self.on_refused = on_refused  # may also be set later, before the first write
        self.written = 0
        self.refused = 0

    async def write(self, samples: Sequence[Sample]) -> None:
        """Buffer samples; flush (and wait for it) once a batch is full."""
        await self.write_lines([sample.to_line() for sample in samples])

    async def write_lines(self, lines: Sequence[str]) -> None:
        """Buffer lines of line protocol (one point each, as :meth:`Sample.to_line` makes
        them); flush (and wait for it) once a batch is full."""
        self._buffer.extend(lines)
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.get_running_loop().create_task(
                self._flush_every_interval(), name="influx-sink-flush"
            )
        if len(self._buffer) >= self._batch_size:
            await self._flush()

    async def flush(self) -> None:
        """Return once everything written so far is accepted by InfluxDB or recorded as
        refused."""
        await self._flush()

    async def close(self) -> None:
        """Stop the background task, flush (waiting as long as InfluxDB is down) and
        release the connection."""
        if self._flusher is not None:
            self._flusher.cancel()
            await asyncio.wait([self._flusher])
            self._flusher = None
        try:
            await self._flush()
        finally:
            await self._endpoint.close()

    async def _flush(self) -> None:
        async with self._lock:
            while self._buffer:
                await self._deliver(min(len(self._buffer), self._batch_size))

    async def _deliver(self, size: int) -> None:
        """Send the first ``size`` lines of the buffer, bisecting on refusal; each line
        leaves the buffer once accepted or recorded as refused."""
        pending = [size]  # sizes of the chunks at the buffer's front, the next one last
        bisecting = False
        while pending:
            size = pending.pop()
            chunk = self._buffer[:size]
            description = f"{size} sample{'' if size == 1 else 's'}"
            try:
                await self._endpoint.post("\n".join(chunk).encode(), description)
            except SinkRejected as refusal:
                reason = str(refusal).removeprefix(f"{self._endpoint.what} refused {description}: ")
                if size > 1:
                    if not bisecting:
                        bisecting = True
                        logger.warning(
                            "%s refused a batch of %d samples (%s); sending it again in halves"
                            " to find the refused ones",
                            self._endpoint.what,
                            size,
                            reason,
                        )
                    half = size // 2
                    pending += [size - half, half]  # the first half is sent first
                    continue
                await self._record_refused(chunk[0], reason)
            else:
                self.written += size
            del self._buffer[:size]

    async def _record_refused(self, line: str, reason: str) -> None:
        logger.error(
            "%s refused a sample for good: %s; line: %s", self._endpoint.what, reason, line
        )
        if self.on_refused is not None:
            await self.on_refused(line, reason)
        self.refused += 1

    async def _flush_every_interval(self) -> None:
        while True:
            await asyncio.sleep(self._flush_interval)
            try:
                await self._flush()
            except Exception:  # on_refused failed: its line stays buffered for the next try
                logger.exception("%s: background flush failed", self._endpoint.what)


class NullMetricSink:
    """Drops every sample: used when InfluxDB is not configured."""

    retries = 0
    errors = 0
    on_refused: RefusedCallback | None = None

    async def write(self, samples: Sequence[Sample]) -> None:
        """Nothing to do."""

    async def write_lines(self, lines: Sequence[str]) -> None:
        """Nothing to do."""

    async def flush(self) -> None:
        """Nothing to do."""

    async def close(self) -> None:
        """Nothing to do."""
