"""The live terminal board of ``lugang demo``: the /status JSON as rich tables.

Everything the monitor does fits on it: today's train runs, the last days with the 天天班
groups they served or missed, the year to date against the plan's pro-rata share (numbers
rounded so that they never contradict the verdict beside them, see
:func:`lugang.vocabulary.shown_pace`), and the cold-chain exceptions, open and closed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, tzinfo
from typing import Any

from rich import box
from rich.console import Group
from rich.panel import Panel
from rich.table import Table

from dashboards.report.style import duration
from lugang.reference import Reference
from lugang.vocabulary import KIND_LABELS, SERVICE_DAY_LABELS, chance_colour, shown_pace

SHOWN_EXCEPTIONS = 8
"""Rows of the cold-chain table: the exceptions that started last."""
SHOWN_RUNS = 5
"""Rows of the trains-in-transit table (overdue first)."""

ExceptionJson = Mapping[str, Any]
"""A cold-chain exception as JSON (``/status``'s ``open_exceptions``, a page request's):
shown as it is, not validated again (its commodity may be one of another reference)."""


def pace_cell(figure: dict[str, Any] | None, decimals: int = 0) -> str:
    """``actual / due (of yearly)  pace% mark`` of one /status figure against its target."""
    if not figure:
        return "–"
    shown = shown_pace(figure["actual"], figure["pro_rata_target"], figure["pace"], decimals)
    judged = "" if shown.verdict is None else f"  {shown.percent} {shown.verdict.symbol}"
    return f"{shown.actual} / {shown.due} (of {figure['yearly_target']:,.0f}){judged}"


def _table(title: str, *columns: str) -> Table:
    table = Table(
        title=title, expand=True, box=box.SIMPLE_HEAD, show_edge=False, title_justify="left"
    )
    for column in columns:
        table.add_column(column, no_wrap=column in _NO_WRAP)
    return table


_NO_WRAP = frozenset({"container", "from", "to", "day"})


def _today(status: dict[str, Any]) -> Table:
    trains = _table("Train runs today 今日班列", "corridor 通道", "runs")
    for corridor, runs in sorted(status["today"]["runs_by_corridor"].items()):
        trains.add_row(corridor, str(runs))
    trains.add_row("total", str(status["today"]["train_runs"]), style="bold")
    trains.add_row("TEU today", f"{status['today']['teu']:,.0f}")
    return trains


_PAST_DAY = {
    state: f"{style}{mark} {SERVICE_DAY_LABELS[state].en}[/]"
    for state, style, mark in (
        ("missed", "[red]", "✘"),
        ("unknown", "[dim]", "?"),
        ("not_counted", "[dim]", "·"),
    )
}
"""The mark of an unserved day before today, by its ``RecentDay.service`` state."""


def _served(served: bool, state: str, day: date, today: dict[str, Any]) -> str:
    """A day's mark for a 天天班 group (``state``: the day's ``service`` in ``recent_days``);
    ``today``: the group's ``daily_service`` entry."""
    if served:
        return "[green]✔ served[/]"
    if day.isoformat() != today["as_of"]:
        return _PAST_DAY.get(state, _PAST_DAY["missed"])
    return "[red]! not yet[/]" if today["warning"] else "[yellow]… open[/]"


def _recent(status: dict[str, Any]) -> Table:
    """The last days: runs, TEU and each 天天班 group served or missed (streaks and gaps),
    or without data or before the counting starts; today is still open, or a warning past
    the warning hour."""
    today = {
        group["group"]: {**group, "as_of": status["as_of"]} for group in status["daily_service"]
    }
    recent = _table("Last 7 days 近七日", "day", "runs", "TEU", *today)
    for entry in status.get("recent_days", []):
        day = date.fromisoformat(entry["day"])
        recent.add_row(
            day.strftime("%m-%d %a"),
            str(entry["train_runs"]),
            f"{entry['teu']:,.0f}",
            *(
                _served(
                    entry["served"].get(g, False),
                    entry.get("service", {}).get(g, "missed"),
                    day,
                    today[g],
                )
                for g in today
            ),
        )
    return recent


def _daily_service(status: dict[str, Any]) -> Table:
    daily = _table(
        "天天班 daily service", "group", "today", "streak (days)", "missed MTD", "missed YTD"
    )
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
    return daily


def _plan(status: dict[str, Any]) -> Table:
    """Each measure's year to date against its due figure, and its year-end projection
    (``/status`` ``projection``: the total, its interval, the chance of the target)."""
    plan = _table(
        "Year to date vs plan 年度目标进度",
        "indicator",
        "actual / due by today (of the yearly target)  pace",
        "year-end projection 全年预计",
    )
    projection: dict[str, Any] = status.get("projection") or {}
    by_category = projection.get("teu_by_category") or {}
    plan.add_row(
        "train runs 班列",
        pace_cell(status["trains_ytd"]),
        _projected(projection.get("train_runs")),
    )
    plan.add_row("TEU 到发量", pace_cell(status["teu_ytd"]), _projected(projection.get("teu")))
    for category, figure in status["teu_ytd_by_category"].items():
        plan.add_row(f"  {category}", pace_cell(figure), _projected(by_category.get(category)))
    plan.add_row(
        "reefer TEU 冷链",
        pace_cell(status["reefer_teu_ytd"]),
        _projected(projection.get("reefer_teu")),
    )
    plan.add_row(
        "tonnage 吞吐量 (10⁴ t)",
        pace_cell(status.get("tonnage_ytd"), decimals=2),
        _projected(projection.get("tonnage"), decimals=2),
    )
    return plan


