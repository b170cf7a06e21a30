"""``lugang report --html``: the month- or year-to-date evaluation pack as one HTML page.

The page is self-contained: its CSS is in a ``<style>`` element and every chart is inline
SVG drawn here from the figures — no script, font, image or style sheet from elsewhere —
so it opens offline, travels as one file, and prints (A4, one card never split).

What it shows, for the period (month to date or year to date) ending on the day asked:

- train runs, TEU per category and reefer TEU against the plan's pro-rata target
  (yearly target × days in the period ÷ days in the year; for the year to date that is
  the pace of ``/status``), train runs per corridor;
- 天天班 per service group: today, streak, missed days, and a calendar of served days;
- daily train runs and TEU, and cumulative runs against the pace line;
- transit times against the corridors' benchmarks (30 h to a seaport, 72 h to ASEAN);
- the cold-chain exceptions that started in the period.

The figures come from a worker's ``/status`` (:func:`read_status`) and, for the daily
series, transit times and exceptions, from the InfluxDB points the worker writes
(:func:`read_influx`, plain InfluxQL over the 1.x ``/query`` API that InfluxDB 2.x and 3.x
serve too). Without InfluxDB the page still has the status figures and says what is
missing.
"""

from __future__ import annotations

import argparse
import calendar
import html
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any, Final, Literal, get_args
from urllib.parse import urlsplit

import requests

from lugang.reference import Reference, default_reference, load_reference
from streams.domain.counts import DayTotals

PeriodName = Literal["month", "year"]
PERIODS: Final[tuple[PeriodName, ...]] = get_args(PeriodName)

Row = dict[str, Any]


class ReportError(RuntimeError):
    """The report's data cannot be read; the message says what to do."""


# ---------------------------------------------------------------------------------------
# Data


def period_bounds(as_of: date, period: PeriodName) -> tuple[date, date]:
    """First and last local day of the period that ends on ``as_of``."""
    start = as_of.replace(day=1) if period == "month" else date(as_of.year, 1, 1)
    return start, as_of


def _days(start: date, end: date) -> list[date]:
    return [start + timedelta(n) for n in range((end - start).days + 1)]


def _empty_day() -> Row:
    return {
        "runs": 0,
        "outbound_runs_by_group": {},
        "teu": 0.0,
        "teu_by_category": {},
        "reefer_teu": 0.0,
    }


def daily_series(days: Mapping[date, DayTotals]) -> dict[str, Row]:
    """The ``daily`` argument of :func:`render_html` from day totals (ISO day -> figures:
    ``runs``, ``outbound_runs_by_group``, ``teu``, ``teu_by_category``, ``reefer_teu``)."""
    series: dict[str, Row] = {}
    for day, totals in days.items():
        row = _empty_day()
        row["runs"] = sum(totals.runs.values())
        row["outbound_runs_by_group"] = dict(totals.outbound_runs_by_group)
        for key, teu in totals.teu.items():
            category = key.split("/")[0]
            row["teu_by_category"][category] = row["teu_by_category"].get(category, 0.0) + teu
        row["teu"] = float(sum(totals.teu.values()))
        row["reefer_teu"] = float(sum(totals.reefer_teu.values()))
        series[day.isoformat()] = row
    return series


def read_status(worker_url: str, as_of: date) -> dict[str, Any]:
    """A worker's ``/status`` for the local day ``as_of``.

    Raises:
        ReportError: the worker cannot be reached or answers with an error.
    """
    url = f"{worker_url.rstrip('/')}/status"
    try:
        response = requests.get(url, params={"date": as_of.isoformat()}, timeout=10)
        response.raise_for_status()
        body: dict[str, Any] = response.json()
    except (requests.RequestException, ValueError) as exc:
        raise ReportError(
            f"cannot read {url}: {exc}; is a worker running? (lugang worker)"
        ) from None
    return body


def _influxql(
    influx_url: str,
    database: str,
    statements: Sequence[str],
    retention: str | None = None,
    token: str | None = None,
) -> list[list[Row]]:
    """Run InfluxQL statements in one request; per statement, its rows (tags and columns,
    times in epoch seconds)."""
    params = {"db": database, "q": ";".join(statements), "epoch": "s"}
    if retention:
        params["rp"] = retention
    headers = {"Authorization": f"Token {token}"} if token else {}
    url = f"{influx_url.rstrip('/')}/query"
    try:
        response = requests.get(url, params=params, headers=headers, timeout=30)
        body = response.json() if response.content else {}
    except (requests.RequestException, ValueError) as exc:
        raise ReportError(
            f"cannot query InfluxDB at {influx_url}: {exc}; is it running? "
            "(set --influx-url or LUGANG_INFLUX_URL)"
        ) from None
    if response.status_code != 200 or "error" in body:
        detail = body.get("error") or response.reason
        raise ReportError(f"InfluxDB at {influx_url} answered {response.status_code}: {detail}")
    results = sorted(body.get("results", []), key=lambda r: int(r.get("statement_id", 0)))
    answers: list[list[Row]] = []
    for result in results:
        if "error" in result:
            raise ReportError(
                f"InfluxDB at {influx_url}, database {database}: {result['error']} "
                "(set --influx-bucket or LUGANG_INFLUX_BUCKET)"
            )
        rows: list[Row] = []
        for series in result.get("series", []):
            tags = series.get("tags", {})
            rows += [
                {**tags, **dict(zip(series["columns"], values, strict=True))}
                for values in series["values"]
            ]
        answers.append(rows)
    if len(answers) != len(statements):
        raise ReportError(f"InfluxDB at {influx_url} answered {len(answers)} of {len(statements)}")
    return answers


def _known(value: Any) -> Any:
    return None if value in (None, "", "unknown") else value


_QUERIES: Final = (
    ('"runs" FROM "train_runs_daily"', '"corridor", "direction", "service_group"'),
    ('"teu" FROM "teu_daily"', '"teu_category", "direction", "laden"'),
    ('"teu" FROM "reefer_teu_daily"', '"direction"'),
    ('"hours", "benchmark_h", "within_benchmark" FROM "transit"', '"corridor", "train_id"'),
    (
        '"status", "duration_s", "peak_deviation_c" FROM "coldchain_exception"',
        '"kind", "equipment_reference", "commodity", "corridor", "exception_id"',
    ),
)
"""(fields and measurement, tags) of the report's InfluxQL queries (schema: points.py)."""


