"""The live terminal board of ``lugang demo``: the /status JSON as rich tables."""

from __future__ import annotations

from typing import Any

from rich.console import Group
from rich.panel import Panel
from rich.table import Table

from lugang.reference import Reference
from lugang.vocabulary import Verdict


def _pace(figure: dict[str, Any] | None, decimals: int = 0) -> str:
    if not figure:
        return "–"
    pace = figure["pace"]
    mark = "" if pace is None else f" {Verdict.of(pace).symbol}"
    return (
        f"{figure['actual']:,.{decimals}f} / {figure['pro_rata_target']:,.{decimals}f} pro-rata "
        f"(of {figure['yearly_target']:,.0f}){mark}"
    )


def render_board(status: dict[str, Any], clock: str, sent: int, reference: Reference) -> Group:
    """The board for one /status snapshot; ``clock`` is the simulated time shown, and the
    port is named as ``reference`` names it."""
    trains = Table(title="Train runs today 今日班列", expand=True)
    trains.add_column("corridor 通道")
    trains.add_column("runs", justify="right")
    for corridor, runs in sorted(status["today"]["runs_by_corridor"].items()):
        trains.add_row(corridor, str(runs))
    trains.add_row("total", str(status["today"]["train_runs"]), style="bold")

    daily = Table(title="天天班 daily service", expand=True)
    for column in ("group", "today", "streak", "missed MTD", "missed YTD"):
        daily.add_column(column)
    for group in status["daily_service"]:
        today = (
            "[green]served[/]"
            if group["served_today"]
            else ("[red]WARNING[/]" if group["warning"] else "[yellow]open[/]")
        )
        daily.add_row(
            group["group"],
            today,
            str(group["streak_days"]),
            str(group["missed_month_to_date"]),
            str(group["missed_year_to_date"]),
        )

    plan = Table(title="Year to date vs plan 年度目标进度", expand=True)
    plan.add_column("indicator")
    plan.add_column("actual / due (target)")
    plan.add_row("train runs 班列", _pace(status["trains_ytd"]))
    plan.add_row("TEU 到发量", _pace(status["teu_ytd"]))
    for category, figure in status["teu_ytd_by_category"].items():
        plan.add_row(f"  {category}", _pace(figure))
    plan.add_row("reefer TEU 冷链", _pace(status["reefer_teu_ytd"]))
    plan.add_row("tonnage 吞吐量 (10⁴ t)", _pace(status.get("tonnage_ytd"), decimals=2))

    alerts = Table(title="Open cold-chain exceptions 冷链异常", expand=True)
    for column in ("kind", "container", "commodity", "corridor", "since"):
        alerts.add_column(column)
    for exception in status.get("open_exceptions", [])[-8:]:
        alerts.add_row(
            f"[red]{exception['kind']}[/]",
            exception["equipment_reference"],
            exception.get("commodity") or "?",
            exception.get("corridor") or "?",
            exception["started_at"][:16],
        )
    header = Panel(
        f"{reference.home.name_en} {reference.home.name_zh} — simulated time {clock} — "
        f"{sent:,} events sent — today {status['today']['teu']:,.0f} TEU",
        title="Lugang 陆港",
    )
    return Group(header, trains, daily, plan, alerts)
