"""The report page: key figures, the summary of every period, and the HTML assembly of all
the sections into one self-contained page (inline CSS and SVG, nothing from elsewhere)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from dashboards.report.balance import balance_section
from dashboards.report.data import Row, days_between, period_bounds
from dashboards.report.sections import corridor_section, daily_service_section, exceptions_section
from dashboards.report.series import daily_section, transit_section
from dashboards.report.style import CSS, PERIOD_LABEL, esc, num, pace_pct, verdict_words
from dashboards.report.targets import (
    against,
    categories_of,
    plan_of,
    targets_section,
    tonnage_against,
)
from lugang.reference import Reference
from lugang.vocabulary import days_in_year
from streams.domain.periods import (
    PERIOD_NAMES,
    REPORT_DUE_DAYS,
    PeriodName,
    calendar_period,
    to_date_key,
)


def kpis(status: Row, figures: Row, period: PeriodName, exceptions: Sequence[Row] | None) -> str:
    plan = plan_of(figures)
    tiles: list[tuple[str, str, str, str]] = []
    for target in (
        against("班列开行", "train runs", figures["train_runs"], plan.get("trains"), ""),
        against("集装箱到发量", "TEU", figures["teu"], plan.get("teu"), ""),
        against("冷链集装箱", "reefer TEU", figures["reefer_teu"], plan.get("reefer_teu"), ""),
        tonnage_against(figures, "freight (t)"),
    ):
        css, _ = verdict_words(target.pace)
        detail = (
            f"{pace_pct(target.pace)} of pro-rata {num(target.pro_rata, 1)}"
            if target.pro_rata is not None
            else "no target 无目标"
        )
        tiles.append((css, f"{target.label_zh} {target.label_en}", num(target.actual), detail))
    tiles.append(_missed_tile(status, period))
    if exceptions is not None:
        open_count = sum(1 for e in exceptions if e.get("status", "OPEN") == "OPEN")
        tiles.append(
            (
                "bad" if open_count else "good",
                "冷链异常 cold-chain exceptions",
                num(len(exceptions)),
                f"{open_count} open 未关闭",
            )
        )
    else:  # no history without InfluxDB: what is open now, as the worker knows it
        open_now = len(status.get("open_exceptions", []))
        tiles.append(
            (
                "bad" if open_now else "good",
                "未关闭冷链异常 open cold-chain exceptions",
                num(open_now),
                "now, from the worker 当前",
            )
        )
    return (
        '<section class="kpis">'
        + "".join(
            f'<div class="kpi {css}"><div class="kpi-label">{esc(label)}</div>'
            f'<div class="kpi-value">{esc(value)}</div><div class="kpi-detail">{esc(detail)}</div>'
            "</div>"
            for css, label, value, detail in tiles
        )
        + "</section>"
    )


def _missed_tile(status: Row, period: PeriodName) -> tuple[str, str, str, str]:
    """天天班 days missed in the period per group, with the days without data apart: red
    with a missed day, amber with an unknown one only."""
    groups = status.get("daily_service", [])
    missed = [g[f"missed_{to_date_key(period)}"] for g in groups]
    unknown = [g.get(f"unknown_{to_date_key(period)}", 0) for g in groups]
    css = "bad" if any(missed) else ("warn" if any(unknown) else "good")
    names = " · ".join(g["group"] for g in groups) or "no service group 无"
    return (
        css,
        f"天天班未开行天数 days missed, {PERIOD_LABEL[period][1]}",
        " · ".join(num(n) for n in missed) or "–",
        f"{names}; no data 无数据 {' · '.join(num(n) for n in unknown) or '–'}",
    )


def summary_table(status: Row) -> str:
    periods = [("当日", "day", status["today"])] + [
        (*PERIOD_LABEL[name], status[to_date_key(name)])
        for name in PERIOD_NAMES
        if to_date_key(name) in status
    ]
    rows = "".join(
        f"<tr><td>{esc(zh)} <span class=sub>{esc(en)}</span> {esc(p.get('label') or '')}<br>"
        f"<span class=sub>{esc(p['start'])} – {esc(p['end'])}</span></td>"
        f"<td class=num>{num(p['train_runs'])}</td><td class=num>{num(p['teu'])}</td>"
        f"<td class=num>{num(p['teu_laden'])}</td><td class=num>{num(p['teu_empty'])}</td>"
        f"<td class=num>{num(p['reefer_teu'])}</td>"
        f"<td class=num>{num(p['gross_weight_t'])}</td>"
        f"<td>{esc(p.get('report_due') or '–')}</td></tr>"
        for zh, en, p in periods
    )
    return (
        '<section class="card"><h2>汇总 <span>The day, and the month, quarter, half year and '
        'year to date</span></h2><table class="grid"><thead><tr><th>期间 Period</th>'
        "<th>班列 Runs</th><th>TEU</th><th>重箱 Laden</th><th>空箱 Empty</th>"
        "<th>冷链 Reefer TEU</th><th>毛重 Gross (t)</th><th>报送截止 Report due</th></tr>"
        f"</thead><tbody>{rows}</tbody></table></section>"
    )


def _header(
    status: Row, period: PeriodName, reference: Reference, generated: datetime, source: str
) -> str:
    tz = reference.home.tz
    as_of = date.fromisoformat(status["as_of"])
    start, end = period_bounds(as_of, period)
    whole = calendar_period(period, as_of)
    zh, en = PERIOD_LABEL[period]
    port_zh, port_en = _port_names(reference)
    return (
        '<header class="top"><div>'
        f"<h1>{esc(port_zh)} 运营评估报告</h1>"
        f'<div class="en">{esc(port_en)} — operations evaluation report</div><dl>'
        f"<div><dt>期间 Period</dt><dd>{esc(zh)} {esc(en)} {esc(whole.label)}: {start} – {end} "
        f"({(end - start).days + 1} of {days_in_year(as_of.year)} days)</dd></div>"
        f"<div><dt>报送截止 Report due</dt><dd data-report-due>report due "
        f"{whole.report_due.isoformat()}</dd></div>"
        f"<div><dt>截至 As of</dt><dd>{esc(as_of.isoformat())}</dd></div>"
        f"<div><dt>生成时间 Generated</dt><dd>{esc(generated.strftime('%Y-%m-%d %H:%M'))} "
        f"({esc(str(tz))})</dd></div>"
        f"<div><dt>数据来源 Source</dt><dd>{esc(source)}</dd></div>"
        "</dl></div></header>"
    )


def _port_names(reference: Reference) -> tuple[str, str]:
    """(Chinese, English) name of the home location, as the page's title names it."""
    home = reference.places.get(reference.home.location)
    if home is None:
        return reference.home.location, reference.home.location
    return home.name_zh, home.name_en


