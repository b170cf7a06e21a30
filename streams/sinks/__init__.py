"""Where the stream's results go: InfluxDB for metrics, Alertmanager for pages.

Both sinks sit behind small Protocols (``MetricSink``, ``AlertSink``) and own their
retries. A request that fails for a reason that may pass (connection refused or reset,
timeout, HTTP 5xx, 401, 403, 404, 408 or 429) is retried with exponential backoff and
jitter until the server accepts it, so nothing is dropped while a server is down: the
caller waits, which is the backpressure the stream needs. A request refused for good (any
other 4xx) means our own points or alerts are wrong: the InfluxDB sink isolates and
records the refused points (they go to the dead-letter topic) and writes the rest; the
Alertmanager sink raises :class:`SinkRejected` with the server's message rather than
retrying forever.

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

from lugang.settings import Settings
from streams.schema.alerts import Alert
from streams.sinks.alertmanager import AlertmanagerSink, NullAlertSink
from streams.sinks.base import AlertSink, LineSink, MetricSink, SinkRejected
from streams.sinks.influx import InfluxSink, NullMetricSink

__all__ = [
    "Alert",
    "AlertSink",
    "AlertmanagerSink",
    "InfluxSink",
    "LineSink",
    "MetricSink",
    "NullAlertSink",
    "NullMetricSink",
    "SinkRejected",
    "build_sinks",
]


def build_sinks(settings: Settings) -> tuple[LineSink, AlertSink]:
    """The sinks the settings ask for; a Null sink where a server URL is unset."""
    metrics: LineSink = NullMetricSink()
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