def read_influx(
    influx_url: str,
    database: str,
    start: date,
    end: date,
    tz: tzinfo,
    retention: str | None = None,
    token: str | None = None,
) -> tuple[dict[str, Row], list[Row], list[Row]]:
    """Daily figures, transit times and cold-chain exceptions of the local days ``start``
    to ``end`` from the points a worker wrote (streams/points.py).

    Returns:
        ``(daily, transit, exceptions)`` as :func:`render_html` takes them.

    Raises:
        ReportError: InfluxDB cannot be reached or refuses a query (unknown database, ...).
    """

    def instant(day: date) -> str:
        moment = datetime.combine(day, datetime.min.time(), tzinfo=tz).astimezone(UTC)
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")

    where = f"time >= '{instant(start)}' AND time < '{instant(end + timedelta(1))}'"
    # Only the two timestamps formatted above are interpolated: no text from outside.
    statements = [f"SELECT {fields} WHERE {where} GROUP BY {tags}" for fields, tags in _QUERIES]
    runs, teu, reefer, transits, exceptions = _influxql(
        influx_url, database, statements, retention, token
    )

    def local(seconds: int) -> datetime:
        return datetime.fromtimestamp(seconds, tz)

    daily: dict[str, Row] = {}

    def day_of(row: Row) -> Row:
        return daily.setdefault(local(row["time"]).date().isoformat(), _empty_day())

    for row in runs:
        day, count = day_of(row), int(row["runs"] or 0)
        day["runs"] += count
        if row.get("direction") == "OUTBOUND":
            groups = day["outbound_runs_by_group"]
            groups[row["service_group"]] = groups.get(row["service_group"], 0) + count
    for row in teu:
        day, amount = day_of(row), float(row["teu"] or 0.0)
        day["teu"] += amount
        categories = day["teu_by_category"]
        categories[row["teu_category"]] = categories.get(row["teu_category"], 0.0) + amount
    for row in reefer:
        day_of(row)["reefer_teu"] += float(row["teu"] or 0.0)

    transit = [
        {
            "train_id": row["train_id"],
            "corridor": row["corridor"],
            "departed_at": local(row["time"]).isoformat(),
            "hours": float(row["hours"]),
            "benchmark_h": row.get("benchmark_h"),
            "within_benchmark": None
            if row.get("within_benchmark") is None
            else bool(row["within_benchmark"]),
        }
        for row in sorted(transits, key=lambda r: (r["time"], r["train_id"]))
        if row.get("hours") is not None
    ]
    found = [
        {
            "exception_id": row["exception_id"],
            "kind": row["kind"],
            "equipment_reference": row["equipment_reference"],
            "commodity": _known(row.get("commodity")),
            "corridor": _known(row.get("corridor")),
            "started_at": local(row["time"]).isoformat(),
            "status": row.get("status") or "OPEN",
            "duration_s": row.get("duration_s"),
            "peak_deviation_c": row.get("peak_deviation_c"),
        }
        for row in sorted(exceptions, key=lambda r: (r["time"], r["exception_id"]))
    ]
    return daily, transit, found


@dataclass(frozen=True)
class ReportData:
    """Everything the page shows; the arguments of :func:`render_html`."""

    status: dict[str, Any]
    daily: dict[str, Row] | None
    transit: list[Row] | None
    exceptions: list[Row] | None
    period: PeriodName
    source: str


def _host(url: str) -> str:
    """``host:port`` of a URL: the page names its sources without links."""
    return urlsplit(url).netloc or url


def report_data(
    worker_url: str,
    influx_url: str | None,
    database: str,
    as_of: date,
    period: PeriodName,
    *,
    retention: str | None = None,
    token: str | None = None,
    reference: Reference | None = None,
) -> ReportData:
    """Read the report's figures: the worker's ``/status?date=as_of`` and, when
    ``influx_url`` is given, the period's daily points, transit times and exceptions.
    Exceptions still open on the worker (``/status``) that started in the period are
    added to those InfluxDB holds.

    Raises:
        ReportError: the worker or InfluxDB cannot be read.
    """
    if period not in PERIODS:
        raise ReportError(f"period must be one of {', '.join(PERIODS)}, not {period!r}")
    reference = reference or default_reference()
    status = read_status(worker_url, as_of)
    source = f"worker {_host(worker_url)} /status"
    if influx_url is None:
        return ReportData(status, None, None, None, period, source + "; no InfluxDB given")
    start, end = period_bounds(as_of, period)
    tz = reference.home.tz
    daily, transit, found = read_influx(influx_url, database, start, end, tz, retention, token)
    merged = {e["exception_id"]: e for e in found}
    for opened in status.get("open_exceptions", []):
        started = datetime.fromisoformat(opened["started_at"]).astimezone(tz).date()
        if start <= started <= end:
            merged.setdefault(opened["exception_id"], opened)
    exceptions = sorted(merged.values(), key=lambda e: (_instant(e["started_at"]), e["kind"]))
    source += f"; InfluxDB {_host(influx_url)} database {database}"
    return ReportData(status, daily, transit, exceptions, period, source)


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def html_report_command(args: argparse.Namespace) -> int:
    """``lugang report --html FILE``: read the figures, write the page, say where.

    Uses ``args.url`` (worker), ``args.date``, ``args.period``, ``args.influx_url``
    (None: no InfluxDB), ``args.influx_bucket`` (``database/retention``), ``args.html``
    and, if present, ``args.reference``.

    Raises:
        ReportError: the figures cannot be read.
        OSError: the file cannot be written.
    """
    from lugang.settings import Settings

    reference_path: Path | None = getattr(args, "reference", None)
    reference = load_reference(reference_path) if reference_path else default_reference()
    database, _, retention = args.influx_bucket.partition("/")
    data = report_data(
        args.url,
        args.influx_url or None,
        database,
        args.date,
        args.period,
        retention=retention or None,
        token=Settings().influx_token.get_secret_value(),
        reference=reference,
    )
    page = render_html(
        data.status,
        data.daily,
        data.transit,
        data.exceptions,
        period=data.period,
        reference=reference,
        source=data.source,
    )
    target: Path = args.html
    target.write_text(page, encoding="utf-8")
    start, end = period_bounds(args.date, args.period)
    print(f"wrote the {_PERIOD_LABEL[args.period][1]} report {start} – {end} to {target}")
    return 0


# ---------------------------------------------------------------------------------------
# Formatting


def _e(value: object) -> str:
    """Text escaped for HTML content and attribute values."""
    return html.escape(str(value), quote=True)


