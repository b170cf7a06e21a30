"""``lugang report``'s text: a day's figures against the plan, from the /status JSON.

Every period to date is listed; the one asked for (``--period``: month, quarter, half year
or year to date) is set against the plan, with the day its report is due, and 天天班 is
counted over it too."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Final

from lugang.reference import Reference
from lugang.vocabulary import PERIOD_LABELS, shown_pace
from streams.domain.periods import PERIOD_NAMES, PeriodName, to_date_key

SHORT: Final[dict[PeriodName, str]] = {
    "month": "MTD",
    "quarter": "QTD",
    "half": "HTD",
    "year": "YTD",
}
"""The period in a figure's name: ``trains QTD``."""


def _pace(figure: dict[str, Any] | None, unit: str, decimals: int = 0) -> str:
    if figure is None:
        return "no target for this year"
    shown = shown_pace(figure["actual"], figure["pro_rata_target"], figure["pace"], decimals)
    verdict = "" if shown.verdict is None else f"  pace {shown.percent} ({shown.verdict.label.en})"
    return (
        f"{shown.actual} {unit} of {figure['yearly_target']:,.0f} (pro-rata {shown.due}){verdict}"
    )


def _period(name: str, period: dict[str, Any]) -> str:
    corridors = ", ".join(f"{c} {n}" for c, n in sorted(period["runs_by_corridor"].items()))
    return (
        f"{name:<17} {period['train_runs']:>5} runs  {period['teu']:>9,.0f} TEU "
        f"({period['teu_laden']:,.0f} laden, {period['teu_empty']:,.0f} empty)  "
        f"reefer {period['reefer_teu']:,.0f} TEU  {period['gross_weight_t']:,.0f} t"
        + (f"\n{'':<18}{corridors}" if corridors else "")
    )


def _against_plan(status: dict[str, Any], period: PeriodName) -> list[str]:
    """The period's heading (dates, report due) and its figures against the plan."""
    figures = status[to_date_key(period)]
    plan = figures.get("against_plan") or {}
    short = SHORT[period]
    days = (date.fromisoformat(figures["end"]) - date.fromisoformat(figures["start"])).days + 1
    lines = [
        f"{PERIOD_LABELS[period].en} {figures['label']} ({short}): {figures['start']} – "
        f"{figures['end']}, {days} days; report due {figures['report_due']}",
        f"{'trains ' + short:<16}{_pace(plan.get('trains'), 'runs')}",
        f"{'TEU ' + short:<16}{_pace(plan.get('teu'), 'TEU')}",
    ]
    lines += [
        f"  {category:<12}  {_pace(figure, 'TEU')}"
        for category, figure in plan.get("teu_by_category", {}).items()
    ]
    lines.append(f"{'reefer TEU ' + short:<16}{_pace(plan.get('reefer_teu'), 'TEU')}")
    lines.append(f"{'tonnage ' + short:<16}{_pace(plan.get('tonnage'), '万吨 (10⁴ t)', 2)}")
    return lines


def _daily_service(status: dict[str, Any], period: PeriodName) -> list[str]:
    """天天班 per group: today, the streak, and the missed and unknown days of the month, the
    period asked for and the year."""
    shown = [p for p in PERIOD_NAMES if p in ("month", period, "year")]
    lines = [
        "天天班 (daily service; missed: a day with data but no departure of the group, "
        "unknown: a day without data)"
    ]
    for group in status["daily_service"]:
        today = "served" if group["served_today"] else "not yet served"
        warning = "  WARNING: unserved past the warning hour" if group["warning"] else ""
        since = group.get("counted_from")
        counted = f"counted from {since}" if since else "no day counted yet"
        tallies = "; ".join(
            f"{SHORT[p]} {group[f'missed_{to_date_key(p)}']} missed, "
            f"{group.get(f'unknown_{to_date_key(p)}', 0)} unknown"
            for p in shown
        )
        lines.append(
            f"  {group['group']:<13} today {today}, streak {group['streak_days']} days, "
            f"{counted}{warning}"
        )
        lines.append(f"{'':<16}{tallies}")
    return lines


def _share(value: float | None) -> str:
    return "     –" if value is None else f"{value:>6.1%}"


def _balance_line(b: dict[str, Any] | None) -> str:
    """One corridor's balance over one period (None: nothing moved)."""
    inbound, outbound = (b or {}).get("inbound", {}), (b or {}).get("outbound", {})
    ratio, imbalance = (b or {}).get("balance_ratio"), (b or {}).get("imbalance_teu", 0.0)
    return (
        f"{inbound.get('teu', 0.0):>8,.0f} in {outbound.get('teu', 0.0):>8,.0f} out  "
        f"balance {_share(ratio)}  out−in {imbalance:>+7,.0f}  "
        f"empty in {_share(inbound.get('empty_share'))} out {_share(outbound.get('empty_share'))}"
    )


