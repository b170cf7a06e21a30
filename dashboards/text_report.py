"""``lugang report``'s text: a day's figures against the plan, from the /status JSON."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from lugang.reference import Reference
from lugang.vocabulary import shown_pace


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
        f"{name:<14} {period['train_runs']:>5} runs  {period['teu']:>9,.0f} TEU "
        f"({period['teu_laden']:,.0f} laden, {period['teu_empty']:,.0f} empty)  "
        f"reefer {period['reefer_teu']:,.0f} TEU  {period['gross_weight_t']:,.0f} t"
        + (f"\n{'':<15}{corridors}" if corridors else "")
    )


def _in_transit(runs: list[dict[str, Any]], reference: Reference) -> list[str]:
    """The outbound runs under way, each with its hours against its benchmark."""
    overdue = sum(1 for run in runs if run["overdue"])
    lines = ["", f"trains in transit: {len(runs)} ({overdue} overdue)"]
    tz = reference.home.tz
    for run in runs:
        departed = datetime.fromisoformat(run["departed_at"]).astimezone(tz)
        benchmark = run.get("benchmark_h")
        against = "no benchmark" if benchmark is None else f"benchmark {benchmark:g} h"
        flag = "  OVERDUE" if run["overdue"] else ""
        lines.append(
            f"  {run['train_id']:<8} {run['corridor']:<8} departed {departed:%Y-%m-%d %H:%M}  "
            f"{run['elapsed_h']:.1f} h ({against}){flag}"
        )
    return lines


def render_text(status: dict[str, Any], reference: Reference) -> str:
    """The report as plain text lines; the port is named as ``reference`` names it."""
    home = reference.home
    lines = [
        f"Lugang report for {status['as_of']} ({home.name_en} {home.name_zh})",
        "",
        _period("today", status["today"]),
        _period("month to date", status["month_to_date"]),
        _period("year to date", status["year_to_date"]),
        "",
        f"trains YTD      {_pace(status['trains_ytd'], 'runs')}",
        f"TEU YTD         {_pace(status['teu_ytd'], 'TEU')}",
    ]
    lines += [
        f"  {category:<12}  {_pace(figure, 'TEU')}"
        for category, figure in status["teu_ytd_by_category"].items()
    ]
    lines.append(f"reefer TEU YTD  {_pace(status['reefer_teu_ytd'], 'TEU')}")
    lines.append(f"tonnage YTD     {_pace(status.get('tonnage_ytd'), '万吨 (10⁴ t)', 2)}")
    lines.append("")
    lines.append("天天班 (daily service)")
    for group in status["daily_service"]:
        today = "served" if group["served_today"] else "not yet served"
        warning = "  WARNING: unserved past the warning hour" if group["warning"] else ""
        lines.append(
            f"  {group['group']:<13} today {today}, streak {group['streak_days']} days, "
            f"missed {group['missed_month_to_date']} this month, "
            f"{group['missed_year_to_date']} this year{warning}"
        )
    lines += _in_transit(status.get("trains_in_transit", []), reference)
    exceptions = status.get("open_exceptions", [])
    lines.append("")
    lines.append(f"open cold-chain exceptions: {len(exceptions)}")
    lines += [
        f"  {e['kind']:<17} {e['equipment_reference']}  {e.get('commodity') or '?'}  "
        f"{e.get('corridor') or '?'}  since {e['started_at']}"
        for e in exceptions
    ]
    return "\n".join(lines)
