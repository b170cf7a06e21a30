"""Two-way flow balance per corridor (双向货流均衡): is as much leaving as arriving, and how
much of each direction is empty containers being repositioned?

The national corridor plan asks for balanced two-way flows and for empty-container
repositioning; these are the figures it is judged by, per corridor over any period:

- **inbound / outbound TEU**: the container moves the TEU 到发量 counts
  (:mod:`streams.domain.counts`), by direction. Directions are relative to the home
  location (Huaihua) whatever way the corridor is named: *outbound* is a ``LOAD`` onto a
  train leaving Huaihua, *inbound* a ``DISC`` from a train that arrived there. So on
  ``WUH-HHW`` (Wuhan → Huaihua) the collecting train's boxes are inbound and whatever goes
  back to Wuhan is outbound, as on ``HHW-QZH``.
- **balance ratio** = min(inbound, outbound) ÷ max(inbound, outbound): 1.0 is balanced, 0
  is one-way traffic; None when nothing moved either way.
- **imbalance** = outbound − inbound TEU (signed: positive, more leaves than arrives).
- **empty share** of a direction = its empty TEU ÷ its TEU; None when it moved nothing.

Ratios and shares are rounded to :data:`DECIMALS` decimals (a figure to read, not to sum:
sum the TEU and divide again for a longer period).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from pydantic import BaseModel

from streams.domain.counts import DayTotals

DECIMALS: Final = 4


def balance_ratio(inbound: float, outbound: float) -> float | None:
    """min ÷ max of the two directions' TEU (1.0 balanced); None when both are 0."""
    most = max(inbound, outbound)
    return None if most <= 0 else round(min(inbound, outbound) / most, DECIMALS)


def empty_share(empty: float, teu: float) -> float | None:
    """The empty part of a direction's TEU; None when the direction moved nothing."""
    return None if teu <= 0 else round(empty / teu, DECIMALS)


class Flow(BaseModel):
    """One direction of a corridor: its TEU, the empty part, and the empty share."""

    teu: float = 0.0
    empty_teu: float = 0.0
    empty_share: float | None = None

    @classmethod
    def of(cls, teu: float, empty_teu: float) -> Flow:
        return cls(teu=teu, empty_teu=empty_teu, empty_share=empty_share(empty_teu, teu))


class CorridorBalance(BaseModel):
    """A corridor's two directions over a period, and how balanced they are."""

    inbound: Flow = Flow()
    outbound: Flow = Flow()
    balance_ratio: float | None = None
    imbalance_teu: float = 0.0
    """Outbound − inbound TEU."""

    @classmethod
    def of(cls, inbound: Flow, outbound: Flow) -> CorridorBalance:
        return cls(
            inbound=inbound,
            outbound=outbound,
            balance_ratio=balance_ratio(inbound.teu, outbound.teu),
            imbalance_teu=outbound.teu - inbound.teu,
        )


class Balance(BaseModel):
    """The balance of every corridor with a container move in a period (a corridor without
    one is left out: read it as 0 TEU both ways, ratio None)."""

    corridors: dict[str, CorridorBalance] = {}
    teu_not_by_corridor: float = 0.0
    """TEU of the period counted before the totals kept TEU by corridor (days stored by an
    older worker): counted in the period's TEU, in no corridor here. 0 once every day of
    the period was counted by a worker that keeps them."""


class BalanceSums:
    """The running sums of :func:`balance`: :meth:`add` the days in date order, read the
    balance of the days added so far with :meth:`balance` (as often as wished)."""

    __slots__ = ("_sums", "_unattributed")

    def __init__(self) -> None:
        self._sums: dict[tuple[str, str], list[float]] = {}  # (corridor, direction) -> [teu, empty]
        self._unattributed = 0.0

    def add(self, day: DayTotals) -> None:
        """Add one day's TEU by corridor, direction and state."""
        sums = self._sums
        for key, teu in day.corridor_teu.items():
            corridor, direction, state = key.split("/")
            figures = sums.setdefault((corridor, direction), [0.0, 0.0])
            figures[0] += teu
            if state == "EMPTY":
                figures[1] += teu
        self._unattributed += day.total_teu - sum(day.corridor_teu.values())

    def balance(self) -> Balance:
        """The balance per corridor over the days added so far."""
        flows = {key: Flow.of(teu, empty) for key, (teu, empty) in self._sums.items()}
        return Balance(
            corridors={
                corridor: CorridorBalance.of(
                    flows.get((corridor, "INBOUND"), Flow()),
                    flows.get((corridor, "OUTBOUND"), Flow()),
                )
                for corridor in sorted({corridor for corridor, _ in self._sums})
            },
            # Rounded: the two sums add the same TEU in different orders.
            teu_not_by_corridor=max(0.0, round(self._unattributed, 6)),
        )


def balance(totals: Iterable[DayTotals]) -> Balance:
    """The balance per corridor over the days ``totals``."""
    sums = BalanceSums()
    for day in totals:
        sums.add(day)
    return sums.balance()
