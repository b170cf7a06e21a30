"""The hand-checked two-way balance of ``tests/data/balance.jsonl``
(``balance.expected.json``), as ``/status`` gives it and as the ``corridor_balance_daily``
points carry it: what the in-process test and the test on the real servers compare with."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any, Final

from lugang.reference import Reference

DATA: Final = Path(__file__).resolve().parent / "data"
RECORDING: Final = DATA / "balance.jsonl"
EXPECTED: Final[dict[str, Any]] = json.loads((DATA / "balance.expected.json").read_text())
AS_OF: Final[str] = EXPECTED["as_of"]

POINT_PERIOD: Final = {
    "today": "day",
    "month_to_date": "month_to_date",
    "year_to_date": "year_to_date",
}
"""A ``/status`` period -> the ``period`` tag of its points."""

Key = tuple[str, str, str]
"""(local day, corridor, ``period`` tag) of one ``corridor_balance_daily`` point."""


def status_balances() -> dict[tuple[str, str], dict[str, Any]]:
    """(day asked about, ``/status`` period) -> corridor -> balance: each day's ``today``,
    and the month and year to date as of :data:`AS_OF`."""
    want = {(day, "today"): corridors for day, corridors in EXPECTED["days"].items()}
    want[AS_OF, "month_to_date"] = EXPECTED["month_to_date"]
    want[AS_OF, "year_to_date"] = EXPECTED["year_to_date"]
    return want


def status_balance(status: Mapping[str, Any], period: str) -> dict[str, Any]:
    """Corridor -> balance of one period of a ``/status`` answer, checking that no TEU of
    it was left out of the corridors."""
    balance = status[period]["balance"]
    assert balance["teu_not_by_corridor"] == 0, balance
    corridors: dict[str, Any] = balance["corridors"]
    return corridors


def expected_points(reference: Reference) -> dict[Key, dict[str, float]]:
    """The fields of each point the file states, for every corridor of ``reference`` (TEU
    0 where nothing moved; a ratio or a share only where it is defined)."""
    return {
        (day, corridor, POINT_PERIOD[period]): _fields(corridors.get(corridor))
        for (day, period), corridors in status_balances().items()
        for corridor in reference.corridors
    }


def _fields(balance: Mapping[str, Any] | None) -> dict[str, float]:
    if balance is None:
        teu = ("inbound_teu", "outbound_teu", "inbound_empty_teu", "outbound_empty_teu")
        return dict.fromkeys((*teu, "imbalance_teu"), 0.0)
    inbound, outbound = balance["inbound"], balance["outbound"]
    fields = {
        "inbound_teu": inbound["teu"],
        "outbound_teu": outbound["teu"],
        "inbound_empty_teu": inbound["empty_teu"],
        "outbound_empty_teu": outbound["empty_teu"],
        "imbalance_teu": balance["imbalance_teu"],
        "balance_ratio": balance["balance_ratio"],
        "inbound_empty_share": inbound["empty_share"],
        "outbound_empty_share": outbound["empty_share"],
    }
    return {name: value for name, value in fields.items() if value is not None}


def written(
    points: Iterable[tuple[datetime, Mapping[str, str], Mapping[str, Any]]], reference: Reference
) -> dict[Key, dict[str, float]]:
    """(time, tags, fields) of written points -> the same keys as :func:`expected_points`
    (a later write of a series overwrites an earlier one, as in InfluxDB; null fields, as
    InfluxQL returns the fields a point lacks, are left out)."""
    found: dict[Key, dict[str, float]] = {}
    for at, tags, fields in points:
        day = at.astimezone(reference.home.tz).date().isoformat()
        found[day, tags["corridor"], tags["period"]] = {
            name: value for name, value in fields.items() if value is not None
        }
    return found
