"""A container's track judges readings in event-time order whatever order they arrive in
(within the allowed lateness), emits each decision once, and survives a JSON round trip."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import timedelta
from pathlib import Path

from lugang.contract import ContainerEvent, ReeferReading, parse_event
from lugang.reference import default_reference
from producers.records import read_recording
from streams.domain.reefer import Move, ReeferTrack, Verdict, move, observe

REF = default_reference()
LATENESS = timedelta(minutes=10)
DATA = Path(__file__).resolve().parents[1] / "data"


def readings(name: str) -> dict[str, list[ReeferReading]]:
    by_container: dict[str, list[ReeferReading]] = defaultdict(list)
    for record in read_recording(DATA / name):
        if record.topic == "reefer":
            try:
                event = parse_event("reefer", record.value)
            except ValueError:
                continue
            assert isinstance(event, ReeferReading)
            by_container[event.equipment_reference].append(event)
    return by_container


def run(
    stream: list[ReeferReading], round_trip: bool = False
) -> tuple[list[tuple[str, str]], list[Verdict]]:
    """Decisions and verdicts of a stream, on a train loaded with the stream's commodity."""
    commodity = next((r.commodity for r in stream if r.commodity), "citrus")
    loaded = Move("load", stream[0].reading_time, commodity, "HHW-QZH", "X9001")
    track, made = move(
        ReeferTrack.new(stream[0].equipment_reference),
        loaded,
        LATENESS,
        REF.exception_rules,
        REF.commodities,
    )
    verdicts: list[Verdict] = []
    for reading in stream:
        track, decisions, verdict = observe(
            track, reading, LATENESS, REF.exception_rules, REF.commodities
        )
        if round_trip:
            track = ReeferTrack.from_json(track.to_json())
        made += decisions
        verdicts.append(verdict)
    return [(type(d).__name__, d.exception.exception_id) for d in made], verdicts


def shuffled_within_lateness(stream: list[ReeferReading], seed: int) -> list[ReeferReading]:
    """Every reading twice, each copy moved by up to the lateness, then sorted by that."""
    rng = random.Random(seed)
    copies = [
        (r.reading_time + timedelta(minutes=rng.uniform(0, 9.9)), n, r)
        for n, r in enumerate(stream + stream)
    ]
    return [r for _, _, r in sorted(copies, key=lambda c: (c[0], c[1]))]


def test_shuffled_and_duplicated_readings_give_the_in_order_decisions() -> None:
    for container, stream in readings("coldchain.jsonl").items():
        in_order, _ = run(stream)
        for seed in range(5):
            shuffled, verdicts = run(shuffled_within_lateness(stream, seed))
            assert shuffled == in_order, (container, seed)
            assert "late" not in verdicts
    assert ("Open", "CAIU2000022:HIGH:2026-03-15T00:30:00+00:00") in run(
        readings("coldchain.jsonl")["CAIU2000022"]
    )[0]


def test_a_simulated_week_gives_the_same_decisions_shuffled_and_after_round_trips() -> None:
    decided = 0
    for stream in readings("week.jsonl").values():
        stream = sorted({r.event_id: r for r in stream}.values(), key=lambda r: r.reading_time)
        in_order, _ = run(stream)
        assert run(shuffled_within_lateness(stream, 1), round_trip=True)[0] == in_order
        decided += len(in_order)
    assert decided > 0


def test_a_reading_older_than_the_lateness_is_late() -> None:
    stream = readings("coldchain.jsonl")["TGHU1000018"]
    old = stream[2]
    _, verdicts = run([*stream[:6], old])
    assert verdicts[-1] == "late"
    _, verdicts = run([*stream[:4], stream[3].model_copy(update={"event_id": "again"})])
    assert verdicts[-1] == "duplicate"  # same time, another id


def test_moves_ahead_of_their_readings_give_the_in_order_decisions() -> None:
    """The containers topic may be consumed ahead of the reefer topic: moves that arrive
    before the readings preceding them are applied in their place."""
    moves: dict[str, list[Move]] = defaultdict(list)
    for record in read_recording(DATA / "week.jsonl"):
        if record.topic == "containers":
            try:
                event = parse_event("containers", record.value)
            except ValueError:
                continue
            assert isinstance(event, ContainerEvent)
            moves[event.equipment_reference].append(
                Move(
                    event.event_id,
                    event.event_time,
                    event.commodity,
                    event.corridor,
                    event.train_id,
                )
            )

    def decisions(items: list[Move | ReeferReading]) -> list[tuple[str, str]]:
        track = ReeferTrack.new("x")
        made = []
        for item in items:
            if isinstance(item, Move):
                track, new = move(track, item, LATENESS, REF.exception_rules, REF.commodities)
            else:
                track, new, _ = observe(track, item, LATENESS, REF.exception_rules, REF.commodities)
            made += new
        return [(type(d).__name__, d.exception.exception_id) for d in made]

    compared = 0
    for container, stream in readings("week.jsonl").items():
        stream = sorted({r.event_id: r for r in stream}.values(), key=lambda r: r.reading_time)
        own_moves = sorted(moves[container], key=lambda m: m.at)
        by_time: list[Move | ReeferReading] = sorted(
            [*own_moves, *stream],
            key=lambda i: i.at if isinstance(i, Move) else i.reading_time,
        )
        in_order = decisions(by_time)
        assert decisions([*own_moves, *stream]) == in_order, container
        compared += len(in_order)
    assert compared > 0


def test_a_message_read_again_after_later_ones_keeps_the_offset_seen() -> None:
    track = ReeferTrack.new("x").at_offset("reefer", 149).at_offset("reefer", 148)
    assert track.seen("reefer", 149)
    assert not track.seen("reefer", 150)
