"""The ``paging`` agent: reads the page requests (``pages`` topic, one partition) and is the
only part of the worker that talks to Alertmanager.

It keeps what Alertmanager has been told of each cold-chain exception in the ``paged``
table (exception id -> status), and posts in the order the requests were made, so:

- a closed exception never fires again: a re-send, or a stale request from another worker,
  of an exception the table has closed is dropped (an Alertmanager outage once made the
  re-send timer's old list of open alerts arrive after the closes, and three closed
  exceptions paged again for an hour);
- an exception first seen already closed (opened and closed before its first page was
  posted, e.g. in a catch-up) is paged once as ``ColdChainExceptionSeenClosed`` with its
  start, end and peak, since a firing alert resolved at once notifies nobody;
- a TELEMETRY_GAP of the live silence check stays firing while the check keeps finding it,
  and is resolved when no check has found it for ``live_stale`` (the unit's container left
  watch, or its worker was replaced and the new one no longer sees it silent);
- while Alertmanager is down, only this agent waits: the others only wait for Kafka to
  take their requests, and the pages follow when Alertmanager is back;
- once a batch's resolved pages are posted, the ids of the exceptions it closed go to
  ``on_close`` (the worker expires their acknowledgements there without this agent
  waiting, :meth:`streams.acknowledgements.Acknowledgements.closed`).

The batch's alerts are posted (the sink retries until Alertmanager accepts them), then the
table is written, then the batch is acknowledged: a crash in between posts the same alerts
again, which Alertmanager takes as the same alerts.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Literal

from pydantic import BaseModel, ValidationError

from lugang.contract import ColdChainException
from lugang.links import Links
from lugang.reference import Reference
from streams.agents.ports import Received, Table
from streams.schema.alerts import (
    DEFAULT_LINKS,
    Alert,
    daily_service_alert,
    exception_alert,
    train_overdue_alert,
)
from streams.schema.pages import PageRequest
from streams.sinks.base import AlertSink, SinkRejected

log = logging.getLogger(__name__)

FORGET_CLOSED_AFTER = timedelta(days=30)
"""How long the table remembers a closed exception (to drop late requests about it)."""


class Paged(BaseModel):
    """What Alertmanager has been told of one exception."""

    status: Literal["OPEN", "CLOSED"]
    exception: ColdChainException
    live: bool = False
    at: datetime
    """When it was last paged, or (live) last found by the silence check (wall clock)."""


class PagingAgent:
    """Turns page requests into Alertmanager alerts, each exception's at most once, linked
    to their dashboards and runbooks (``links``)."""

    def __init__(
        self,
        alerts: AlertSink,
        paged: Table,
        reference: Reference,
        live_stale: timedelta,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        links: Links = DEFAULT_LINKS,
        on_close: Callable[[list[str]], None] = lambda ids: None,
    ) -> None:
        self.alerts = alerts
        self.paged = paged
        self.reference = reference
        self.live_stale = live_stale
        self.clock = clock
        self.links = links
        self.on_close = on_close

    async def handle(self, batch: Sequence[Received]) -> None:
        """Post the alerts the batch's requests make, then remember what was posted."""
        if not batch:
            return
        now = self.clock()
        work = _Batch(self.paged)
        for received in batch:
            try:
                request = PageRequest.model_validate_json(received.message.value or b"")
            except ValidationError as exc:  # only workers write this topic: a bug, not data
                log.error("page request at offset %d dropped: %s", received.message.offset, exc)
                continue
            for exception in request.exceptions:
                self._take(work, exception, request.live, now)
            if request.resend:
                self._resend(work, now)
            if request.day is not None:
                for warning in request.daily_service:
                    work.post(
                        daily_service_alert(
                            warning.group, request.day, warning.warning, now, links=self.links
                        )
                    )
            for run in request.trains_overdue:
                tz = self.reference.home.tz
                work.post(train_overdue_alert(run, now, tz, links=self.links))
        await self._fire(list(work.posts.values()))
        for key, entry in work.changed.items():
            self.paged.put(
                batch[0], key, None if entry is None else entry.model_dump_json().encode()
            )
        await self.paged.delivered()
        closed = [
            key.decode()
            for key, entry in work.changed.items()
            if entry is not None and entry.status == "CLOSED"
        ]
        if closed:
            self.on_close(closed)

    def _take(self, work: _Batch, exc: ColdChainException, live: bool, now: datetime) -> None:
        key = exc.exception_id.encode()
        entry = work.get(key)
        if entry is not None and entry.status == "CLOSED":
            return  # closed: never paged again
        if exc.status == "OPEN":
            if entry is None:
                work.post(self._alert(exc, now))
                work.set(key, Paged(status="OPEN", exception=exc, live=live, at=now), fresh=True)
            elif live:
                work.set(key, entry.model_copy(update={"at": now}))
            return
        if entry is None or key in work.fresh:
            # Never posted open before this batch: notified once, with start, end and peak.
            work.drop(self._alert(exc, now))
            work.post(self._alert(exc, now, seen_closed=True))
        else:
            work.post(self._alert(exc, now))
        work.set(
            key,
            Paged(status="CLOSED", exception=exc, live=entry is not None and entry.live, at=now),
        )

    def _resend(self, work: _Batch, now: datetime) -> None:
        """Every firing alert again (Alertmanager resolves one it stops hearing about);
        live gaps no check found lately resolved; long-closed entries forgotten."""
        for key, entry in list(work.entries()):
            if entry.status == "CLOSED":
                if now - entry.at > FORGET_CLOSED_AFTER:
                    work.set(key, None)
                continue
            alert = self._alert(entry.exception, now)
            if entry.live and now - entry.at > self.live_stale:
                work.post(alert.resolved(now))
                work.set(key, entry.model_copy(update={"status": "CLOSED", "at": now}))
            else:
                work.post(alert)

    def _alert(self, exc: ColdChainException, now: datetime, seen_closed: bool = False) -> Alert:
        """The page of ``exc`` as it stands (times in the port's time zone)."""
        tz = self.reference.home.tz
        return exception_alert(exc, now, tz, seen_closed=seen_closed, links=self.links)

    async def _fire(self, alerts: list[Alert]) -> None:
        """Post the alerts; a batch Alertmanager refuses for good (a bug of ours: logged,
        and counted in the sink's errors) must not stop paging for good."""
        try:
            await self.alerts.fire(alerts)
        except SinkRejected as exc:
            log.error("alerts dropped: %s", exc)


