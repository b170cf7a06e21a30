"""Two-way flow balance per corridor: the rules as tables."""

from __future__ import annotations

from datetime import date

import pytest

from lugang.contract import Direction
from lugang.reference import default_reference
from streams.domain.balance import (
    Balance,
    CorridorBalance,
    Flow,
    balance,
    balance_ratio,
    empty_share,
)
from streams.domain.counts import DayTotals, Fact
from streams.domain.status import period

REF = default_reference()
DAY = date(2026, 3, 15)


@pytest.mark.parametrize(
    ("inbound", "outbound", "ratio"),
    [
        (0.0, 0.0, None),  # nothing moved: no ratio, not "balanced"
        (4.0, 4.0, 1.0),
        (2.0, 4.0, 0.5),
        (4.0, 2.0, 0.5),  # symmetric: which way the surplus goes is the imbalance's sign
        (0.0, 3.0, 0.0),  # one-way traffic
        (3.0, 0.0, 0.0),
        (1.0, 3.0, 0.3333),  # rounded to 4 decimals
        (2.25, 4.0, 0.5625),  # 45 ft boxes counted 2.25
    ],
)
def test_balance_ratio_is_min_over_max(
    inbound: float, outbound: float, ratio: float | None
) -> None:
    assert balance_ratio(inbound, outbound) == ratio


@pytest.mark.parametrize(
    ("empty", "teu", "share"),
    [
        (0.0, 0.0, None),  # the direction moved nothing
        (0.0, 5.0, 0.0),
        (5.0, 5.0, 1.0),
        (2.0, 3.0, 0.6667),
    ],
)
def test_empty_share_is_empty_teu_over_the_directions_teu(
    empty: float, teu: float, share: float | None
) -> None:
    assert empty_share(empty, teu) == share


@pytest.mark.parametrize(
    ("inbound", "outbound", "ratio", "imbalance"),
    [
        ((0, 0), (0, 0), None, 0.0),
        ((4, 1), (2, 0), 0.5, -2.0),  # (teu, empty teu): more arrives than leaves
        ((2, 2), (6, 0), 0.3333, 4.0),  # empties come in to be loaded out laden
    ],
)
def test_a_corridors_balance_signs_its_imbalance_outbound_minus_inbound(
    inbound: tuple[float, float],
    outbound: tuple[float, float],
    ratio: float | None,
    imbalance: float,
) -> None:
    got = CorridorBalance.of(Flow.of(*inbound), Flow.of(*outbound))
    assert (got.balance_ratio, got.imbalance_teu) == (ratio, imbalance)


def move(
    event_id: str, corridor: str, direction: Direction, teu: float, laden: bool = True
) -> Fact:
    spec = REF.corridor(corridor)
    return Fact(
        event_id=event_id,
        day=DAY,
        kind="CONTAINER_MOVE",
        corridor=corridor,
        direction=direction,
        service_group=spec.service_group,
        teu_category=spec.teu_category,
        teu=teu,
        laden=laden,
    )


def day_of(*facts: Fact, day: date = DAY) -> DayTotals:
    totals = DayTotals(day=day)
    for fact in facts:
        totals.add(fact)
    return totals


@pytest.mark.parametrize(
    ("facts", "expected"),
    [
        ([], {}),
        (
            [move("a", "HHW-QZH", "OUTBOUND", 2), move("b", "HHW-QZH", "INBOUND", 1, laden=False)],
            {"HHW-QZH": ((1, 1, 1.0), (2, 0, 0.0), 0.5, 1)},
        ),
        (  # WUH-HHW runs towards Huaihua: its discharges are inbound all the same
            [move("a", "WUH-HHW", "INBOUND", 2), move("b", "WUH-HHW", "INBOUND", 2)],
            {"WUH-HHW": ((4, 0, 0.0), (0, 0, None), 0.0, -4)},
        ),
        (  # corridors of one TEU category stay apart
            [
                move("a", "HHW-QZH", "OUTBOUND", 2),
                move("b", "HHW-ZNG", "OUTBOUND", 1, laden=False),
                move("c", "HHW-ZNG", "INBOUND", 1),
            ],
            {
                "HHW-QZH": ((0, 0, None), (2, 0, 0.0), 0.0, 2),
                "HHW-ZNG": ((1, 0, 0.0), (1, 1, 1.0), 1.0, 0),
            },
        ),
        (  # a move seen twice counts once
            [move("a", "HHW-VTE", "OUTBOUND", 2), move("a", "HHW-VTE", "OUTBOUND", 2)],
            {"HHW-VTE": ((0, 0, None), (2, 0, 0.0), 0.0, 2)},
        ),
    ],
)
def test_the_days_moves_make_each_corridors_balance(
    facts: list[Fact],
    expected: dict[
        str,
        tuple[
            tuple[float, float, float | None],
            tuple[float, float, float | None],
            float | None,
            float,
        ],
    ],
) -> None:
    got = balance([day_of(*facts)])
    assert got.teu_not_by_corridor == 0.0
    assert {
        corridor: (
            (b.inbound.teu, b.inbound.empty_teu, b.inbound.empty_share),
            (b.outbound.teu, b.outbound.empty_teu, b.outbound.empty_share),
            b.balance_ratio,
            b.imbalance_teu,
        )
        for corridor, b in got.corridors.items()
    } == expected


def test_a_period_sums_its_days_before_dividing() -> None:
    days = {
        date(2026, 3, 14): day_of(move("a", "HHW-QZH", "OUTBOUND", 4), day=date(2026, 3, 14)),
        DAY: day_of(move("b", "HHW-QZH", "INBOUND", 2, laden=False)),
    }
    got = period(days, date(2026, 3, 1), DAY).balance.corridors["HHW-QZH"]
    assert (got.balance_ratio, got.imbalance_teu, got.inbound.empty_share) == (0.5, 2.0, 1.0)
    assert period(days, DAY, DAY).balance.corridors["HHW-QZH"].balance_ratio == 0.0


def test_totals_stored_before_the_corridor_split_read_back_and_say_what_is_not_split() -> None:
    """A day stored by an older worker has no ``corridor_teu``: it reads back, its TEU stays
    counted, and the balance names the TEU it cannot put on a corridor."""
    old = DayTotals.model_validate_json(
        '{"day": "2026-03-14", "counted": ["x"], "teu": {"RAIL_SEA/OUTBOUND/LADEN": 2.0}}'
    )
    assert old.corridor_teu == {} and old.total_teu == 2.0
    old.add(move("y", "HHW-QZH", "INBOUND", 1))  # counted after the upgrade, the same day
    assert balance([old]) == Balance(
        corridors={"HHW-QZH": CorridorBalance.of(Flow.of(1, 0), Flow())},
        teu_not_by_corridor=2.0,
    )
