"""Every query of the generated dashboards (panels, annotations, variables) and alert rules,
run on the real InfluxDB after a worker has processed the recorded week
(tests/data/week.jsonl), with Grafana's macros replaced by concrete values; key panels and
the annotations are checked against week.expected.json and the recording."""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from types import FunctionType
from typing import Any

import pytest
import yaml

from dashboards import build, coldchain, influx_reader
from dashboards.queries import PanelQuery, dashboard_queries, measurement, rule_queries
from lugang.contract import ContainerEvent, InvalidEvent, parse_event
from lugang.reference import default_reference
from producers.records import read_recording
from streams.domain.status import TONNES_PER_UNIT
from streams.schema import points
from tests.in_process import exceptions_of, without_live_gaps
from tests.integration.test_stream import replay
from tests.integration.workers import (
    Worker,
    WorkerConfig,
    influx_rows,
    running_worker,
    wait_for,
)

DATA = Path(__file__).resolve().parents[1] / "data"
WEEK = json.loads((DATA / "week.expected.json").read_text())
DAYS: dict[str, dict[str, Any]] = WEEK["days"]
REF = default_reference()
TZ = REF.home.tz
FILES = build.rendered(REF)
RULES = yaml.safe_load(FILES["provisioning/alerting/rules.yaml"])
EVENING = datetime(2026, 3, 15, 20, 0, tzinfo=TZ)
"""The moment the dashboards are looked at: the last day of the week, after 18:00."""
ORACLE = exceptions_of(DATA / "week.jsonl")
EXCEPTIONS = dict(ORACLE)
"""The week's exceptions as the panels must show them: the oracle's, and a closed
TELEMETRY_GAP a live check found where the worker caught up with the replay
(:func:`tests.in_process.live_gaps`), set once the week is written."""
# The cold chain is looked at on the evening of the week's temperature exception (the
# week's other one is a gap of a unit that falls silent), for its container.
_LOOKED_AT = min(e for e in ORACLE if ":TELEMETRY_GAP:" not in e)
CONTAINER, EXCEPTION_KIND, _STARTED = _LOOKED_AT.split(":", 2)
COLD_EVENING = datetime.fromisoformat(_STARTED).astimezone(TZ).replace(hour=20, minute=0)


def started_within(days: float, now: datetime) -> dict[str, str]:
    """The week's exceptions (id -> final status) that started in the ``days`` before
    ``now`` (the time range of a panel)."""
    since = now - timedelta(days=days)
    return {
        e: status
        for e, status in EXCEPTIONS.items()
        if since <= datetime.fromisoformat(e.split(":", 2)[2]) <= now
    }


def open_count(now: datetime) -> int:
    """Open exceptions of the last 30 days at ``now`` (the open-exceptions stat)."""
    return sum(status == "OPEN" for status in started_within(30, now).values())


INTERVAL = "5m"

Rows = list[dict[str, Any]]


@pytest.fixture
def replayed_week(any_pipeline: WorkerConfig, tmp_path: Path) -> Iterator[WorkerConfig]:
    pipeline = any_pipeline  # on InfluxDB 1.12, then on compose's 2.7
    """A worker has processed the recorded week and written every point."""
    with running_worker(pipeline, tmp_path / "worker") as worker:
        replay(pipeline, DATA / "week.jsonl")
        wait_for(lambda: everything_written(worker, pipeline), 240, "the week in InfluxDB")
        yield pipeline


def everything_written(worker: Worker, pipeline: WorkerConfig) -> bool:
    """The worker has counted the whole week and InfluxDB holds its last totals and
    every exception in its final state."""
    figures = worker.status("2026-03-15")["year_to_date"]
    want = (TOTAL_RUNS, TOTAL_TEU, TOTAL_REEFER)
    if (figures["train_runs"], figures["teu"], figures["reefer_teu"]) != want:
        return False
    progress = influx(
        pipeline,
        'SELECT last("trains_ytd"), last("teu_ytd"), last("reefer_teu_ytd") FROM "progress_daily"',
    )
    rows = influx(pipeline, 'SELECT "status" FROM "coldchain_exception" GROUP BY "exception_id"')
    stored = {r["exception_id"]: r["status"] for r in rows}
    if without_live_gaps(stored, ORACLE, DATA / "week.jsonl") != ORACLE:
        return False
    # A closed live gap the replay showed the worker is on the dashboards too.
    EXCEPTIONS.clear()
    EXCEPTIONS.update(stored)
    return [(r["last"], r["last_1"], r["last_2"]) for r in progress] == [want]


