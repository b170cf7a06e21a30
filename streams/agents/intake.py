"""The per-event error policy, written once: how an agent decodes each message and what
happens to one it cannot process.

- A message that breaks the event contract goes to the dead-letter topic with the
  contract's reason; one whose Kafka key is not its entity id (null keys included) with
  reason ``key: …``, because its order against its entity's other events is lost; one whose
  event time lies outside the plausible window (:class:`TimeWindow`) with reason
  ``time: …`` (a year-9999 train once killed the days agent).
- An exception raised by the domain code for one event (a bug, or an input the rules do not
  foresee) dead-letters that event with reason ``internal: <type>: <message>``, its topic,
  partition and offset, is logged with its traceback, and the batch goes on: the state the
  event would have changed is left as it was, because planners are pure and their plans
  are applied only once they are made.
- Every message read and every dead letter is counted in the pipeline health.

Dead letters are queued while the batch is planned and delivered with the batch's other
outputs (:meth:`Intake.deliver`), before the batch is acknowledged; a message lettered
before (a batch redone after a crash, a message read again after a seek) is not lettered
again (:mod:`streams.letters`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Final, ParamSpec, TypeVar

from lugang.contract import DeadLetter, Event, InvalidEvent, RawBytes, TrainEvent, parse_event
from lugang.reference import Reference
from streams.agents.ports import Letterbox, Message, Received
from streams.letters import LetterLedger, Source
from streams.state import DeadLetterReason, Finding, PipelineCounters

log = logging.getLogger(__name__)

P = ParamSpec("P")
T = TypeVar("T")


def internal_reason(exc: BaseException) -> str:
    """The dead-letter reason of an event whose processing raised ``exc``."""
    return f"internal: {type(exc).__name__}: {exc}"


def key_problem(key: bytes | None, event: Event) -> str | None:
    """Why ``key`` cannot key ``event`` (its order against the entity's other events is
    lost), or None when it is the event's entity id (domain rule: key = the entity id)."""
    entity = event.entity_key
    field = "train_id" if isinstance(event, TrainEvent) else "equipment_reference"
    if key is None:
        return f"key: the message has no key; it must be the {field} {entity!r}"
    if key != entity.encode():
        shown = key.decode(errors="replace")[:40]
        return f"key: the message key {shown!r} is not the {field} {entity!r}"
    return None


def dead_letter(message: Message, reason: str, at: datetime) -> bytes:
    """The dead-letter record of ``message`` (JSON, see ``lugang.contract.DeadLetter``)."""
    letter = DeadLetter(
        value=RawBytes.of(message.value or b""),
        key=None if message.key is None else RawBytes.of(message.key),
        reason=reason,
        topic=message.topic,
        partition=message.partition,
        offset=message.offset,
        dead_lettered_at=at,
    )
    return letter.model_dump_json().encode()


_NEVER: Final = datetime.min.replace(tzinfo=UTC)


@dataclass
class TimeWindow:
    """The event times the worker takes: from ``earliest`` to ``ahead`` past its clock.

    The clock only goes forward, so a time up to the latest end a check found is taken
    without asking the clock again (asked for every event, it cost more than the check).
    And the bounds are kept in the zone of the last event taken too: an event time in
    another ``tzinfo`` object than a bound's is compared through both offsets, about
    500 ns a comparison here against 20 (event times share one object per offset:
    ``lugang.contract``)."""

    earliest: datetime = datetime(2000, 1, 1, tzinfo=UTC)
    ahead: timedelta = timedelta(days=1)
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    _taken_until: datetime = field(default=_NEVER, init=False, repr=False, compare=False)
    _zone: tzinfo | None = field(default=None, init=False, repr=False, compare=False)
    _bounds_here: tuple[datetime, datetime] = field(
        default=(_NEVER, _NEVER), init=False, repr=False, compare=False
    )

    def problem(self, at: datetime) -> str | None:
        """Why an event at ``at`` is not plausible, or None."""
        if at.tzinfo is self._zone:
            earliest, taken_until = self._bounds_here
            if earliest <= at <= taken_until:
                return None
        if at < self.earliest:
            return f"time: {at.isoformat()} is before {self.earliest.date().isoformat()}"
        if at > self._taken_until:
            try:
                latest = self.clock() + self.ahead
            except OverflowError:  # a window reaching past year 9999
                latest = datetime.max.replace(tzinfo=UTC)
            if at > latest:
                hours = self.ahead / timedelta(hours=1)
                return (
                    f"time: {at.isoformat()} is more than {hours:g} h ahead of the worker's clock"
                )
            self._taken_until = latest
        self._keep_bounds_in(at.tzinfo)
        return None

    def _keep_bounds_in(self, zone: tzinfo | None) -> None:
        if zone is None:
            return
        try:
            here = (self.earliest.astimezone(zone), self._taken_until.astimezone(zone))
        except OverflowError:  # a bound at the end of the calendar in that zone
            self._zone = None
            return
        self._zone, self._bounds_here = zone, here


