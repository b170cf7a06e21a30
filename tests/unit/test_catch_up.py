"""The movements agent catching up (issue 10): containers and reefer partitions read out of
step with each other give the exceptions and reading points of the in-order feed."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from streams.schema import points
from streams.state import NOTHING_KNOWN, MovesKnown
from tests.fakes import FakeEvent, Topic
from tests.unit.test_agents import BOX, START, Harness, load, reading, run


def pharma_reading(n: int, minute: int) -> dict[str, Any]:
    """A pharma reefer's reading (no commodity nor corridor: the moves give them): setpoint
    and supply air 16 °C (band 2 to 8 °C) until minute 360, then 5 °C."""
    temperature = 16.0 if minute <= 360 else 5.0
    at = START + timedelta(minutes=minute)
    value = {**reading(f"p{n}", BOX, at, temperature), "setpoint_c": temperature}
    del value["commodity"], value["corridor"]
    return value


def pharma_moves(topic: Topic) -> list[FakeEvent]:
    """Gate in 10 minutes before the first reading, load 50 minutes after it, both naming
    pharma."""
    gate_in = {
        **load("g1", BOX, (START - timedelta(minutes=10)).isoformat()),
        "event_type": "GTIN",
        "train_id": None,
        "direction": None,
        "commodity": "pharma",
    }
    loaded = {**load("l1", BOX, (START + timedelta(minutes=50)).isoformat()), "commodity": "pharma"}
    return [topic.event(BOX, gate_in), topic.event(BOX, loaded)]


def outcome(h: Harness) -> tuple[dict[str, dict[str, object]], list[tuple[str, str, str]]]:
    """Each exception's final fields (by id), and each reading point's time, commodity and
    corridor."""
    final: dict[str, dict[str, object]] = {
        str(s.tags["exception_id"]): {**s.tags, **s.fields, "at": s.time}
        for s in h.metrics.measurement(points.COLDCHAIN_EXCEPTION)
    }
    readings = sorted(
        (str(s.time), s.tags["commodity"], s.tags["corridor"])
        for s in h.metrics.measurement(points.REEFER_READING)
    )
    return final, readings


def test_readings_read_before_their_moves_give_the_in_order_exceptions() -> None:
    """Issue 10: catching up, the worker read a pharma reefer's readings (no commodity)
    hours ahead of its gate in and load. While the containers partition has unread
    messages, nothing is settled without them; once they are read, and the partition has
    caught up, the exceptions and reading points are those of the in-order feed."""
    readings = [pharma_reading(n, 5 * n) for n in range(144)]
    ticks = [START + timedelta(minutes=5 * 143 + 1), START + timedelta(hours=13)]

    in_order = Harness()
    containers, reefer = Topic("containers"), Topic("reefer")
    run(in_order.movements.handle(pharma_moves(containers)))
    run(in_order.movements.handle([reefer.event(BOX, r) for r in readings]))
    for now in ticks:
        run(in_order.movements.tick({0: now}))
    expected = outcome(in_order)
    kinds = {(e["kind"], e["commodity"]) for e in expected[0].values()}
    assert {("HIGH", "pharma"), ("SETPOINT_MISMATCH", "pharma")} <= kinds
    assert len(expected[1]) == 144

    highwater = [3]  # a third containers message is written, not yet read
    h = Harness(MovesKnown(timedelta(minutes=10), highwater=lambda partition: highwater[0]))
    containers, reefer = Topic("containers"), Topic("reefer")
    run(h.movements.handle([reefer.event(BOX, r) for r in readings]))
    assert h.metrics.samples == [] and h.alerts.fired == []  # nothing settled without moves
    assert h.movements.moves_known.until(0) == NOTHING_KNOWN
    [stored] = h.tracks.data.values()
    assert len(h.movements.decoded.get(BOX.encode(), stored).recent) == 144

    run(h.movements.handle(pharma_moves(containers)))  # known: up to the load - 10 min
    assert h.movements.moves_known.until(0) == START + timedelta(minutes=40)
    opened = {e["kind"] for e in outcome(h)[0].values()}
    assert opened == {"HIGH", "SETPOINT_MISMATCH"}  # from readings before minute 40
    run(h.movements.tick({0: ticks[0]}))  # still behind: the rest waits
    assert len(outcome(h)[1]) == 8

    highwater[0] = 2  # the third message was never written after all: caught up
    for now in ticks:
        run(h.movements.tick({0: now}))
    assert outcome(h) == expected


def test_a_move_later_in_the_batch_applies_to_the_readings_before_it() -> None:
    """One batch, caught up once read: another container's late move first, then a pharma
    reefer's readings, then its own gate in and load (a batch is processed container by
    container, and the containers partition counts as read to its end after it). The
    reefer's own moves ahead in the batch hold its readings: in-order exceptions."""
    readings = [pharma_reading(n, 5 * n) for n in range(144)]
    now = START + timedelta(hours=13)

    in_order = Harness()
    containers, reefer = Topic("containers"), Topic("reefer")
    run(in_order.movements.handle(pharma_moves(containers)))
    run(in_order.movements.handle([reefer.event(BOX, r) for r in readings]))
    run(in_order.movements.tick({0: now}))

    h = Harness()
    containers, reefer = Topic("containers"), Topic("reefer")
    other = "MSKU9070323"
    late_move = containers.event(
        other, load("o1", other, (START + timedelta(hours=12)).isoformat())
    )
    batch = [late_move, *[reefer.event(BOX, r) for r in readings], *pharma_moves(containers)]
    run(h.movements.handle(batch))
    run(h.movements.tick({0: now}))
    assert outcome(h) == outcome(in_order)
    assert {"HIGH", "SETPOINT_MISMATCH"} <= {e["kind"] for e in outcome(h)[0].values()}