def _projected(measure: dict[str, Any] | None, decimals: int = 0) -> str:
    """``1,234 (1,100–1,380) 62 %``: the projected total, its interval and the chance of
    reaching the target (coloured as on the overview:
    :func:`~lugang.vocabulary.chance_colour`); ``–`` while there is none."""
    if not measure:
        return "–"
    figures = (f"{measure[k]:,.{decimals}f}" for k in ("projected", "low", "high"))
    projected, low, high = figures
    chance = measure.get("probability")
    if chance is None:
        return f"{projected} ({low}–{high})"
    return f"{projected} ({low}–{high}) [{chance_colour(chance)}]{chance:.0%}[/]"


def _in_transit(status: dict[str, Any]) -> Table:
    """The runs under way, overdue ones first (red), then the longest travelled; an inbound
    run's corridor is marked ``←`` (towards the port)."""
    runs: list[dict[str, Any]] = status.get("trains_in_transit", [])
    overdue = sum(1 for run in runs if run["overdue"])
    table = _table(
        f"Trains in transit 在途班列 — {len(runs)}, {overdue} overdue",
        "train",
        "corridor",
        "elapsed",
        "benchmark",
    )
    ordered = sorted(runs, key=lambda run: (not run["overdue"], -run["elapsed_h"]))
    for run in ordered[:SHOWN_RUNS]:
        benchmark = run.get("benchmark_h")
        colour = "red" if run["overdue"] else "green"
        table.add_row(
            run["train_id"],
            f"← {run['corridor']}" if run.get("direction") == "INBOUND" else run["corridor"],
            f"[{colour}]{run['elapsed_h']:.1f} h[/]",
            "–" if benchmark is None else f"{benchmark:g} h",
        )
    return table


def kind_words(kind: str) -> str:
    """An exception kind in English words (``HIGH excursion``)."""
    return KIND_LABELS[kind].en if kind in KIND_LABELS else kind


def _local(moment: str, tz: tzinfo, since: str | None = None) -> str:
    """An RFC 3339 time as local ``MM-DD HH:MM``; only ``HH:MM`` on the day of ``since``."""
    local = datetime.fromisoformat(moment).astimezone(tz)
    if since is not None and datetime.fromisoformat(since).astimezone(tz).date() == local.date():
        return local.strftime("%H:%M")
    return local.strftime("%m-%d %H:%M")


def describe_exception(exception: ExceptionJson, reference: Reference) -> str:
    """One line for an exception: kind, container, cargo, corridor, from and to, how long."""
    tz = reference.home.tz
    ended = exception.get("ended_at")
    span = _local(exception["started_at"], tz)
    if ended:
        span += f" – {_local(ended, tz, exception['started_at'])}"
        span += f" ({duration(exception.get('duration_s'))})"
    return (
        f"{kind_words(exception['kind'])} {exception['equipment_reference']} "
        f"({exception.get('commodity') or '?'}, {exception.get('corridor') or '?'}) {span}"
    )


def _exceptions(
    exceptions: Iterable[ExceptionJson], open_now: int, paging: str, reference: Reference
) -> Table:
    """The exceptions that started last, each open or closed, with how long it lasted."""
    title = f"Cold-chain exceptions 冷链异常 — {open_now} open now"
    alerts = _table(
        f"{title}; {paging}" if paging else title,
        "kind",
        "container",
        "cargo on corridor",
        "from",
        "to",
        "lasted",
        "peak",
    )
    tz = reference.home.tz
    latest = sorted(exceptions, key=lambda e: datetime.fromisoformat(e["started_at"]))
    for exception in latest[-SHOWN_EXCEPTIONS:]:
        ended, peak = exception.get("ended_at"), exception.get("peak_deviation_c")
        alerts.add_row(
            f"[{'yellow' if ended else 'red'}]{kind_words(exception['kind'])}[/]",
            exception["equipment_reference"],
            f"{exception.get('commodity') or '?'} {exception.get('corridor') or '?'}",
            _local(exception["started_at"], tz),
            _local(ended, tz, exception["started_at"]) if ended else "[red]open[/]",
            duration(exception.get("duration_s")) if ended else "",
            "" if peak is None else f"{peak:.1f} °C",
        )
    return alerts


def render_board(
    status: dict[str, Any],
    clock: str,
    sent: int,
    reference: Reference,
    *,
    exceptions: Sequence[ExceptionJson] | None = None,
    note: str = "",
    paging: str = "",
) -> Group:
    """The board for one /status snapshot; ``clock`` is the simulated time shown, and the
    port is named as ``reference`` names it.

    ``exceptions``: the cold-chain exceptions to list, open and closed (default: the open
    ones of ``status``); ``note``: what the simulator is doing; ``paging``: where the
    exceptions are paged."""
    open_now: list[ExceptionJson] = status.get("open_exceptions", [])
    header = Panel(
        f"{reference.home.name_en} {reference.home.name_zh} · simulated time {clock} · "
        f"{sent:,} events sent" + (f"\n{note}" if note else ""),
        title="Lugang 陆港",
    )
    days = Table.grid(expand=True, padding=(0, 2))
    days.add_column(ratio=2)
    days.add_column(ratio=3)
    days.add_row(_today(status), _recent(status))
    listed = open_now if exceptions is None else exceptions
    return Group(
        header,
        days,
        _daily_service(status),
        _plan(status),
        _in_transit(status),
        _exceptions(listed, len(open_now), paging, reference),
    )
