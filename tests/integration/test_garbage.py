"""No input can kill an agent (issue 10 #4), as a property on the real servers.

Hypothesis makes garbage — arbitrary bytes, arbitrary JSON, events with extreme values
(huge and negative numbers, years 1 and 9999 at the extreme UTC offsets, empty strings,
missing and unknown fields), events without a key or keyed by another entity, 900 kB
values of control characters or random bytes — and produces it straight to the input
topics with kafka-python (past Lugang's producers and their validation), between valid
trains, container loads and readings. One worker reads it all. Then:

- every valid event is counted: ``/status`` and every point the agents write equal the
  in-process oracle of the valid events alone;
- every invalid message has exactly one dead letter, with a reason, at its topic,
  partition and offset; the valid ones have only the dead letters the oracle gives them;
- every dead letter fits the broker's maximum message size;
- no agent died: ``/health`` answers 200 and the worker process runs.

Whether a message is valid is decided with the worker's own rules (the contract, the key,
the plausible time window), so a mutation that happens to stay valid is counted as valid.
"""

from __future__ import annotations

import json
import os
import random
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import requests
from hypothesis import HealthCheck, Phase, example, given, seed, settings
from hypothesis import strategies as st
from kafka import KafkaProducer
from stdnum import iso6346

from dashboards import influx_reader
from lugang.contract import DeadLetter, parse_event
from lugang.topics import TopicNames, ensure_topics
from producers.records import Record, write_recording
from streams.agents.intake import TimeWindow, key_problem
from tests.integration.kafka_read import read_topic
from tests.integration.outcome import (
    REF,
    Outcome,
    observe,
    oracle,
    point_differences,
    status_differences,
)
from tests.integration.workers import Worker, WorkerConfig

EXAMPLES = int(os.environ.get("LUGANG_TEST_GARBAGE_EXAMPLES", "100"))
SEED = int(os.environ.get("LUGANG_TEST_GARBAGE_SEED", "10"))
BROKER_MAX_MESSAGE_BYTES = 1_048_588
"""Kafka's default ``message.max.bytes``, which deploy/local/start-kafka.sh keeps."""
BIG = 900_000
SETTLE_S = 90.0
STABLE_S = 15.0

DAY = datetime(2026, 3, 20, 8, 0, tzinfo=UTC)


def container_number(owner: str, serial: int) -> str:
    number = f"{owner}{serial:06d}"
    return number + iso6346.calc_check_digit(number)


# -- the valid events that flow meanwhile -----------------------------------------------------

REEFER = container_number("GVRU", 1)


def valid_events(n: int) -> list[tuple[str, str, dict[str, Any]]]:
    """The n-th example's valid events: a train departure, a container load onto it, a
    reading of a reefer (topic, key, value)."""
    at = DAY + timedelta(minutes=5 * n)
    train, box = f"G{n:04d}", container_number("GVLU", n)
    departure = {
        "event_id": f"g-dep-{n}", "event_type": "DEPA", "train_id": train,
        "corridor": "HHW-QZH", "location": "HHW", "direction": "OUTBOUND",
        "event_time": at.isoformat(), "wagons": 40,
    }  # fmt: skip
    load = {
        "event_id": f"g-load-{n}", "event_type": "LOAD", "equipment_reference": box,
        "iso_equipment_code": "22G1" if n % 2 else "45G1", "empty_indicator": "LADEN",
        "train_id": train, "corridor": "HHW-QZH", "direction": "OUTBOUND", "location": "HHW",
        "event_time": (at - timedelta(minutes=1)).isoformat(), "gross_weight_kg": 18000.0,
    }  # fmt: skip
    reading = {
        "event_id": f"g-read-{n}", "equipment_reference": REEFER,
        "reading_time": at.isoformat(), "setpoint_c": 6.0, "supply_air_c": 6.2,
        "power_on": True, "commodity": "citrus", "corridor": "HHW-QZH",
    }  # fmt: skip
    return [("trains", train, departure), ("containers", box, load), ("reefer", REEFER, reading)]


# -- garbage ------------------------------------------------------------------------------------

