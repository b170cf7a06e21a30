"""The ``trains`` agent (key: train id): counts train runs, marks departures and measures
transit times.

Per batch: decode each train event, plan it (:func:`streams.domain.transit.plan_train`),
remember departures and arrivals; then deliver the departure and transit points and the
counted runs, then wait for the table writes, so the batch can be acknowledged.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

import orjson

from lugang.contract import TrainEvent
from lugang.reference import Reference
from streams.agents.facts import send_facts
from streams.agents.intake import Intake
from streams.agents.ports import Outbox, Received, Table
from streams.domain.counts import Fact
from streams.domain.transit import TrainPlan, plan_train
from streams.schema import points
from streams.sinks.base import MetricSink


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
        self.departures = departures  # outbound train id -> departures of a week (JSON)
        self.arrivals = arrivals  # outbound train id -> arrival time (ISO): reefers leave watch
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
        key = train.train_id.encode()
        departed = _departures(self.departures.get(key, received))
        plan = plan_train(train, departed, self.reference)
        samples = _samples(train, plan)  # before any write: a bad point changes nothing
        if plan.fact is not None:
            out.facts.append(plan.fact)
        if plan.finding is not None:
            self.intake.found("trains", plan.finding)
        if plan.departures is not None:
            stored = orjson.dumps([d.isoformat() for d in plan.departures])
            self.departures.put(received, key, stored)
        if plan.arrival is not None:
            self.arrivals.put(received, key, plan.arrival.isoformat().encode())
        out.samples.extend(samples)


def _departures(stored: bytes | None) -> list[datetime]:
    """The departures stored for a train number: a JSON list of ISO times (a single ISO
    time, as workers before the pairing window stored it, is read too)."""
    if stored is None:
        return []
    if stored.startswith(b"["):
        return [datetime.fromisoformat(d) for d in orjson.loads(stored)]
    return [datetime.fromisoformat(stored.decode())]


def _samples(train: TrainEvent, plan: TrainPlan) -> list[points.Sample]:
    """The points of a planned train event: its departure from home, or its run's transit."""
    samples = []
    if plan.departure is not None:
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
