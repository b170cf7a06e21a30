"""The hand-checked dwell times of ``tests/data/dwell.jsonl`` (``dwell.expected.json``): each
completed visit as its ``container_dwell`` point carries it, each local day's count, mean and
90th percentile per TEU category and laden/empty (by nearest rank as
:func:`streams.domain.dwell.daily_stats` computes it, and as InfluxQL's ``percentile()``
gives it), and the open visits ``/status`` lists as ``dwell_longest``: what the in-process
test and the test on the real servers compare with."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Final

from lugang.reference import Reference
from streams.domain.dwell import daily_stats

DATA: Final = Path(__file__).resolve().parent / "data"
RECORDING: Final = DATA / "dwell.jsonl"
EXPECTED: Final[dict[str, Any]] = json.loads((DATA / "dwell.expected.json").read_text())
AS_OF: Final[str] = EXPECTED["as_of"]
"""The clock (``/status?now=``) of the expected ``dwell_longest``."""
STATUS_QUERY: Final = {"date": datetime.fromisoformat(AS_OF).date().isoformat(), "now": AS_OF}
"""The ``/status`` query of the expected ``dwell_longest``."""

Dwell = tuple[str, str, str, str, str, str, float]
"""One completed visit: (container, direction, TEU category, ``LADEN``/``EMPTY``, its end
to the second in UTC, its local day, hours)."""
Group = tuple[str, str, str]
"""(local day, TEU category, ``LADEN``/``EMPTY``): one day's group of dwells."""

PLACES: Final = 4
"""Decimals the hours are compared to (a mean read back from InfluxDB is a float sum)."""


def _utc_second(at: datetime) -> str:
    """``at`` in UTC to the second (a point's time is its visit's end nudged by under 1 ms)."""
    return at.astimezone(UTC).isoformat(timespec="seconds")


def expected_dwells() -> list[Dwell]:
    """The file's completed visits, sorted."""
    return sorted(
        (
            d["equipment_reference"],
            d["direction"],
            d["teu_category"],
            d["laden"],
            _utc_second(datetime.fromisoformat(d["ended_at"])),
            d["day"],
            round(float(d["dwell_h"]), PLACES),
        )
        for d in EXPECTED["dwells"]
    )


def written_dwells(
    points: Iterable[tuple[datetime, Mapping[str, str], Mapping[str, Any]]], reference: Reference
) -> list[Dwell]:
    """(time, tags, fields) of ``container_dwell`` points -> the visits they carry, sorted
    (a later write of the same time and tags overwrites an earlier one, as in InfluxDB)."""
    found: dict[tuple[datetime, str, str, str], Dwell] = {}
    for at, tags, fields in points:
        direction, category, laden = tags["direction"], tags["teu_category"], tags["laden"]
        found[at, direction, category, laden] = (
            str(fields["equipment_reference"]),
            direction,
            category,
            laden,
            _utc_second(at),
            at.astimezone(reference.home.tz).date().isoformat(),
            round(float(fields["dwell_h"]), PLACES),
        )
    return sorted(found.values())


def expected_daily(influxql: bool = False, outbound: bool = False) -> dict[Group, Any]:
    """Per day and group: (count, mean, 90th percentile) in hours, the percentile by
    nearest rank or (``influxql``) as InfluxQL's ``percentile()`` gives it; of every
    direction (``daily``: :func:`daily_of`, the overview's panel) or, given ``outbound``, of
    the outbound dwells alone (``daily_outbound``: the README's query)."""
    p90 = "influxql_p90_h" if influxql else "p90_h"
    return {
        (g["day"], g["teu_category"], g["laden"]): (
            g["count"],
            round(float(g["mean_h"]), PLACES),
            round(float(g[p90]), PLACES),
        )
        for g in EXPECTED["daily_outbound" if outbound else "daily"]
    }


def daily_of(dwells: Sequence[Dwell]) -> dict[Group, Any]:
    """:func:`streams.domain.dwell.daily_stats` of each local day's dwells."""
    by_day: dict[str, list[tuple[float, str, bool]]] = defaultdict(list)
    for _, _, category, laden, _, day, hours in dwells:
        by_day[day].append((hours, category, laden == "LADEN"))
    return {
        (day, category, "LADEN" if laden else "EMPTY"): (
            stats.count,
            round(stats.mean_h, PLACES),
            round(stats.p90_h, PLACES),
        )
        for day, of_day in by_day.items()
        for (category, laden), stats in daily_stats(of_day).items()
    }


def daily_rows(rows: Iterable[Mapping[str, Any]], reference: Reference) -> dict[Group, Any]:
    """Rows of an InfluxQL ``count``, ``mean``, ``percentile`` query grouped by
    ``time(1d)``, ``teu_category`` and ``laden`` in the port's time zone (``fill(none)``)
    -> the same keys as :func:`expected_daily`."""
    found: dict[Group, Any] = {}
    for row in rows:
        at = datetime.fromisoformat(str(row["time"]).replace("Z", "+00:00"))
        day = at.astimezone(reference.home.tz).date().isoformat()
        found[day, row["teu_category"], row["laden"]] = (
            int(row["count"]),
            round(float(row["mean"]), PLACES),
            round(float(row["percentile"]), PLACES),
        )
    return found


def longest(listed: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """``dwell_longest`` entries with ``started_at`` as an aware datetime (the same instant
    may be written with another offset)."""
    return [
        {**entry, "started_at": datetime.fromisoformat(entry["started_at"])} for entry in listed
    ]


def expected_longest() -> list[dict[str, Any]]:
    """The file's ``dwell_longest`` at :data:`AS_OF`, as :func:`longest` gives it."""
    return longest(EXPECTED["dwell_longest"])


def days() -> tuple[date, date]:
    """The first and last local day a visit of the file ended on."""
    ended = [date.fromisoformat(d["day"]) for d in EXPECTED["dwells"]]
    return min(ended), max(ended)
