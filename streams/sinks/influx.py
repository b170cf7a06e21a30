"""The InfluxDB sink: buffered line protocol over the v2 write API (also served by 1.8+)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from urllib.parse import urlencode

from streams.schema.points import Sample
from streams.sinks.base import SinkRejected
from streams.sinks.http import Endpoint, EndpointCounters

logger = logging.getLogger(__name__)


class InfluxSink(EndpointCounters):
    """Buffers samples and writes them to InfluxDB (v2 write API, also served by 1.8+),
    one HTTP request per batch of line protocol.

    A batch leaves the buffer only once InfluxDB has accepted it, so cancelling a flush
    loses nothing. A background task flushes every ``flush_interval`` seconds; a writer
    that fills a batch flushes it itself and so waits while InfluxDB is unreachable.
    A batch InfluxDB refuses (4xx) is dropped (InfluxDB 1.x keeps the valid points of a
    batch it partly refuses) and :class:`SinkRejected` is raised; a refusal met by the
    background task is raised by the next :meth:`write`, :meth:`flush` or :meth:`close`,
    once that call has done its own work, so the caller's samples are never lost with it.

    Counters: ``written`` (samples accepted), ``retries`` and ``errors`` (see
    ``Endpoint``).
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
        self._rejected: SinkRejected | None = None
        self.written = 0

    async def write(self, samples: Sequence[Sample]) -> None:
        """Buffer samples; flush (and wait for it) once a batch is full."""
        self._buffer.extend(sample.to_line() for sample in samples)
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.get_running_loop().create_task(
                self._flush_every_interval(), name="influx-sink-flush"
            )
        if len(self._buffer) >= self._batch_size:
            await self._flush()
        self._raise_rejected()

    async def flush(self) -> None:
        """Return once InfluxDB has accepted everything written so far."""
        await self._flush()
        self._raise_rejected()

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
        self._raise_rejected()

    def _raise_rejected(self) -> None:
        error, self._rejected = self._rejected, None
        if error is not None:
            raise error

    async def _flush(self) -> None:
        async with self._lock:
            while self._buffer:
                batch = self._buffer[: self._batch_size]
                try:
                    await self._endpoint.post("\n".join(batch).encode(), f"{len(batch)} samples")
                except SinkRejected:
                    del self._buffer[: len(batch)]  # refused for good; InfluxDB kept what it could
                    raise
                del self._buffer[: len(batch)]
                self.written += len(batch)

    async def _flush_every_interval(self) -> None:
        while True:
            await asyncio.sleep(self._flush_interval)
            try:
                await self._flush()
            except SinkRejected as error:
                logger.error("%s", error)
                self._rejected = error


class NullMetricSink:
    """Drops every sample: used when InfluxDB is not configured."""

    retries = 0
    errors = 0

    async def write(self, samples: Sequence[Sample]) -> None:
        """Nothing to do."""

    async def flush(self) -> None:
        """Nothing to do."""

    async def close(self) -> None:
        """Nothing to do."""
