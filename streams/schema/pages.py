"""The internal ``pages`` topic: what the agents and timers ask the paging agent to page.

Agents never talk to Alertmanager themselves (an Alertmanager outage would stop the
counting and the cold chain with it): they send a :class:`PageRequest` to the ``pages``
topic, one partition, read by the paging agent (:mod:`streams.agents.paging`), which alone
knows what Alertmanager has been told and posts in the order the requests were made.
"""

from __future__ import annotations

from datetime import date
from typing import Final

from pydantic import BaseModel, ConfigDict

from lugang.contract import ColdChainException
from streams.domain.transit import RunUnderWay

PAGES: Final = "pages"
"""Kind of the internal topic of page requests (one partition, created before the worker
joins its group, like the day facts)."""


class DailyServiceWarning(BaseModel):
    """Whether 天天班 of one service group is at risk on a day."""

    model_config = ConfigDict(frozen=True)

    group: str
    warning: bool


class PageRequest(BaseModel):
    """One request to the paging agent.

    ``exceptions``: cold-chain exceptions opened or closed (each as it stands, in the order
    decided). ``live``: they are TELEMETRY_GAPs the live silence check finds (paged while
    it keeps finding them, resolved when it stops). ``resend``: the minute's re-send of
    every firing alert, with ``daily_service`` on ``day`` (the 天天班 warnings) and
    ``trains_overdue``, the overdue runs under way (firing) or lately arrived (resolved)."""

    exceptions: list[ColdChainException] = []
    live: bool = False
    resend: bool = False
    daily_service: list[DailyServiceWarning] = []
    day: date | None = None
    trains_overdue: list[RunUnderWay] = []