def influx(pipeline: WorkerConfig, query: str) -> Rows:
    """Rows of an InfluxQL query; an InfluxQL error (which InfluxDB answers with HTTP 200)
    fails the test with the query."""
    try:
        return influx_rows(
            pipeline.influx_url, pipeline.influx_bucket, query, pipeline.influx_token
        )
    except influx_reader.InfluxError as exc:
        raise AssertionError(f"{exc}\n{query}") from None


_RELATIVE = re.compile(r"now(?:-(\d+)([smhd]))?(?:/([dMy]))?")
_UNITS = {
    "s": timedelta(seconds=1),
    "m": timedelta(minutes=1),
    "h": timedelta(hours=1),
    "d": timedelta(days=1),
}


def grafana_time(text: str, now: datetime, end: bool) -> datetime:
    """A Grafana relative time (``now``, ``now-30d``, ``now/d``, ``now-600s``) at ``now``;
    a rounded time is the start of its day, month or year, or with ``end`` its last ms."""
    match = _RELATIVE.fullmatch(text)
    assert match, f"relative time the test cannot read: {text}"
    amount, unit, rounding = match.groups()
    moment = now - int(amount) * _UNITS[unit] if amount else now
    if rounding is None:
        return moment
    start = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    if rounding == "M":
        start, following = (
            start.replace(day=1),
            (start.replace(day=28) + timedelta(4)).replace(day=1),
        )
    elif rounding == "y":
        start, following = (
            start.replace(month=1, day=1),
            start.replace(year=start.year + 1, month=1, day=1),
        )
    else:
        following = start + timedelta(1)
    return following - timedelta(milliseconds=1) if end else start


def concrete(query: PanelQuery, now: datetime) -> str:
    """The query as Grafana sends it at ``now``: time filter, interval and variables."""
    start = grafana_time(query.time_from, now, end=False)
    stop = grafana_time(query.time_to, now, end=True)
    if query.time_shift is not None:
        assert query.time_shift == "1y", query.time_shift
        start, stop = start.replace(year=start.year - 1), stop.replace(year=stop.year - 1)
    millis = (int(start.timestamp() * 1000), int(stop.timestamp() * 1000))
    text = query.text.replace("$timeFilter", f"time >= {millis[0]}ms and time <= {millis[1]}ms")
    text = text.replace("$__interval", INTERVAL).replace(f"${coldchain.CONTAINER}", CONTAINER)
    assert "$" not in text.replace("$/", ""), f"a macro is left in: {text}"
    return text


# -- expected figures, from week.expected.json -------------------------------------------


def runs_by_corridor(day: str) -> dict[str, int]:
    runs = dict.fromkeys(REF.corridors, 0)
    for key, count in DAYS.get(day, {}).get("train_runs", {}).items():
        runs[key.split("/")[0]] += count
    return runs


def served(group: str, day: date) -> bool:
    runs = DAYS.get(day.isoformat(), {}).get("train_runs", {})
    return any(
        key.endswith("/OUTBOUND") and REF.corridors[key.split("/")[0]].service_group == group
        for key in runs
    )


def daily_service(day: date) -> dict[str, dict[str, int]]:
    """天天班 per group as of ``day``: served, streak, missed days MTD and YTD. Days are
    counted from the first day with data (no start of service is configured), and a day
    without data is unknown, not missed."""
    first_data = min(date.fromisoformat(d) for d in DAYS)
    figures = {}
    for group, spec in REF.service_groups.items():
        if not spec.daily_service:
            continue
        streak, back = 0, day if served(group, day) else day - timedelta(1)
        while served(group, back):
            streak, back = streak + 1, back - timedelta(1)

        def missed(first: date, group: str = group) -> int:
            start = max(first, first_data)
            counted = (start + timedelta(n) for n in range((day - start).days))
            return sum(d.isoformat() in DAYS and not served(group, d) for d in counted)

        figures[group] = {
            "served": int(served(group, day)),
            "streak_days": streak,
            "missed_mtd": missed(day.replace(day=1)),
            "missed_ytd": missed(day.replace(month=1, day=1)),
        }
    return figures


def teu_by_category() -> dict[str, float]:
    totals = dict.fromkeys(REF.teu_categories, 0.0)
    for day in DAYS.values():
        for key, teu in day["teu"].items():
            totals[key.split("/")[0]] += teu
    return totals


