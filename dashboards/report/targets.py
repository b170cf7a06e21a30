"""The page's figures against the plan: pro-rata targets as bullet charts and a table."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from dashboards.report.data import Row
from dashboards.report.style import (
    BAD,
    GOOD,
    PERIOD_LABEL,
    WARN,
    esc,
    num,
    pace_colour,
    pace_pct,
    verdict_words,
)
from dashboards.report.svg import svg, text
from lugang.reference import Reference
from lugang.vocabulary import AT_RISK_PERCENT, ON_TRACK_PERCENT, days_in_year
from streams.domain.periods import PeriodName
from streams.domain.status import TONNES_PER_UNIT


@dataclass(frozen=True)
class Target:
    """A period's count against the plan's pro-rata share (None: no target), with the
    pace ``/status`` gives (rounded down, never up over a verdict's threshold)."""

    label_zh: str
    label_en: str
    actual: float
    yearly: float | None
    pro_rata: float | None
    pace: float | None
    unit: str


def _pill(pace: float | None) -> str:
    css, words = verdict_words(pace)
    return f'<span class="pill {css}">{esc(words)}</span>'


def against(
    label_zh: str,
    label_en: str,
    actual: float,
    figure: Row | None,
    unit: str,
    scale: float = 1,
) -> Target:
    """``actual`` of the period against ``figure``, the period's ``/status`` figure against
    the plan (an ``against_plan`` entry; None: no target), its target figures multiplied
    by ``scale`` (10⁴ t to tonnes)."""
    if figure is None:
        return Target(label_zh, label_en, float(actual), None, None, None, unit)
    return Target(
        label_zh,
        label_en,
        float(actual),
        float(figure["yearly_target"]) * scale,
        float(figure["pro_rata_target"]) * scale,
        figure["pace"],
        unit,
    )


def plan_of(figures: Row) -> Row:
    """The figures against the plan of a ``/status`` period ({} in a year without targets)."""
    plan: Row = figures.get("against_plan") or {}
    return plan


def bullet_chart(name: str, title: str, rows: Sequence[Target], width: int = 1100) -> str:
    """One bar per row: the count, a shaded pro-rata band with its marker, on a scale of
    its own (counts of different units share no axis)."""
    label_w, value_w, row_h, top = 330, 250, 58, 8
    bar_x, bar_w = label_w, width - label_w - value_w
    body: list[str] = []
    for n, row in enumerate(rows):
        y = top + n * row_h
        scale = max(row.actual, row.pro_rata or 0.0, 1.0) * 1.15
        bar_y, bar_h = y + 12, 24

        def x_of(value: float, scale: float = scale) -> float:
            return bar_x + bar_w * value / scale

        body.append(text(0, y + 22, row.label_zh, "label"))
        body.append(text(0, y + 40, row.label_en, "sub"))
        body.append(
            f'<rect class="track" x="{bar_x}" y="{bar_y}" width="{bar_w}" height="{bar_h}" />'
        )
        if row.pro_rata is not None:
            band = x_of(row.pro_rata) - bar_x
            body.append(
                f'<rect class="band" x="{bar_x}" y="{bar_y}" width="{band:.1f}" height="{bar_h}" />'
            )
        body.append(
            f'<rect class="bar" data-value="{row.actual:g}" x="{bar_x}" y="{bar_y + 4}" '
            f'width="{x_of(row.actual) - bar_x:.1f}" height="{bar_h - 8}" '
            f'fill="{pace_colour(row.pace)}" />'
        )
        if row.pro_rata is not None:
            mx = x_of(row.pro_rata)
            body.append(
                f'<line class="marker" data-value="{row.pro_rata:g}" x1="{mx:.1f}" '
                f'y1="{bar_y - 5}" x2="{mx:.1f}" y2="{bar_y + bar_h + 5}" />'
            )
            body.append(
                text(
                    mx,
                    bar_y + bar_h + 17,
                    f"pro-rata 进度 {num(row.pro_rata, 1)}",
                    "tick",
                    "middle",
                )
            )
        vx = bar_x + bar_w + 16
        body.append(text(vx, y + 24, f"{num(row.actual)} {row.unit}", "value"))
        detail = (
            f"{pace_pct(row.pace)} of pro-rata · yearly {num(row.yearly)}"
            if row.yearly is not None
            else "no target for this year 本年无目标"
        )
        body.append(text(vx, y + 42, detail, "sub"))
    return svg(name, width, top + row_h * len(rows) + 10, body, title)


def targets_section(
    status: Row, figures: Row, period: PeriodName, start: date, reference: Reference
) -> str:
    as_of = date.fromisoformat(status["as_of"])
    zh, en = PERIOD_LABEL[period]
    plan = plan_of(figures)
    trains = against(
        "班列开行", f"train runs, {en}", figures["train_runs"], plan.get("trains"), "runs"
    )
    categories = [
        against(
            reference.teu_categories[c].name_zh if c in reference.teu_categories else c,
            f"{c} · TEU",
            figures["teu_by_category"].get(c, 0.0),
            plan.get("teu_by_category", {}).get(c),
            "TEU",
        )
        for c in categories_of(status, figures, reference)
    ]
    total = against("集装箱到发量合计", f"TEU total, {en}", figures["teu"], plan.get("teu"), "TEU")
    reefer = against(
        "冷链集装箱到发量",
        f"reefer TEU, {en}",
        figures["reefer_teu"],
        plan.get("reefer_teu"),
        "TEU",
    )
    tonnage = tonnage_against(figures, f"freight, gross weight of counted moves (t), {en}")
    rows = [trains, total, *categories, reefer, tonnage]
    table = "".join(
        f"<tr><td>{esc(r.label_zh)}<br><span class=sub>{esc(r.label_en)}</span></td>"
        f"<td class=num>{num(r.actual)}</td><td class=num>{num(r.pro_rata, 1)}</td>"
        f"<td class=num>{num(r.yearly)}</td><td class=num>{pace_pct(r.pace)}</td>"
        f"<td>{_pill(r.pace)}</td></tr>"
        for r in rows
    )
    days = (as_of - start).days + 1
    return (
        '<section class="card">'
        f"<h2>计划目标完成情况 <span>Against the plan ({esc(zh)} {esc(en)})</span></h2>"
        f'<p class="note">Pro-rata 进度目标 = yearly target 年度目标 × {days} days in the '
        f"period ÷ {days_in_year(as_of.year)} days in the year. Bar colour: "
        f'<span class="swatch" style="background:{GOOD}"></span>≥ {ON_TRACK_PERCENT} % '
        f'<span class="swatch" style="background:{WARN}"></span>≥ {AT_RISK_PERCENT} % '
        f'<span class="swatch" style="background:{BAD}"></span>&lt; {AT_RISK_PERCENT} % '
        "of pro-rata; "
        "the shaded band and the black mark are the pro-rata target.</p>"
        "<h3>班列开行 Train runs</h3>"
        + bullet_chart("trains", f"Train runs {en} against pro-rata", [trains])
        + "<h3>集装箱到发量（分类）TEU per category</h3>"
        + bullet_chart("teu-categories", f"TEU per category {en} against pro-rata", categories)
        + "<h3>冷链集装箱 Reefer TEU</h3>"
        + bullet_chart("reefer", f"Reefer TEU {en} against pro-rata", [reefer])
        + "<h3>货运吞吐量 Freight (t)</h3>"
        + bullet_chart("tonnage", f"Freight {en} against pro-rata", [tonnage])
        + '<table class="grid"><thead><tr><th>指标 Indicator</th><th>实际 Actual</th>'
        "<th>进度目标 Pro-rata</th><th>年度目标 Yearly</th><th>完成进度 Pace</th>"
        f"<th>评价 Verdict</th></tr></thead><tbody>{table}</tbody></table></section>"
    )


def tonnage_against(figures: Row, label_en: str) -> Target:
    """The period's gross weight in tonnes against the freight target (``/status`` counts
    it in 10⁴ t, as the plan does)."""
    figure = plan_of(figures).get("tonnage")
    return against(
        "货运吞吐量（吨）", label_en, figures["gross_weight_t"], figure, "t", TONNES_PER_UNIT
    )


def categories_of(status: Row, figures: Row, reference: Reference) -> list[str]:
    """TEU categories in the reference's order, then any other the figures name."""
    names = list(reference.teu_categories)
    planned = plan_of(figures).get("teu_by_category", {})
    for extra in [*planned, *figures["teu_by_category"]]:
        if extra not in names:
            names.append(extra)
    return names
