"""Page sections over the period's days: daily train runs and TEU, cumulative runs against
the pace line, and transit times against the corridors' benchmarks."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

from dashboards.report.data import Row, empty_day
from dashboards.report.style import (
    CATEGORY_COLOURS,
    DEFAULT_COLOUR,
    INK,
    PERIOD_LABEL,
    esc,
    num,
    pace_colour,
    pct,
)
from dashboards.report.svg import Plot, nice_ticks, svg, text, tick_text
from lugang.reference import Reference
from lugang.vocabulary import pro_rata
from streams.domain.periods import PeriodName


def daily_section(
    daily: Mapping[str, Row] | None,
    days: Sequence[date],
    status: Row,
    period: PeriodName,
    start: date,
    reference: Reference,
    categories: Sequence[str],
) -> str:
    zh, en = PERIOD_LABEL[period]
    head = f"<h2>每日趋势 <span>Daily trend ({esc(zh)} {esc(en)})</span></h2>"
    if daily is None:
        return (
            f'<section class="card">{head}<p class="missing">No daily series: InfluxDB was not '
            "read (set --influx-url or LUGANG_INFLUX_URL). 未读取 InfluxDB，无每日数据。</p>"
            "</section>"
        )
    rows = [daily.get(d.isoformat()) or empty_day() for d in days]
    return (
        f'<section class="card">{head}'
        "<h3>每日班列开行 Train runs per day</h3>"
        + _daily_runs(rows, days)
        + "<h3>每日集装箱到发量 TEU per day, by category</h3>"
        + _category_legend(categories, reference)
        + _daily_teu(rows, days, categories)
        + "<h3>累计班列开行与进度线 Cumulative train runs against the pace line</h3>"
        + _cumulative(rows, days, status)
        + "</section>"
    )


def _daily_runs(rows: Sequence[Row], days: Sequence[date]) -> str:
    ticks = nice_ticks(max([r["runs"] for r in rows] + [1]), 4, whole=True)
    plot = Plot(days, ticks[-1], height=200)
    body = plot.frame(ticks, "runs")
    for n, (day, row) in enumerate(zip(days, rows, strict=True)):
        if row["runs"] > 0:
            y = plot.y(row["runs"])
            body.append(
                f'<rect class="bar" data-day="{day.isoformat()}" data-value="{row["runs"]}" '
                f'x="{plot.x(n) + plot.slot * 0.15:.1f}" y="{y:.1f}" '
                f'width="{max(plot.slot * 0.7, 1):.1f}" height="{plot.y(0) - y:.1f}" '
                f'fill="{INK}"><title>{day.isoformat()}: {row["runs"]} runs</title></rect>'
            )
    return svg("daily-runs", plot.width, plot.height, body, "Train runs per day")


def _category_colour(categories: Sequence[str], category: str) -> str:
    index = categories.index(category) if category in categories else len(categories)
    return CATEGORY_COLOURS[index % len(CATEGORY_COLOURS)]


def _category_legend(categories: Sequence[str], reference: Reference) -> str:
    return (
        '<p class="note">'
        + "".join(
            f'<span class="swatch" style="background:{_category_colour(categories, c)}"></span>'
            f"{esc(c)} "
            f"{esc(reference.teu_categories[c].name_zh if c in reference.teu_categories else '')} "
            for c in categories
        )
        + "</p>"
    )


def _daily_teu(rows: Sequence[Row], days: Sequence[date], categories: Sequence[str]) -> str:
    ticks = nice_ticks(max([r["teu"] for r in rows] + [1]), 4)
    plot = Plot(days, ticks[-1], height=220)
    body = plot.frame(ticks, "TEU")
    for n, (day, row) in enumerate(zip(days, rows, strict=True)):
        base = 0.0
        for category in categories:
            teu = float(row["teu_by_category"].get(category, 0.0))
            if teu <= 0:
                continue
            y_top, y_base = plot.y(base + teu), plot.y(base)
            body.append(
                f'<rect class="bar" data-day="{day.isoformat()}" data-category="{esc(category)}" '
                f'data-value="{teu:g}" x="{plot.x(n) + plot.slot * 0.15:.1f}" '
                f'y="{y_top:.1f}" width="{max(plot.slot * 0.7, 1):.1f}" '
                f'height="{y_base - y_top:.1f}" fill="{_category_colour(categories, category)}">'
                f"<title>{day.isoformat()} {esc(category)}: {teu:,.0f} TEU</title></rect>"
            )
            base += teu
    return svg("daily-teu", plot.width, plot.height, body, "TEU per day by category")


def _cumulative(rows: Sequence[Row], days: Sequence[date], status: Row) -> str:
    figure = status.get("trains_ytd")
    yearly = float(figure["yearly_target"]) if figure else None
    totals: list[float] = []
    for row in rows:
        totals.append((totals[-1] if totals else 0.0) + row["runs"])
    pace = [round(pro_rata(yearly, day, since=days[0]), 2) for day in days] if yearly else []
    ticks = nice_ticks(max([*totals, *pace, 1.0]), 4)
    plot = Plot(days, ticks[-1], height=220)
    body = plot.frame(ticks, "runs")

    def path(values: Sequence[float]) -> str:
        points = [f"{plot.x(0):.1f},{plot.y(0):.1f}"]
        points += [f"{plot.x(n + 1):.1f},{plot.y(v):.1f}" for n, v in enumerate(values)]
        return "M" + " L".join(points)

    # End labels: the higher line's above it, the lower one's above it too when there is
    # room between the lines, else below it.
    end_x, y_actual = plot.x(len(days)) - 4, plot.y(totals[-1])
    actual_y = y_actual - 8
    if pace:
        y_pace = plot.y(pace[-1])
        body.append(f'<path class="pace" data-value="{pace[-1]:.2f}" d="{path(pace)}" />')
        pace_y = y_pace - 8 if totals[-1] < pace[-1] else y_pace + 16
        if totals[-1] < pace[-1] and actual_y - y_pace < 22:
            actual_y = y_actual + 16
        body.append(text(end_x, pace_y, f"pro-rata 进度 {pace[-1]:,.1f}", "tick", "end"))
    body.append(f'<path class="series" data-value="{totals[-1]:g}" d="{path(totals)}" />')
    body.append(text(end_x, actual_y, f"actual 实际 {totals[-1]:,.0f}", "value", "end"))
    return svg("cumulative", plot.width, plot.height, body, "Cumulative train runs and pace")


def transit_section(transit: Sequence[Row] | None, reference: Reference) -> str:
    head = (
        "<h2>在途时间 <span>Transit times against the benchmarks</span></h2>"
        f'<p class="note">Departure from {esc(reference.home.short_en)} to arrival at the far '
        "end, per outbound run. "
        "Benchmarks: 30 h to a seaport (30小时通江达海), 72 h to an ASEAN destination "
        "(3天直达东盟).</p>"
    )
    if transit is None:
        return (
            f'<section class="card">{head}<p class="missing">No transit times: InfluxDB was '
            "not read. 未读取 InfluxDB，无在途时间。</p></section>"
        )
    by_corridor: dict[str, list[Row]] = {}
    for run in transit:
        by_corridor.setdefault(run["corridor"], []).append(run)
    if not by_corridor:
        return (
            f'<section class="card">{head}<p class="missing">No outbound run of the period '
            "has arrived yet. 本期暂无已到达的去程班列。</p></section>"
        )
    order = [c for c in reference.corridors if c in by_corridor]
    order += [c for c in by_corridor if c not in order]
    width, label_w, value_w, row_h = 1100, 330, 250, 44
    bar_w = width - label_w - value_w
    hours_top = max(
        [r["hours"] for r in transit]
        + [float(r["benchmark_h"]) for r in transit if r.get("benchmark_h")]
    )
    ticks = nice_ticks(hours_top, 6)

    def x_of(hours: float) -> float:
        return label_w + bar_w * hours / ticks[-1]

    body: list[str] = []
    table: list[str] = []
    axis_y = len(order) * row_h + 8
    for tick in ticks:
        body.append(
            f'<line class="grid" x1="{x_of(tick):.1f}" y1="0" x2="{x_of(tick):.1f}" '
            f'y2="{axis_y}" />'
        )
        body.append(text(x_of(tick), axis_y + 14, f"{tick_text(tick)} h", "tick", "middle"))
    for n, cid in enumerate(order):
        runs = by_corridor[cid]
        spec = reference.corridors.get(cid)
        hours = [float(r["hours"]) for r in runs]
        mean = sum(hours) / len(hours)
        benchmark = runs[0].get("benchmark_h") or (spec.transit_benchmark_h if spec else None)
        judged = [r for r in runs if r.get("within_benchmark") is not None]
        within = sum(1 for r in judged if r["within_benchmark"])
        share = within / len(judged) if judged else None
        y = n * row_h + 6
        colour = DEFAULT_COLOUR if share is None else pace_colour(share)
        body.append(text(0, y + 16, spec.name_zh if spec else cid, "label"))
        body.append(text(0, y + 32, cid, "sub"))
        body.append(
            f'<rect class="bar" data-corridor="{esc(cid)}" data-value="{mean:.2f}" '
            f'x="{label_w}" y="{y + 6}" width="{x_of(mean) - label_w:.1f}" height="22" '
            f'fill="{colour}" opacity="0.85" />'
        )
        for r in runs:
            body.append(
                f'<circle class="run" cx="{x_of(float(r["hours"])):.1f}" cy="{y + 17}" r="4">'
                f"<title>{esc(r['train_id'])}: {float(r['hours']):.1f} h</title></circle>"
            )
        if benchmark:
            bx = x_of(float(benchmark))
            body.append(
                f'<line class="benchmark" data-value="{float(benchmark):g}" x1="{bx:.1f}" '
                f'y1="{y}" x2="{bx:.1f}" y2="{y + 34}" />'
            )
        summary = f"mean {mean:.1f} h" + (
            f" · {within}/{len(judged)} within {float(benchmark):g} h" if benchmark else ""
        )
        body.append(text(label_w + bar_w + 16, y + 22, summary, "value"))
        table.append(
            f"<tr><td>{esc(spec.name_zh if spec else cid)}<br><span class=sub>{esc(cid)}</span>"
            f"</td><td class=num>{num(float(benchmark) if benchmark else None)}</td>"
            f"<td class=num>{len(runs)}</td><td class=num>{mean:.1f}</td>"
            f"<td class=num>{min(hours):.1f}</td><td class=num>{max(hours):.1f}</td>"
            f"<td class=num>{pct(share)}</td></tr>"
        )
    chart = svg("transit", width, axis_y + 22, body, "Transit hours per corridor")
    legend = (
        '<p class="note">Bar: mean 平均; dot: one run 单列; dashed mark: benchmark 基准. '
        "Bar colour: share of runs within the benchmark.</p>"
    )
    return (
        f'<section class="card">{head}{legend}{chart}'
        '<table class="grid"><thead><tr><th>线路 Corridor</th><th>基准 Benchmark (h)</th>'
        "<th>班列 Runs</th><th>平均 Mean (h)</th><th>最快 Fastest (h)</th>"
        "<th>最慢 Slowest (h)</th><th>达标率 Within benchmark</th></tr></thead>"
        f"<tbody>{''.join(table)}</tbody></table></section>"
    )
