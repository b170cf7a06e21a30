"""The ``trains`` agent (key: train id): counts train runs, marks departures and measures
transit times.

Per batch: decode each train event, plan it (:func:`streams.domain.transit.plan_train`),
remember departures and arrivals; then deliver the departure and transit points and the
counted runs, then wait for the table writes, so the batch can be acknowledged.

Both tables are global (every worker reads all of them): the minute's round on the worker
that keeps the figures, and ``/status``, read the runs under way from them
(:class:`TrainsKnown`). They key each train number's runs by direction (:func:`run_key`):
an outbound run under its train number, as ever (the movements agent looks up the arrival
of a reefer's outbound train there), an inbound run under :data:`INBOUND_KEY` and its
number, so the two directions of one number never share an entry.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final

import orjson

from lugang.contract import Direction, TrainEvent
from lugang.reference import Reference
from streams.agents.facts import send_facts
from streams.agents.intake import Intake
from streams.agents.ports import Outbox, Received, Table
from streams.domain.counts import Fact
from streams.domain.transit import KnownTrain, TrainPlan, plan_train
from streams.schema import points
from streams.sinks.base import MetricSink

INBOUND_KEY: Final = b"\xffINBOUND\xff"
"""The prefix of an inbound run's key in the departures and arrivals tables. UTF-8 never
has the byte 0xff, so no train number's own key (an outbound run's) starts with it."""


def run_key(train_id: str, direction: Direction) -> bytes:
    """The key of a train number's runs in ``direction`` in the departures and arrivals
    tables."""
    key = train_id.encode()
    return key if direction == "OUTBOUND" else INBOUND_KEY + key


def _run_of(key: bytes) -> tuple[str, Direction]:
    """The train number and direction of a departures or arrivals key (:func:`run_key`)."""
    if key.startswith(INBOUND_KEY):
        return key[len(INBOUND_KEY) :].decode(), "INBOUND"
    return key.decode(), "OUTBOUND"


@dataclass
class _Outputs:
    facts: list[Fact] = field(default_factory=list)
    samples: list[points.Sample] = field(default_factory=list)


class TrainsAgent:
    """Counts runs (as day facts for the days agent), writes each departure from home and
    each transit time."""

    def __init__(
        self,
        intake: Intake,
        reference: Reference,
        departures: Table,
        arrivals: Table,
        facts: Outbox,
        metrics: MetricSink,
    ) -> None:
        self.intake = intake
        self.reference = reference
        self.departures = departures  # run_key -> corridor, departures of a week
        self.arrivals = arrivals  # run_key -> arrival time (ISO); outbound: reefers leave watch
        self.facts = facts
        self.metrics = metrics

    async def handle(self, batch: Sequence[Received]) -> None:
        """Process one batch; return once everything it caused is delivered and written."""
        out = _Outputs()
        for received in batch:
            train = self.intake.decode(received)
            if isinstance(train, TrainEvent):
                self.intake.attempt(received, self._apply, received, train, out)
        await self.metrics.write(out.samples)
        await self.metrics.flush()
        await send_facts(self.facts, out.facts)
        await self.intake.deliver()
        await self.departures.delivered()
        await self.arrivals.delivered()

    def _apply(self, received: Received, train: TrainEvent, out: _Outputs) -> None:
        key = run_key(train.train_id, train.direction)
        departed = _departures(self.departures.get(key, received))[1]
        plan = plan_train(train, departed, self.reference)
        samples = _samples(train, plan)  # before any write: a bad point changes nothing
        if plan.fact is not None:
            out.facts.append(plan.fact)
        if plan.finding is not None:
            self.intake.found("trains", plan.finding)
        if plan.departures is not None:
            times = [d.isoformat() for d in plan.departures]
            stored = orjson.dumps({"corridor": train.corridor, "departures": times})
            self.departures.put(received, key, stored)
        if plan.arrival is not None:
            self.arrivals.put(received, key, plan.arrival.isoformat().encode())
        out.samples.extend(samples)


def _departures(stored: bytes | None) -> tuple[str | None, list[datetime]]:
    """The corridor and departures stored for a train number: a JSON object of both (a
    JSON list of ISO times, or a single ISO time, as older workers stored them, is read
    too, with no corridor)."""
    if stored is None:
        return None, []
    if stored.startswith(b"{"):
        known = orjson.loads(stored)
        return known["corridor"], [datetime.fromisoformat(d) for d in known["departures"]]
    if stored.startswith(b"["):
        return None, [datetime.fromisoformat(d) for d in orjson.loads(stored)]
    return None, [datetime.fromisoformat(stored.decode())]


class TrainsKnown:
    """The trains agent's departures and arrivals tables read together, for the runs under
    way (:func:`streams.domain.transit.runs_under_way`)."""

    def __init__(self, departures: Table, arrivals: Table) -> None:
        self.departures = departures
        self.arrivals = arrivals

    def __call__(self) -> Iterator[KnownTrain]:
        """Each train number and direction with departures remembered and a known corridor
        (departures stored before the corridor was stored with them are left out)."""
        for key, value in self.departures.items():
            corridor, departed = _departures(value)
            if corridor is None or not departed:
                continue
            arrival = self.arrivals.get(key)
            arrived = None if arrival is None else datetime.fromisoformat(arrival.decode())
            train_id, direction = _run_of(key)
            yield KnownTrain(train_id, corridor, tuple(departed), arrived, direction)


def _samples(train: TrainEvent, plan: TrainPlan) -> list[points.Sample]:
    """The points of a planned train event: its departure from home, or its run's transit
    (an inbound departure, from the far end, is only remembered)."""
    samples = []
    if plan.departure is not None and plan.direction == "OUTBOUND":
        samples.append(points.departure_sample(train.train_id, train.corridor, plan.departure))
    transit = plan.transit
    if transit is not None:
        samples.append(
            points.transit_sample(
                transit.train_id,
                transit.corridor,
                transit.departed_at,
                transit.arrived_at,
                transit.benchmark_h,
            )
        )
    return samples