def _num(value: float | None, decimals: int = 0) -> str:
    return "–" if value is None else f"{value:,.{decimals}f}"


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.1%}"


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "ongoing 进行中"
    minutes = round(seconds / 60)
    return f"{minutes // 60} h {minutes % 60:02d} min" if minutes >= 60 else f"{minutes} min"


_PERIOD_LABEL: Final[dict[PeriodName, tuple[str, str]]] = {
    "month": ("本月至今", "month-to-date"),
    "year": ("年初至今", "year-to-date"),
}

_KIND_LABEL: Final = {
    "HIGH": "温度过高",
    "LOW": "温度过低",
    "CUMULATIVE": "累计超温",
    "POWER_OFF": "断电",
    "TELEMETRY_GAP": "数据中断",
    "SETPOINT_MISMATCH": "设定温度错误",
}

_GROUP_COLOUR: Final = {"RAIL_SEA": "#0969da", "CROSS_BORDER": "#8250df"}
_CATEGORY_COLOURS: Final = ("#0969da", "#8250df", "#1b7c83", "#9a6700", "#6e7781", "#bc4c00")
_DEFAULT_COLOUR: Final = "#6e7781"
_GOOD: Final = "#1a7f37"
_WARN: Final = "#bf8700"
_BAD: Final = "#cf222e"
_MISSED: Final = "#f5b8b3"
_INK: Final = "#1f2328"
_MUTED: Final = "#59636e"
_GRID: Final = "#d8dee4"
_TRACK: Final = "#eef1f4"

_FONT: Final = (
    '"Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Micro Hei", "Microsoft YaHei", '
    '"PingFang SC", "DejaVu Sans", sans-serif'
)


def _pace_colour(pace: float | None) -> str:
    if pace is None:
        return _DEFAULT_COLOUR
    return _GOOD if pace >= 1 else _WARN if pace >= 0.9 else _BAD


def _verdict(pace: float | None) -> tuple[str, str]:
    """(CSS class, bilingual words) of a pace."""
    if pace is None:
        return "none", "no target 无目标"
    if pace >= 1:
        return "good", "on track 达到进度"
    if pace >= 0.9:
        return "warn", "slightly behind 略低于进度"
    return "bad", "behind 落后于进度"


def _nice_ticks(top: float, count: int = 5, whole: bool = False) -> list[float]:
    """Round axis ticks from 0 to at least ``top``; ``whole``: integer steps only."""
    if top <= 0:
        return [0.0, 1.0]
    raw = top / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    if whole:
        step = max(1, math.ceil(step))
    ticks = [0.0]
    while ticks[-1] < top:
        ticks.append(round(ticks[-1] + step, 10))
    return ticks


def _tick(value: float) -> str:
    return f"{value:,.0f}" if value == int(value) else f"{value:,.1f}"


def _svg(name: str, width: int, height: int, body: Iterable[str], title: str) -> str:
    return (
        f'<svg data-chart="{_e(name)}" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" role="img" aria-label="{_e(title)}">'
        f"<title>{_e(title)}</title>{''.join(body)}</svg>"
    )


def _text(x: float, y: float, text: str, cls: str = "", anchor: str = "start") -> str:
    css = f' class="{cls}"' if cls else ""
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}"{css}>{_e(text)}</text>'


# ---------------------------------------------------------------------------------------
# Targets


@dataclass(frozen=True)
class _Target:
    """A period's count against the plan's pro-rata share."""

    label_zh: str
    label_en: str
    actual: float
    yearly: float | None
    pro_rata: float | None
    unit: str

    @property
    def pace(self) -> float | None:
        return self.actual / self.pro_rata if self.pro_rata else None


def _share(as_of: date, start: date) -> float:
    """The period's share of its year: days in the period ÷ days in the year."""
    days_in_year = 366 if calendar.isleap(as_of.year) else 365
    return ((as_of - start).days + 1) / days_in_year


def _target(
    label_zh: str, label_en: str, actual: float, figure: Row | None, share: float, unit: str
) -> _Target:
    yearly = None if figure is None else float(figure["yearly_target"])
    pro_rata = None if yearly is None else round(yearly * share, 2)
    return _Target(label_zh, label_en, float(actual), yearly, pro_rata, unit)


def _bullet_chart(name: str, title: str, rows: Sequence[_Target], width: int = 1100) -> str:
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

        body.append(_text(0, y + 22, row.label_zh, "label"))
        body.append(_text(0, y + 40, row.label_en, "sub"))
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
            f'fill="{_pace_colour(row.pace)}" />'
        )
        if row.pro_rata is not None:
            mx = x_of(row.pro_rata)
            body.append(
                f'<line class="marker" data-value="{row.pro_rata:g}" x1="{mx:.1f}" '
                f'y1="{bar_y - 5}" x2="{mx:.1f}" y2="{bar_y + bar_h + 5}" />'
            )
            body.append(
                _text(
                    mx,
                    bar_y + bar_h + 17,
                    f"pro-rata 进度 {_num(row.pro_rata, 1)}",
                    "tick",
                    "middle",
                )
            )
        vx = bar_x + bar_w + 16
        body.append(_text(vx, y + 24, f"{_num(row.actual)} {row.unit}", "value"))
        detail = (
            f"{_pct(row.pace)} of pro-rata · yearly {_num(row.yearly)}"
            if row.yearly is not None
            else "no target for this year 本年无目标"
        )
        body.append(_text(vx, y + 42, detail, "sub"))
    return _svg(name, width, top + row_h * len(rows) + 10, body, title)


