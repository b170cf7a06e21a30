"""Pages cold-chain exceptions and 天天班 warnings through the alert sink."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, date, datetime

from lugang.contract import ColdChainException
from lugang.reference import Reference
from streams.domain.status import DailyServiceStatus
from streams.schema.alerts import Alert, daily_service_alert, exception_alert
from streams.sinks.base import AlertSink, SinkRejected
from streams.state import LiveGaps

log = logging.getLogger(__name__)


class Pager:
    """Turns exceptions and warnings into alerts and fires them.

    A batch Alertmanager refuses for good (a bug of ours: logged, and counted in the sink's
    errors on the Pipeline health dashboard) must not stop the worker, which would stop the
    counts and every later page with it.
    """

    def __init__(
        self,
        alerts: AlertSink,
        reference: Reference,
        live_gaps: LiveGaps,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.alerts = alerts
        self.reference = reference
        self.live_gaps = live_gaps
        self.clock = clock

    async def page(
        self,
        exceptions: Iterable[ColdChainException],
        daily_service: Sequence[DailyServiceStatus] = (),
        day: date | None = None,
    ) -> None:
        """Fire (or resolve) the alerts of ``exceptions`` and of ``daily_service`` on ``day``.

        An exception opened and closed in the same call (seen already over, e.g. in a
        catch-up) is paged once as such rather than fired and resolved at once, which
        Alertmanager would notify to nobody."""
        now = self.clock()
        tz = self.reference.home.tz
        exceptions = list(exceptions)
        opened = {exc.exception_id for exc in exceptions if exc.status == "OPEN"}
        closed = {exc.exception_id for exc in exceptions if exc.status == "CLOSED"}
        seen_closed = opened & closed
        alerts = [
            exception_alert(exc, now, tz, seen_closed=exc.exception_id in seen_closed)
            for exc in exceptions
            if exc.exception_id not in seen_closed or exc.status == "CLOSED"
        ]
        if day is not None:
            alerts += [daily_service_alert(s.group, day, s.warning, now) for s in daily_service]
        await self.fire(alerts)

    async def fire(self, alerts: list[Alert]) -> None:
        try:
            await self.alerts.fire(alerts)
        except SinkRejected as exc:
            log.error("alerts dropped: %s", exc)
