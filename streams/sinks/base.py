"""The sinks' interfaces: what the worker needs of a metric store and of a pager.

A sink owns its retries: a request that fails for a reason that may pass is retried until
the server accepts it (the caller waits: backpressure). What a server refuses for good
depends on the sink: the metric sink isolates and records each refused point and never
raises for it (one bad point must not stop an agent), the alert sink raises
:class:`SinkRejected`. Every sink counts its ``retries`` and ``errors`` for the
pipeline-health measurement; fakes in ``tests/fakes.py`` implement the same Protocols.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol

from lugang.errors import LugangError
from streams.schema.alerts import Alert
from streams.schema.points import Sample

RefusedCallback = Callable[[str, str], Awaitable[None]]
"""Called with a line the database refused for good and the database's reason."""


class SinkRejected(LugangError):
    """The server refused a request for good (HTTP 4xx other than 401/403/404/408/429):
    a bug in what we sent. The message carries the server's answer."""


class SinkHealth(Protocol):
    """What every sink counts, for the pipeline-health measurement: requests that failed
    (refused ones included) and requests sent again after a failure, since it was made."""

    @property
    def retries(self) -> int: ...

    @property
    def errors(self) -> int: ...


class MetricSink(SinkHealth, Protocol):
    """Takes samples for a time-series database.

    A sample the database refuses for good is recorded (counted, logged, handed to the
    sink's dead-letter callback) while the others are still delivered: no method raises
    :class:`SinkRejected`.
    """

    async def write(self, samples: Sequence[Sample]) -> None:
        """Accept samples; may wait while earlier ones cannot be delivered (backpressure)."""

    async def flush(self) -> None:
        """Return once everything written so far has been delivered or recorded as
        refused."""

    async def close(self) -> None:
        """Flush, then release connections."""


class LineSink(MetricSink, Protocol):
    """The time-series database itself, as the points agent writes to it
    (``streams.agents.relay``): the agents' samples reach it as line protocol."""

    on_refused: RefusedCallback | None
    """Called with each line the database refused for good and its reason."""

    async def write_lines(self, lines: Sequence[str]) -> None:
        """Accept points already in line protocol; may wait (backpressure)."""


class AlertSink(SinkHealth, Protocol):
    """Takes alerts to fire or resolve."""

    async def fire(self, alerts: Sequence[Alert]) -> None:
        """Return once the alerts have been delivered."""

    async def close(self) -> None:
        """Release connections."""