def _targets_section(
    status: Row, figures: Row, period: PeriodName, start: date, reference: Reference
) -> str:
    as_of = date.fromisoformat(status["as_of"])
    share = _share(as_of, start)
    zh, en = _PERIOD_LABEL[period]
    trains = _target(
        "班列开行",
        f"train runs, {en}",
        figures["train_runs"],
        status.get("trains_ytd"),
        share,
        "runs",
    )
    categories = [
        _target(
            reference.teu_categories[c].name_zh if c in reference.teu_categories else c,
            f"{c} · TEU",
            figures["teu_by_category"].get(c, 0.0),
            status.get("teu_ytd_by_category", {}).get(c),
            share,
            "TEU",
        )
        for c in _categories(status, figures, reference)
    ]
    total = _target(
        "集装箱到发量合计", f"TEU total, {en}", figures["teu"], status.get("teu_ytd"), share, "TEU"
    )
    reefer = _target(
        "冷链集装箱到发量",
        f"reefer TEU, {en}",
        figures["reefer_teu"],
        status.get("reefer_teu_ytd"),
        share,
        "TEU",
    )
    rows = [trains, total, *categories, reefer]
    table = "".join(
        f"<tr><td>{_e(r.label_zh)}<br><span class=sub>{_e(r.label_en)}</span></td>"
        f"<td class=num>{_num(r.actual)}</td><td class=num>{_num(r.pro_rata, 1)}</td>"
        f"<td class=num>{_num(r.yearly)}</td><td class=num>{_pct(r.pace)}</td>"
        f'<td><span class="pill {_verdict(r.pace)[0]}">{_e(_verdict(r.pace)[1])}</span></td>'
        "</tr>"
        for r in rows
    )
    days = (as_of - start).days + 1
    return (
        '<section class="card">'
        f"<h2>计划目标完成情况 <span>Against the plan ({_e(zh)} {_e(en)})</span></h2>"
        f'<p class="note">Pro-rata 进度目标 = yearly target 年度目标 × {days} days in the '
        f"period ÷ {round(days / share)} days in the year. Bar colour: "
        f'<span class="swatch" style="background:{_GOOD}"></span>≥ 100 % '
        f'<span class="swatch" style="background:{_WARN}"></span>≥ 90 % '
        f'<span class="swatch" style="background:{_BAD}"></span>&lt; 90 % of pro-rata; '
        "the shaded band and the black mark are the pro-rata target.</p>"
        "<h3>班列开行 Train runs</h3>"
        + _bullet_chart("trains", f"Train runs {en} against pro-rata", [trains])
        + "<h3>集装箱到发量（分类）TEU per category</h3>"
        + _bullet_chart("teu-categories", f"TEU per category {en} against pro-rata", categories)
        + "<h3>冷链集装箱 Reefer TEU</h3>"
        + _bullet_chart("reefer", f"Reefer TEU {en} against pro-rata", [reefer])
        + '<table class="grid"><thead><tr><th>指标 Indicator</th><th>实际 Actual</th>'
        "<th>进度目标 Pro-rata</th><th>年度目标 Yearly</th><th>完成进度 Pace</th>"
        f"<th>评价 Verdict</th></tr></thead><tbody>{table}</tbody></table></section>"
    )


def _categories(status: Row, figures: Row, reference: Reference) -> list[str]:
    """TEU categories in the reference's order, then any other the figures name."""
    names = list(reference.teu_categories)
    for extra in [*status.get("teu_ytd_by_category", {}), *figures["teu_by_category"]]:
        if extra not in names:
            names.append(extra)
    return names


# ---------------------------------------------------------------------------------------
# Corridors


def _corridor_section(figures: Row, reference: Reference, period: PeriodName) -> str:
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
        body.append(_text(0, y + 17, label, "label"))
        body.append(_text(label_w - 12, y + 17, cid, "sub", "end"))
        body.append(f'<rect class="track" x="{label_w}" y="{y + 4}" width="{bar_w}" height="20" />')
        body.append(
            f'<rect class="bar" data-value="{count}" x="{label_w}" y="{y + 4}" '
            f'width="{bar_w * count / top:.1f}" height="20" '
            f'fill="{_GROUP_COLOUR.get(group, _DEFAULT_COLOUR)}" />'
        )
        body.append(_text(label_w + bar_w + 10, y + 19, str(count), "value"))
    legend = "".join(
        f'<span class="swatch" style="background:{colour}"></span>'
        f"{_e(reference.service_groups[g].name_zh if g in reference.service_groups else g)} "
        f"{_e(g)} "
        for g, colour in [*_GROUP_COLOUR.items(), ("DOMESTIC", _DEFAULT_COLOUR)]
    )
    zh, en = _PERIOD_LABEL[period]
    chart = _svg(
        "runs-by-corridor",
        width,
        len(corridors) * row_h + 8,
        body,
        f"Train runs per corridor, {en}",
    )
    return (
        f'<section class="card"><h2>分线路班列开行 <span>Train runs per corridor '
        f"({_e(zh)} {_e(en)})</span></h2><p class=note>{legend}</p>{chart}</section>"
    )


# ---------------------------------------------------------------------------------------
# 天天班


def _daily_service_section(
    status: Row,
    daily: Mapping[str, Row] | None,
    days: Sequence[date],
    period: PeriodName,
    reference: Reference,
) -> str:
    rows = []
    for group in status.get("daily_service", []):
        name = group["group"]
        spec = reference.service_groups.get(name)
        today = (
            '<span class="pill good">served 已开行</span>'
            if group["served_today"]
            else '<span class="pill bad">not served 未开行</span>'
            if group["warning"]
            else '<span class="pill warn">not yet 尚未开行</span>'
        )
        rows.append(
            f"<tr><td>{_e(spec.name_zh if spec else name)}<br>"
            f"<span class=sub>{_e(name)}</span></td><td>{today}</td>"
            f"<td class=num>{group['streak_days']}</td>"
            f"<td class=num>{group['missed_month_to_date']}</td>"
            f"<td class=num>{group['missed_year_to_date']}</td></tr>"
        )
    groups = [g["group"] for g in status.get("daily_service", [])]
    chart = (
        _calendar(daily, groups, days, reference)
        if daily is not None and groups
        else '<p class="missing">No daily series (InfluxDB not read): no calendar. '
        "未读取 InfluxDB，无日历。</p>"
    )
    return (
        '<section class="card"><h2>天天班 <span>Daily service per service group</span></h2>'
        '<p class="note">A day is served when at least one outbound train of the group '
        "departs Huaihua that day. 当日至少一列该组去程班列从怀化发出即为开行。 Missed days are "
        "counted before today.</p>"
        '<table class="grid"><thead><tr><th>服务组 Group</th><th>今日 Today</th>'
        "<th>连续开行天数 Streak (days)</th><th>本月未开行 Missed MTD</th>"
        f"<th>本年未开行 Missed YTD</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
        f"{chart}</section>"
    )


