"""Dwell rules (streams.domain.dwell) as tables."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from lugang.contract import Direction
from streams.domain.dwell import (
    Dwell,
    DwellStats,
    EndSeen,
    MoveAt,
    Stay,
    Visit,
    daily_stats,
    dwell_hours,
    longest,
    nearest_rank,
    step,
)

CST = timezone(timedelta(hours=8))
T0 = datetime(2026, 3, 15, 8, tzinfo=CST)
BOX = "MSKU9070323"


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def visit(kind: str, hours: float = 0, category: str | None = None, laden: bool = True) -> Visit:
    direction: Direction = "OUTBOUND" if kind == "GTIN" else "INBOUND"
    return Visit(
        equipment_reference=BOX,
        event_id=f"{kind}@{hours}",
        started_at=at(hours),
        direction=direction,
        teu_category=category,
        laden=laden,
    )


def move(kind: str, hours: float, category: str | None = None, laden: bool = True) -> MoveAt:
    return MoveAt(f"{kind}@{hours}", kind, at(hours), category, laden)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("start", "end", "hours"),
    [(at(0), at(0), 0.0), (at(0), at(1.5), 1.5), (at(0), at(49), 49.0)],
)
def test_dwell_hours(start: datetime, end: datetime, hours: float) -> None:
    assert dwell_hours(start, end) == hours


def test_dwell_hours_refuses_an_end_before_the_start() -> None:
    with pytest.raises(ValueError, match="before"):
        dwell_hours(at(1), at(0))


def ended(
    kind: str, hours: float, category: str | None = None, laden: bool = True, paired: bool = False
) -> EndSeen:
    return EndSeen(
        event_id=f"{kind}@{hours}",
        kind=kind,  # type: ignore[arg-type]
        at=at(hours),
        teu_category=category,
        laden=laden,
        paired=paired,
    )


def kept(
    open_visit: Visit | None = None, last_end: EndSeen | None = None, completed: str | None = None
) -> Stay:
    return Stay(visit=open_visit, last_end=last_end, completed_start=completed)


@pytest.mark.parametrize(
    ("before", "moved", "after", "dwell"),
    [
        # starts: outbound at the gate (no category yet), inbound at the discharge
        (None, move("GTIN", 0), kept(visit("GTIN")), None),
        (None, move("DISC", 0, "LAOS", False), kept(visit("DISC", 0, "LAOS", False)), None),
        # the same start again (a redelivery): the open visit's, or the last completed one's
        (kept(visit("GTIN", 0)), move("GTIN", 0), kept(visit("GTIN", 0)), None),
        (
            kept(None, ended("LOAD", 20, "RAIL_SEA", paired=True), "GTIN@0"),
            move("GTIN", 0),
            kept(None, ended("LOAD", 20, "RAIL_SEA", paired=True), "GTIN@0"),
            None,
        ),
        # another start while open: the end was lost, the new one replaces it
        (kept(visit("GTIN", 0)), move("GTIN", 5), kept(visit("GTIN", 5)), None),
        (kept(visit("GTIN", 0)), move("DISC", 5, "OTHER"), kept(visit("DISC", 5, "OTHER")), None),
        # the own end: category and laden/empty of the train move; the end kept as paired
        (
            kept(visit("GTIN", 0)),
            move("LOAD", 20, "RAIL_SEA", False),
            kept(None, ended("LOAD", 20, "RAIL_SEA", False, paired=True), "GTIN@0"),
            ("RAIL_SEA", False, 0.0, 20.0),
        ),
        (
            kept(visit("DISC", 0, "VIETNAM")),
            move("GTOT", 6, None, False),
            kept(None, ended("GTOT", 6, None, False, paired=True), "DISC@0"),
            ("VIETNAM", True, 0.0, 6.0),
        ),
        # the same end again: nothing changes
        (
            kept(None, ended("LOAD", 20, "RAIL_SEA", paired=True), "GTIN@0"),
            move("LOAD", 20, "RAIL_SEA"),
            kept(None, ended("LOAD", 20, "RAIL_SEA", paired=True), "GTIN@0"),
            None,
        ),
        (
            kept(visit("GTIN", 30), ended("LOAD", 20, "RAIL_SEA")),
            move("LOAD", 20, "RAIL_SEA"),
            kept(visit("GTIN", 30), ended("LOAD", 20, "RAIL_SEA")),
            None,
        ),
        # an end of another kind after the start: the visit closes, the end waits unpaired
        (kept(visit("GTIN", 0)), move("GTOT", 3), kept(None, ended("GTOT", 3)), None),
        (
            kept(visit("DISC", 0, "LAOS"), None, "GTIN@-9"),
            move("LOAD", 3, "LAOS"),
            kept(None, ended("LOAD", 3, "LAOS"), "GTIN@-9"),
            None,
        ),
        # an end before the open visit's start (an earlier visit's): the visit stays open
        (
            kept(visit("GTIN", 5)),
            move("LOAD", 4, "RAIL_SEA"),
            kept(visit("GTIN", 5), ended("LOAD", 4, "RAIL_SEA")),
            None,
        ),
        # an end with no open visit waits for its start, replacing an older end
        (None, move("LOAD", 4, "RAIL_SEA"), kept(None, ended("LOAD", 4, "RAIL_SEA")), None),
        (
            kept(None, ended("GTOT", 1, paired=True), "DISC@0"),
            move("GTOT", 4),
            kept(None, ended("GTOT", 4), "DISC@0"),
            None,
        ),
        # a start before its unpaired end: the visit completes at once
        (
            kept(None, ended("LOAD", 20, "RAIL_SEA", False)),
            move("GTIN", 8),
            kept(None, ended("LOAD", 20, "RAIL_SEA", False, paired=True), "GTIN@8"),
            ("RAIL_SEA", False, 8.0, 20.0),
        ),
        (
            kept(None, ended("GTOT", 9, None, False)),
            move("DISC", 3, "LAOS"),
            kept(None, ended("GTOT", 9, None, False, paired=True), "DISC@3"),
            ("LAOS", True, 3.0, 9.0),
        ),
        (  # the end at the start's very time
            kept(None, ended("LOAD", 8, "LAOS")),
            move("GTIN", 8),
            kept(None, ended("LOAD", 8, "LAOS", paired=True), "GTIN@8"),
            ("LAOS", True, 8.0, 8.0),
        ),
        (  # an open visit begun after that end stays open
            kept(visit("GTIN", 30), ended("LOAD", 20, "RAIL_SEA")),
            move("GTIN", 8),
            kept(visit("GTIN", 30), ended("LOAD", 20, "RAIL_SEA", paired=True), "GTIN@8"),
            ("RAIL_SEA", True, 8.0, 20.0),
        ),
        # a start the unpaired end cannot end (after it, other direction) opens a visit;
        # a paired end ends nothing more
        (
            kept(None, ended("LOAD", 4, "RAIL_SEA")),
            move("GTIN", 5),
            kept(visit("GTIN", 5), ended("LOAD", 4, "RAIL_SEA")),
            None,
        ),
        (
            kept(None, ended("LOAD", 20, "RAIL_SEA")),
            move("DISC", 5, "LAOS"),
            kept(visit("DISC", 5, "LAOS"), ended("LOAD", 20, "RAIL_SEA")),
            None,
        ),
        (
            kept(None, ended("LOAD", 20, "RAIL_SEA", paired=True), "GTIN@0"),
            move("GTIN", 8),
            kept(visit("GTIN", 8), ended("LOAD", 20, "RAIL_SEA", paired=True), "GTIN@0"),
            None,
        ),
        # no TEU category known: the visit completes without a dwell
        (
            kept(None, ended("LOAD", 20)),
            move("GTIN", 8),
            kept(None, ended("LOAD", 20, paired=True), "GTIN@8"),
            None,
        ),
    ],
)
def test_step(
    before: Stay | None,
    moved: MoveAt,
    after: Stay,
    dwell: tuple[str, bool, float, float] | None,
) -> None:
    result = step(BOX, before, moved)
    assert result.stay == after
    assert result.visit == after.visit
    if dwell is None:
        assert result.dwell is None
    else:
        assert result.dwell is not None
        started, ending = at(dwell[2]), at(dwell[3])
        assert (result.dwell.teu_category, result.dwell.laden) == dwell[:2]
        assert (result.dwell.started_at, result.dwell.ended_at) == (started, ending)
        assert result.dwell.hours == dwell[3] - dwell[2]


def applied(moves: list[MoveAt]) -> tuple[Stay, list[Dwell]]:
    """What is kept after ``moves`` in that order, and the dwells given."""
    stay, dwells = Stay(), list[Dwell]()
    for moved in moves:
        result = step(BOX, stay, moved)
        stay = result.stay
        if result.dwell is not None:
            dwells.append(result.dwell)
    return stay, dwells


GATE_IN, LOADED = move("GTIN", 0), move("LOAD", 10, "LAOS")
DISCHARGED, GATE_OUT = move("DISC", 12, "RAIL_SEA"), move("GTOT", 36)


@pytest.mark.parametrize(
    ("moves", "dwells", "still_open"),
    [
        ([GATE_IN, LOADED], [("LAOS", 10.0)], False),
        # the load read before its gate in gives the dwell
        ([LOADED, GATE_IN], [("LAOS", 10.0)], False),
        ([GATE_OUT, DISCHARGED], [("RAIL_SEA", 24.0)], False),
        ([GATE_IN, GATE_IN, LOADED, LOADED], [("LAOS", 10.0)], False),
        ([LOADED, LOADED, GATE_IN, GATE_IN], [("LAOS", 10.0)], False),
        # a DISC then a GATE OUT, then the same two again: one dwell
        ([DISCHARGED, GATE_OUT, DISCHARGED, GATE_OUT], [("RAIL_SEA", 24.0)], False),
        ([GATE_IN, LOADED, DISCHARGED, GATE_OUT], [("LAOS", 10.0), ("RAIL_SEA", 24.0)], False),
        ([GATE_IN], [], True),
        ([LOADED], [], False),
    ],
)
def test_moves_in_any_order_and_number(
    moves: list[MoveAt], dwells: list[tuple[str, float]], still_open: bool
) -> None:
    stay, given = applied(moves)
    assert [(d.teu_category, d.hours) for d in given] == dwells
    assert (stay.visit is not None) is still_open


@pytest.mark.parametrize(
    "moves",
    [
        [GATE_IN, LOADED],
        [LOADED, GATE_IN],
        [DISCHARGED, GATE_OUT],
        [GATE_OUT, DISCHARGED],
        [GATE_IN, GATE_IN, LOADED],
        [GATE_IN],
        [LOADED],
    ],
)
def test_the_whole_sequence_applied_twice_gives_the_same_dwells_once(moves: list[MoveAt]) -> None:
    once, dwells = applied(moves)
    twice, again = applied(moves + moves)
    assert again == dwells and twice == once


@pytest.mark.parametrize(
    "moves",
    [
        [GATE_IN, LOADED, DISCHARGED, GATE_OUT],
        [LOADED, GATE_IN, GATE_OUT, DISCHARGED],
    ],
)
def test_several_visits_replayed_give_only_their_own_dwells_again(moves: list[MoveAt]) -> None:
    """Only the last visit is remembered: a replay of an earlier one completes it again,
    with the same dwell (its point, written again, overwrites itself)."""
    once, dwells = applied(moves)
    twice, again = applied(moves + moves)
    assert set(again) == set(dwells) and len(dwells) == 2
    assert twice == once


def test_a_stay_is_stored_as_json_and_read_back() -> None:
    stay = kept(visit("GTIN", 30), ended("LOAD", 20, "RAIL_SEA", paired=True), "GTIN@8")
    assert Stay.model_validate_json(stay.model_dump_json()) == stay
    assert Stay().empty and not stay.empty


def test_a_visit_stored_by_earlier_versions_is_read_as_the_open_visit() -> None:
    old = visit("DISC", 0, "LAOS", False).model_dump_json()  # the table's former value
    assert Stay.model_validate_json(old) == kept(visit("DISC", 0, "LAOS", False))
    result = step(BOX, Stay.model_validate_json(old), move("GTOT", 6))
    assert result.dwell is not None and result.dwell.hours == 6.0


@pytest.mark.parametrize(
    ("values", "percent", "expected"),
    [
        ([5.0], 90, 5.0),
        ([1.0, 2.0], 90, 2.0),
        ([float(v) for v in range(1, 11)], 90, 9.0),  # rank ⌈9⌉ = 9
        ([float(v) for v in range(1, 8)], 90, 7.0),  # rank ⌈6.3⌉ = 7
        ([3.0, 1.0, 2.0], 50, 2.0),
        ([4.0, 1.0, 3.0, 2.0], 100, 4.0),
    ],
)
def test_nearest_rank(values: list[float], percent: float, expected: float) -> None:
    assert nearest_rank(values, percent) == expected


@pytest.mark.parametrize(("values", "percent"), [([], 90), ([1.0], 0), ([1.0], 101)])
def test_nearest_rank_refuses(values: list[float], percent: float) -> None:
    with pytest.raises(ValueError, match="percentile"):
        nearest_rank(values, percent)


@pytest.mark.parametrize(
    ("dwells", "expected"),
    [
        ([], {}),
        ([(10.0, "RAIL_SEA", True)], {("RAIL_SEA", True): DwellStats(1, 10.0, 10.0)}),
        (
            [(h, "RAIL_SEA", True) for h in (2.0, 4.0, 6.0, 8.0, 30.0)]
            + [(1.0, "RAIL_SEA", False), (3.0, "LAOS", True)],
            {
                ("RAIL_SEA", True): DwellStats(5, 10.0, 30.0),
                ("RAIL_SEA", False): DwellStats(1, 1.0, 1.0),
                ("LAOS", True): DwellStats(1, 3.0, 3.0),
            },
        ),
    ],
)
def test_daily_stats(
    dwells: list[tuple[float, str, bool]], expected: dict[tuple[str, bool], DwellStats]
) -> None:
    assert daily_stats(dwells) == expected


@pytest.mark.parametrize(
    ("starts", "limit", "expected"),
    [
        ([], 10, []),
        ([0, 5, 2], 10, [(0, 30.0), (2, 28.0), (5, 25.0)]),
        ([0, 5, 2], 2, [(0, 30.0), (2, 28.0)]),
        ([40], 10, [(40, 0.0)]),  # dated after the clock: 0
    ],
)
def test_longest(starts: list[float], limit: int, expected: list[tuple[float, float]]) -> None:
    visits = [visit("GTIN", h).model_copy(update={"equipment_reference": f"B{h}"}) for h in starts]
    shown = longest(visits, at(30), limit)
    assert [(v["equipment_reference"], v["elapsed_h"]) for v in shown] == [
        (f"B{h}", elapsed) for h, elapsed in expected
    ]
    assert all("event_id" not in v for v in shown)