def test_a_silent_units_move_read_ahead_waits_for_the_readings_before_it() -> None:
    """Kafka SIGKILLed (issue 10): catching up, the containers partition ran ahead of the
    reefer partition. A unit silent for 35 minutes was settled by the live timer up to the
    moves known, its gate out after the silence included, and the two readings that ended
    the silence came after it: dead-lettered as late, the TELEMETRY_GAP never paged. The
    timer settles up to where the reefer partition is read; the rest waits."""
    readings = [reading(f"r{m}", BOX, START + timedelta(minutes=m), 6.0) for m in range(0, 61, 5)]
    after = [reading(f"r{m}", BOX, START + timedelta(minutes=m), 6.0) for m in (95, 100)]
    gate_out = {
        **load("g1", BOX, (START + timedelta(minutes=105)).isoformat()),
        "event_type": "GTOT",
        "train_id": None,
        "corridor": None,
        "direction": None,
    }
    silent, later = START + timedelta(minutes=91), START + timedelta(hours=3)

    def fed(moves_first: bool) -> Harness:
        h = Harness()
        containers, reefer = Topic("containers"), Topic("reefer")
        run(h.movements.handle([reefer.event(BOX, r) for r in readings]))
        if moves_first:
            run(h.movements.handle([containers.event(BOX, gate_out)]))
        run(h.movements.tick({0: silent}))
        run(h.movements.handle([reefer.event(BOX, r) for r in after]))
        if not moves_first:
            run(h.movements.handle([containers.event(BOX, gate_out)]))
        run(h.movements.tick({0: later}))
        return h

    in_order, ahead = fed(moves_first=False), fed(moves_first=True)
    assert ahead.dead_letters.dead_letters() == []
    assert outcome(ahead) == outcome(in_order)
    gaps = [e for e in outcome(in_order)[0].values() if e["kind"] == "TELEMETRY_GAP"]
    assert [g["duration_s"] for g in gaps] == [35 * 60]


def test_a_unit_is_silent_no_further_than_its_moves_are_known() -> None:
    """Catching up, the reefer partition ran ahead of the containers partition: a unit's
    last reading at minute 60, its gate out at minute 62 written but not yet read, the
    partition's event time at minute 120. The live check found the unit silent on watch, a
    TELEMETRY_GAP that stayed open after the gate out was read (integration: a replayed
    week, fetched 2,000 records at a time). A unit is judged silent no further than its
    partition's moves are known; once the gate out is read it has left watch."""
    readings = [reading(f"r{m}", BOX, START + timedelta(minutes=m), 6.0) for m in range(0, 61, 5)]
    gate_out = {
        **load("g1", BOX, (START + timedelta(minutes=62)).isoformat()),
        "event_type": "GTOT",
        "train_id": None,
        "corridor": None,
        "direction": None,
    }
    highwater = [1]  # the gate out is written to the containers partition, not yet read
    h = Harness(MovesKnown(timedelta(minutes=10), highwater=lambda partition: highwater[0]))
    containers, reefer = Topic("containers"), Topic("reefer")
    run(h.movements.handle([reefer.event(BOX, r) for r in readings]))
    assert run(h.movements.tick({0: START + timedelta(minutes=120)})) == []
    run(h.movements.handle([containers.event(BOX, gate_out)]))  # read: caught up
    assert h.movements.moves_known.until(0) is None
    assert run(h.movements.tick({0: START + timedelta(minutes=180)})) == []
    kinds = {e["kind"] for e in outcome(h)[0].values()}
    assert "TELEMETRY_GAP" not in kinds

    in_order = Harness()  # the gate out read in its place: no gap either
    containers, reefer = Topic("containers"), Topic("reefer")
    run(in_order.movements.handle([reefer.event(BOX, r) for r in readings]))
    run(in_order.movements.handle([containers.event(BOX, gate_out)]))
    assert run(in_order.movements.tick({0: START + timedelta(minutes=180)})) == []
    assert outcome(h) == outcome(in_order)
