"""The Alertmanager sink: alerts posted to ``/api/v2/alerts`` until it accepts them."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime

from streams.schema.alerts import Alert
from streams.sinks.http import Endpoint, EndpointCounters


class AlertmanagerSink(EndpointCounters):
    """Posts alerts to Alertmanager's ``/api/v2/alerts``, retrying until it accepts them.

    Counters: ``sent`` (alerts accepted), ``retries`` and ``errors``. ``source`` labels are added to
    every alert (the worker adds ``lugang=<app id>``).
    """

    def __init__(
        self, url: str, max_backoff: float = 30.0, source: Mapping[str, str] | None = None
    ) -> None:
        self._source = dict(source or {})
        self._endpoint = Endpoint(
            f"Alertmanager {url}",
            f"{url.rstrip('/')}/api/v2/alerts",
            {"Content-Type": "application/json"},
            max_backoff,
        )
        self.sent = 0

    async def fire(self, alerts: Sequence[Alert]) -> None:
        """Deliver the alerts in one request (waiting as long as Alertmanager is down; a
        firing alert's end is counted from the attempt that delivers it)."""
        if not alerts:
            return

        def body() -> bytes:
            now = datetime.now(UTC)
            return json.dumps([self._stamped(alert.renewed(now)) for alert in alerts]).encode()

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

    retries = 0
    errors = 0

    async def fire(self, alerts: Sequence[Alert]) -> None:
        """Nothing to do."""

    async def close(self) -> None:
        """Nothing to do."""