def by_tag(rows: Rows, tag: str, column: str) -> dict[str, Any]:
    found = {row[tag]: row[column] for row in rows}
    assert len(found) == len(rows), f"several rows per {tag}: {rows}"
    return found


def only(rows: Rows, column: str) -> Any:
    assert len(rows) == 1, rows
    return rows[0][column]


TOTAL_RUNS = sum(sum(day["train_runs"].values()) for day in DAYS.values())
TOTAL_TEU = sum(teu_by_category().values())
TOTAL_REEFER = sum(day["reefer_teu"] for day in DAYS.values())
TOTAL_T = sum(day["gross_weight_kg"] for day in DAYS.values()) / 1000
TODAY = EVENING.date()
SERVICE = daily_service(TODAY)
PRO_RATA_TRAINS = round(
    REF.targets[TODAY.year].trains
    * TODAY.timetuple().tm_yday
    / date(TODAY.year, 12, 31).timetuple().tm_yday,
    2,
)


def group_figure(field: str) -> dict[str, int]:
    return {group: figures[field] for group, figures in SERVICE.items()}


def daily_runs_by_direction(rows: Rows) -> dict[str, dict[str, int]]:
    got: dict[str, dict[str, int]] = defaultdict(dict)
    for row in rows:
        if row["sum"]:
            day = datetime.fromisoformat(row["time"]).astimezone(TZ).date().isoformat()
            got[day][row["direction"]] = row["sum"]
    return dict(got)


def week_runs_by_direction() -> dict[str, dict[str, int]]:
    want: dict[str, Counter[str]] = defaultdict(Counter)
    for day, figures in DAYS.items():
        for key, count in figures["train_runs"].items():
            want[day][key.split("/")[1]] += count
    return {day: dict(counts) for day, counts in want.items()}


def summed_by(tag: str) -> Callable[[Rows], dict[str, float]]:
    def summary(rows: Rows) -> dict[str, float]:
        totals: dict[str, float] = defaultdict(float)
        for row in rows:
            totals[row[tag]] += row["sum"] or 0
        return dict(totals)

    return summary


def commodity_of(container: str) -> str:
    """The commodity of the container's first event that names one."""
    for record in read_recording(DATA / "week.jsonl"):
        try:
            value = json.loads(record.value) if record.key == container else None
        except ValueError:  # the recording's malformed records
            continue
        if isinstance(value, dict) and value.get("commodity"):
            return str(value["commodity"])
    raise AssertionError(f"no commodity for {container}")


def container_moves(now: datetime, days: int = 30) -> set[tuple[str, str, str]]:
    """(event type, location, direction) of the looked-at container's valid moves in the
    ``days`` to ``now``: the rows of its moves table (``container_move``)."""
    moves: set[tuple[str, str, str]] = set()
    for record in read_recording(DATA / "week.jsonl"):
        if record.topic != "containers" or record.key != CONTAINER:
            continue
        try:
            event = parse_event("containers", record.value, REF)
        except InvalidEvent:
            continue
        assert isinstance(event, ContainerEvent)
        if now - timedelta(days=days) <= event.event_time <= now:
            moves.add((event.event_type, event.location, event.direction or "unknown"))
    assert moves, f"no move of {CONTAINER} before {now}"
    return moves


def departures(since: datetime, until: datetime) -> list[tuple[str, str]]:
    """(train id, corridor) of the recording's departures from home from ``since`` to
    ``until``, in time order: the week's counted outbound runs (checked against
    week.expected.json), with the times the expected figures leave out."""
    found: set[tuple[datetime, str, str]] = set()  # a redelivered departure is one
    for record in read_recording(DATA / "week.jsonl"):
        try:
            value = json.loads(record.value) if record.topic == "trains" else None
        except ValueError:  # the recording's malformed records
            continue
        if not isinstance(value, dict):
            continue
        what = (value.get("event_type"), value.get("location"), value.get("direction"))
        if what == ("DEPA", REF.home.location, "OUTBOUND"):
            at = datetime.fromisoformat(value["event_time"])
            found.add((at, value["train_id"], value["corridor"]))
    per_day = Counter(at.astimezone(TZ).date().isoformat() for at, _, _ in found)
    outbound = {
        day: n
        for day, figures in DAYS.items()
        if (n := sum(c for k, c in figures["train_runs"].items() if k.endswith("/OUTBOUND")))
    }
    assert per_day == outbound, f"the recording's departures {per_day}, outbound runs {outbound}"
    return [(train, corridor) for at, train, corridor in sorted(found) if since <= at <= until]


