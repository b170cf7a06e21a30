"""The journeys' record: one ``container_move`` point per container move
(:func:`streams.schema.points.move_sample`), and the movements agent writing one for every
move it reads that is not dead-lettered (on the Harness of test_agents.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from lugang.contract import ContainerEvent, parse_event
from streams.domain.counts import fact_of
from streams.schema import points
from tests.fakes import Topic
from tests.in_process import replay_in_process
from tests.unit.test_agents import REF, Harness, load, run

DRY, REEFER = "CBHU2820021", "MSKU9070323"
AT = "2026-03-15T07:55:00+08:00"
AT_NS = 1_773_532_500_000_000_000  # 2026-03-14T23:55:00Z


def container_event(value: dict[str, Any]) -> ContainerEvent:
    event = parse_event("containers", orjson.dumps(value), REF)
    assert isinstance(event, ContainerEvent)
    return event


def gate_in(event_id: str, box: str, at: str) -> dict[str, Any]:
    """A gate in at Huaihua: no train, corridor, direction, weight or commodity."""
    event = {**load(event_id, box, at, code="22G1"), "event_type": "GTIN"}
    for name in ("train_id", "corridor", "direction", "gross_weight_kg", "commodity"):
        event.pop(name)
    return {**event, "empty_indicator": "EMPTY"}


def far_end_discharge(event_id: str, box: str, at: str) -> dict[str, Any]:
    """The outbound train's discharge at Qinzhou (not counted: not at Huaihua)."""
    return {**load(event_id, box, at), "event_type": "DISC", "location": "CNQZH"}


def test_a_counted_load_carries_its_train_cargo_and_teu() -> None:
    event = container_event(load("l1", REEFER, AT))
    sample = points.move_sample(event, fact_of(event, REF))
    assert sample.measurement == points.CONTAINER_MOVE == "container_move"
    assert sample.time == datetime(2026, 3, 14, 23, 55, tzinfo=UTC)  # the event time, exact
    assert sample.to_line() == (
        "container_move,direction=OUTBOUND,equipment_reference=MSKU9070323,event_type=LOAD,"
        'location=HHW commodity="citrus",corridor="HHW-QZH",event_id="l1",'
        'gross_weight_kg=26000.0,iso_equipment_code="45R1",laden="LADEN",teu=2.0,'
        f'teu_category="RAIL_SEA",train_id="X9001" {AT_NS}'
    )


def test_a_gate_move_has_no_train_and_an_unknown_direction() -> None:
    event = container_event(gate_in("g1", DRY, AT))
    assert fact_of(event, REF) is None
    sample = points.move_sample(event, None)
    assert sample.tags == {
        "equipment_reference": DRY,
        "event_type": "GTIN",
        "direction": "unknown",
        "location": "HHW",
    }
    assert sample.fields == {"event_id": "g1", "iso_equipment_code": "22G1", "laden": "EMPTY"}


def test_a_far_end_discharge_is_recorded_but_not_counted() -> None:
    event = container_event(far_end_discharge("d1", REEFER, AT))
    assert fact_of(event, REF) is None
    sample = points.move_sample(event, None)
    assert (sample.tags["location"], sample.tags["direction"]) == ("CNQZH", "OUTBOUND")
    assert "teu" not in sample.fields and "teu_category" not in sample.fields
    assert sample.fields["train_id"] == "X9001"


def test_the_same_move_gives_the_same_point() -> None:
    def line() -> str:
        event = container_event(load("l1", REEFER, AT))
        return points.move_sample(event, fact_of(event, REF)).to_line()

    assert line() == line()


def test_the_agent_writes_every_move_it_reads_and_none_it_dead_letters() -> None:
    h, containers = Harness(), Topic("containers")
    broken = {**load("bad", DRY, AT), "train_id": None}  # a load with no train: invalid
    run(
        h.movements.handle(
            [
                containers.event(DRY, gate_in("g1", DRY, "2026-03-15T06:00:00+08:00")),
                containers.event(DRY, broken),
                containers.event(DRY, load("l1", DRY, AT, code="45G1")),
                containers.event(REEFER, load("l2", REEFER, AT)),
                containers.event(REEFER, far_end_discharge("d2", REEFER, "2026-03-16T09:00:00Z")),
            ]
        )
    )
    assert [d.topic for d in h.dead_letters.dead_letters()] == ["containers"]
    written = {
        s.fields["event_id"]: (s.tags["equipment_reference"], s.tags["event_type"], s.time)
        for s in h.metrics.measurement(points.CONTAINER_MOVE)
    }
    assert written == {
        "g1": (DRY, "GTIN", datetime(2026, 3, 14, 22, tzinfo=UTC)),
        "l1": (DRY, "LOAD", datetime(2026, 3, 14, 23, 55, tzinfo=UTC)),
        "l2": (REEFER, "LOAD", datetime(2026, 3, 14, 23, 55, tzinfo=UTC)),
        "d2": (REEFER, "DISC", datetime(2026, 3, 16, 9, tzinfo=UTC)),
    }
    assert len(h.metrics.measurement(points.CONTAINER_MOVE)) == 4
    assert sorted(h.sent_facts()) == ["l1", "l2"]  # every move is written, two are counted


def test_a_move_read_again_rewrites_the_same_point() -> None:
    h, containers = Harness(), Topic("containers")
    message = containers.event(DRY, load("l1", DRY, AT, code="45G1"))
    run(h.movements.handle([message]))
    run(h.movements.handle([message]))
    lines = {s.to_line() for s in h.metrics.measurement(points.CONTAINER_MOVE)}
    assert len(lines) == 1


def test_a_recording_replayed_again_writes_the_same_points() -> None:
    """The oracle of the integration tests (tests/in_process.py) holds the moves' points,
    and a second pass of a recording changes none of them."""
    recording = Path(__file__).resolve().parents[1] / "data" / "unhappy.jsonl"

    def lines(passes: int) -> set[str]:
        h, _ = replay_in_process(recording, passes=passes)
        return {s.to_line() for s in h.metrics.measurement(points.CONTAINER_MOVE)}

    once = lines(1)
    assert once and lines(2) == once
