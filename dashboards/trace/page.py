"""The trace as one self-contained HTML page: no script, no external resource, printable on
A4 like the evaluation pack (its CSS and SVG helpers, :mod:`dashboards.report`)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Final

from dashboards.report.style import (
    BAD,
    CSS,
    DEFAULT_COLOUR,
    UNKNOWN,
    duration,
    esc,
    kind_zh,
    num,
)
from dashboards.report.svg import nice_ticks, svg, text, tick_text
from dashboards.trace.model import Period, Reading, Trace
from dashboards.trace.text import MOVE_COLUMNS, TRIP_COLUMNS, celsius, moment, move_row, trip_row

SUPPLY: Final = "#0969da"
RETURN: Final = "#bc4c00"
SETPOINT: Final = "#1f2328"
BAND: Final = "#1a7f37"
HOUR_STEPS: Final = (1, 2, 3, 6, 12, 24, 48, 96, 168, 336, 720, 1440)
"""Steps of the time axis's labels, hours: the first that gives at most ten labels."""

TRACE_CSS: Final = f"""
svg .safe {{ fill: {BAND}; opacity: 0.12; }}
svg .gap {{ fill: {UNKNOWN}; opacity: 0.45; }}
svg .poweroff {{ fill: {BAD}; opacity: 0.18; }}
svg .supply {{ fill: none; stroke: {SUPPLY}; stroke-width: 2; }}
svg .return {{ fill: none; stroke: {RETURN}; stroke-width: 1.5; }}
svg .setpoint {{ fill: none; stroke: {SETPOINT}; stroke-width: 1.2; stroke-dasharray: 5 3; }}
svg .move {{ stroke: {DEFAULT_COLOUR}; stroke-width: 1; stroke-dasharray: 2 3; }}
.swatch.safe {{ background: {BAND}; opacity: 0.3; }} .swatch.gap {{ background: {UNKNOWN}; }}
.swatch.poweroff {{ background: {BAD}; opacity: 0.4; }}
.swatch.supply {{ background: {SUPPLY}; }} .swatch.return {{ background: {RETURN}; }}
.swatch.setpoint {{ background: {SETPOINT}; }}
"""


@dataclass(frozen=True)
class TimePlot:
    """The frame of a chart of temperatures over time."""

    first: datetime
    last: datetime
    low: float
    high: float
    width: int = 1100
    height: int = 300
    left: int = 56
    right: int = 16
    upper: int = 36
    lower: int = 34

    def x(self, when: datetime) -> float:
        span = (self.last - self.first).total_seconds() or 1.0
        share = (when - self.first).total_seconds() / span
        return self.left + (self.width - self.left - self.right) * min(max(share, 0.0), 1.0)

    def y(self, value: float) -> float:
        share = (value - self.low) / ((self.high - self.low) or 1.0)
        return self.upper + (self.height - self.upper - self.lower) * (1 - share)

    def span(self, start: datetime, end: datetime, cls: str, top: float, bottom: float) -> str:
        x1, x2 = self.x(start), self.x(end)
        y1, y2 = self.y(top), self.y(bottom)
        return (
            f'<rect class="{cls}" x="{x1:.1f}" y="{y1:.1f}" width="{max(x2 - x1, 1.5):.1f}" '
            f'height="{max(y2 - y1, 0.0):.1f}" />'
        )

    def anchor(self, x: float) -> str:
        """How a label at ``x`` is anchored so that it stays inside the chart."""
        if x < self.left + 60:
            return "start"
        return "end" if x > self.width - self.right - 60 else "middle"

    def axes(self, tz: tzinfo) -> list[str]:
        out = []
        step = nice_ticks(self.high - self.low, 6)[1]
        tick = math.ceil(self.low / step) * step
        while tick <= self.high:
            y = self.y(tick)
            out.append(
                f'<line class="grid" x1="{self.left}" y1="{y:.1f}" '
                f'x2="{self.width - self.right}" y2="{y:.1f}" />'
            )
            out.append(text(self.left - 6, y + 4, tick_text(round(tick, 6)), "tick", "end"))
            tick += step
        out.append(text(self.left - 6, 12, "°C", "tick", "end"))
        hours = (self.last - self.first).total_seconds() / 3600
        every = next((h for h in HOUR_STEPS if hours / h <= 10), HOUR_STEPS[-1])
        local = self.first.astimezone(tz)
        mark = local.replace(minute=0, second=0, microsecond=0)
        if every >= 24:
            mark = mark.replace(hour=0)
        base = self.height - self.lower
        while mark <= self.last:
            if mark >= self.first:
                label = f"{mark:%m-%d}" if every >= 24 else f"{mark:%m-%d %H:%M}"
                out.append(text(self.x(mark), base + 16, label, "tick", "middle"))
            mark += timedelta(hours=every)
        return out


