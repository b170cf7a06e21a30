"""Where the stream's results go: InfluxDB for metrics, Alertmanager for pages.

Both sinks sit behind small Protocols (``MetricSink``, ``AlertSink``) and own their
retries. A request that fails for a reason that may pass (connection refused or reset,
timeout, HTTP 5xx, 408 or 429) is retried with exponential backoff and jitter until the
server accepts it, so nothing is dropped while a server is down: the caller waits, which
is the backpressure the stream needs. A request refused for good (any other 4xx) means
our own points or alerts are wrong; it raises :class:`SinkRejected` with the server's
message rather than retrying forever.

Sending again is safe because both writes are idempotent: a point with the same series
and timestamp overwrites the earlier one (see ``streams.schema.points``), and an alert with the
same labels is the same alert to Alertmanager. A request whose answer was lost can
therefore simply be repeated; that is also why one cold-chain exception (one
``exception_id`` label) never pages twice.

The sinks talk HTTP through aiohttp directly. influxdb-client's batching writer loses
points unless it is closed, its retries exist only in that mode, and its async client
neither retries nor parses query results without the extra ``aiocsv`` package.
HTTP sessions are created on first use inside the running event loop, never at import or
construction time, because faust creates its loop later.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta, tzinfo
from typing import Final, Protocol
from urllib.parse import urlencode

import aiohttp

from lugang.contract import ColdChainException, ExceptionKind
from lugang.reference import default_reference
from lugang.settings import Settings
from streams.schema.points import UNKNOWN, Sample

logger = logging.getLogger(__name__)

REQUEST_TIMEOUT_S: Final = 10.0
FIRST_BACKOFF_S: Final = 0.1
RESEND_WINDOW: Final = timedelta(hours=1)
"""How long a firing alert stays active at Alertmanager without being sent again."""

_RETRYABLE_4XX: Final = frozenset({408, 429})


class SinkRejected(Exception):
    """The server refused a request for good (HTTP 4xx other than 408/429): a bug in what
    we sent. The message carries the server's answer."""


class MetricSink(Protocol):
    """Takes samples for a time-series database."""

    async def write(self, samples: Sequence[Sample]) -> None:
        """Accept samples; may wait while earlier ones cannot be delivered (backpressure)."""

    async def flush(self) -> None:
        """Return once everything written so far has been delivered."""

    async def close(self) -> None:
        """Flush, then release connections."""


@dataclass(frozen=True, slots=True)
class Alert:
    """An alert as Alertmanager's ``POST /api/v2/alerts`` takes it. The labels identify
    it; an ``ends_at`` in the past resolves it."""

    labels: Mapping[str, str]
    annotations: Mapping[str, str]
    starts_at: datetime
    ends_at: datetime | None = None

    def __post_init__(self) -> None:
        for moment in (self.starts_at, self.ends_at):
            if moment is not None and moment.utcoffset() is None:
                raise ValueError(f"alert {dict(self.labels)}: times need a UTC offset")

    def to_json(self) -> dict[str, object]:
        """The alert as Alertmanager's JSON (RFC 3339 times)."""
        alert: dict[str, object] = {
            "labels": dict(self.labels),
            "annotations": dict(self.annotations),
            "startsAt": self.starts_at.isoformat(),
        }
        if self.ends_at is not None:
            alert["endsAt"] = self.ends_at.isoformat()
        return alert


class AlertSink(Protocol):
    """Takes alerts to fire or resolve."""

    async def fire(self, alerts: Sequence[Alert]) -> None:
        """Return once the alerts have been delivered."""

    async def close(self) -> None:
        """Release connections."""


def _backoff(attempt: int, cap: float) -> float:
    """Delay before retry number ``attempt``: doubling from ``FIRST_BACKOFF_S`` up to
    ``cap``, half of it random so that writers that failed together spread out."""
    step = min(cap, FIRST_BACKOFF_S * 2.0 ** min(attempt - 1, 32))
    return step / 2 + random.uniform(0, step / 2)  # noqa: S311 - jitter, not cryptography


class _Endpoint:
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

    async def post(self, body: bytes, description: str) -> None:
        """Post ``body`` until the server accepts it.

        Raises:
            SinkRejected: the server refused it for good.
        """
        for attempt in itertools.count(1):
            try:
                problem = await self._attempt(body, description)
            except (aiohttp.ClientError, TimeoutError) as exc:
                problem = f"{type(exc).__name__}: {exc}"
            if problem is None:
                if attempt > 1:
                    logger.info("%s: %s delivered at attempt %d", self.what, description, attempt)
                return
            self.errors += 1
            delay = _backoff(attempt, self._max_backoff)
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