TEMPLATES: dict[str, dict[str, Any]] = {
    "trains": {
        "event_id": "gx-dep", "event_type": "DEPA", "train_id": "GX1", "corridor": "HHW-QZH",
        "location": "HHW", "direction": "OUTBOUND", "event_time": "2026-03-20T10:00:00+08:00",
        "wagons": 40,
    },
    "containers": {
        "event_id": "gx-load", "event_type": "LOAD",
        "equipment_reference": container_number("GXLU", 7), "iso_equipment_code": "45R1",
        "empty_indicator": "LADEN", "train_id": "GX1", "corridor": "HHW-QZH",
        "direction": "OUTBOUND", "location": "HHW", "event_time": "2026-03-20T09:50:00+08:00",
        "commodity": "pharma", "gross_weight_kg": 20000.0,
    },
    "reefer": {
        "event_id": "gx-read", "equipment_reference": container_number("GXRU", 9),
        "reading_time": "2026-03-20T10:00:00+08:00", "setpoint_c": 5.0, "supply_air_c": 16.0,
        "power_on": True, "commodity": "pharma",
    },
}  # fmt: skip
"""Valid events (of entities outside the valid stream) that garbage is made from."""
TIME_FIELD = {"trains": "event_time", "containers": "event_time", "reefer": "reading_time"}
KEY_FIELD = {
    "trains": "train_id",
    "containers": "equipment_reference",
    "reefer": "equipment_reference",
}
EXTREME_TIMES = [
    "9999-12-31T23:30:00-08:00", "9999-12-31T23:59:59.999999+00:00",
    "9999-06-01T10:00:00+08:00", "0001-01-01T00:00:00+14:00", "0001-01-01T00:00:00Z",
    "0001-01-01T00:00:00-12:00", "1999-12-31T23:59:59Z", "2100-01-01T00:00:00Z",
    "2026-03-20T10:00:00+23:59", "2026-03-20T10:00:00-23:59", "2026-03-20T10:00:00",
    "9999-12-31T24:00:00Z", "", "yesterday", "2026-02-30T10:00:00Z",
]  # fmt: skip
EXTREME_NUMBERS: list[Any] = [
    10**30, -(10**30), 2**63, -(2**63) - 1, 10**400, 1e308, -1e308, 5e-324, -1, 0, -0.0,
]  # fmt: skip

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=10,
)
kinds = st.sampled_from(sorted(TEMPLATES))


@st.composite
def mutated(draw: st.DrawFn) -> tuple[str, bytes | None, bytes]:
    """A template event with one field made extreme, dropped, emptied, of another type,
    or an unknown field added; keyed by its entity, by nothing or by another entity."""
    kind = draw(kinds)
    event = dict(TEMPLATES[kind])
    name = draw(st.sampled_from(sorted(event)))
    how = draw(st.sampled_from(["number", "time", "drop", "empty", "json", "unknown", "none"]))
    if how == "number":
        event[name] = draw(st.sampled_from(EXTREME_NUMBERS))
    elif how == "time":
        event[TIME_FIELD[kind]] = draw(st.sampled_from(EXTREME_TIMES))
    elif how == "drop":
        del event[name]
    elif how == "empty":
        event[name] = ""
    elif how == "json":
        event[name] = draw(json_values)
    elif how == "unknown":
        event["x_" + draw(st.text(max_size=6))] = draw(json_values)
    key = draw(st.sampled_from([str(TEMPLATES[kind][KEY_FIELD[kind]]), None, "GX2", ""]))
    text = json.dumps(event, allow_nan=True)
    return kind, None if key is None else key.encode(), text.encode()


@st.composite
def keyless(draw: st.DrawFn) -> tuple[str, bytes | None, bytes]:
    """A valid event without a key, or keyed by another container (the reading opens an
    exception: 16 °C pharma)."""
    kind = draw(kinds)
    key = draw(st.sampled_from([None, container_number("GXLU", 8).encode()]))
    return kind, key, json.dumps(TEMPLATES[kind]).encode()


