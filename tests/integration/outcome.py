"""What a worker made of a recording, as the real servers hold it, next to what the
in-process oracle (``tests/in_process.py``) makes of the same recording: every point the
agents write to InfluxDB (exceptions, readings, container moves, day totals, transits),
``/status`` of each day, and the dead-letter topic. ``differences`` says in words what differs."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from dashboards import influx_reader
from lugang.contract import DeadLetter
from lugang.reference import default_reference
from streams.domain.status import compute_status
from streams.schema import points
from streams.schema.points import Sample
from tests.in_process import live_gaps, replay_in_process
from tests.integration.kafka_read import read_topic
from tests.integration.workers import Worker, WorkerConfig

REF = default_reference()
PERIODS = ("today", "month_to_date", "quarter_to_date", "half_to_date", "year_to_date")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

Tags = frozenset[tuple[str, str]]
PointKey = tuple[Tags, int]  # tags, nanoseconds since the epoch
Points = dict[PointKey, dict[str, Any]]
Letter = tuple[str, str]  # topic kind, reason
EXCEPTIONS = points.COLDCHAIN_EXCEPTION


@dataclass
class Outcome:
    """Points by measurement, ``/status`` periods by local day, dead letters by kind and
    reason; ``letter_offsets``: how many dead letters each input message got (observed
    only: the oracle's offsets are not Kafka's)."""

    points: dict[str, Points]
    status: dict[str, dict[str, Any]]
    letters: Counter[Letter]
    letter_offsets: Counter[tuple[str, int, int]] = field(default_factory=Counter)
    live_gaps: frozenset[str] = frozenset()
    """Ids of TELEMETRY_GAPs a live check may find where the feed stops (expected only,
    :func:`live_gaps`): one the worker stored CLOSED is no difference."""


def letter(kind: str, reason: str) -> Letter:
    """A dead letter as compared: a late reading's reason up to the reading's time. Why it
    is late (older than the newest reading by more than the lateness, or not after its
    container left watch) names what had been read when it came, which the interleaving of
    ``containers`` and ``reefer`` decides; that it is late does not depend on it."""
    if reason.startswith("late: reading_time "):
        reason = reason.split(" is ", 1)[0] + " is late"
    return kind, reason


def nanoseconds(moment: datetime) -> int:
    return (moment - _EPOCH) // timedelta(microseconds=1) * 1000


def shown(ns: int) -> str:
    """A point's time as ISO 8601 UTC text."""
    moment = _EPOCH + timedelta(microseconds=ns // 1000)
    return moment.isoformat().replace("+00:00", "Z")


def point_set(samples: Iterable[Sample]) -> dict[str, Points]:
    """Samples as InfluxDB keeps them: one point per series and time, the last write wins."""
    by_measurement: dict[str, Points] = {}
    for sample in samples:
        key = (frozenset(sample.tags.items()), nanoseconds(sample.time))
        by_measurement.setdefault(sample.measurement, {})[key] = dict(sample.fields)
    return by_measurement


def periods(body: Mapping[str, Any]) -> dict[str, Any]:
    return {name: body[name] for name in PERIODS}


def oracle(recording: Path) -> Outcome:
    """What a worker that reads ``recording`` in file order, uninterrupted, must end with:
    the three agents in process, then the live timer's tick (whose TELEMETRY_GAPs the
    silence check writes)."""
    h, gaps = replay_in_process(recording)
    samples = [*h.metrics.samples, *(points.exception_sample(gap) for gap in gaps)]
    now = datetime.now(UTC)
    status = {
        day.isoformat(): periods(
            compute_status(h.book.year(day.year), REF, day, now).model_dump(mode="json")
        )
        for day in sorted(h.book.year())
    }
    letters = Counter(letter(d.topic, d.reason) for d in h.dead_letters.dead_letters())
    return Outcome(point_set(samples), status, letters, live_gaps=live_gaps(recording))


def stored_points(pipeline: WorkerConfig, measurement: str) -> Points:
    """Every point of ``measurement`` in the pipeline's database."""
    database = pipeline.influx_bucket.split("/")[0]
    (series,) = influx_reader.query(
        pipeline.influx_url,
        database,
        f'SELECT * FROM "{measurement}" GROUP BY *',  # noqa: S608 (the schema's names)
        epoch="ns",
        timeout=20,
    )
    stored: Points = {}
    for one in series:
        tags = frozenset(one.tags.items())
        for row in one.values:
            values = dict(zip(one.columns, row, strict=True))
            ns = int(values.pop("time"))
            stored[(tags, ns)] = {k: v for k, v in values.items() if v is not None}
    return stored


def stored_letters(pipeline: WorkerConfig) -> tuple[Counter[Letter], Counter[tuple[str, int, int]]]:
    """The dead-letter topic: (topic kind, reason) counts, and dead letters per source
    message (topic, partition, offset) for those the worker wrote."""
    letters: Counter[Letter] = Counter()
    offsets: Counter[tuple[str, int, int]] = Counter()
    for _, value in read_topic(pipeline.bootstrap, pipeline.prefix + "deadletter"):
        dead = DeadLetter.model_validate_json(value)
        kind = dead.topic.removeprefix(pipeline.prefix)
        letters[letter(kind, dead.reason)] += 1
        if dead.partition is not None and dead.offset is not None:
            offsets[kind, dead.partition, dead.offset] += 1
    return letters, offsets


def observe(pipeline: WorkerConfig, worker: Worker | None, like: Outcome) -> Outcome:
    """What the servers hold now, for the measurements and days of ``like`` (``/status``
    left out without a ``worker``)."""
    stored = {m: stored_points(pipeline, m) for m in like.points}
    status = {}
    if worker is not None:
        status = {day: periods(worker.status(day, ready_within=20)) for day in like.status}
    letters, offsets = stored_letters(pipeline)
    return Outcome(stored, status, letters, offsets)


# -- differences, in words ------------------------------------------------------------------

SHOW = 6  # examples of each kind of difference


def _same(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    if a.keys() != b.keys():
        return False
    for key, value in a.items():
        other = b[key]
        if isinstance(value, int | float) and isinstance(other, int | float):
            if abs(value - other) > 1e-9 * max(1.0, abs(value)):
                return False
        elif value != other:
            return False
    return True


def _tags(tags: Tags, leave_out: Iterable[str] = ()) -> str:
    skip = set(leave_out)
    return ",".join(f"{k}={v}" for k, v in sorted(tags) if k not in skip)


def _fields(fields: Mapping[str, Any]) -> str:
    return " ".join(f"{k}={v}" for k, v in sorted(fields.items()))


def _point(key: PointKey, fields: Mapping[str, Any] | None = None) -> str:
    text = f"{_tags(key[0])} @{shown(key[1])}"
    return f"{text} [{_fields(fields)}]" if fields is not None else text


def _number(value: Any) -> str:
    """A field as text, the same for 7 and 7.0 (InfluxDB's JSON drops the .0)."""
    return f"{float(value):.9g}" if isinstance(value, int | float) else repr(value)


def _exception_lines(want: Points, got: Points) -> list[str]:
    def by_id(points_: Points) -> dict[str, list[str]]:
        rows: dict[str, list[str]] = defaultdict(list)
        for (tags, ns), fields in sorted(points_.items(), key=lambda kv: kv[0][1]):
            tag = dict(tags)
            rows[tag.get("exception_id", "?")].append(
                f"{fields.get('status')} from {shown(ns)} "
                f"duration_s={_number(fields.get('duration_s'))} "
                f"peak={_number(fields.get('peak_deviation_c'))} "
                f"({_tags(tags, ('exception_id', 'equipment_reference', 'kind'))})"
            )
        return rows

    wanted, stored = by_id(want), by_id(got)
    lines = []
    for eid in sorted(wanted.keys() | stored.keys()):
        if sorted(wanted.get(eid, [])) != sorted(stored.get(eid, [])):
            lines.append(
                f"  exception {eid}: expected {wanted.get(eid) or 'none'}; "
                f"stored {stored.get(eid) or 'none'}"
            )
    return lines


def _reading_lines(want: Points, got: Points) -> list[str]:
    def by_unit(points_: Points) -> dict[str, Points]:
        units: dict[str, Points] = defaultdict(dict)
        for key, fields in points_.items():
            units[dict(key[0]).get("equipment_reference", "?")][key] = fields
        return units

    wanted, stored = by_unit(want), by_unit(got)
    lines = []
    for unit in sorted(wanted.keys() | stored.keys()):
        w, g = wanted.get(unit, {}), stored.get(unit, {})
        missing = sorted(w.keys() - g.keys(), key=lambda k: k[1])
        extra = sorted(g.keys() - w.keys(), key=lambda k: k[1])
        changed = [k for k in w.keys() & g.keys() if not _same(w[k], g[k])]
        if not (missing or extra or changed):
            continue
        line = f"  reefer_reading {unit}: {len(w)} points expected, {len(g)} stored"
        w_times, g_times = {k[1] for k in w}, {k[1] for k in g}
        if w_times != g_times:
            lost, more = sorted(w_times - g_times), sorted(g_times - w_times)
            line += f"; {len(lost)} reading times missing {[shown(t) for t in lost[:3]]}"
            line += f", {len(more)} extra {[shown(t) for t in more[:3]]}"
        retagged = Counter(
            f"{_tags(k[0], ['equipment_reference'])} instead of "
            f"{_tags(next(m[0] for m in missing if m[1] == k[1]), ['equipment_reference'])}"
            for k in extra
            if k[1] in {m[1] for m in missing}
        )
        for text, n in retagged.most_common(3):
            line += f"; {n} stored with {text}"
        if changed:
            k = changed[0]
            line += f"; {len(changed)} with other fields, e.g. @{shown(k[1])}: "
            line += f"expected [{_fields(w[k])}], stored [{_fields(g[k])}]"
        lines.append(line)
    return lines


def _generic_lines(measurement: str, want: Points, got: Points) -> list[str]:
    missing = sorted(want.keys() - got.keys(), key=lambda k: k[1])
    extra = sorted(got.keys() - want.keys(), key=lambda k: k[1])
    changed = sorted((k for k in want.keys() & got.keys() if not _same(want[k], got[k])), key=str)
    lines = []
    if missing:
        lines.append(f"  {measurement}: {len(missing)} points missing, e.g.")
        lines += [f"    {_point(k, want[k])}" for k in missing[:SHOW]]
    if extra:
        lines.append(f"  {measurement}: {len(extra)} points not expected, e.g.")
        lines += [f"    {_point(k, got[k])}" for k in extra[:SHOW]]
    if changed:
        lines.append(f"  {measurement}: {len(changed)} points with other fields, e.g.")
        lines += [
            f"    {_point(k)}: expected [{_fields(want[k])}], stored [{_fields(got[k])}]"
            for k in changed[:SHOW]
        ]
    return lines


def point_differences(want: Mapping[str, Points], got: Mapping[str, Points]) -> list[str]:
    lines = []
    for measurement in sorted(want):
        w, g = want[measurement], got.get(measurement, {})
        if w.keys() == g.keys() and all(_same(w[k], g[k]) for k in w):
            continue
        if measurement == points.COLDCHAIN_EXCEPTION:
            found = _exception_lines(w, g)
        elif measurement == points.REEFER_READING:
            found = _reading_lines(w, g)
        else:
            found = _generic_lines(measurement, w, g)
        lines += [f"InfluxDB {measurement} differs ({len(w)} points expected, {len(g)} stored):"]
        lines += found[: 4 * SHOW]
    return lines


def _flat(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, Mapping):
        flat: dict[str, Any] = {}
        for key, inner in value.items():
            flat.update(_flat(inner, f"{prefix}.{key}" if prefix else str(key)))
        return flat
    return {prefix: value}


def status_differences(
    want: Mapping[str, Mapping[str, Any]], got: Mapping[str, Mapping[str, Any]]
) -> list[str]:
    lines = []
    for day in sorted(want):
        w, g = _flat(want[day]), _flat(got.get(day, {}))
        wrong = [k for k in sorted(w.keys() | g.keys()) if not _same({k: w.get(k)}, {k: g.get(k)})]
        if wrong:
            shown_ = ", ".join(f"{k} {g.get(k)!r} (expected {w.get(k)!r})" for k in wrong[:8])
            lines.append(f"/status?date={day}: {len(wrong)} figures differ: {shown_}")
    return lines


def letter_differences(want: Outcome, got: Outcome) -> list[str]:
    lines = []
    missing, extra = want.letters - got.letters, got.letters - want.letters
    if missing or extra:
        lines.append(
            f"dead letters differ: {sum(want.letters.values())} expected, "
            f"{sum(got.letters.values())} in the topic"
        )
        lines += [f"  missing {n}x {kind}: {reason}" for (kind, reason), n in missing.items()]
        lines += [f"  extra {n}x {kind}: {reason}" for (kind, reason), n in extra.items()]
    twice = {src: n for src, n in got.letter_offsets.items() if n > 1}
    if twice:
        lines.append(
            f"{len(twice)} input messages were dead-lettered more than once (topic, partition, "
            f"offset: letters): {dict(list(twice.items())[:SHOW])}"
        )
    return lines[: 4 * SHOW]


def without_live_gaps(want: Outcome, got: Points) -> Points:
    """``got``'s exception points less the closed live gaps ``want`` allows."""
    wanted = {dict(tags).get("exception_id") for tags, _ in want.points.get(EXCEPTIONS, {})}

    def allowed(tags: Tags, fields: Mapping[str, Any]) -> bool:
        eid = dict(tags).get("exception_id")
        return eid in want.live_gaps and eid not in wanted and fields.get("status") == "CLOSED"

    return {key: fields for key, fields in got.items() if not allowed(key[0], fields)}


def differences(want: Outcome, got: Outcome) -> list[str]:
    """What differs between the expected and the observed outcome, one line each (a
    closed TELEMETRY_GAP of ``want.live_gaps`` is none)."""
    if EXCEPTIONS in got.points:
        got = replace(
            got, points={**got.points, EXCEPTIONS: without_live_gaps(want, got.points[EXCEPTIONS])}
        )
    return [
        *point_differences(want.points, got.points),
        *status_differences(want.status, got.status),
        *letter_differences(want, got),
    ]
