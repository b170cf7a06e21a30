"""The alert-latency benchmark's excursion (bench/synthetic.py) through the movements agent
in process: the reading that shows the excursion does not page on its own, the settling
readings the benchmark sends with it do, once, so the benchmark's latency is the pipeline's
and not a wait for a reading that never comes."""

from __future__ import annotations

from datetime import timedelta

from bench.synthetic import LATENESS, Excursion, container_number, excursion
from producers.records import Record
from tests.fakes import FakeEvent, Topic
from tests.unit.test_agents import NOW, Harness, run


def events(topic: Topic, records: list[Record]) -> list[FakeEvent]:
    return [topic.event(record.key, record.value) for record in records]


def test_the_settling_readings_page_the_excursion_once() -> None:
    h, reefer = Harness(), Topic("reefer")
    shape: Excursion = excursion(container_number("BEXU", 1), NOW - timedelta(hours=1))
    run(h.movements.handle(events(reefer, [*shape.prefix, shape.completing])))
    assert h.alerts.fired == []
    # The last settling reading is more than the lateness after the completing one.
    last, completing = shape.settling[-1], shape.completing
    assert last.timestamp_ms - completing.timestamp_ms > LATENESS.total_seconds() * 1000
    run(h.movements.handle(events(reefer, shape.settling)))
    [alert] = h.alerts.fired
    assert (alert.labels["kind"], alert.labels["container"]) == ("HIGH", shape.container)


def test_without_the_last_settling_reading_there_is_no_page() -> None:
    h, reefer = Harness(), Topic("reefer")
    shape = excursion(container_number("BEXU", 2), NOW - timedelta(hours=1))
    run(h.movements.handle(events(reefer, [*shape.prefix, shape.completing, *shape.settling[:-1]])))
    assert h.alerts.fired == []