def big_value(which: str, rng: random.Random) -> bytes:
    """900 kB of control characters (raw, or as a JSON string, 6 bytes each escaped) or of
    random bytes."""
    if which == "random":
        return rng.randbytes(BIG)
    control = bytes(rng.choice([*range(0, 9), *range(11, 32), 127]) for _ in range(256))
    value = (control * (BIG // 256))[:BIG]
    if which == "json-control":
        value = json.dumps(value.decode("ascii")).encode()[: BIG - 1] + b'"'
    return value


@st.composite
def big(draw: st.DrawFn) -> tuple[str, bytes | None, bytes]:
    rng = random.Random(draw(st.integers(0, 2**32)))
    which = draw(st.sampled_from(["control", "json-control", "random"]))
    return draw(kinds), draw(st.none() | st.binary(max_size=12)), big_value(which, rng)


def _with(kind: str, **changes: Any) -> bytes:
    return json.dumps({**TEMPLATES[kind], **changes}).encode()


ISSUE_10: list[tuple[str, bytes | None, bytes]] = [
    ("trains", b"GX1", _with("trains", event_time="9999-12-31T23:30:00-08:00")),
    ("trains", b"GX1", _with("trains", event_time="9999-06-01T10:00:00+08:00")),
    ("trains", b"GX1", _with("trains", event_time="0001-01-01T00:00:00+14:00")),
    ("reefer", None, _with("reefer")),  # keyless, 16 °C pharma: it would open an exception
    *((kind, b"GX1", big_value(which, random.Random(1))) for kind, which in [
        ("reefer", "control"), ("containers", "json-control"), ("trains", "random"),
    ]),
]  # fmt: skip
"""The inputs that killed an agent in issue 10 #4, always tried first."""


FIELDS = sorted({name for event in TEMPLATES.values() for name in event})
json_objects = st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=6), json_values)
keys = st.none() | st.binary(max_size=16) | st.sampled_from([b"GX1", b""])


def _json(value: Any) -> bytes:
    return json.dumps(value).encode()


garbage = st.one_of(
    st.tuples(kinds, keys, st.binary(max_size=300)),
    st.tuples(kinds, keys, json_values.map(_json)),
    st.tuples(kinds, keys, json_objects.map(_json)),
    mutated(),
    mutated(),
    keyless(),
    big(),
)


# -- producing, and what was produced ----------------------------------------------------------


@dataclass
class Sent:
    kind: str
    key: bytes | None
    value: bytes
    partition: int
    offset: int
    valid: bool


def is_valid(kind: str, key: bytes | None, value: bytes, window: TimeWindow) -> bool:
    """Whether the worker takes the message as an event (its own rules)."""
    try:
        event = parse_event(kind, value, REF)
    except Exception:  # InvalidEvent, or what the worker dead-letters as internal
        return False
    try:
        return key_problem(key, event) is None and window.problem(event.occurred_at) is None
    except Exception:  # an event time the window cannot compare
        return False