def _balance(status: dict[str, Any], reference: Reference, period: PeriodName) -> list[str]:
    """Two-way balance per corridor (:mod:`streams.domain.balance`) today, over the month,
    the period asked for and the year to date, for each corridor with a move this year."""
    home = reference.home.short_en
    shown = [("today", status["today"])] + [
        (SHORT[p], status[to_date_key(p)]) for p in PERIOD_NAMES if p in ("month", period, "year")
    ]
    lines = [
        f"two-way balance by corridor 双向货流均衡 (TEU discharged at {home}: in, loaded there: "
        "out; balance = the smaller ÷ the larger, 100% balanced; empty: each direction's "
        "empty share)"
    ]
    year = status["year_to_date"].get("balance", {})
    moved = year.get("corridors", {})
    for corridor in [c for c in reference.corridors if c in moved] + sorted(
        c for c in moved if c not in reference.corridors
    ):
        for n, (name, figures) in enumerate(shown):
            b = figures.get("balance", {}).get("corridors", {}).get(corridor)
            lines.append(f"  {corridor if n == 0 else '':<9} {name:<5} {_balance_line(b)}")
    idle = [c for c in reference.corridors if c not in moved]
    if idle:
        lines.append(f"  no container move counted by corridor this year: {', '.join(idle)}")
    if year.get("teu_not_by_corridor"):
        lines.append(
            f"  {year['teu_not_by_corridor']:,.0f} TEU this year were counted before TEU was "
            "kept by corridor: in no corridor above"
        )
    return lines


def _in_transit(runs: list[dict[str, Any]], reference: Reference) -> list[str]:
    """The runs under way, each with its hours against its benchmark (an inbound run is
    marked ``inbound``: it left the corridor's far end)."""
    overdue = sum(1 for run in runs if run["overdue"])
    lines = ["", f"trains in transit: {len(runs)} ({overdue} overdue)"]
    tz = reference.home.tz
    for run in runs:
        departed = datetime.fromisoformat(run["departed_at"]).astimezone(tz)
        benchmark = run.get("benchmark_h")
        against = "no benchmark" if benchmark is None else f"benchmark {benchmark:g} h"
        flag = "  OVERDUE" if run["overdue"] else ""
        inbound = "  inbound" if run.get("direction") == "INBOUND" else ""
        lines.append(
            f"  {run['train_id']:<8} {run['corridor']:<8} departed {departed:%Y-%m-%d %H:%M}  "
            f"{run['elapsed_h']:.1f} h ({against}){flag}{inbound}"
        )
    return lines


def _dwell_longest(visits: list[dict[str, Any]], reference: Reference) -> list[str]:
    """The open visits dwelling longest at the status's clock (``dwell_longest``,
    :mod:`streams.domain.dwell`), longest first."""
    if not visits:
        return ["", "containers dwelling longest: no container at the port"]
    lines = ["", f"containers dwelling longest 箱子在港时间 ({len(visits)} longest open visits)"]
    tz = reference.home.tz
    for visit in visits:
        since = datetime.fromisoformat(visit["started_at"]).astimezone(tz)
        category = visit["teu_category"] or "not loaded"
        laden = "laden" if visit["laden"] else "empty"
        lines.append(
            f"  {visit['equipment_reference']:<12} {visit['direction']:<8} {category:<10} "
            f"{laden:<5}  since {since:%Y-%m-%d %H:%M}  {visit['elapsed_h']:.1f} h"
        )
    return lines


def _projection(projection: dict[str, Any] | None) -> list[str]:
    """The year-end projection of each measure: the total, its interval, the chance of the
    target (``streams.domain.projection``)."""
    if not projection:
        return ["", "year-end projection: not yet (too few days of the year with figures)"]
    share = round(100 * projection["interval"])
    lines = ["", f"year-end projection ({share} % interval; chance of reaching the target)"]
    figures = [
        ("train runs", projection.get("train_runs")),
        ("TEU", projection.get("teu")),
        *((f"  {c}", f) for c, f in projection.get("teu_by_category", {}).items()),
        ("reefer TEU", projection.get("reefer_teu")),
        ("tonnage 10⁴ t", projection.get("tonnage")),
    ]
    for name, figure in figures:
        if figure is None:
            lines.append(f"  {name:<16}unknown")
            continue
        chance = figure.get("probability")
        target = figure.get("yearly_target")
        against = "" if target is None else f" of {target:,.0f}, chance {100 * (chance or 0):.0f} %"
        lines.append(
            f"  {name:<16}{figure['projected']:,.0f} "
            f"({figure['low']:,.0f}–{figure['high']:,.0f}){against}"
        )
    return lines


def _acknowledged(exception: dict[str, Any]) -> str:
    """``, acknowledged by X`` for an exception whose page is acknowledged (``/status``)."""
    ack = exception.get("acknowledgement")
    return f", acknowledged by {ack['by']}" if ack else ""


def render_text(status: dict[str, Any], reference: Reference, period: PeriodName = "year") -> str:
    """The report as plain text lines; the port is named as ``reference`` names it;
    ``period`` is set against the plan."""
    home = reference.home
    lines = [
        f"Lugang report for {status['as_of']} ({home.name_en} {home.name_zh})",
        "",
        _period("today", status["today"]),
    ]
    lines += [
        _period(PERIOD_LABELS[name].en, status[to_date_key(name)])
        for name in PERIOD_NAMES
        if to_date_key(name) in status
    ]
    lines += ["", *_against_plan(status, period), "", *_daily_service(status, period)]
    lines += ["", *_balance(status, reference, period)]
    lines += _in_transit(status.get("trains_in_transit", []), reference)
    if "dwell_longest" in status:
        lines += _dwell_longest(status["dwell_longest"], reference)
    if "projection" in status:
        lines += _projection(status["projection"])
    exceptions = status.get("open_exceptions", [])
    lines.append("")
    lines.append(f"open cold-chain exceptions: {len(exceptions)}")
    lines += [
        f"  {e['kind']:<17} {e['equipment_reference']}  {e.get('commodity') or '?'}  "
        f"{e.get('corridor') or '?'}  since {e['started_at']}{_acknowledged(e)}"
        for e in exceptions
    ]
    return "\n".join(lines)
