"""SVG primitives of the report's charts: the element, a text, axis ticks, and the frame
of a chart over the period's days."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from dashboards.report.style import esc


def nice_ticks(top: float, count: int = 5, whole: bool = False) -> list[float]:
    """Round axis ticks from 0 to at least ``top``; ``whole``: integer steps only."""
    if top <= 0:
        return [0.0, 1.0]
    raw = top / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    if whole:
        step = max(1, math.ceil(step))
    ticks = [0.0]
    while ticks[-1] < top:
        ticks.append(round(ticks[-1] + step, 10))
    return ticks


def tick_text(value: float) -> str:
    return f"{value:,.0f}" if value == int(value) else f"{value:,.1f}"


def svg(name: str, width: int, height: int, body: Iterable[str], title: str) -> str:
    return (
        f'<svg data-chart="{esc(name)}" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" role="img" aria-label="{esc(title)}">'
        f"<title>{esc(title)}</title>{''.join(body)}</svg>"
    )


def text(x: float, y: float, text: str, cls: str = "", anchor: str = "start") -> str:
    css = f' class="{cls}"' if cls else ""
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}"{css}>{esc(text)}</text>'


@dataclass(frozen=True)
class Plot:
    """The frame of a chart over the period's days."""

    days: Sequence[date]
    top: float
    width: int = 1100
    height: int = 240
    left: int = 56
    right: int = 16
    upper: int = 22
    lower: int = 34

    @property
    def plot_w(self) -> float:
        return self.width - self.left - self.right

    @property
    def plot_h(self) -> float:
        return self.height - self.upper - self.lower

    @property
    def slot(self) -> float:
        return self.plot_w / len(self.days)

    def x(self, index: float) -> float:
        return self.left + self.slot * index

    def y(self, value: float) -> float:
        return self.upper + self.plot_h * (1 - value / self.top)

    def frame(self, ticks: Sequence[float], unit: str) -> list[str]:
        out = []
        for tick in ticks:
            y = self.y(tick)
            out.append(
                f'<line class="grid" x1="{self.left}" y1="{y:.1f}" '
                f'x2="{self.width - self.right}" y2="{y:.1f}" />'
            )
            out.append(text(self.left - 6, y + 4, tick_text(tick), "tick", "end"))
        out.append(text(self.left - 6, 10, unit, "tick", "end"))
        base = self.y(0)
        out.append(
            f'<line class="axis" x1="{self.left}" y1="{base:.1f}" '
            f'x2="{self.width - self.right}" y2="{base:.1f}" />'
        )
        few = len(self.days) <= 31
        for n, day in enumerate(self.days):
            if few or day.day == 1 or n == 0:
                label = f"{day.day}" if few and n and day.day != 1 else f"{day.month}/{day.day}"
                out.append(text(self.x(n + 0.5), base + 16, label, "tick", "middle"))
        return out
