"""The internal topic of counted events, from the trains and movements agents to days."""

from __future__ import annotations

from typing import Final

from pydantic import TypeAdapter

from streams.agents.ports import Outbox
from streams.domain.counts import Fact

DAY_FACTS: Final = "day-facts"
"""Kind of the internal topic of counted events, a JSON list of facts per message (those of
one agent's batch); one partition, so that one worker adds up the days (the topic is
created before the worker starts: a topic faust creates itself can miss the first
partition assignment)."""

FACTS: Final = TypeAdapter(list[Fact])


async def send_facts(outbox: Outbox, facts: list[Fact]) -> None:
    """Send a batch's facts as one message and wait until Kafka has it (faust's cost is per
    message: one per fact made the days agent the worker's slowest part)."""
    if facts:
        await outbox.send(b"facts", FACTS.dump_json(facts))
        await outbox.delivered()
