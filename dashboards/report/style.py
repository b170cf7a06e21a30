"""How the report page looks: escaping and number formats, words, colours and the CSS."""

from __future__ import annotations

import html
from typing import Final

from lugang.vocabulary import KIND_LABELS, PERIOD_LABELS, Verdict, pace_percent, verdict


def esc(value: object) -> str:
    """Text escaped for HTML content and attribute values."""
    return html.escape(str(value), quote=True)


def num(value: float | None, decimals: int = 0) -> str:
    return "–" if value is None else f"{value:,.{decimals}f}"


def pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.1%}"


def pace_pct(pace: float | None) -> str:
    """A pace as a percentage that stays on its verdict's side (rounded down)."""
    return "–" if pace is None else pace_percent(pace, 1)


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "ongoing 进行中"
    minutes = round(seconds / 60)
    return f"{minutes // 60} h {minutes % 60:02d} min" if minutes >= 60 else f"{minutes} min"


PERIOD_LABEL: Final[dict[str, tuple[str, str]]] = {
    name: (label.zh, label.en) for name, label in PERIOD_LABELS.items()
}
"""(Chinese, English) of each period to date (:data:`lugang.vocabulary.PERIOD_LABELS`)."""

GROUP_COLOUR: Final = {"RAIL_SEA": "#0969da", "CROSS_BORDER": "#8250df"}
CATEGORY_COLOURS: Final = ("#0969da", "#8250df", "#1b7c83", "#9a6700", "#6e7781", "#bc4c00")
DEFAULT_COLOUR: Final = "#6e7781"
GOOD: Final = "#1a7f37"
WARN: Final = "#bf8700"
BAD: Final = "#cf222e"
MISSED: Final = "#f5b8b3"
UNKNOWN: Final = "#afb8c1"
"""天天班 calendar: a day without data (unknown, not missed)."""
NOT_COUNTED: Final = "#e6e9ed"
"""天天班 calendar: a day before the counting starts."""
INK: Final = "#1f2328"
MUTED: Final = "#59636e"
GRID: Final = "#d8dee4"
TRACK: Final = "#eef1f4"

FONT: Final = (
    '"Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Micro Hei", "Microsoft YaHei", '
    '"PingFang SC", "DejaVu Sans", sans-serif'
)


VERDICT_CSS: Final = {Verdict.ON_TRACK: "good", Verdict.AT_RISK: "warn", Verdict.BEHIND: "bad"}
"""CSS class (and colour, :data:`VERDICT_COLOUR`) of each pace verdict."""
VERDICT_COLOUR: Final = {Verdict.ON_TRACK: GOOD, Verdict.AT_RISK: WARN, Verdict.BEHIND: BAD}


def pace_colour(pace: float | None) -> str:
    """The colour of a bar whose pace is ``pace``."""
    judged = verdict(pace)
    return DEFAULT_COLOUR if judged is None else VERDICT_COLOUR[judged]


def verdict_words(pace: float | None) -> tuple[str, str]:
    """(CSS class, bilingual words) of a pace."""
    judged = verdict(pace)
    if judged is None:
        return "none", "no target 无目标"
    return VERDICT_CSS[judged], f"{judged.label.en} {judged.label.zh}"


def kind_zh(kind: str) -> str:
    """The Chinese name of a cold-chain exception kind ('' for an unknown kind)."""
    label = KIND_LABELS.get(kind)
    return label.zh if label else ""