def _calendar(
    daily: Mapping[str, Row], groups: Sequence[str], days: Sequence[date], reference: Reference
) -> str:
    """Per group, one square per day of the period (weeks as columns, Monday on top); the
    groups side by side when they fit, else one under the other."""
    first_monday = days[0] - timedelta(days[0].weekday())
    weeks = (days[-1] - first_monday).days // 7 + 1
    width, label_w, summary_w = 1100, 40, 200
    cell = max(10, min(24, (width - label_w - summary_w) // weeks - 3))
    pitch = cell + 3
    block_w, block_h = label_w + weeks * pitch + summary_w, 7 * pitch + 48
    side_by_side = block_w * len(groups) <= width
    body: list[str] = []
    for n, group in enumerate(groups):
        spec = reference.service_groups.get(group)
        x0, y0 = (n * block_w, 0) if side_by_side else (0, n * block_h)
        served_days = 0
        cells: list[str] = []
        for day in days:
            row = daily.get(day.isoformat())
            served = bool(row and row["outbound_runs_by_group"].get(group, 0) > 0)
            served_days += served
            x = x0 + label_w + ((day - first_monday).days // 7) * pitch
            y = y0 + 34 + day.weekday() * pitch
            state = "served" if served else "missed"
            cells.append(
                f'<rect class="day {state}" data-day="{day.isoformat()}" x="{x}" y="{y}" '
                f'width="{cell}" height="{cell}" rx="2"><title>{day.isoformat()} '
                f"{state}</title></rect>"
            )
        title = f"{spec.name_zh if spec else group} {group}"
        body.append(_text(x0, y0 + 14, title, "label"))
        summary = f"served 开行 {served_days} / {len(days)} days"
        summary_y = y0 + 34 + 3 * pitch + cell / 2 + 5
        body.append(_text(x0 + label_w + weeks * pitch + 14, summary_y, summary, "value"))
        for weekday, name in ((0, "一"), (2, "三"), (4, "五"), (6, "日")):
            body.append(_text(x0, y0 + 34 + weekday * pitch + cell - 2, name, "sub"))
        for day in days:
            if day == days[0] or day.day == 1:
                x = x0 + label_w + ((day - first_monday).days // 7) * pitch
                body.append(_text(x, y0 + 29, f"{day.month}月 {day:%b}", "tick"))
        body += cells
    legend = (
        f'<p class="note"><span class="swatch" style="background:{_GOOD}"></span>served 开行 '
        f'<span class="swatch" style="background:{_MISSED}"></span>missed 未开行 · one column '
        "a week, Monday (一) to Sunday (日) 每列一周</p>"
    )
    height = block_h if side_by_side else block_h * len(groups)
    title = "天天班 calendar: served days per group"
    return legend + _svg("daily-service", width, height, body, title)


# ---------------------------------------------------------------------------------------
# Daily series


@dataclass(frozen=True)
class _Plot:
    """The frame of a chart over the period's days."""

    days: Sequence[date]
    top: float
    width: int = 1100
    height: int = 240
    left: int = 56
    right: int = 16
    upper: int = 22
    lower: int = 34

    @property
    def plot_w(self) -> float:
        return self.width - self.left - self.right

    @property
    def plot_h(self) -> float:
        return self.height - self.upper - self.lower

    @property
    def slot(self) -> float:
        return self.plot_w / len(self.days)

    def x(self, index: float) -> float:
        return self.left + self.slot * index

    def y(self, value: float) -> float:
        return self.upper + self.plot_h * (1 - value / self.top)

    def frame(self, ticks: Sequence[float], unit: str) -> list[str]:
        out = []
        for tick in ticks:
            y = self.y(tick)
            out.append(
                f'<line class="grid" x1="{self.left}" y1="{y:.1f}" '
                f'x2="{self.width - self.right}" y2="{y:.1f}" />'
            )
            out.append(_text(self.left - 6, y + 4, _tick(tick), "tick", "end"))
        out.append(_text(self.left - 6, 10, unit, "tick", "end"))
        base = self.y(0)
        out.append(
            f'<line class="axis" x1="{self.left}" y1="{base:.1f}" '
            f'x2="{self.width - self.right}" y2="{base:.1f}" />'
        )
        few = len(self.days) <= 31
        for n, day in enumerate(self.days):
            if few or day.day == 1 or n == 0:
                label = f"{day.day}" if few and n and day.day != 1 else f"{day.month}/{day.day}"
                out.append(_text(self.x(n + 0.5), base + 16, label, "tick", "middle"))
        return out


def _daily_section(
    daily: Mapping[str, Row] | None,
    days: Sequence[date],
    status: Row,
    period: PeriodName,
    start: date,
    reference: Reference,
    categories: Sequence[str],
) -> str:
    zh, en = _PERIOD_LABEL[period]
    head = f"<h2>每日趋势 <span>Daily trend ({_e(zh)} {_e(en)})</span></h2>"
    if daily is None:
        return (
            f'<section class="card">{head}<p class="missing">No daily series: InfluxDB was not '
            "read (set --influx-url or LUGANG_INFLUX_URL). 未读取 InfluxDB，无每日数据。</p>"
            "</section>"
        )
    rows = [daily.get(d.isoformat()) or _empty_day() for d in days]
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
    ticks = _nice_ticks(max([r["runs"] for r in rows] + [1]), 4, whole=True)
    plot = _Plot(days, ticks[-1], height=200)
    body = plot.frame(ticks, "runs")
    for n, (day, row) in enumerate(zip(days, rows, strict=True)):
        if row["runs"] > 0:
            y = plot.y(row["runs"])
            body.append(
                f'<rect class="bar" data-day="{day.isoformat()}" data-value="{row["runs"]}" '
                f'x="{plot.x(n) + plot.slot * 0.15:.1f}" y="{y:.1f}" '
                f'width="{max(plot.slot * 0.7, 1):.1f}" height="{plot.y(0) - y:.1f}" '
                f'fill="{_INK}"><title>{day.isoformat()}: {row["runs"]} runs</title></rect>'
            )
    return _svg("daily-runs", plot.width, plot.height, body, "Train runs per day")


def _category_colour(categories: Sequence[str], category: str) -> str:
    index = categories.index(category) if category in categories else len(categories)
    return _CATEGORY_COLOURS[index % len(_CATEGORY_COLOURS)]


def _category_legend(categories: Sequence[str], reference: Reference) -> str:
    return (
        '<p class="note">'
        + "".join(
            f'<span class="swatch" style="background:{_category_colour(categories, c)}"></span>'
            f"{_e(c)} "
            f"{_e(reference.teu_categories[c].name_zh if c in reference.teu_categories else '')} "
            for c in categories
        )
        + "</p>"
    )


def _daily_teu(rows: Sequence[Row], days: Sequence[date], categories: Sequence[str]) -> str:
    ticks = _nice_ticks(max([r["teu"] for r in rows] + [1]), 4)
    plot = _Plot(days, ticks[-1], height=220)
    body = plot.frame(ticks, "TEU")
    for n, (day, row) in enumerate(zip(days, rows, strict=True)):
        base = 0.0
        for category in categories:
            teu = float(row["teu_by_category"].get(category, 0.0))
            if teu <= 0:
                continue
            y_top, y_base = plot.y(base + teu), plot.y(base)
            body.append(
                f'<rect class="bar" data-day="{day.isoformat()}" data-category="{_e(category)}" '
                f'data-value="{teu:g}" x="{plot.x(n) + plot.slot * 0.15:.1f}" '
                f'y="{y_top:.1f}" width="{max(plot.slot * 0.7, 1):.1f}" '
                f'height="{y_base - y_top:.1f}" fill="{_category_colour(categories, category)}">'
                f"<title>{day.isoformat()} {_e(category)}: {teu:,.0f} TEU</title></rect>"
            )
            base += teu
    return _svg("daily-teu", plot.width, plot.height, body, "TEU per day by category")


def _cumulative(rows: Sequence[Row], days: Sequence[date], status: Row) -> str:
    figure = status.get("trains_ytd")
    yearly = float(figure["yearly_target"]) if figure else None
    days_in_year = 366 if calendar.isleap(days[-1].year) else 365
    totals: list[float] = []
    for row in rows:
        totals.append((totals[-1] if totals else 0.0) + row["runs"])
    pace = [round(yearly * (n + 1) / days_in_year, 2) for n in range(len(days))] if yearly else []
    ticks = _nice_ticks(max([*totals, *pace, 1.0]), 4)
    plot = _Plot(days, ticks[-1], height=220)
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
        body.append(_text(end_x, pace_y, f"pro-rata 进度 {pace[-1]:,.1f}", "tick", "end"))
    body.append(f'<path class="series" data-value="{totals[-1]:g}" d="{path(totals)}" />')
    body.append(_text(end_x, actual_y, f"actual 实际 {totals[-1]:,.0f}", "value", "end"))
    return _svg("cumulative", plot.width, plot.height, body, "Cumulative train runs and pace")


# ---------------------------------------------------------------------------------------
# Transit


def _transit_section(transit: Sequence[Row] | None, reference: Reference) -> str:
    head = (
        "<h2>在途时间 <span>Transit times against the benchmarks</span></h2>"
        '<p class="note">Departure from Huaihua to arrival at the far end, per outbound run. '
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
    ticks = _nice_ticks(hours_top, 6)

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
        body.append(_text(x_of(tick), axis_y + 14, f"{_tick(tick)} h", "tick", "middle"))
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
        colour = _DEFAULT_COLOUR if share is None else _pace_colour(share)
        body.append(_text(0, y + 16, spec.name_zh if spec else cid, "label"))
        body.append(_text(0, y + 32, cid, "sub"))
        body.append(
            f'<rect class="bar" data-corridor="{_e(cid)}" data-value="{mean:.2f}" '
            f'x="{label_w}" y="{y + 6}" width="{x_of(mean) - label_w:.1f}" height="22" '
            f'fill="{colour}" opacity="0.85" />'
        )
        for r in runs:
            body.append(
                f'<circle class="run" cx="{x_of(float(r["hours"])):.1f}" cy="{y + 17}" r="4">'
                f"<title>{_e(r['train_id'])}: {float(r['hours']):.1f} h</title></circle>"
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
        body.append(_text(label_w + bar_w + 16, y + 22, summary, "value"))
        table.append(
            f"<tr><td>{_e(spec.name_zh if spec else cid)}<br><span class=sub>{_e(cid)}</span>"
            f"</td><td class=num>{_num(float(benchmark) if benchmark else None)}</td>"
            f"<td class=num>{len(runs)}</td><td class=num>{mean:.1f}</td>"
            f"<td class=num>{min(hours):.1f}</td><td class=num>{max(hours):.1f}</td>"
            f"<td class=num>{_pct(share)}</td></tr>"
        )
    chart = _svg("transit", width, axis_y + 22, body, "Transit hours per corridor")
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


# ---------------------------------------------------------------------------------------
# Exceptions


def _exceptions_section(exceptions: Sequence[Row] | None, reference: Reference, tz: tzinfo) -> str:
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
        started = _instant(exc["started_at"]).astimezone(tz)
        peak = exc.get("peak_deviation_c")
        status = exc.get("status", "OPEN")
        rows.append(
            f"<tr><td>{_e(_KIND_LABEL.get(exc['kind'], ''))}<br>"
            f"<span class=sub>{_e(exc['kind'])}</span></td>"
            f"<td class=mono>{_e(exc['equipment_reference'])}</td>"
            f"<td>{_e(profile.name_zh if profile else '')}<br>"
            f"<span class=sub>{_e(commodity or 'unknown')}</span></td>"
            f"<td>{_e(exc.get('corridor') or '–')}</td>"
            f"<td class=mono>{_e(started.strftime('%Y-%m-%d %H:%M'))}</td>"
            f"<td class=num>{_e(_duration(exc.get('duration_s')))}</td>"
            f"<td class=num>{_e('–' if peak is None else f'{float(peak):+.1f} °C')}</td>"
            f'<td><span class="pill {"bad" if status == "OPEN" else "done"}">'
            f"{_e('open 未关闭' if status == 'OPEN' else 'closed 已关闭')}</span></td></tr>"
        )
    kinds: dict[str, int] = {}
    for exc in exceptions:
        kinds[exc["kind"]] = kinds.get(exc["kind"], 0) + 1
    summary = ", ".join(f"{_KIND_LABEL.get(k, '')} {k} {n}" for k, n in sorted(kinds.items()))
    return (
        f'<section class="card">{head}<p class="note">{len(exceptions)} '
        f"exception{'' if len(exceptions) == 1 else 's'}: "
        f"{_e(summary)}. Times in {_e(str(tz))}.</p>"
        '<table class="grid" data-table="exceptions"><thead><tr><th>类型 Kind</th>'
        "<th>集装箱 Container</th><th>货物 Commodity</th><th>线路 Corridor</th>"
        "<th>开始 Start</th><th>时长 Duration</th><th>峰值偏差 Peak deviation</th>"
        f"<th>状态 Status</th></tr></thead><tbody>{''.join(rows)}</tbody></table></section>"
    )


# ---------------------------------------------------------------------------------------
# Page


def _kpis(
    status: Row, figures: Row, period: PeriodName, start: date, exceptions: Sequence[Row] | None
) -> str:
    share = _share(date.fromisoformat(status["as_of"]), start)
    tiles: list[tuple[str, str, str, str]] = []
    for zh, en, actual, key in (
        ("班列开行", "train runs", figures["train_runs"], "trains_ytd"),
        ("集装箱到发量", "TEU", figures["teu"], "teu_ytd"),
        ("冷链集装箱", "reefer TEU", figures["reefer_teu"], "reefer_teu_ytd"),
    ):
        target = _target(zh, en, actual, status.get(key), share, "")
        css, _ = _verdict(target.pace)
        detail = (
            f"{_pct(target.pace)} of pro-rata {_num(target.pro_rata, 1)}"
            if target.pro_rata is not None
            else "no target 无目标"
        )
        tiles.append((css, f"{zh} {en}", _num(actual), detail))
    tiles.append(
        (
            "none",
            "货物毛重 gross weight (t)",
            _num(figures["gross_weight_t"]),
            f"laden {_num(figures['teu_laden'])} / empty {_num(figures['teu_empty'])} TEU",
        )
    )
    key = "missed_month_to_date" if period == "month" else "missed_year_to_date"
    missed = {g["group"]: g[key] for g in status.get("daily_service", [])}
    tiles.append(
        (
            "good" if not any(missed.values()) else "bad",
            f"天天班未开行天数 days missed, {_PERIOD_LABEL[period][1]}",
            " · ".join(_num(n) for n in missed.values()) or "–",
            " · ".join(missed) or "no service group 无",
        )
    )
    if exceptions is not None:
        open_count = sum(1 for e in exceptions if e.get("status", "OPEN") == "OPEN")
        tiles.append(
            (
                "bad" if open_count else "good",
                "冷链异常 cold-chain exceptions",
                _num(len(exceptions)),
                f"{open_count} open 未关闭",
            )
        )
    else:  # no history without InfluxDB: what is open now, as the worker knows it
        open_now = len(status.get("open_exceptions", []))
        tiles.append(
            (
                "bad" if open_now else "good",
                "未关闭冷链异常 open cold-chain exceptions",
                _num(open_now),
                "now, from the worker 当前",
            )
        )
    return (
        '<section class="kpis">'
        + "".join(
            f'<div class="kpi {css}"><div class="kpi-label">{_e(label)}</div>'
            f'<div class="kpi-value">{_e(value)}</div><div class="kpi-detail">{_e(detail)}</div>'
            "</div>"
            for css, label, value, detail in tiles
        )
        + "</section>"
    )


def _summary_table(status: Row) -> str:
    rows = "".join(
        f"<tr><td>{_e(zh)} <span class=sub>{_e(en)}</span><br>"
        f"<span class=sub>{_e(p['start'])} – {_e(p['end'])}</span></td>"
        f"<td class=num>{_num(p['train_runs'])}</td><td class=num>{_num(p['teu'])}</td>"
        f"<td class=num>{_num(p['teu_laden'])}</td><td class=num>{_num(p['teu_empty'])}</td>"
        f"<td class=num>{_num(p['reefer_teu'])}</td>"
        f"<td class=num>{_num(p['gross_weight_t'])}</td></tr>"
        for zh, en, p in (
            ("当日", "day", status["today"]),
            ("本月至今", "month to date", status["month_to_date"]),
            ("年初至今", "year to date", status["year_to_date"]),
        )
    )
    return (
        '<section class="card"><h2>汇总 <span>Day, month and year to date</span></h2>'
        '<table class="grid"><thead><tr><th>期间 Period</th><th>班列 Runs</th>'
        "<th>TEU</th><th>重箱 Laden</th><th>空箱 Empty</th><th>冷链 Reefer TEU</th>"
        f"<th>毛重 Gross (t)</th></tr></thead><tbody>{rows}</tbody></table></section>"
    )


_CSS: Final = f"""
* {{ box-sizing: border-box; }}
body {{ margin: 0; background: #f3f5f8; color: {_INK}; font: 14px/1.45 {_FONT}; }}
main {{ max-width: 1200px; margin: 0 auto; padding: 0 20px 32px; }}
header.top {{ background: #0b2545; color: #fff; padding: 22px 0 18px; margin-bottom: 18px; }}
header.top > div {{ max-width: 1200px; margin: 0 auto; padding: 0 20px; }}
header.top h1 {{ margin: 0 0 4px; font-size: 26px; letter-spacing: 0.5px; }}
header.top .en {{ font-size: 16px; opacity: 0.85; }}
header.top dl {{ display: flex; flex-wrap: wrap; gap: 6px 28px; margin: 14px 0 0; }}
header.top dt {{ font-size: 12px; opacity: 0.7; }}
header.top dd {{ margin: 0; font-size: 15px; font-weight: 600; }}
h2 {{ font-size: 19px; margin: 0 0 6px; }}
h2 span {{ font-weight: 400; color: {_MUTED}; font-size: 15px; margin-left: 6px; }}
h3 {{ font-size: 15px; margin: 16px 0 4px; }}
.card {{ background: #fff; border: 1px solid {_GRID}; border-radius: 8px; padding: 18px 20px;
  margin: 0 0 16px; break-inside: avoid; }}
.kpis {{ display: grid; grid-template-columns: repeat(3, 1fr); gap: 12px; margin-bottom: 16px; }}
.kpi {{ background: #fff; border: 1px solid {_GRID}; border-left: 6px solid {_DEFAULT_COLOUR};
  border-radius: 8px; padding: 12px 16px; }}
.kpi.good {{ border-left-color: {_GOOD}; }} .kpi.warn {{ border-left-color: {_WARN}; }}
.kpi.bad {{ border-left-color: {_BAD}; }}
.kpi-label {{ color: {_MUTED}; font-size: 13px; }}
.kpi-value {{ font-size: 32px; font-weight: 700; line-height: 1.2; }}
.kpi-detail {{ color: {_MUTED}; font-size: 13px; }}
.note {{ color: {_MUTED}; font-size: 12.5px; margin: 2px 0 8px; }}
.missing {{ color: {_WARN}; font-weight: 600; }} .ok {{ color: {_GOOD}; font-weight: 600; }}
.swatch {{ display: inline-block; width: 11px; height: 11px; border-radius: 2px;
  margin: 0 4px 0 10px; vertical-align: -1px; }}
.swatch:first-child {{ margin-left: 0; }}
svg {{ display: block; max-width: 100%; height: auto; font-family: {_FONT}; }}
svg .label {{ font-size: 14px; font-weight: 600; fill: {_INK}; }}
svg .sub {{ font-size: 11.5px; fill: {_MUTED}; }}
svg .value {{ font-size: 14px; font-weight: 700; fill: {_INK}; }}
svg .tick {{ font-size: 11px; fill: {_MUTED}; }}
svg .track {{ fill: {_TRACK}; }}
svg .band {{ fill: #d0d7de; }}
svg .marker {{ stroke: {_INK}; stroke-width: 3; }}
svg .grid {{ stroke: {_GRID}; stroke-width: 1; }}
svg .axis {{ stroke: #8c959f; stroke-width: 1; }}
svg .served {{ fill: {_GOOD}; }} svg .missed {{ fill: {_MISSED}; }}
svg .series {{ fill: none; stroke: #0969da; stroke-width: 2.5; }}
svg .pace {{ fill: none; stroke: {_INK}; stroke-width: 1.5; stroke-dasharray: 6 4; }}
svg .run {{ fill: #fff; stroke: {_INK}; stroke-width: 2; }}
svg .benchmark {{ stroke: {_INK}; stroke-width: 2.5; stroke-dasharray: 4 3; }}
table.grid {{ width: 100%; border-collapse: collapse; margin-top: 12px; font-size: 13.5px; }}
table.grid th {{ text-align: left; font-weight: 600; color: {_MUTED}; font-size: 12.5px;
  border-bottom: 2px solid {_GRID}; padding: 6px 8px; }}
table.grid td {{ border-bottom: 1px solid #eaeef2; padding: 6px 8px; vertical-align: top; }}
td.num {{ text-align: right; font-variant-numeric: tabular-nums; }}
td.mono {{ font-family: "DejaVu Sans Mono", monospace; font-size: 12.5px; }}
.sub {{ color: {_MUTED}; font-size: 12px; }}
.pill {{ display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px;
  font-weight: 600; color: #fff; background: {_DEFAULT_COLOUR}; white-space: nowrap; }}
.pill.good {{ background: {_GOOD}; }} .pill.warn {{ background: {_WARN}; }}
.pill.bad {{ background: {_BAD}; }} .pill.done {{ background: #8c959f; }}
footer {{ color: {_MUTED}; font-size: 12px; }}
@page {{ size: A4; margin: 10mm; }}
@media print {{ body {{ background: #fff; }} .card, .kpi {{ border-color: #bbb; }} }}
"""


def render_html(
    status: dict[str, Any],
    daily: dict[str, Row] | None = None,
    transit: list[Row] | None = None,
    exceptions: list[Row] | None = None,
    *,
    period: PeriodName = "year",
    reference: Reference | None = None,
    generated_at: datetime | None = None,
    source: str | None = None,
) -> str:
    """The evaluation pack as one self-contained HTML page.

    Args:
        status: a worker's ``/status`` JSON (:class:`streams.domain.status.Status` dumped as JSON,
            with ``open_exceptions``).
        daily: ISO day -> ``runs``, ``outbound_runs_by_group``, ``teu``,
            ``teu_by_category``, ``reefer_teu`` (:func:`read_influx`, :func:`daily_series`);
            days left out count as nothing moved. None: no daily charts.
        transit: one row per measured outbound run: ``train_id``, ``corridor``,
            ``departed_at``, ``hours``, ``benchmark_h``, ``within_benchmark``.
        exceptions: cold-chain exceptions as ``ColdChainException`` JSON (``kind``,
            ``equipment_reference``, ``commodity``, ``corridor``, ``started_at``,
            ``status``, ``duration_s``, ``peak_deviation_c``).
        period: ``month`` (month to date) or ``year`` (year to date), ending on
            ``status["as_of"]``.
        reference: corridors, groups, categories and names (default: the packaged one).
        generated_at: the time printed as "generated" (default: now).
        source: where the figures came from, printed in the header.
    """
    reference = reference or default_reference()
    tz = reference.home.tz
    as_of = date.fromisoformat(status["as_of"])
    start, end = period_bounds(as_of, period)
    days = _days(start, end)
    figures = status["month_to_date" if period == "month" else "year_to_date"]
    zh, en = _PERIOD_LABEL[period]
    home = reference.places.get(reference.home.location)
    port_zh = home.name_zh if home else reference.home.location
    port_en = home.name_en if home else reference.home.location
    generated = (generated_at or datetime.now(UTC)).astimezone(tz)
    days_in_year = 366 if calendar.isleap(as_of.year) else 365
    categories = _categories(status, figures, reference)
    header = (
        '<header class="top"><div>'
        f"<h1>{_e(port_zh)} 运营评估报告</h1>"
        f'<div class="en">{_e(port_en)} — operations evaluation report</div><dl>'
        f"<div><dt>期间 Period</dt><dd>{_e(zh)} {_e(en)}: {start} – {end} "
        f"({len(days)} of {days_in_year} days)</dd></div>"
        f"<div><dt>截至 As of</dt><dd>{_e(as_of.isoformat())}</dd></div>"
        f"<div><dt>生成时间 Generated</dt><dd>{_e(generated.strftime('%Y-%m-%d %H:%M'))} "
        f"({_e(str(tz))})</dd></div>"
        f"<div><dt>数据来源 Source</dt><dd>{_e(source or 'worker /status')}</dd></div>"
        "</dl></div></header>"
    )
    footer = (
        "<footer><p>Counting rules 统计口径: a train run is a departure from or an arrival at "
        "Huaihua (both directions count toward the yearly target); TEU 到发量 = containers "
        "loaded onto outbound trains plus containers discharged from inbound trains at "
        "Huaihua, laden and empty; reefer TEU = the same moves of refrigerated containers; "
        "days are local calendar days in "
        f"{_e(str(tz))}. Targets: 湘政办发〔2022〕24号 as configured in the reference. "
        "Generated by Lugang (lugang report --html).</p></footer>"
    )
    body = [
        header,
        "<main>",
        _kpis(status, figures, period, start, exceptions),
        _targets_section(status, figures, period, start, reference),
        _daily_service_section(status, daily, days, period, reference),
        _daily_section(daily, days, status, period, start, reference, categories),
        _corridor_section(figures, reference, period),
        _transit_section(transit, reference),
        _exceptions_section(exceptions, reference, tz),
        _summary_table(status),
        footer,
        "</main>",
    ]
    title = f"{port_zh} {zh} {start} – {end} · Lugang report"
    return (
        '<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(title)}</title><style>{_CSS}</style></head>"
        f"<body>{''.join(body)}</body></html>\n"
    )