class _Batch:
    """The alerts one batch posts (the last one for each label set, in order) and the
    table entries it changes (None: deleted)."""

    def __init__(self, table: Table) -> None:
        self.table = table
        self.posts: dict[frozenset[tuple[str, str]], Alert] = {}
        self.changed: dict[bytes, Paged | None] = {}
        self.fresh: set[bytes] = set()

    def get(self, key: bytes) -> Paged | None:
        if key in self.changed:
            return self.changed[key]
        stored = self.table.get(key)
        return None if stored is None else Paged.model_validate_json(stored)

    def entries(self) -> Iterator[tuple[bytes, Paged]]:
        for key, value in self.table.items():
            if key not in self.changed:
                yield key, Paged.model_validate_json(value)
        for key, entry in self.changed.items():
            if entry is not None:
                yield key, entry

    def set(self, key: bytes, entry: Paged | None, fresh: bool = False) -> None:
        self.changed[key] = entry
        if fresh:
            self.fresh.add(key)

    def post(self, alert: Alert) -> None:
        identity = frozenset(alert.labels.items())
        self.posts.pop(identity, None)  # keep the order of the last word on each alert
        self.posts[identity] = alert

    def drop(self, alert: Alert) -> None:
        self.posts.pop(frozenset(alert.labels.items()), None)