def _polylines(
    readings: Sequence[Reading], value: str, gaps: Sequence[Period], plot: TimePlot
) -> list[str]:
    """One polyline per stretch of readings between gaps, of one of the readings' columns."""
    breaks = {g.start for g in gaps}
    runs: list[list[str]] = [[]]
    for reading in readings:
        found = getattr(reading, value)
        if found is not None:
            runs[-1].append(f"{plot.x(reading.time):.1f},{plot.y(found):.1f}")
        if reading.time in breaks or found is None:
            runs.append([])
    cls = value.removesuffix("_c").removesuffix("_air")
    return [f'<polyline class="{cls}" points="{" ".join(run)}" />' for run in runs if run]


def chart(trace: Trace) -> str:
    """Supply air, return air and setpoint against the band of each trip, gaps and
    power-off periods shaded, moves as vertical markers."""
    readings = trace.readings
    times = [r.time for r in readings] + [m.time for m in trace.moves]
    if not readings:
        return '<p class="note">No readings in the window: no temperature chart.</p>'
    values = [
        v for r in readings for v in (r.supply_air_c, r.return_air_c, r.setpoint_c) if v is not None
    ]
    bands = [(t.summary.band_low_c, t.summary.band_high_c) for t in trace.trips]
    values += [v for band in bands for v in band if v is not None]
    first, last = min(times), max(times)
    if last <= first:
        last = first + timedelta(hours=1)
    plot = TimePlot(first, last, math.floor(min(values) - 1), math.ceil(max(values) + 1))
    body = plot.axes(trace.tz)
    for found in trace.trips:
        s = found.summary
        low = plot.low if s.band_low_c is None else s.band_low_c
        body.append(plot.span(s.start, s.end, "safe", s.band_high_c, low))
    body += [plot.span(g.start, g.end, "gap", plot.high, plot.low) for g in trace.gaps]
    body += [plot.span(p.start, p.end, "poweroff", plot.high, plot.low) for p in trace.power_off]
    for move in trace.moves:
        x = plot.x(move.time)
        body.append(
            f'<line class="move" x1="{x:.1f}" y1="{plot.upper:.1f}" x2="{x:.1f}" '
            f'y2="{plot.height - plot.lower:.1f}" />'
        )
        label = f"{move.event_type} {move.location}"
        body.append(text(x, plot.upper - 6, label, "sub", plot.anchor(x)))
    for column in ("setpoint_c", "return_air_c", "supply_air_c"):
        body += _polylines(readings, column, trace.gaps, plot)
    title = f"{trace.equipment_reference}: supply air, return air and setpoint against the band"
    legend = "".join(
        f'<span class="swatch {cls}"></span>{esc(label)}'
        for cls, label in (
            ("supply", "supply air 送风"),
            ("return", "return air 回风"),
            ("setpoint", "setpoint 设定"),
            ("safe", "safe band 安全区间"),
            ("gap", "gap 数据中断"),
            ("poweroff", "power off 断电"),
        )
    )
    return f'<p class="note">{legend}</p>' + svg("trace", plot.width, plot.height, body, title)


