"""One HTTP endpoint posted to until it accepts: the retry loop both sinks share."""

from __future__ import annotations

import asyncio
import itertools
import logging
import random
from collections.abc import Callable, Mapping
from typing import Final

import aiohttp

from lugang.net import short_reason, where
from streams.sinks.base import SinkRejected

logger = logging.getLogger(__name__)

REQUEST_TIMEOUT_S: Final = 10.0
FIRST_BACKOFF_S: Final = 0.1
_RETRYABLE_4XX: Final = frozenset({401, 403, 404, 408, 429})
"""Refusals that say nothing of what was sent and may pass: a timeout or throttling, and a
token, permission or database/bucket that an operator can fix (retried, logged, while the
points and pages wait in Kafka), not a bad point to record or a bad alert."""


def backoff(attempt: int, cap: float) -> float:
    """Delay before retry number ``attempt``: doubling from ``FIRST_BACKOFF_S`` up to
    ``cap``, half of it random so that writers that failed together spread out."""
    step = min(cap, FIRST_BACKOFF_S * 2.0 ** min(attempt - 1, 32))
    return step / 2 + random.uniform(0, step / 2)  # noqa: S311 - jitter, not cryptography


class Endpoint:
    """One HTTP endpoint, posted to until it accepts: the retry loop both sinks share.

    ``errors`` counts failed requests, refused ones included; ``retries`` counts requests
    sent again after a failure.
    """

    def __init__(self, what: str, url: str, headers: Mapping[str, str], max_backoff: float) -> None:
        self.what = what
        self.url = url
        self.retries = 0
        self.errors = 0
        self._headers = dict(headers)
        self._max_backoff = max_backoff
        self._session: aiohttp.ClientSession | None = None

    async def post(self, body: bytes | Callable[[], bytes], description: str) -> None:
        """Post ``body`` until the server accepts it (a callable body is made anew for
        each attempt: an alert's end is counted from when it is sent, not first tried).

        Raises:
            SinkRejected: the server refused it for good.
        """
        for attempt in itertools.count(1):
            try:
                data = body() if callable(body) else body
                problem = await self._attempt(data, description)
            except (aiohttp.ClientConnectionError, TimeoutError) as exc:
                problem = f"cannot reach {where(self.url)} ({short_reason(exc, REQUEST_TIMEOUT_S)})"
            except aiohttp.ClientError as exc:
                problem = f"{type(exc).__name__}: {exc}"
            if problem is None:
                if attempt > 1:
                    logger.info("%s: %s delivered at attempt %d", self.what, description, attempt)
                return
            self.errors += 1
            delay = backoff(attempt, self._max_backoff)
            logger.warning(
                "%s: sending %s failed (attempt %d): %s; retrying in %.2f s",
                self.what,
                description,
                attempt,
                problem,
                delay,
            )
            await asyncio.sleep(delay)
            self.retries += 1

    async def _attempt(self, body: bytes, description: str) -> str | None:
        """One request: None when accepted, else why it may succeed later."""
        if self._session is None:
            timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_S)
            self._session = aiohttp.ClientSession(headers=self._headers, timeout=timeout)
        async with self._session.post(self.url, data=body) as response:
            if response.status < 300:
                return None
            answer = f"HTTP {response.status}: {(await response.text(errors='replace'))[:500]}"
        if response.status >= 500 or response.status in _RETRYABLE_4XX:
            return answer
        self.errors += 1
        raise SinkRejected(f"{self.what} refused {description}: {answer}")

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


class EndpointCounters:
    """A sink whose ``retries`` and ``errors`` are those of its :class:`Endpoint`."""

    _endpoint: Endpoint

    @property
    def retries(self) -> int:
        return self._endpoint.retries

    @property
    def errors(self) -> int:
        return self._endpoint.errors
