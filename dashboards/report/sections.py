"""Page sections: train runs per corridor, 天天班 with its calendar, cold-chain exceptions."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import date, timedelta, tzinfo

from dashboards.report.data import Row, parse_instant
from dashboards.report.style import (
    DEFAULT_COLOUR,
    GOOD,
    GROUP_COLOUR,
    MISSED,
    NOT_COUNTED,
    PERIOD_LABEL,
    UNKNOWN,
    duration,
    esc,
    kind_zh,
)
from dashboards.report.svg import svg, text
from lugang.reference import Reference
from lugang.vocabulary import DAILY_SERVICE_LABELS, SERVICE_DAY_LABELS, daily_service_state
from streams.domain.periods import PERIOD_NAMES, PeriodName, to_date_key
from streams.domain.status import service_day

_PILL: dict[str, str] = {"served": "good", "not_served": "bad", "not_yet": "warn"}


def _today_pill(group: Row) -> str:
    """天天班 today of one service group as a coloured pill."""
    state = daily_service_state(group["served_today"], group["warning"])
    words = DAILY_SERVICE_LABELS[state]
    return f'<span class="pill {_PILL[state]}">{esc(words.en)} {esc(words.zh)}</span>'


def corridor_section(figures: Row, reference: Reference, period: PeriodName) -> str:
    runs: dict[str, int] = figures["runs_by_corridor"]
    corridors = list(reference.corridors) + [c for c in runs if c not in reference.corridors]
    width, label_w, row_h, value_w = 1100, 380, 30, 60
    bar_w = width - label_w - value_w
    top = max([*runs.values(), 1])
    body: list[str] = []
    for n, cid in enumerate(corridors):
        y = n * row_h + 4
        spec = reference.corridors.get(cid)
        group = spec.service_group if spec else "?"
        label = f"{spec.name_zh if spec else cid}"
        count = runs.get(cid, 0)
        body.append(text(0, y + 17, label, "label"))
        body.append(text(label_w - 12, y + 17, cid, "sub", "end"))
        body.append(f'<rect class="track" x="{label_w}" y="{y + 4}" width="{bar_w}" height="20" />')
        body.append(
            f'<rect class="bar" data-value="{count}" x="{label_w}" y="{y + 4}" '
            f'width="{bar_w * count / top:.1f}" height="20" '
            f'fill="{GROUP_COLOUR.get(group, DEFAULT_COLOUR)}" />'
        )
        body.append(text(label_w + bar_w + 10, y + 19, str(count), "value"))
    legend = "".join(
        f'<span class="swatch" style="background:{colour}"></span>'
        f"{esc(reference.service_groups[g].name_zh if g in reference.service_groups else g)} "
        f"{esc(g)} "
        for g, colour in [*GROUP_COLOUR.items(), ("DOMESTIC", DEFAULT_COLOUR)]
    )
    zh, en = PERIOD_LABEL[period]
    chart = svg(
        "runs-by-corridor",
        width,
        len(corridors) * row_h + 8,
        body,
        f"Train runs per corridor, {en}",
    )
    return (
        f'<section class="card"><h2>分线路班列开行 <span>Train runs per corridor '
        f"({esc(zh)} {esc(en)})</span></h2><p class=note>{legend}</p>{chart}</section>"
    )


def daily_service_section(
    status: Row,
    daily: Mapping[str, Row] | None,
    days: Sequence[date],
    period: PeriodName,
    reference: Reference,
) -> str:
    # The month, the period asked for and the year: missed and unknown days of each.
    shown = [p for p in PERIOD_NAMES if p in ("month", period, "year")]
    rows = []
    for group in status.get("daily_service", []):
        name = group["group"]
        spec = reference.service_groups.get(name)
        counts = "".join(
            f"<td class=num>{group[f'missed_{to_date_key(p)}']}</td>"
            f"<td class=num>{group.get(f'unknown_{to_date_key(p)}', 0)}</td>"
            for p in shown
        )
        rows.append(
            f"<tr><td>{esc(spec.name_zh if spec else name)}<br>"
            f"<span class=sub>{esc(name)}</span></td><td>{_today_pill(group)}</td>"
            f"<td class=num>{group['streak_days']}</td>"
            f"<td>{esc(group.get('counted_from') or '–')}</td>{counts}</tr>"
        )
    heads = "".join(
        f"<th>{esc(PERIOD_LABEL[p][0])}未开行 Missed {esc(PERIOD_LABEL[p][1])}</th>"
        f"<th>{esc(PERIOD_LABEL[p][0])}无数据 No data {esc(PERIOD_LABEL[p][1])}</th>"
        for p in shown
    )
    groups = status.get("daily_service", [])
    home = reference.home
    chart = (
        calendar_chart(daily, groups, days, reference)
        if daily is not None and groups
        else '<p class="missing">No daily series (InfluxDB not read): no calendar. '
        "未读取 InfluxDB，无日历。</p>"
    )
    return (
        '<section class="card"><h2>天天班 <span>Daily service per service group</span></h2>'
        '<p class="note">A day is served when at least one outbound train of the group '
        f"departs {esc(home.short_en)} that day. 当日至少一列该组去程班列从{esc(home.short_zh)}"
        "发出即为开行。 Days are counted from the first day with data, or the start of "
        "service, to the day before today; a day the monitor has no data for is unknown "
        "(no data 无数据), not missed. "
        "自首个有数据日（或开行起始日）起计，无数据日不计为未开行。</p>"
        '<table class="grid" data-table="daily-service"><thead><tr><th>服务组 Group</th>'
        "<th>今日 Today</th><th>连续开行天数 Streak (days)</th><th>起计日 Counted from</th>"
        f"{heads}</tr></thead><tbody>{''.join(rows)}</tbody></table>{chart}</section>"
    )


def calendar_chart(
    daily: Mapping[str, Row], groups: Sequence[Row], days: Sequence[date], reference: Reference
) -> str:
    """Per group (its ``/status`` ``daily_service`` entry), one square per day of the period
    (weeks as columns, Monday on top), coloured served, missed, no data or not counted
    (:func:`streams.domain.status.service_day`), the day asked about outlined while no
    train of the group has left (not judged yet, as in the counts); the groups side by
    side when they fit, else one under the other."""
    first_monday = days[0] - timedelta(days[0].weekday())
    weeks = (days[-1] - first_monday).days // 7 + 1
    width, label_w, summary_w = 1100, 40, 200
    cell = max(10, min(24, (width - label_w - summary_w) // weeks - 3))
    pitch = cell + 3
    block_w, block_h = label_w + weeks * pitch + summary_w, 7 * pitch + 48
    side_by_side = block_w * len(groups) <= width
    body: list[str] = []
    for n, entry in enumerate(groups):
        group = entry["group"]
        since = entry.get("counted_from")
        first_counted = date.fromisoformat(since) if since else None
        spec = reference.service_groups.get(group)
        x0, y0 = (n * block_w, 0) if side_by_side else (0, n * block_h)
        tally: Counter[str] = Counter()
        cells: list[str] = []
        for day in days:
            row = daily.get(day.isoformat())
            served = bool(row and row["outbound_runs_by_group"].get(group, 0) > 0)
            x = x0 + label_w + ((day - first_monday).days // 7) * pitch
            y = y0 + 34 + day.weekday() * pitch
            if day == days[-1] and not served:
                # The day asked about is not judged yet, as in /status's counts.
                words = DAILY_SERVICE_LABELS[daily_service_state(False, entry["warning"])]
                cells.append(
                    f'<rect class="day today" data-day="{day.isoformat()}" x="{x}" y="{y}" '
                    f'width="{cell}" height="{cell}" rx="2"><title>{day.isoformat()} '
                    f"today {esc(words.en)} {esc(words.zh)}</title></rect>"
                )
                continue
            state = service_day(
                served=served,
                has_data=row is not None,
                counted=first_counted is not None and day >= first_counted,
            )
            tally[state] += 1
            words = SERVICE_DAY_LABELS[state]
            cells.append(
                f'<rect class="day {state}" data-day="{day.isoformat()}" x="{x}" y="{y}" '
                f'width="{cell}" height="{cell}" rx="2"><title>{day.isoformat()} '
                f"{esc(words.en)} {esc(words.zh)}</title></rect>"
            )
        title = f"{spec.name_zh if spec else group} {group}"
        body.append(text(x0, y0 + 14, title, "label"))
        summary_x = x0 + label_w + weeks * pitch + 14
        summary_y = y0 + 34 + 2 * pitch + cell / 2 + 5
        for line, (kind, words) in enumerate(SERVICE_DAY_LABELS.items()):
            if tally[kind] or kind in ("served", "missed"):
                body.append(
                    text(
                        summary_x,
                        summary_y + line * 18,
                        f"{words.en} {words.zh} {tally[kind]}",
                        "value" if kind in ("served", "missed") else "sub",
                    )
                )
        for weekday, name in ((0, "一"), (2, "三"), (4, "五"), (6, "日")):
            body.append(text(x0, y0 + 34 + weekday * pitch + cell - 2, name, "sub"))
        for day in days:
            if day == days[0] or day.day == 1:
                x = x0 + label_w + ((day - first_monday).days // 7) * pitch
                body.append(text(x, y0 + 29, f"{day.month}月 {day:%b}", "tick"))
        body += cells
    swatches = "".join(
        f'<span class="swatch" style="background:{colour}"></span>'
        f"{esc(SERVICE_DAY_LABELS[state].en)} {esc(SERVICE_DAY_LABELS[state].zh)} "
        for state, colour in (
            ("served", GOOD),
            ("missed", MISSED),
            ("unknown", UNKNOWN),
            ("not_counted", NOT_COUNTED),
        )
    )
    legend = (
        f'<p class="note">{swatches}<span class="swatch today"></span>today, not yet '
        f"judged 今日 · {len(days)} days, one column a week, Monday (一) to Sunday (日) "
        "每列一周</p>"
    )
    height = block_h if side_by_side else block_h * len(groups)
    title = "天天班 calendar: served, missed, no data and uncounted days per group"
    return legend + svg("daily-service", width, height, body, title)


def _acknowledged(ack: Row | None) -> str:
    """Who acknowledged an exception's page (``lugang ack``), and whether that has ended
    (it ends when the exception closes); a dash when nobody did."""
    if not ack:
        return "–"
    ended = "" if ack.get("active", True) else "<br><span class=sub>ended 已结束</span>"
    return f"{esc(ack['by'])}{ended}"


def exceptions_section(exceptions: Sequence[Row] | None, reference: Reference, tz: tzinfo) -> str:
    head = "<h2>冷链异常 <span>Cold-chain exceptions started in the period</span></h2>"
    if exceptions is None:
        return (
            f'<section class="card">{head}<p class="missing">No exception history: InfluxDB '
            "was not read. 未读取 InfluxDB，无异常记录。</p></section>"
        )
    if not exceptions:
        return f'<section class="card">{head}<p class="ok">None 无.</p></section>'
    rows = []
    for exc in exceptions:
        commodity = exc.get("commodity")
        profile = reference.commodities.get(commodity) if commodity else None
        started = parse_instant(exc["started_at"]).astimezone(tz)
        peak = exc.get("peak_deviation_c")
        status = exc.get("status", "OPEN")
        rows.append(
            f"<tr><td>{esc(kind_zh(exc['kind']))}<br>"
            f"<span class=sub>{esc(exc['kind'])}</span></td>"
            f"<td class=mono>{esc(exc['equipment_reference'])}</td>"
            f"<td>{esc(profile.name_zh if profile else '')}<br>"
            f"<span class=sub>{esc(commodity or 'unknown')}</span></td>"
            f"<td>{esc(exc.get('corridor') or '–')}</td>"
            f"<td class=mono>{esc(started.strftime('%Y-%m-%d %H:%M'))}</td>"
            f"<td class=num>{esc(duration(exc.get('duration_s')))}</td>"
            f"<td class=num>{esc('–' if peak is None else f'{float(peak):+.1f} °C')}</td>"
            f'<td><span class="pill {"bad" if status == "OPEN" else "done"}">'
            f"{esc('open 未关闭' if status == 'OPEN' else 'closed 已关闭')}</span></td>"
            f"<td>{_acknowledged(exc.get('acknowledgement'))}</td></tr>"
        )
    kinds: dict[str, int] = {}
    for exc in exceptions:
        kinds[exc["kind"]] = kinds.get(exc["kind"], 0) + 1
    summary = ", ".join(f"{kind_zh(k)} {k} {n}" for k, n in sorted(kinds.items()))
    return (
        f'<section class="card">{head}<p class="note">{len(exceptions)} '
        f"exception{'' if len(exceptions) == 1 else 's'}: "
        f"{esc(summary)}. Times in {esc(str(tz))}.</p>"
        '<table class="grid" data-table="exceptions"><thead><tr><th>类型 Kind</th>'
        "<th>集装箱 Container</th><th>货物 Commodity</th><th>线路 Corridor</th>"
        "<th>开始 Start</th><th>时长 Duration</th><th>峰值偏差 Peak deviation</th>"
        "<th>状态 Status</th><th>确认 Acknowledged by</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table></section>"
    )
