"""Asks for pages: cold-chain exceptions, 天天班 warnings and overdue trains go to the
``pages`` topic.

The paging agent (:mod:`streams.agents.paging`) reads that topic and talks to
Alertmanager; the agents and timers only wait for Kafka to have their request, so an
Alertmanager outage stops the paging agent alone, never the counting or the cold chain.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

from lugang.contract import ColdChainException
from streams.agents.ports import Outbox
from streams.domain.status import DailyServiceStatus
from streams.domain.transit import RunUnderWay
from streams.schema.pages import DailyServiceWarning, PageRequest
from streams.state import LiveGaps


class Pager:
    """Sends page requests through ``outbox`` (one per agent or timer: an outbox's
    ``delivered()`` awaits every message sent through it, see ``streams.agents.ports``)."""

    def __init__(self, outbox: Outbox, live_gaps: LiveGaps) -> None:
        self.outbox = outbox
        self.live_gaps = live_gaps

    async def page(self, exceptions: Iterable[ColdChainException], live: bool = False) -> None:
        """Page (or resolve) ``exceptions``, as they stand now (``live``: the TELEMETRY_GAPs
        the live silence check finds); return once Kafka has the request."""
        exceptions = list(exceptions)
        if exceptions:
            await self._send(PageRequest(exceptions=exceptions, live=live))

    async def resend(
        self,
        daily_service: Sequence[DailyServiceStatus],
        day: date,
        runs: Sequence[RunUnderWay] = (),
    ) -> None:
        """Ask for every firing alert to be sent again, the 天天班 warnings of ``day``, and
        the overdue ones of ``runs`` (the runs under way: firing, or resolved if arrived)."""
        warnings = [DailyServiceWarning(group=s.group, warning=s.warning) for s in daily_service]
        overdue = [run for run in runs if run.overdue]
        await self._send(
            PageRequest(resend=True, daily_service=warnings, day=day, trains_overdue=overdue)
        )

    async def _send(self, request: PageRequest) -> None:
        await self.outbox.send(b"page", request.model_dump_json().encode())
        await self.outbox.delivered()