def _table(header: Sequence[str], rows: Sequence[Sequence[str]], numeric: set[int]) -> str:
    head = "".join(f"<th>{esc(h)}</th>" for h in header)
    cells = "".join(
        "<tr>"
        + "".join(
            f'<td class="num">{esc(c)}</td>' if i in numeric else f"<td>{esc(c)}</td>"
            for i, c in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    return f'<table class="grid"><thead><tr>{head}</tr></thead><tbody>{cells}</tbody></table>'


def _card(title: str, body: str) -> str:
    return f'<section class="card"><h2>{title}</h2>{body}</section>'


def timeline(trace: Trace) -> str:
    """The moves and the runs of the trains they name."""
    tz = trace.tz
    moves = [move_row(m, tz) for m in trace.moves]
    header: tuple[str, ...] = MOVE_COLUMNS
    body = _table(header, moves, {7}) if moves else '<p class="note">No moves in the window.</p>'
    trains = [
        (
            t.train_id,
            t.corridor or "–",
            t.direction or "–",
            moment(t.departed, tz),
            moment(t.arrived, tz),
            num(t.transit_h, 1),
            num(t.benchmark_h, 1),
            "–" if t.within_benchmark is None else ("within" if t.within_benchmark else "over"),
        )
        for t in trace.trains
    ]
    header = ("Train", "Corridor", "Direction", "Departed", "Arrived", "Transit h")
    header += ("Benchmark h", "")
    if trains:
        body += "<h3>Trains 班列</h3>" + _table(header, trains, {5, 6})
    return _card("Timeline <span>时间线 moves and trains</span>", body)


def exceptions(trace: Trace) -> str:
    tz = trace.tz
    rows = []
    for e in trace.exceptions:
        ack = e.acknowledgement
        acked = "–" if ack is None else f"{ack.by}, since {moment(ack.since, tz)}: {ack.comment}"
        rows.append(
            (
                f"{e.kind} {kind_zh(e.kind)}",
                moment(e.start, tz),
                "open 未关闭" if e.open else moment(e.end, tz),
                celsius(e.peak_deviation_c),
                duration(e.duration_s),
                acked.rstrip(": "),
            )
        )
    header = ("Kind", "Start", "End", "Peak deviation", "Duration", "Acknowledged")
    note = ""
    if trace.acknowledgements != "read":
        note = '<p class="note">Acknowledgements not read: no Alertmanager URL.</p>'
    body = _table(header, rows, {3}) if rows else '<p class="note">No exceptions.</p>'
    return _card("Exceptions <span>冷链异常</span>", note + body)


def trips(trace: Trace) -> str:
    rows = [trip_row(found, trace.tz) for found in trace.trips]
    header = TRIP_COLUMNS
    body = _table(header, rows, {2, 9}) if rows else '<p class="note">No trip with readings.</p>'
    return _card("Trips <span>行程 one stay on watch each</span>", body)


def render_html(trace: Trace, generated_at: datetime | None = None) -> str:
    """The trace as one self-contained HTML page."""
    tz = trace.tz
    generated = (generated_at or datetime.now(UTC)).astimezone(tz)
    header = (
        '<header class="top"><div>'
        f"<h1>{esc(trace.equipment_reference)} 全程冷链追溯</h1>"
        '<div class="en">whole-journey cold-chain trace</div><dl>'
        f"<div><dt>期间 Window</dt><dd>{esc(moment(trace.start, tz))} – "
        f"{esc(moment(trace.end, tz))}</dd></div>"
        f"<div><dt>生成时间 Generated</dt><dd>{esc(generated.strftime('%Y-%m-%d %H:%M'))} "
        f"({esc(str(tz))})</dd></div>"
        f"<div><dt>数据来源 Source</dt><dd>{esc(trace.source or 'InfluxDB')}</dd></div>"
        "</dl></div></header>"
    )
    footer = (
        "<footer><p>A trip is one stay on watch: it ends at gate out at the port, discharge at "
        "the corridor's far end, or arrival there of the outbound train the box was loaded on. "
        "Each reading stands until the next (sample and hold). MKT = (ΔH/R) / −ln(Σ tᵢ·"
        "e^(−ΔH/(R·Tᵢ)) / Σ tᵢ), time-weighted, ΔH per commodity (default 83.144 kJ/mol), "
        "USP ⟨1079⟩. Generated by Lugang (lugang trace --html).</p></footer>"
    )
    readings = f"Temperatures <span>温度 {len(trace.readings)} readings</span>"
    body = [
        header,
        "<main>",
        _card(readings, chart(trace)),
        timeline(trace),
        exceptions(trace),
        trips(trace),
        footer,
        "</main>",
    ]
    title = f"{trace.equipment_reference} · Lugang trace"
    return (
        '<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)}</title><style>{CSS}{TRACE_CSS}</style></head>"
        f"<body>{''.join(body)}</body></html>\n"
    )