def _footer(reference: Reference) -> str:
    port = esc(reference.home.short_en)
    return (
        "<footer><p>Counting rules 统计口径: a train run is a departure from or an arrival at "
        f"{port} (both directions count toward the yearly target); TEU 到发量 = containers "
        "loaded onto outbound trains plus containers discharged from inbound trains at "
        f"{port}, laden and empty; reefer TEU = the same moves of refrigerated containers; "
        "天天班 days are counted from the first day with data or the start of service; a day "
        "with data and no departure of the group is missed, a day without data is unknown 无数据, "
        "not missed; days are local calendar days in "
        f"{esc(str(reference.home.tz))}. A period's report is due {REPORT_DUE_DAYS} days after "
        "the period ends. Targets: 湘政办发〔2022〕24号 as configured in the "
        "reference. Generated by Lugang (lugang report --html).</p></footer>"
    )


def render_html(
    status: dict[str, Any],
    daily: dict[str, Row] | None = None,
    transit: list[Row] | None = None,
    exceptions: list[Row] | None = None,
    *,
    reference: Reference,
    period: PeriodName = "year",
    generated_at: datetime | None = None,
    source: str | None = None,
) -> str:
    """The evaluation pack as one self-contained HTML page.

    Args:
        status: a worker's ``/status`` JSON (:class:`streams.domain.status.Status` dumped as JSON,
            with ``open_exceptions``).
        daily: ISO day -> ``runs``, ``outbound_runs_by_group``, ``teu``,
            ``teu_by_category``, ``reefer_teu`` (``read_influx``, ``daily_series`` of
            :mod:`dashboards.report.data`); days left out count as nothing moved, and as
            days without data in the 天天班 calendar. None: no daily charts.
        transit: one row per measured outbound run: ``train_id``, ``corridor``,
            ``departed_at``, ``hours``, ``benchmark_h``, ``within_benchmark``.
        exceptions: cold-chain exceptions as ``ColdChainException`` JSON (``kind``,
            ``equipment_reference``, ``commodity``, ``corridor``, ``started_at``,
            ``status``, ``duration_s``, ``peak_deviation_c``).
        reference: the port: its names, corridors, groups, categories and timezone.
        period: ``month``, ``quarter``, ``half`` or ``year`` to date, ending on
            ``status["as_of"]``; the header names the whole period and its report due date.
        generated_at: the time printed as "generated" (default: now).
        source: where the figures came from, printed in the header.
    """
    tz = reference.home.tz
    start, end = period_bounds(date.fromisoformat(status["as_of"]), period)
    days = days_between(start, end)
    figures = status[to_date_key(period)]
    generated = (generated_at or datetime.now(UTC)).astimezone(tz)
    categories = categories_of(status, figures, reference)
    body = [
        _header(status, period, reference, generated, source or "worker /status"),
        "<main>",
        kpis(status, figures, period, exceptions),
        targets_section(status, figures, period, start, reference),
        daily_service_section(status, daily, days, period, reference),
        daily_section(daily, days, status, period, start, reference, categories),
        corridor_section(figures, reference, period),
        balance_section(figures, reference, period),
        transit_section(transit, reference),
        exceptions_section(exceptions, reference, tz),
        summary_table(status),
        _footer(reference),
        "</main>",
    ]
    title = f"{_port_names(reference)[0]} {PERIOD_LABEL[period][0]} {start} – {end} · Lugang report"
    return (
        '<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)}</title><style>{CSS}</style></head>"
        f"<body>{''.join(body)}</body></html>\n"
    )