class InfluxSink:
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
    ``_Endpoint``).
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
        self._endpoint = _Endpoint(
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

    @property
    def retries(self) -> int:
        return self._endpoint.retries

    @property
    def errors(self) -> int:
        return self._endpoint.errors

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

    async def write(self, samples: Sequence[Sample]) -> None:
        """Nothing to do."""

    async def flush(self) -> None:
        """Nothing to do."""

    async def close(self) -> None:
        """Nothing to do."""


_KIND_TEXT: Final[Mapping[ExceptionKind, tuple[str, str]]] = {
    "HIGH": ("HIGH excursion", "冷链温度超限（偏高）"),
    "LOW": ("LOW excursion", "冷链温度超限（偏低）"),
    "CUMULATIVE": ("cumulative time out of band", "冷链累计超温"),
    "POWER_OFF": ("power off", "冷机断电"),
    "TELEMETRY_GAP": ("no telemetry", "温度数据中断"),
    "SETPOINT_MISMATCH": ("setpoint outside the safe band", "设定温度错误"),
}


def exception_alert(
    exc: ColdChainException,
    now: datetime,
    resend_window: timedelta = RESEND_WINDOW,
    tz: tzinfo | None = None,
) -> Alert:
    """The page for a cold-chain exception; its labels identify the exception.

    Open, it stays active until ``now + resend_window`` (counted from its start if that is
    later, e.g. a replayed recording dated ahead of the clock: Alertmanager refuses an
    alert that ends before it starts): the worker re-sends open exceptions more often
    than that, so Alertmanager never resolves one on its own.
    Closed, it ends at ``exc.ended_at``, normally in the past, which resolves it. Times in
    the text are local to ``tz`` (default: the reference's home timezone).
    """
    english, chinese = _KIND_TEXT[exc.kind]
    zone = tz or default_reference().home.tz

    def local(moment: datetime) -> str:
        moment = moment.astimezone(zone)
        return f"{moment:%Y-%m-%d %H:%M} {moment.tzname()}"

    commodity = exc.commodity or UNKNOWN
    corridor = exc.corridor or UNKNOWN
    peak = ""
    if exc.peak_deviation_c is not None:
        peak = f", peak {exc.peak_deviation_c:.1f} °C outside band"
    summary = (
        f"Reefer {exc.equipment_reference} ({commodity}) {english} "
        f"since {local(exc.started_at)}{peak} / {chinese}"
    )
    description = (
        f"{english} ({chinese}) of reefer {exc.equipment_reference} carrying {commodity} "
        f"on corridor {corridor}, since {local(exc.started_at)}"
    )
    if exc.ended_at is not None:
        description += f", ended {local(exc.ended_at)} ({(exc.duration_s or 0) / 60:.0f} min)"
    description += f". Exception {exc.exception_id}."
    labels = {
        "alertname": "ColdChainException",
        "kind": exc.kind,
        "corridor": corridor,
        "commodity": commodity,
        "container": exc.equipment_reference,
        "exception_id": exc.exception_id,
        "severity": "page",
    }
    ends_at = max(now, exc.started_at) + resend_window if exc.ended_at is None else exc.ended_at
    annotations = {"summary": summary, "description": description}
    return Alert(labels, annotations, exc.started_at, ends_at)


def daily_service_alert(
    group: str,
    day: date,
    warning: bool,
    now: datetime,
    resend_window: timedelta = RESEND_WINDOW,
) -> Alert:
    """天天班 at risk: no outbound run of ``group`` yet on ``day`` past the warning hour.
    Firing while ``warning``, resolved (ending ``now``) otherwise. Alertmanager keeps the
    earliest start of an alert it already has, so re-sending with a later ``now`` is fine."""
    labels = {
        "alertname": "DailyServiceAtRisk",
        "service_group": group,
        "day": day.isoformat(),
        "severity": "warning",
    }
    annotations = {
        "summary": f"No outbound {group} train has departed yet on {day} / {day} 天天班尚未发车",
        "description": (
            f"Daily service (天天班) of {group}: no outbound run on {day} "
            "by the warning hour; the day will count as missed if none departs."
        ),
    }
    return Alert(labels, annotations, now, now + resend_window if warning else now)


class AlertmanagerSink:
    """Posts alerts to Alertmanager's ``/api/v2/alerts``, retrying until it accepts them.

    Counters: ``sent`` (alerts accepted), ``retries``. ``source`` labels are added to
    every alert (the worker adds ``lugang=<app id>``).
    """

    def __init__(
        self, url: str, max_backoff: float = 30.0, source: Mapping[str, str] | None = None
    ) -> None:
        self._source = dict(source or {})
        self._endpoint = _Endpoint(
            f"Alertmanager {url}",
            f"{url.rstrip('/')}/api/v2/alerts",
            {"Content-Type": "application/json"},
            max_backoff,
        )
        self.sent = 0

    @property
    def retries(self) -> int:
        return self._endpoint.retries

    async def fire(self, alerts: Sequence[Alert]) -> None:
        """Deliver the alerts in one request (waiting as long as Alertmanager is down)."""
        if not alerts:
            return
        body = json.dumps([self._stamped(alert) for alert in alerts]).encode()
        await self._endpoint.post(body, f"{len(alerts)} alerts")
        self.sent += len(alerts)

    def _stamped(self, alert: Alert) -> dict[str, object]:
        """The alert's JSON with the ``source`` labels, which say which Lugang sent it
        (one Alertmanager can serve several ports, or several test pipelines)."""
        return replace(alert, labels={**alert.labels, **self._source}).to_json()

    async def close(self) -> None:
        await self._endpoint.close()


class NullAlertSink:
    """Drops every alert: used when Alertmanager is not configured."""

    async def fire(self, alerts: Sequence[Alert]) -> None:
        """Nothing to do."""

    async def close(self) -> None:
        """Nothing to do."""


def build_sinks(settings: Settings) -> tuple[MetricSink, AlertSink]:
    """The sinks the settings ask for; a Null sink where a server URL is unset."""
    metrics: MetricSink = NullMetricSink()
    if settings.influx_url:
        metrics = InfluxSink(
            settings.influx_url,
            settings.influx_token.get_secret_value(),
            settings.influx_org,
            settings.influx_bucket,
            max_backoff=settings.sink_max_backoff_s,
        )
    alerts: AlertSink = NullAlertSink()
    if settings.alertmanager_url:
        alerts = AlertmanagerSink(
            settings.alertmanager_url,
            max_backoff=settings.sink_max_backoff_s,
            source={"lugang": settings.app_id},
        )
    return metrics, alerts
