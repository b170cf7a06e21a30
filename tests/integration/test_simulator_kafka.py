"""The simulator through the real Kafka: deterministic, faithful to record and replay, and on
the plan's pace month by month."""

from __future__ import annotations

import calendar
from collections import defaultdict
from datetime import date
from pathlib import Path

from entrypoints.cli import main
from lugang.contract import InvalidEvent, parse_event
from lugang.reference import default_reference
from producers.records import Record, read_recording
from streams.domain.counts import fact_of


def per_key(records: list[Record]) -> dict[tuple[str, str | None], list[Record]]:
    """Records grouped by (topic, key), each group in order: what Kafka must preserve."""
    groups: dict[tuple[str, str | None], list[Record]] = defaultdict(list)
    for record in records:
        groups[record.topic, record.key].append(record)
    return dict(groups)


def valid(records: list[Record]) -> list[Record]:
    kept = []
    for record in records:
        try:
            parse_event(record.topic, record.value)
        except InvalidEvent:
            continue
        kept.append(record)
    return kept


def test_simulate_record_replay_record_gives_identical_records(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    first, second = f"{tmp_path.name}-a.", f"{tmp_path.name}-b."
    window = ["--start", "2026-03-15", "--end", "2026-03-16", "--seed", "11"]
    kafka = ["--bootstrap", kafka_bootstrap]
    expected = tmp_path / "expected.jsonl"

    assert main(["simulate", *window, "--out", str(expected)]) == 0
    assert main(["simulate", *window, *kafka, "--topic-prefix", first]) == 0
    assert (
        main(["record", "--out", str(tmp_path / "r1.jsonl"), *kafka, "--topic-prefix", first]) == 0
    )
    assert main(["replay", str(tmp_path / "r1.jsonl"), *kafka, "--topic-prefix", second]) == 0
    assert (
        main(["record", "--out", str(tmp_path / "r2.jsonl"), *kafka, "--topic-prefix", second]) == 0
    )

    simulated = valid(list(read_recording(expected)))
    recorded = list(read_recording(tmp_path / "r1.jsonl"))
    again = list(read_recording(tmp_path / "r2.jsonl"))
    assert len(simulated) > 1000
    assert per_key(recorded) == per_key(simulated)  # deterministic, nothing lost, order kept
    assert per_key(again) == per_key(recorded)


def test_a_simulated_month_through_kafka_is_on_the_plans_pace(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    prefix = f"{tmp_path.name}."
    kafka = ["--bootstrap", kafka_bootstrap, "--topic-prefix", prefix]
    assert main(["simulate", "--start", "2026-04-01", "--end", "2026-04-30", *kafka]) == 0
    assert main(["record", "--out", str(tmp_path / "april.jsonl"), *kafka]) == 0

    reference = default_reference()
    counted: dict[str, tuple[date, str, float]] = {}
    for record in read_recording(tmp_path / "april.jsonl"):
        fact = fact_of(parse_event(record.topic, record.value), reference)
        if fact is not None:
            counted[fact.event_id] = (fact.day, fact.kind, fact.teu)  # duplicates count once
    april = [v for v in counted.values() if v[0].month == 4]
    runs = sum(1 for _, kind, _ in april if kind == "TRAIN_RUN")
    teu = sum(t for _, kind, t in april if kind == "CONTAINER_MOVE")

    share = calendar.monthrange(2026, 4)[1] / 365
    target = reference.target(2026)
    assert abs(runs / (target.trains * share) - 1) <= 0.05, runs
    assert abs(teu / (target.teu_total * share) - 1) <= 0.05, teu
