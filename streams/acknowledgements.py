"""The acknowledgements of this pipeline's pages (``lugang ack``'s silences, what they are:
:mod:`streams.schema.silences`), as the worker learns them from Alertmanager and ends them.

- **Learnt in the minute round** (:meth:`Acknowledgements.refresh`), on the worker that
  keeps the figures: that worker answers ``/status`` for every worker, and one worker alone
  writes the ``coldchain_ack`` points. It lists Alertmanager's silences and keeps those of
  its own pipeline (label ``lugang`` = its app id): the ones in force for ``/status``, each
  written to InfluxDB when it is new or changed, and each ended one (expired, still listed
  by Alertmanager) written once as ended.
- **Ended with the exception** (:meth:`Acknowledgements.closed`): the paging agent, as it
  resolves an exception's page, hands its id here, and a task of its own (the agent does
  not wait for it) lists the silences and expires that exception's acknowledgement. No
  silence, or one already expired (a replay closing it again): nothing happens.
- **Swept in the minute round**: an acknowledgement whose exception is open neither in the
  open-exceptions table nor among this worker's live gaps, two rounds in a row (one round
  could read a table copy not yet current), is expired too: a close the task missed
  (Alertmanager down then, or the worker stopped) ends its acknowledgement a minute later.

Every call to Alertmanager runs in a thread with a short timeout, so it never holds up the
event loop (the agents); a failure is a warning, and the next minute round tries again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Collection, Iterable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Final

from lugang.contract import parse_exception_id
from streams.schema.points import ack_sample
from streams.schema.silences import Acknowledgement, acknowledgement
from streams.sinks.base import MetricSink
from streams.sinks.silences import Silences, SilencesError

log = logging.getLogger(__name__)

SILENCES_TIMEOUT_S: Final = 5.0
"""How long the worker waits for Alertmanager's silences API (one request)."""

Clock = Callable[[], datetime]


def _utc_now() -> datetime:
    return datetime.now(UTC)


class Acknowledgements:
    """What this worker knows of its pipeline's acknowledgements (``pipeline``: its app id),
    read from ``silences``; ``open_ids``: the ids of the exceptions open now."""

    def __init__(
        self,
        silences: Silences,
        pipeline: str,
        metrics: MetricSink,
        open_ids: Callable[[], Collection[str]],
        clock: Clock = _utc_now,
    ) -> None:
        self.silences = silences
        self.pipeline = pipeline
        self.metrics = metrics
        self.open_ids = open_ids
        self.clock = clock
        self.in_force: dict[str, Acknowledgement] = {}
        """Exception id -> its acknowledgement in force, as of the last minute round."""
        self._written: dict[str, Acknowledgement] = {}  # silence id -> as last written
        self._not_open: set[str] = set()  # acknowledged ids not open at the last round
        self.expiring: set[asyncio.Task[None]] = set()
        """The expiries :meth:`closed` started that have not finished."""

    def of(self, exception_id: str) -> Acknowledgement | None:
        """The acknowledgement in force of an exception, if the worker knows one."""
        return self.in_force.get(exception_id)

    async def refresh(self) -> None:
        """The minute round's part: learn the acknowledgements, expire those of exceptions
        no longer open, write the new and the ended ones to InfluxDB."""
        try:
            acks = await self._listed()
        except SilencesError as exc:
            log.warning("acknowledgements not read (tried again next minute): %s", exc)
            return
        opened = set(self.open_ids())
        not_open = {a.exception_id for a in acks if a.active and a.exception_id not in opened}
        sweep, self._not_open = not_open & self._not_open, not_open
        acks = [await self._expired(a) if a.exception_id in sweep else a for a in acks]
        self.in_force = {a.exception_id: a for a in acks if a.active}
        # Ended ones first: a later acknowledgement of the same exception overwrites its point.
        changed = [a for a in acks if self._written.get(a.silence_id) != a]
        changed.sort(key=lambda a: (a.active, a.since))
        if changed:
            await self.metrics.write([ack_sample(a) for a in changed])
            await self.metrics.flush()
            self._written.update((a.silence_id, a) for a in changed)
        listed = {a.silence_id for a in acks}
        self._written = {k: v for k, v in self._written.items() if k in listed}

    def closed(self, exception_ids: Iterable[str]) -> None:
        """The exceptions closed (their pages resolved): expire their acknowledgements, in a
        task of its own, so the caller does not wait for Alertmanager."""
        ids = set(exception_ids)
        if not ids:
            return
        task = asyncio.get_running_loop().create_task(self.expire(ids))
        self.expiring.add(task)
        task.add_done_callback(self.expiring.discard)

    async def expire(self, exception_ids: Collection[str]) -> None:
        """Expire the acknowledgements in force of ``exception_ids`` (none: nothing)."""
        try:
            acks = await self._listed()
        except SilencesError as exc:
            log.warning("acknowledgements of closed exceptions not expired: %s", exc)
            return
        for ack in acks:
            if ack.active and ack.exception_id in exception_ids:
                await self._expired(ack)

    async def _listed(self) -> list[Acknowledgement]:
        """This pipeline's acknowledgements that Alertmanager lists, in force or ended."""
        silences = await asyncio.to_thread(self.silences.all)
        found = (acknowledgement(s, ended=True) for s in silences)
        return [a for a in found if a is not None and self._ours(a)]

    def _ours(self, ack: Acknowledgement) -> bool:
        """Whether ``ack`` is of this pipeline, and of an exception id Lugang writes (a
        silence made by hand with the ``lugang ack:`` comment may name anything)."""
        if ack.pipeline != self.pipeline:
            return False
        try:
            parse_exception_id(ack.exception_id)
        except ValueError as exc:
            log.warning("silence %s is no acknowledgement: %s", ack.silence_id, exc)
            return False
        return True

    async def _expired(self, ack: Acknowledgement) -> Acknowledgement:
        """Expire ``ack``'s silence: the acknowledgement as it stands then (unchanged if
        Alertmanager refused or could not be reached)."""
        try:
            await asyncio.to_thread(self.silences.expire, ack.silence_id)
        except SilencesError as exc:
            log.warning("acknowledgement of %s not expired: %s", ack.exception_id, exc)
            return ack
        log.info("acknowledgement of %s ended: the exception closed", ack.exception_id)
        self.in_force.pop(ack.exception_id, None)
        return replace(ack, until=self.clock(), active=False)