def trains_marked(rows: Rows) -> list[tuple[str, str]]:
    """The departures annotation's rows as (text, tag): train id and corridor."""
    return [(row["train_id"], row["corridor"]) for row in rows]


def exceptions_marked(rows: Rows) -> set[tuple[str, str, str, bool]]:
    """The exception annotation's rows: container, kind, status, and whether it is a region
    (an end after its start, in ms since the epoch: Grafana's time end)."""
    return {
        (
            row["equipment_reference"],
            row["kind"],
            row["status"],
            (row.get("ended_at_ms") or 0) > datetime.fromisoformat(row["time"]).timestamp() * 1000,
        )
        for row in rows
    }


def container_exceptions(now: datetime) -> set[tuple[str, str, str, bool]]:
    """The looked-at container's exceptions of the day before ``now``, as
    :func:`exceptions_marked` summarises them: each closed one is a region."""
    found = set()
    for eid, status in started_within(1, now).items():
        box, kind, _ = eid.split(":", 2)
        if box == CONTAINER:
            found.add((box, kind, status, status == "CLOSED"))
    return found


def band(rows: Rows) -> set[tuple[float, float]]:
    return {(row["安全下限 band low"], row["安全上限 band high"]) for row in rows}


PROFILE = REF.commodity(commodity_of(CONTAINER))
PACE = {
    "累计 YTD": TOTAL_RUNS,
    "进度目标 pro-rata": PRO_RATA_TRAINS,
    "进度 pace": pytest.approx(100 * TOTAL_RUNS / PRO_RATA_TRAINS),
}


def first(rows: Rows) -> dict[str, Any]:
    """The first row without its time: ``{column: value}``."""
    return {k: v for k, v in rows[0].items() if k != "time"}


def last_column(column: str) -> Callable[[Rows], Any]:
    return lambda rows: rows[-1][column]


