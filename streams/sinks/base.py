"""The sinks' interfaces: what the worker needs of a metric store and of a pager.

A sink owns its retries: a request that fails for a reason that may pass is retried until
the server accepts it (the caller waits: backpressure), and one refused for good raises
:class:`SinkRejected`. Every sink counts its ``retries`` and ``errors`` for the
pipeline-health measurement; fakes in ``tests/fakes.py`` implement the same Protocols.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from lugang.errors import LugangError
from streams.schema.alerts import Alert
from streams.schema.points import Sample


class SinkRejected(LugangError):
    """The server refused a request for good (HTTP 4xx other than 408/429): a bug in what
    we sent. The message carries the server's answer."""


class SinkHealth(Protocol):
    """What every sink counts, for the pipeline-health measurement: requests that failed
    (refused ones included) and requests sent again after a failure, since it was made."""

    @property
    def retries(self) -> int: ...

    @property
    def errors(self) -> int: ...


class MetricSink(SinkHealth, Protocol):
    """Takes samples for a time-series database."""

    async def write(self, samples: Sequence[Sample]) -> None:
        """Accept samples; may wait while earlier ones cannot be delivered (backpressure)."""

    async def flush(self) -> None:
        """Return once everything written so far has been delivered."""

    async def close(self) -> None:
        """Flush, then release connections."""


class AlertSink(SinkHealth, Protocol):
    """Takes alerts to fire or resolve."""

    async def fire(self, alerts: Sequence[Alert]) -> None:
        """Return once the alerts have been delivered."""

    async def close(self) -> None:
        """Release connections."""
