"""Dwell rules (streams.domain.dwell) as tables."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from lugang.contract import Direction
from streams.domain.dwell import (
    DwellStats,
    MoveAt,
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


@pytest.mark.parametrize(
    ("open_visit", "moved", "after", "dwell"),
    [
        # starts: outbound at the gate (no category yet), inbound at the discharge
        (None, move("GTIN", 0), visit("GTIN"), None),
        (None, move("DISC", 0, "LAOS", False), visit("DISC", 0, "LAOS", False), None),
        # the same start again (a redelivery) changes nothing
        (visit("GTIN", 0), move("GTIN", 0), visit("GTIN", 0), None),
        # another start while open: the end was lost, the new one replaces it
        (visit("GTIN", 0), move("GTIN", 5), visit("GTIN", 5), None),
        (visit("GTIN", 0), move("DISC", 5, "OTHER"), visit("DISC", 5, "OTHER"), None),
        # the own end: category and laden/empty of the train move
        (visit("GTIN", 0), move("LOAD", 20, "RAIL_SEA", False), None, ("RAIL_SEA", False, 20.0)),
        (visit("DISC", 0, "VIETNAM"), move("GTOT", 6, None, False), None, ("VIETNAM", True, 6.0)),
        # an end that is not the visit's own closes it without a dwell
        (visit("GTIN", 0), move("GTOT", 3), None, None),
        (visit("DISC", 0, "LAOS"), move("LOAD", 3, "LAOS"), None, None),
        # an end before the start, or with no open visit (a redelivered end): no dwell
        (visit("GTIN", 5), move("LOAD", 4, "RAIL_SEA"), None, None),
        (None, move("LOAD", 4, "RAIL_SEA"), None, None),
        (None, move("GTOT", 4), None, None),
    ],
)
def test_step(
    open_visit: Visit | None,
    moved: MoveAt,
    after: Visit | None,
    dwell: tuple[str, bool, float] | None,
) -> None:
    result = step(BOX, open_visit, moved)
    assert result.visit == after
    if dwell is None:
        assert result.dwell is None
    else:
        assert result.dwell is not None
        assert (result.dwell.teu_category, result.dwell.laden, result.dwell.hours) == dwell
        assert result.dwell.ended_at == moved.at


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