CSS: Final = f"""
* {{ box-sizing: border-box; }}
body {{ margin: 0; background: #f3f5f8; color: {INK}; font: 14px/1.45 {FONT}; }}
main {{ max-width: 1200px; margin: 0 auto; padding: 0 20px 32px; }}
header.top {{ background: #0b2545; color: #fff; padding: 22px 0 18px; margin-bottom: 18px; }}
header.top > div {{ max-width: 1200px; margin: 0 auto; padding: 0 20px; }}
header.top h1 {{ margin: 0 0 4px; font-size: 26px; letter-spacing: 0.5px; }}
header.top .en {{ font-size: 16px; opacity: 0.85; }}
header.top dl {{ display: flex; flex-wrap: wrap; gap: 6px 28px; margin: 14px 0 0; }}
header.top dt {{ font-size: 12px; opacity: 0.7; }}
header.top dd {{ margin: 0; font-size: 15px; font-weight: 600; }}
h2 {{ font-size: 19px; margin: 0 0 6px; }}
h2 span {{ font-weight: 400; color: {MUTED}; font-size: 15px; margin-left: 6px; }}
h3 {{ font-size: 15px; margin: 16px 0 4px; }}
.card {{ background: #fff; border: 1px solid {GRID}; border-radius: 8px; padding: 18px 20px;
  margin: 0 0 16px; break-inside: avoid; }}
.kpis {{ display: grid; grid-template-columns: repeat(3, 1fr); gap: 12px; margin-bottom: 16px; }}
.kpi {{ background: #fff; border: 1px solid {GRID}; border-left: 6px solid {DEFAULT_COLOUR};
  border-radius: 8px; padding: 12px 16px; }}
.kpi.good {{ border-left-color: {GOOD}; }} .kpi.warn {{ border-left-color: {WARN}; }}
.kpi.bad {{ border-left-color: {BAD}; }}
.kpi-label {{ color: {MUTED}; font-size: 13px; }}
.kpi-value {{ font-size: 32px; font-weight: 700; line-height: 1.2; }}
.kpi-detail {{ color: {MUTED}; font-size: 13px; }}
.note {{ color: {MUTED}; font-size: 12.5px; margin: 2px 0 8px; }}
.missing {{ color: {WARN}; font-weight: 600; }} .ok {{ color: {GOOD}; font-weight: 600; }}
.swatch {{ display: inline-block; width: 11px; height: 11px; border-radius: 2px;
  margin: 0 4px 0 10px; vertical-align: -1px; }}
.swatch:first-child {{ margin-left: 0; }}
svg {{ display: block; max-width: 100%; height: auto; font-family: {FONT}; }}
svg .label {{ font-size: 14px; font-weight: 600; fill: {INK}; }}
svg .sub {{ font-size: 11.5px; fill: {MUTED}; }}
svg .value {{ font-size: 14px; font-weight: 700; fill: {INK}; }}
svg .tick {{ font-size: 11px; fill: {MUTED}; }}
svg .track {{ fill: {TRACK}; }}
svg .band {{ fill: #d0d7de; }}
svg .marker {{ stroke: {INK}; stroke-width: 3; }}
svg .grid {{ stroke: {GRID}; stroke-width: 1; }}
svg .axis {{ stroke: #8c959f; stroke-width: 1; }}
svg .served {{ fill: {GOOD}; }} svg .missed {{ fill: {MISSED}; }}
svg .unknown {{ fill: {UNKNOWN}; }} svg .not_counted {{ fill: {NOT_COUNTED}; }}
svg .today {{ fill: #fff; stroke: {MISSED}; stroke-width: 2; stroke-dasharray: 3 2; }}
.swatch.today {{ background: #fff; border: 2px dashed {MISSED}; }}
svg .series {{ fill: none; stroke: #0969da; stroke-width: 2.5; }}
svg .pace {{ fill: none; stroke: {INK}; stroke-width: 1.5; stroke-dasharray: 6 4; }}
svg .run {{ fill: #fff; stroke: {INK}; stroke-width: 2; }}
svg .benchmark {{ stroke: {INK}; stroke-width: 2.5; stroke-dasharray: 4 3; }}
table.grid {{ width: 100%; border-collapse: collapse; margin-top: 12px; font-size: 13.5px; }}
table.grid th {{ text-align: left; font-weight: 600; color: {MUTED}; font-size: 12.5px;
  border-bottom: 2px solid {GRID}; padding: 6px 8px; }}
table.grid td {{ border-bottom: 1px solid #eaeef2; padding: 6px 8px; vertical-align: top; }}
td.num {{ text-align: right; font-variant-numeric: tabular-nums; }}
td.mono {{ font-family: "DejaVu Sans Mono", monospace; font-size: 12.5px; }}
.sub {{ color: {MUTED}; font-size: 12px; }}
.pill {{ display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px;
  font-weight: 600; color: #fff; background: {DEFAULT_COLOUR}; white-space: nowrap; }}
.pill.good {{ background: {GOOD}; }} .pill.warn {{ background: {WARN}; }}
.pill.bad {{ background: {BAD}; }} .pill.done {{ background: #8c959f; }}
footer {{ color: {MUTED}; font-size: 12px; }}
@page {{ size: A4; margin: 10mm; }}
@media print {{ body {{ background: #fff; }} .card, .kpi {{ border-color: #bbb; }} }}
"""
