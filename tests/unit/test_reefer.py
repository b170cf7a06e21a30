"""A container's track judges readings in event-time order whatever order they arrive in
(within the allowed lateness), emits each decision once, and survives a JSON round trip."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

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
    shifted = stream[2].reading_time + timedelta(minutes=1)
    old = stream[2].model_copy(update={"event_id": "new", "reading_time": shifted})
    _, verdicts = run([*stream[:6], old])
    assert verdicts[-1] == "late"
    _, verdicts = run([*stream[:6], stream[2]])
    assert verdicts[-1] == "duplicate"  # taken before: a duplicate, however late
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


# --- Out-of-order delivery within the lateness never splits an exception (domain §4). ---


def _reading(
    n: int, minute: float, supply_c: float, setpoint_c: float, power_on: bool
) -> ReeferReading:
    return ReeferReading(
        event_id=f"r{n}",
        equipment_reference="MSKU9070323",
        reading_time=START + timedelta(minutes=minute),
        setpoint_c=setpoint_c,
        supply_air_c=supply_c,
        power_on=power_on,
        commodity="citrus",
        corridor="HHW-QZH",
    )


START = datetime(2026, 3, 15, 8, 0, tzinfo=timezone(timedelta(hours=8)))


@st.composite
def streams_and_deliveries(draw: st.DrawFn) -> tuple[list[ReeferReading], list[ReeferReading]]:
    """Readings at irregular times with temperatures, setpoints and power on both sides of
    the citrus rules, and a delivery order that moves each by less than the lateness."""
    minute = 0.0
    stream = []
    for n in range(draw(st.integers(1, 60))):
        minute += draw(st.sampled_from([1, 4, 5, 5, 5, 6, 9, 31]))
        stream.append(
            _reading(
                n,
                minute,
                draw(st.sampled_from([1.0, 6.0, 6.0, 10.0, 12.0])),
                draw(st.sampled_from([6.0, 6.0, 6.0, 12.0])),
                draw(st.sampled_from([True, True, True, False])),
            )
        )
    delays = [draw(st.floats(0, 9.9)) for _ in stream]
    order = sorted(
        range(len(stream)), key=lambda i: (stream[i].reading_time + timedelta(minutes=delays[i]), i)
    )
    return stream, [stream[i] for i in order]


@settings(deadline=None, max_examples=150)
@given(streams_and_deliveries())
def test_any_delivery_order_within_the_lateness_gives_the_in_order_exceptions(
    case: tuple[list[ReeferReading], list[ReeferReading]],
) -> None:
    in_order, delivered = case
    expected, _ = run(in_order)
    got, verdicts = run(delivered)
    assert "late" not in verdicts
    assert sorted(got) == sorted(expected)


def test_a_late_reading_cannot_move_the_start_of_a_setpoint_mismatch() -> None:
    """Issue 9 #2: the 08:05 reading first, then the 08:00 one (5 minutes late, inside the
    lateness): one SETPOINT_MISMATCH, from 08:00, as in order."""
    bad = [_reading(n, 5 * n, 6.0, 12.0, True) for n in range(0, 6)]
    shuffled = [bad[1], bad[0], *bad[2:]]
    in_order, _ = run(bad)
    assert run(shuffled)[0] == in_order
    assert in_order[-1] == ("Open", "MSKU9070323:SETPOINT_MISMATCH:2026-03-15T00:00:00+00:00")


def test_a_reading_seen_before_is_a_duplicate_however_late() -> None:
    """Issue 9 #7: replaying a recording into a running monitor sent every reading older
    than the lateness to the dead-letter topic as late; a reading taken before, however
    late it comes again, is a duplicate, and only a genuinely new old reading is late."""
    stream = [_reading(n, 5 * n, 6.0, 6.0, True) for n in range(40)]
    _, verdicts = run([*stream, *stream])
    assert verdicts[40:] == ["duplicate"] * 40
    new_but_old = _reading(99, 12, 6.0, 6.0, True)  # minute 12: never taken
    assert run([*stream, new_but_old])[1][-1] == "late"
    assert run([*stream, new_but_old, new_but_old])[1][-2:] == ["late", "duplicate"]