@dataclass
class Feed:
    """Produces straight to the pipeline's input topics and remembers what went where."""

    pipeline: WorkerConfig
    producer: KafkaProducer
    window: TimeWindow = field(default_factory=TimeWindow)
    sent: list[Sent] = field(default_factory=list)
    examples: int = 0

    def send(self, messages: list[tuple[str, bytes | None, bytes]]) -> None:
        futures = [
            (kind, key, value, self.producer.send(self.pipeline.prefix + kind, value, key))
            for kind, key, value in messages
        ]
        self.producer.flush()
        for kind, key, value, future in futures:
            meta = future.get(timeout=30)
            valid = is_valid(kind, key, value, self.window)
            self.sent.append(Sent(kind, key, value, meta.partition, meta.offset, valid))

    def example(self, junk: list[tuple[str, bytes | None, bytes]]) -> None:
        n, self.examples = self.examples, self.examples + 1
        good = [(kind, key.encode(), json.dumps(v).encode()) for kind, key, v in valid_events(n)]
        self.send([*junk[: len(junk) // 2], *good, *junk[len(junk) // 2 :]])

    def valid_recording(self, path: Path) -> Path:
        records = [
            Record(s.kind, None if s.key is None else s.key.decode(), s.value, 0)
            for s in self.sent
            if s.valid
        ]
        with path.open("wb") as out:
            write_recording(records, out)
        return path


# -- the checks ---------------------------------------------------------------------------------


def letter_problems(feed: Feed, expected: Outcome) -> list[str]:
    """One dead letter with a reason for each invalid message, the oracle's for the valid
    ones, each within the broker's size limit."""
    prefix = feed.pipeline.prefix
    by_source: dict[tuple[str, int, int], list[DeadLetter]] = defaultdict(list)
    problems = []
    for _, value in read_topic(feed.pipeline.bootstrap, prefix + "deadletter"):
        if len(value) >= BROKER_MAX_MESSAGE_BYTES:
            problems.append(f"a dead letter of {len(value):,} bytes")
        letter = DeadLetter.model_validate_json(value)
        source = (letter.topic.removeprefix(prefix), letter.partition or 0, letter.offset or 0)
        by_source[source].append(letter)
    sources = {(s.kind, s.partition, s.offset): s for s in feed.sent}
    for source, sent in sources.items():
        letters = by_source.get(source, [])
        if not sent.valid and (len(letters) != 1 or not letters[0].reason.strip()):
            reasons = [letter.reason for letter in letters]
            problems.append(
                f"{sent.kind}[{sent.partition}]@{sent.offset} (key {sent.key!r:.30}, value "
                f"{len(sent.value):,} bytes {sent.value[:60]!r}): {len(letters)} dead letters "
                f"{reasons}, expected one with a reason"
            )
    valid = Counter(
        (letter.topic.removeprefix(prefix), letter.reason)
        for source, letters in by_source.items()
        if source in sources and sources[source].valid
        for letter in letters
    )
    if valid != expected.letters:
        problems.append(
            f"dead letters of valid events {dict(valid)}, oracle {dict(expected.letters)}"
        )
    problems += [
        f"a dead letter of no produced message: {letter.topic}[{letter.partition}]@"
        f"{letter.offset}: {letter.reason[:200]}"
        for source, letters in by_source.items()
        if source not in sources
        for letter in letters
    ]
    return problems


def health_problems(worker: Worker) -> list[str]:
    if worker.process.poll() is not None:
        return [f"the worker exited ({worker.process.returncode}):\n{worker.first_error()}"]
    health = requests.get(f"{worker.url}/health", timeout=5)
    return [] if health.status_code == 200 else [f"/health {health.status_code}: {health.text}"]


def problems_now(feed: Feed, worker: Worker, expected: Outcome) -> list[str]:
    try:
        seen = observe(feed.pipeline, worker, expected)
    except (requests.RequestException, influx_reader.InfluxError, AssertionError) as exc:
        return [f"could not read the outcome: {exc}", *health_problems(worker)]
    return [
        *point_differences(expected.points, seen.points),
        *status_differences(expected.status, seen.status),
        *letter_problems(feed, expected),
        *health_problems(worker),
    ]


def settled(probe: Callable[[], list[str]]) -> list[str]:
    """``probe``'s problems once there are none, or once they stay the same."""
    started = time.monotonic()
    last: list[str] | None = None
    since = started
    while True:
        found = probe()
        now = time.monotonic()
        if not found:
            return []
        if found != last:
            last, since = found, now
        elif now - since >= STABLE_S or now - started >= SETTLE_S:
            return found
        time.sleep(2)


def test_garbage_straight_to_the_topics_kills_nothing_and_loses_nothing(
    pipeline: WorkerConfig, worker: Worker, tmp_path: Path
) -> None:
    names = TopicNames(pipeline.prefix)
    ensure_topics(pipeline.bootstrap, [*names.inputs, names.dead_letter], 4)
    producer = KafkaProducer(
        bootstrap_servers=pipeline.bootstrap, acks="all", linger_ms=5, max_request_size=1_000_000
    )
    feed = Feed(pipeline, producer)

    @seed(SEED)
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(st.lists(garbage, min_size=1, max_size=4))
    @example(ISSUE_10)
    def produce(junk: list[tuple[str, bytes | None, bytes]]) -> None:
        feed.example(junk)

    try:
        produce()
    finally:
        producer.close()
    expected = oracle(feed.valid_recording(tmp_path / "valid.jsonl"))
    invalid = [s for s in feed.sent if not s.valid]
    found = settled(lambda: problems_now(feed, worker, expected))
    summary = (
        f"{feed.examples} examples (LUGANG_TEST_GARBAGE_SEED={SEED}): {len(feed.sent)} messages "
        f"produced, {len(invalid)} invalid ({sum(len(s.value) >= BIG for s in invalid)} of "
        f"900 kB); kinds {dict(Counter(s.kind for s in invalid))}; expected figures "
        f"{ {day: p['year_to_date']['train_runs'] for day, p in expected.status.items()} } runs, "
        f"{sum(len(p) for p in expected.points.values())} points"
    )
    print(summary)
    assert not found, summary + "\n" + "\n".join(found[:40])