# Fragment of "where title" -> (summary of the rows, expected summary, or a function that
# gives it once the week is written: EXCEPTIONS is known then). Every other query must
# return rows, except the EMPTY ones.
EXPECTED: dict[str, tuple[Callable[[Rows], Any], Any]] = {
    "Train runs today, by corridor": (
        lambda rows: by_tag(rows, "corridor", "sum"),
        runs_by_corridor(TODAY.isoformat()),
    ),
    "Streak (days)": (
        lambda rows: by_tag(rows, "service_group", "last"),
        group_figure("streak_days"),
    ),
    "Missed days MTD": (
        lambda rows: by_tag(rows, "service_group", "last"),
        group_figure("missed_mtd"),
    ),
    "Missed days YTD": (
        lambda rows: by_tag(rows, "service_group", "last"),
        group_figure("missed_ytd"),
    ),
    "Train runs / 500": (first, PACE),
    # The recording's visits that end on its last day (as the agents give them in process,
    # tests/integration/test_dwell.py) are of every category and laden/empty.
    "Container dwell (h)": (
        lambda rows: {(r["teu_category"], r["laden"]) for r in rows},
        {("OTHER", "EMPTY"), ("OTHER", "LADEN"), ("RAIL_SEA", "EMPTY"), ("RAIL_SEA", "LADEN")},
    ),
    "TEU / 50,000": (lambda rows: only(rows, "累计 YTD"), TOTAL_TEU),
    "Reefer TEU / 500": (lambda rows: only(rows, "累计 YTD"), TOTAL_REEFER),
    "Train runs YTD, pace line": (last_column("累计 YTD"), TOTAL_RUNS),
    "TEU YTD by category": (lambda rows: by_tag(rows, "teu_category", "last"), teu_by_category()),
    "Tonnage today": (
        lambda rows: only(rows, "t"),
        pytest.approx(DAYS[TODAY.isoformat()]["gross_weight_kg"] / 1000),
    ),
    "Tonnage YTD": (lambda rows: only(rows, "t"), pytest.approx(TOTAL_T)),
    "lugang-overview panel 20 冷链异常 Cold-chain exceptions by kind": (
        lambda rows: by_tag(rows, "kind", "count"),
        lambda: dict(Counter(e.split(":")[1] for e in started_within(30, EVENING))),
    ),
    "lugang-coldchain panel 3 冷链异常 Cold-chain exceptions by kind": (
        lambda rows: by_tag(rows, "kind", "count"),
        lambda: dict(Counter(e.split(":")[1] for e in started_within(1, COLD_EVENING))),
    ),
    "Open and recent exceptions": (
        lambda rows: {(r["equipment_reference"], r["kind"], r["status"]) for r in rows},
        lambda: {
            (e.split(":")[0], e.split(":")[1], s)
            for e, s in started_within(7, COLD_EVENING).items()
        },
    ),
    "lugang-overview panel 19 未关闭冷链异常": (
        lambda rows: only(rows, "count"),
        lambda: open_count(EVENING),
    ),
    "lugang-coldchain panel 2 未关闭冷链异常": (
        lambda rows: only(rows, "count"),
        lambda: open_count(COLD_EVENING),
    ),
    "Air temperatures and the safe band": (band, {(PROFILE.band_low_c, PROFILE.band_high_c)}),
    "Power, $container": (lambda rows: {r["电源 power"] for r in rows} <= {0, 1}, True),
    "Readings per hour": (lambda rows: sum(r["读数 readings"] for r in rows) > 0, True),
    "Moves of $container": (
        lambda rows: {(r["event_type"], r["location"], r["direction"]) for r in rows},
        lambda: container_moves(COLD_EVENING),
    ),
    "variable container": (lambda rows: CONTAINER in {r["value"] for r in rows}, True),
    "Daily train runs (": (daily_runs_by_direction, week_runs_by_direction()),
    "Daily TEU (": (summed_by("teu_category"), teu_by_category()),
    "Train runs YTD / 500": (last_column("累计 YTD"), TOTAL_RUNS),
    "TEU YTD / 50,000": (last_column("累计 YTD"), TOTAL_TEU),
    "Train runs MTD": (lambda rows: only(rows, "sum"), TOTAL_RUNS),
    "本月到发量 TEU MTD": (lambda rows: only(rows, "sum"), TOTAL_TEU),
    "本月冷链箱 Reefer TEU MTD": (lambda rows: only(rows, "sum"), TOTAL_REEFER),
    "Tonnage MTD": (lambda rows: only(rows, "sum"), pytest.approx(TOTAL_T)),
    "Train runs 本年 YTD": (lambda rows: only(rows, "last"), TOTAL_RUNS),
    "集装箱 TEU 本年 YTD": (lambda rows: only(rows, "last"), TOTAL_TEU),
    "冷链箱 Reefer TEU 本年 YTD": (lambda rows: only(rows, "last"), TOTAL_REEFER),
    # Annotations, over their dashboard's range: the departures of today (the whole day,
    # 20:25 included) and of the year to the evening; the looked-at container's
    # exceptions of the day, each closed one a region to its end, and its moves of the day.
    "lugang-overview annotation": (
        trains_marked,
        departures(grafana_time("now/d", EVENING, False), grafana_time("now/d", EVENING, True)),
    ),
    "lugang-trends annotation": (
        trains_marked,
        departures(grafana_time("now/y", EVENING, False), EVENING),
    ),
    "lugang-coldchain annotation 冷链异常": (
        exceptions_marked,
        lambda: container_exceptions(COLD_EVENING),
    ),
    "lugang-coldchain annotation 箱子动态": (
        lambda rows: {(r["event_type"], r["location"], r["direction"]) for r in rows},
        lambda: container_moves(COLD_EVENING, days=1),
    ),
}
EMPTY = (
    "last year",  # nothing was recorded in 2025
    "Daily service today",  # written live, for the wall clock's day (the test below)
    "Trains in transit",  # written live, for the wall clock's week (test_trains_in_transit)
    "Year-end projection",  # written live, for the wall clock's day (the test at the end)
    "pipeline",  # the worker does not publish its health yet
    "rule lugang-stream-silent",
    "rule lugang-dead-letter-spike",
    "rule lugang-sink-failing",
)


def expectation(query: PanelQuery) -> tuple[Callable[[Rows], Any], Any] | None:
    if measurement(query.text) == points.COLDCHAIN_ACK:
        return None  # the replay acknowledges nothing (test_ack.py acknowledges one)
    found = [value for key, value in EXPECTED.items() if key in f"{query.where} {query.title}"]
    assert len(found) <= 1, f"{query.title}: several expectations"
    return found[0] if found else None


