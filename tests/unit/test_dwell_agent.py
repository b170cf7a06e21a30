"""Dwell in the movements agent and /status, on fakes (tests/fakes.py, the Harness of
test_agents.py): a visit's start and end in the ``dwell`` table, one ``container_dwell``
point per completed visit, idempotent redelivery, and ``dwell_longest``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson
import pytest

from streams.agents.memory import MemoryTable
from streams.domain.dwell import Stay
from streams.schema import points
from streams.state import LiveGaps
from streams.web import status_body
from tests.fakes import Topic
from tests.unit.test_agents import REF, Harness, load, run

DRY, REEFER, OTHER = "CBHU2820021", "MSKU9070323", "TGHU5471000"


def dwelling() -> Harness:
    h = Harness()
    h.movements.dwell = MemoryTable()
    return h


def table(h: Harness) -> MemoryTable:
    assert isinstance(h.movements.dwell, MemoryTable)
    return h.movements.dwell


def stored(h: Harness, box: str = DRY) -> Stay:
    """What the dwell table keeps of ``box``."""
    value = table(h).data.get(box.encode())
    return Stay() if value is None else Stay.model_validate_json(value)


def move(kind: str, event_id: str, box: str, at: str, **changes: Any) -> dict[str, Any]:
    """A container move at Huaihua: gate moves name no train, corridor or direction."""
    event = {**load(event_id, box, at, code="45G1"), "event_type": kind, **changes}
    if kind in ("GTIN", "GTOT"):
        for name in ("train_id", "corridor", "direction"):
            event.pop(name)
    if kind == "DISC":
        event.update(train_id="X9002", direction="INBOUND", corridor="HHW-VTE")
    return event


@pytest.mark.parametrize(
    ("moves", "open_after", "dwells"),
    [
        # outbound: gate in to load, category and laden/empty of the load
        (
            [
                ("GTIN", "g1", "2026-03-15T06:00:00+08:00"),
                ("LOAD", "l1", "2026-03-15T18:30:00+08:00"),
            ],
            False,
            [("OUTBOUND", "RAIL_SEA", "LADEN", 12.5, "2026-03-15T18:30:00+08:00")],
        ),
        # inbound: discharge to gate out, category of the discharge's corridor
        (
            [
                ("DISC", "d1", "2026-03-15T06:00:00+08:00"),
                ("GTOT", "o1", "2026-03-16T08:00:00+08:00"),
            ],
            False,
            [("INBOUND", "LAOS", "LADEN", 26.0, "2026-03-16T08:00:00+08:00")],
        ),
        # still at the port
        ([("GTIN", "g1", "2026-03-15T06:00:00+08:00")], True, []),
        # a load with no gate in seen: no dwell, nothing open
        ([("LOAD", "l1", "2026-03-15T18:30:00+08:00")], False, []),
        # a load read before its gate in: the gate in completes the visit
        (
            [
                ("LOAD", "l1", "2026-03-15T18:30:00+08:00"),
                ("GTIN", "g1", "2026-03-15T06:00:00+08:00"),
            ],
            False,
            [("OUTBOUND", "RAIL_SEA", "LADEN", 12.5, "2026-03-15T18:30:00+08:00")],
        ),
    ],
)
def test_a_visit_opens_in_the_table_and_its_end_writes_one_point(
    moves: list[tuple[str, str, str]], open_after: bool, dwells: list[tuple[Any, ...]]
) -> None:
    h, topic = dwelling(), Topic("containers")
    for kind, event_id, at in moves:  # one batch each: the table carries the visit across
        run(h.movements.handle([topic.event(DRY, move(kind, event_id, DRY, at))]))
    assert (stored(h).visit is not None) is open_after
    written = h.metrics.measurement(points.CONTAINER_DWELL)
    assert [
        (
            s.tags["direction"],
            s.tags["teu_category"],
            s.tags["laden"],
            s.fields["dwell_h"],
            s.time.replace(microsecond=0).isoformat(),
        )
        for s in written
    ] == dwells
    assert all(s.fields["equipment_reference"] == DRY for s in written)
    assert table(h).pending == 0  # delivered before the batch returned


def test_a_visit_in_one_batch_writes_the_table_once() -> None:
    h, topic = dwelling(), Topic("containers")
    batch = [
        topic.event(DRY, move("GTIN", "g1", DRY, "2026-03-15T06:00:00+08:00")),
        topic.event(DRY, move("LOAD", "l1", DRY, "2026-03-15T10:00:00+08:00")),
    ]
    run(h.movements.handle(batch))
    assert table(h).writes == 1 and stored(h).visit is None
    assert [s.fields["dwell_h"] for s in h.metrics.measurement(points.CONTAINER_DWELL)] == [4.0]


def test_a_redelivered_start_or_end_changes_nothing() -> None:
    h, topic = dwelling(), Topic("containers")
    gate_in = topic.event(DRY, move("GTIN", "g1", DRY, "2026-03-15T06:00:00+08:00"))
    loaded = topic.event(DRY, move("LOAD", "l1", DRY, "2026-03-15T10:00:00+08:00"))
    run(h.movements.handle([gate_in]))
    opened = table(h).data[DRY.encode()]
    run(h.movements.handle([gate_in]))  # the same start again: no write
    assert table(h).writes == 1 and table(h).data[DRY.encode()] == opened
    run(h.movements.handle([loaded]))
    run(h.movements.handle([loaded]))  # the same end again: nothing changes
    assert table(h).writes == 2 and stored(h).visit is None
    run(h.movements.handle([gate_in, loaded]))  # both again (a replay): nothing changes
    assert table(h).writes == 2
    (point,) = {s.to_line() for s in h.metrics.measurement(points.CONTAINER_DWELL)}
    assert "dwell_h=4.0" in point


def test_two_boxes_ending_in_one_second_make_two_points() -> None:
    h, topic = dwelling(), Topic("containers")
    for box in (DRY, OTHER):
        run(
            h.movements.handle(
                [topic.event(box, move("GTIN", f"g{box}", box, "2026-03-15T06:00:00+08:00"))]
            )
        )
    for box in (DRY, OTHER):
        run(
            h.movements.handle(
                [topic.event(box, move("LOAD", f"l{box}", box, "2026-03-15T10:00:00+08:00"))]
            )
        )
    written = h.metrics.measurement(points.CONTAINER_DWELL)
    assert len({(s.time, tuple(sorted(s.tags.items()))) for s in written}) == 2


def test_a_reefer_visit_is_followed_too() -> None:
    h, topic = dwelling(), Topic("containers")
    gate_in = move("GTIN", "g1", REEFER, "2026-03-15T06:00:00+08:00", iso_equipment_code="45R1")
    run(h.movements.handle([topic.event(REEFER, gate_in)]))
    assert REEFER.encode() in table(h) and REEFER.encode() in h.tracks


def test_status_shows_the_longest_dwelling_boxes_at_its_clock() -> None:
    h, topic = dwelling(), Topic("containers")
    for box, at in [(DRY, "2026-03-15T06:00:00+08:00"), (OTHER, "2026-03-14T06:00:00+08:00")]:
        run(h.movements.handle([topic.event(box, move("GTIN", f"g{box}", box, at))]))
    # kept in the table but not open: a load waiting for its gate in, a completed visit
    for kind in ("LOAD", "GTIN"):
        at = "2026-03-15T08:00:00+08:00" if kind == "LOAD" else "2026-03-13T06:00:00+08:00"
        run(h.movements.handle([topic.event(REEFER, move(kind, kind, REEFER, at))]))
        assert REEFER.encode() in table(h)
    query = {"date": "2026-03-15", "now": "2026-03-15T18:00:00+08:00"}
    body = status_body(query, REF, h.book, MemoryTable(), LiveGaps(), dwell=table(h))
    body = orjson.loads(orjson.dumps(body))  # JSON all through
    assert [(v["equipment_reference"], v["elapsed_h"]) for v in body["dwell_longest"]] == [
        (OTHER, 36.0),
        (DRY, 12.0),
    ]
    first = body["dwell_longest"][0]
    assert first["direction"] == "OUTBOUND" and first["teu_category"] is None
    assert datetime.fromisoformat(first["started_at"]) == datetime.fromisoformat(
        "2026-03-14T06:00:00+08:00"
    )
    assert status_body(query, REF, h.book, MemoryTable(), LiveGaps())["dwell_longest"] == []