class Intake:
    """Decodes an agent's messages and applies the per-event error policy."""

    def __init__(
        self,
        topic_prefix: str,
        reference: Reference,
        dead_letters: Letterbox,
        counters: PipelineCounters,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        window: TimeWindow | None = None,
        ledger: LetterLedger | None = None,
    ) -> None:
        self._prefix = topic_prefix
        self._reference = reference
        self._dead_letters = dead_letters
        self._counters = counters
        self._clock = clock
        self._window = window or TimeWindow()
        self._ledger = ledger or LetterLedger()
        self._queued: list[tuple[Source, bytes | None, bytes]] = []

    def kind(self, topic: str) -> str:
        """The topic kind (``trains``, ``containers``, ...) of a topic name."""
        return topic.removeprefix(self._prefix)

    def decode(self, received: Received) -> Event | None:
        """The validated event of a message, or None after dead-lettering it."""
        message = received.message
        kind = self.kind(message.topic)
        self._counters.count(kind, "events")
        try:
            event = parse_event(kind, message.value or b"", self._reference)
        except InvalidEvent as exc:
            self.reject(received, exc.reason, "contract")
            return None
        except Exception as exc:  # the policy: a value the contract's code fails on
            log.exception(
                "%s[%d] offset %d: decoding failed", kind, message.partition, message.offset
            )
            self.reject(received, internal_reason(exc), "internal")
            return None
        problem = key_problem(message.key, event)
        if problem is not None:
            self.reject(received, problem, "key")
            return None
        problem = self._window.problem(event.occurred_at)
        if problem is not None:
            self.reject(received, problem, "time")
            return None
        return event

    def attempt(
        self, received: Received, work: Callable[P, T], *args: P.args, **kwargs: P.kwargs
    ) -> T | None:
        """``work(*args, **kwargs)`` for the event ``received``; None after dead-lettering
        the event when it raises (the policy above)."""
        try:
            return work(*args, **kwargs)
        except Exception as exc:  # the policy: one event's failure is that event's alone
            message = received.message
            log.exception(
                "%s[%d] offset %d: processing failed; dead-lettered",
                message.topic,
                message.partition,
                message.offset,
            )
            self.reject(received, internal_reason(exc), "internal")
            return None

    def reject(self, received: Received, reason: str, finding: DeadLetterReason) -> None:
        """Queue ``received`` for the dead-letter topic with ``reason`` (a ``finding`` of
        the data-quality view)."""
        message = received.message
        kind = self.kind(message.topic)
        self._counters.count(kind, "dead_letters")
        self._counters.found(kind, finding)
        source = (message.topic, message.partition, message.offset)
        self._queued.append((source, message.key, dead_letter(message, reason, self._clock())))

    def found(self, kind: str, finding: Finding) -> None:
        """Count a data-quality finding of an event of topic ``kind`` that was processed
        (not dead-lettered), e.g. an arrival no departure pairs with."""
        self._counters.found(kind, finding)

    def duplicate(self, kind: str, times: int = 1) -> None:
        """Count events of topic ``kind`` dropped quietly as seen before."""
        self._counters.found(kind, "duplicate", times)

    async def deliver(self) -> None:
        """Send the queued dead letters (but those sent before) and return once Kafka has
        them."""
        queued, self._queued = self._queued, []
        if queued:
            await self._ledger.ready()
        sent: list[Source] = []
        try:
            for source, key, value in queued:
                if self._ledger.claim(source):
                    sent.append(source)
                    await self._dead_letters.send(key, value)
            placed = await self._dead_letters.placed()
        except BaseException:
            self._ledger.release(sent)  # sent again when the batch is redone
            raise
        self._ledger.placed(zip(sent, placed, strict=False))