def every_query() -> Iterator[tuple[PanelQuery, datetime]]:
    for path, text in FILES.items():
        if path.endswith(".json"):
            board = json.loads(text)
            now = COLD_EVENING if board["uid"] == coldchain.UID else EVENING
            for query in dashboard_queries(board):
                yield query, now
    for query in rule_queries(RULES):
        yield query, EVENING


def test_every_dashboard_and_alert_query_runs_and_gives_the_expected_figures(
    replayed_week: WorkerConfig,
) -> None:
    checked: set[str] = set()
    problems = []
    for query, now in every_query():
        text = concrete(query, now)
        rows = influx(replayed_week, text)
        expected = expectation(query)
        if expected is not None:
            summary, want = expected
            want = want() if isinstance(want, FunctionType) else want
            checked.update(key for key in EXPECTED if key in f"{query.where} {query.title}")
            if not rows or summary(rows) != want:
                problems.append(f"{query.where} {query.title}: got {rows}, want {want}\n{text}")
        elif measurement(query.text) == points.COLDCHAIN_ACK or any(
            marker in query.where or marker in query.title for marker in EMPTY
        ):
            if rows:
                problems.append(f"{query.where} {query.title}: expected nothing, got {rows}")
        elif not rows:
            problems.append(f"{query.where} {query.title}: no rows\n{text}")
    assert not problems, "\n".join(problems)
    assert checked == set(EXPECTED), f"expectations that match no query: {set(EXPECTED) - checked}"


def test_the_daily_service_tile_shows_today_as_the_worker_writes_it_every_minute(
    replayed_week: WorkerConfig,
) -> None:
    """The wall screen's 天天班 tile reads what the worker's minute round writes for the
    wall clock's day (nothing departs today here): 0 (not yet) before the warning hour,
    -1 (not served, red) from it on; both groups, within two rounds."""
    (tile,) = [q for q, _ in every_query() if q.title == "天天班 今日 Daily service today"]
    groups = [g for g, spec in REF.service_groups.items() if spec.daily_service]
    seen: list[dict[str, Any]] = [{}, {}]

    def shown() -> bool:
        now = datetime.now(TZ)
        late = now.time() >= REF.daily_service.warning_at
        rows = influx(replayed_week, concrete(tile, now))
        seen[:] = [{r["service_group"]: r["state"] for r in rows}, dict.fromkeys(groups, 0)]
        if late:
            seen[1] = dict.fromkeys(groups, -1)
        return seen[0] == seen[1]

    try:
        wait_for(shown, 150, "today's 天天班 tile (1 served, 0 not yet, -1 not served)")
    except AssertionError as exc:
        raise AssertionError(f"{exc}; the tile showed {seen[0]}, expected {seen[1]}") from None


def test_the_year_end_projection_shows_the_year_to_date_as_the_worker_writes_it_every_minute(
    replayed_week: WorkerConfig,
) -> None:
    """The overview's year-end projection table reads what the worker's minute round writes
    for the wall clock's day (its projected figures depend on that day, its year to date
    does not): in the recording's year, a row per measure and TEU category with something
    counted, its year to date the week's totals, within two rounds; in a later year the
    worker holds no day of that year, so it projects nothing."""
    (table,) = [q for q, _ in every_query() if "Year-end projection" in q.title]
    counted = {
        ("train_runs", ""): TOTAL_RUNS,
        ("teu", ""): TOTAL_TEU,
        **{("teu_by_category", c): teu for c, teu in teu_by_category().items()},
        ("reefer_teu", ""): TOTAL_REEFER,
        ("tonnage", ""): TOTAL_T / TONNES_PER_UNIT,
    }
    want = {key: pytest.approx(total) for key, total in counted.items() if total}
    seen: list[dict[tuple[str, str], Any]] = [{}, {}]

    def shown() -> bool:
        now = datetime.now(TZ)
        rows = influx(replayed_week, concrete(table, now))
        seen[:] = [
            {(r["measure"], r.get("teu_category") or ""): r["累计 YTD"] for r in rows},
            want if now.year == TODAY.year else {},
        ]
        return seen[0] == seen[1]

    try:
        wait_for(shown, 150, "today's year-end projection, a row per measure counted")
    except AssertionError as exc:
        raise AssertionError(f"{exc}; the table showed {seen[0]}, expected {seen[1]}") from None
