"""Page section: two-way flow balance per corridor (双向货流均衡) over the period, from the
``balance`` of the period's ``/status`` figures (:mod:`streams.domain.balance`).

A butterfly chart (TEU discharged at the home location to the left, loaded there to the
right, the empty part of each bar hatched lighter) and a table with the balance ratio, the
imbalance and each direction's empty share."""

from __future__ import annotations

from typing import Any, Final

from dashboards.report.data import Row
from dashboards.report.style import PERIOD_LABEL, esc, num, pct
from dashboards.report.svg import svg, text
from lugang.reference import Reference
from streams.domain.periods import PeriodName

INBOUND: Final = "#1b7c83"
OUTBOUND: Final = "#bc4c00"
EMPTY_OPACITY: Final = 0.45


def _corridors(balance: Row, reference: Reference) -> list[str]:
    """The corridors with a move in the period, in the reference's order."""
    moved: dict[str, Any] = balance.get("corridors", {})
    return [c for c in reference.corridors if c in moved] + sorted(
        c for c in moved if c not in reference.corridors
    )


def _chart(balance: Row, corridors: list[str], title: str) -> str:
    width, label_w, row_h, gap = 1100, 150, 30, 70
    half = (width - label_w - gap) / 2
    middle = label_w + half + gap / 2
    top = max(
        [1.0]
        + [
            max(b["inbound"]["teu"], b["outbound"]["teu"])
            for b in (balance["corridors"][c] for c in corridors)
        ]
    )
    body = [
        text(middle - gap / 2 - 6, 14, "← 进港 in", "sub", "end"),
        text(middle + gap / 2 + 6, 14, "出港 out →", "sub"),
    ]
    for n, corridor in enumerate(corridors):
        b = balance["corridors"][corridor]
        y = n * row_h + 24
        body.append(text(0, y + 17, corridor, "label"))
        for side, colour in (("inbound", INBOUND), ("outbound", OUTBOUND)):
            teu, empty = b[side]["teu"], b[side]["empty_teu"]
            length, empty_length = half * teu / top, half * empty / top
            if side == "inbound":
                x0, x_empty = middle - gap / 2 - length, middle - gap / 2 - length
            else:
                x0, x_empty = middle + gap / 2, middle + gap / 2 + length - empty_length
            body.append(
                f'<rect class="bar {side}" data-value="{teu:g}" x="{x0:.1f}" y="{y + 4}" '
                f'width="{length:.1f}" height="20" fill="{colour}" />'
            )
            if empty:
                body.append(
                    f'<rect class="empty" data-value="{empty:g}" x="{x_empty:.1f}" y="{y + 4}" '
                    f'width="{empty_length:.1f}" height="20" fill="#fff" '
                    f'fill-opacity="{EMPTY_OPACITY}" />'
                )
        ratio = b.get("balance_ratio")
        body.append(
            text(middle, y + 19, "–" if ratio is None else f"{ratio:.0%}", "value", "middle")
        )
    return svg("balance", width, len(corridors) * row_h + 30, body, title)


def balance_section(figures: Row, reference: Reference, period: PeriodName) -> str:
    """The period's balance per corridor with a container move in it."""
    zh, en = PERIOD_LABEL[period]
    balance: Row = figures.get("balance") or {}
    corridors = _corridors(balance, reference)
    home = reference.home
    heading = (
        f'<section class="card"><h2>双向货流均衡 <span>Two-way balance per corridor '
        f"({esc(zh)} {esc(en)})</span></h2><p class=note>TEU discharged at "
        f"{esc(home.short_en)} {esc(home.short_zh)} (in 进港) and loaded there (out 出港), "
        "whichever way the corridor is named; balance 均衡度 = the smaller ÷ the larger "
        "(100% balanced); empty share 空箱率 = each direction's empty TEU ÷ its TEU "
        "(lighter part of each bar).</p>"
    )
    unsplit = balance.get("teu_not_by_corridor") or 0
    note = (
        f"<p class=note>{num(unsplit)} TEU of the period were counted before TEU was kept by "
        "corridor and are in no corridor here.</p>"
        if unsplit
        else ""
    )
    if not corridors:
        return (
            f"{heading}<p>No container move counted by corridor in the period.</p>{note}</section>"
        )
    rows = "".join(
        f"<tr><td>{esc(reference.corridors[c].name_zh if c in reference.corridors else c)}"
        f"<br><span class=sub>{esc(c)}</span></td>"
        f"<td class=num>{num(b['inbound']['teu'])}</td>"
        f"<td class=num>{num(b['outbound']['teu'])}</td>"
        f"<td class=num>{pct(b.get('balance_ratio'))}</td>"
        f"<td class=num>{b['imbalance_teu']:+,.0f}</td>"
        f"<td class=num>{pct(b['inbound'].get('empty_share'))}</td>"
        f"<td class=num>{pct(b['outbound'].get('empty_share'))}</td></tr>"
        for c, b in ((c, balance["corridors"][c]) for c in corridors)
    )
    return (
        heading
        + _chart(balance, corridors, f"TEU in and out per corridor, {en}")
        + '<table class="grid"><thead><tr><th>线路 Corridor</th><th>进港 In TEU</th>'
        "<th>出港 Out TEU</th><th>均衡度 Balance</th><th>出−进 Out − in</th>"
        "<th>进港空箱率 In empty</th><th>出港空箱率 Out empty</th></tr></thead>"
        f"<tbody>{rows}</tbody></table>{note}</section>"
    )
