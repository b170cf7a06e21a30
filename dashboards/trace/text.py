"""The trace as plain text: one screen with the moves, the trains, the readings' gaps and
power-off periods, the exceptions with their acknowledgements, and one row per trip."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, tzinfo
from typing import Final

from dashboards.report.style import duration
from dashboards.trace.model import Move, Period, Trace, TracedException, Train, Trip


def moment(when: datetime | None, tz: tzinfo) -> str:
    """A time as the trace prints it: local, to the minute (``–`` for none)."""
    return "–" if when is None else f"{when.astimezone(tz):%Y-%m-%d %H:%M}"


def celsius(value: float | None, decimals: int = 1) -> str:
    return "–" if value is None else f"{value:.{decimals}f} °C"


def band_text(low: float | None, high: float) -> str:
    """A safe band, e.g. ``3.0 to 9.0 °C`` or ``up to -15.0 °C``."""
    return f"up to {high:.1f} °C" if low is None else f"{low:.1f} to {high:.1f} °C"


def table(rows: Sequence[Sequence[str]]) -> list[str]:
    """Rows with their columns aligned (the last one left ragged), indented by two."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    aligned = (
        [*(cell.ljust(width) for cell, width in zip(row, widths, strict=False)), row[-1]]
        for row in rows
    )
    return ["  " + "  ".join(cells).rstrip() for cells in aligned]


MOVE_COLUMNS: Final = (
    "Time", "Move", "At", "Direction", "Train", "Corridor", "Commodity", "Gross kg",
)  # fmt: skip


def move_row(move: Move, tz: tzinfo) -> tuple[str, ...]:
    """A move as a row of :data:`MOVE_COLUMNS` (text and page)."""
    return (
        moment(move.time, tz),
        move.event_type,
        move.location,
        move.direction or "–",
        move.train_id or "–",
        move.corridor or "–",
        move.commodity or "–",
        "–" if move.gross_weight_kg is None else f"{move.gross_weight_kg:,.0f}",
    )


TRIP_COLUMNS: Final = (
    "Start", "End", "Readings", "Commodity", "Band", "Above", "Below", "Largest", "Min–max",
    "MKT",
)  # fmt: skip


def trip_row(found: Trip, tz: tzinfo) -> tuple[str, ...]:
    """A trip as a row of :data:`TRIP_COLUMNS` (text and page): time above and below the
    band, the largest deviation, the extremes and the MKT to 0.01 °C."""
    s = found.summary
    side, deviation = s.largest_deviation
    return (
        moment(s.start, tz),
        moment(s.end, tz),
        str(s.readings),
        found.commodity or "–",
        band_text(s.band_low_c, s.band_high_c),
        duration(s.above_band_s),
        duration(s.below_band_s),
        "in band" if side is None else f"{side} {deviation:.1f} °C",
        f"{s.min_c:.1f}–{s.max_c:.1f} °C",
        celsius(s.mkt_c, 2),
    )


def train_line(run: Train, tz: tzinfo) -> str:
    """A run's departure, arrival and transit time against the benchmark."""
    if run.transit_h is None:
        timing = "under way (or arrival not known)"
    else:
        timing = f"arrived {moment(run.arrived, tz)}, {run.transit_h:.1f} h"
        if run.benchmark_h is not None:
            verdict = "within" if run.within_benchmark else "over"
            timing += f" ({verdict} the {run.benchmark_h:.1f} h benchmark)"
    where = " ".join(x for x in (run.corridor, run.direction) if x)
    return f"  {run.train_id} {where}: departed {moment(run.departed, tz)}, {timing}"


def exception_line(found: TracedException, tz: tzinfo) -> str:
    state = "open" if found.open else f"closed {moment(found.end, tz)}"
    length = "" if found.duration_s is None else f", {duration(found.duration_s)}"
    peak = "" if found.peak_deviation_c is None else f", peak {found.peak_deviation_c:.1f} °C"
    line = (
        f"  {found.kind} from {moment(found.start, tz)}, {state}{length}{peak}  "
        f"[{found.exception_id}]"
    )
    ack = found.acknowledgement
    if ack is not None:
        comment = f": {ack.comment}" if ack.comment else ""
        line += f"\n    acknowledged by {ack.by} since {moment(ack.since, tz)}{comment}"
    return line


def _periods(name: str, periods: Sequence[Period], tz: tzinfo) -> list[str]:
    return [
        f"  {name} {moment(p.start, tz)} – {moment(p.end, tz)} ({duration(p.minutes * 60)})"
        for p in periods
    ]


def render_text(trace: Trace) -> str:
    """The trace as the default output of ``lugang trace``."""
    tz = trace.tz
    lines = [
        f"{trace.equipment_reference}: journey from {moment(trace.start, tz)} to "
        f"{moment(trace.end, tz)} ({tz})",
        "",
        f"Moves ({len(trace.moves)})",
    ]
    moves = [tuple(c.upper() for c in MOVE_COLUMNS)] + [move_row(m, tz) for m in trace.moves]
    lines += table(moves) if trace.moves else ["  none"]
    lines += ["", f"Trains ({len(trace.trains)})"]
    lines += [train_line(t, tz) for t in trace.trains] or ["  none named by the moves"]
    lines += [
        "",
        f"Readings ({len(trace.readings)}): {len(trace.gaps)} gap(s), "
        f"{len(trace.power_off)} power-off period(s)",
    ]
    lines += _periods("gap", trace.gaps, tz) + _periods("power off", trace.power_off, tz)
    lines += ["", f"Exceptions ({len(trace.exceptions)})"]
    lines += [exception_line(e, tz) for e in trace.exceptions] or ["  none"]
    if trace.acknowledgements != "read":
        lines.append("  acknowledgements not read: no Alertmanager URL")
    lines += ["", f"Trips ({len(trace.trips)})"]
    trips = [tuple(c.upper() for c in TRIP_COLUMNS)] + [trip_row(t, tz) for t in trace.trips]
    lines += table(trips) if trace.trips else ["  none with readings and a known band"]
    return "\n".join(lines)
