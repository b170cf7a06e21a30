"""A container's track judges readings in event-time order whatever order they arrive in
(within the allowed lateness), emits each decision once, and survives a JSON round trip."""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from lugang.contract import ContainerEvent, ReeferReading, parse_event
from lugang.reference import default_reference
from producers.records import read_recording
from streams.domain.coldchain import Decision
from streams.domain.items import Judged, Move
from streams.domain.offsets import Applied
from streams.domain.reefer import (
    Outcome,
    ReeferTrack,
    Verdict,
    flush,
    move,
    observe,
    settle,
)
from streams.state import NOTHING_KNOWN, MovesKnown

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
    outcome = move(
        ReeferTrack.new(stream[0].equipment_reference),
        loaded,
        LATENESS,
        REF.exception_rules,
        REF.commodities,
    )
    track, made = outcome.track, outcome.decisions
    verdicts: list[Verdict] = []
    for reading in stream:
        outcome = observe(track, reading, LATENESS, REF.exception_rules, REF.commodities)
        track = outcome.track
        if round_trip:
            track = ReeferTrack.from_json(track.to_json())
        made += outcome.decisions
        verdicts.append(outcome.verdict)
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
                outcome = move(track, item, LATENESS, REF.exception_rules, REF.commodities)
            else:
                outcome = observe(track, item, LATENESS, REF.exception_rules, REF.commodities)
            track = outcome.track
            made += outcome.decisions
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


def test_a_message_read_again_after_later_ones_is_applied_once() -> None:
    # faust handed over 149 and dropped 148 (issue 10): 148 is not applied, whatever later
    # offsets the track has seen, and once applied it is.
    track = ReeferTrack.new("x").at_offset("reefer", 147).at_offset("reefer", 149)
    assert [track.seen("reefer", o) for o in (147, 148, 149, 150)] == [True, False, True, False]
    track = track.at_offset("reefer", 148)
    assert track.seen("reefer", 148)
    assert not track.seen("containers", 148)  # each topic its own offsets


def test_offsets_under_the_committed_offset_are_forgotten_and_count_as_applied() -> None:
    track = ReeferTrack.new("x")
    for offset in (3, 5, 9):
        track = track.at_offset("reefer", offset)
    track = track.at_offset("reefer", 12, committed=9)
    assert track.offsets["reefer"] == Applied(9, (9, 12))
    assert track.seen("reefer", 4)  # under the commit: Kafka hands it out no more
    assert not track.seen("reefer", 10)
    assert ReeferTrack.from_json(track.to_json()) == track


def test_a_track_written_with_a_high_water_mark_reads_as_every_offset_up_to_it() -> None:
    raw = orjson.loads(ReeferTrack.new("x").to_json())
    raw["offsets"] = {"reefer": 149}
    track = ReeferTrack.from_json(orjson.dumps(raw))
    assert track.seen("reefer", 149) and not track.seen("reefer", 150)


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


# --- Moves read after the readings they precede (issue 10: order-independent cold chain). ---

PHARMA_BOX = "MSKU9070323"
TRIP = datetime(2026, 3, 16, 0, 0, tzinfo=UTC)


@dataclass
class Fed:
    """A track fed items one at a time, with the decisions and reading points it gave."""

    track: ReeferTrack = field(default_factory=lambda: ReeferTrack.new(PHARMA_BOX))
    decisions: list[Decision] = field(default_factory=list)
    points: list[Judged] = field(default_factory=list)
    verdicts: list[Verdict] = field(default_factory=list)

    def take(self, outcome: Outcome) -> None:
        self.track = outcome.track
        self.decisions += outcome.decisions
        self.points += outcome.readings

    def item(self, item: Move | ReeferReading, known: datetime | None) -> None:
        rules, profiles = REF.exception_rules, REF.commodities
        if isinstance(item, Move):
            self.take(move(self.track, item, LATENESS, rules, profiles, known=known))
        else:
            outcome = observe(self.track, item, LATENESS, rules, profiles, known=known)
            self.take(outcome)
            self.verdicts.append(outcome.verdict)

    def finish(self) -> None:
        """Every move read (known: None), then silent: everything settles."""
        rules, profiles = REF.exception_rules, REF.commodities
        self.take(settle(self.track, LATENESS, rules, profiles))
        self.take(flush(self.track, rules, profiles))

    def exceptions(self) -> list[tuple[str, str, str, str | None, float | None, str | None]]:
        """Each decision: kind of decision, id, start, end, peak and commodity."""
        return [
            (
                type(d).__name__,
                d.exception.exception_id,
                d.exception.started_at.isoformat(),
                None if d.exception.ended_at is None else d.exception.ended_at.isoformat(),
                d.exception.peak_deviation_c,
                d.exception.commodity,
            )
            for d in self.decisions
        ]

    def pointed(self) -> dict[str, tuple[str | None, str | None]]:
        """Reading event id -> the commodity and corridor of its point (each made once)."""
        ids = [p.reading.event_id for p in self.points]
        assert len(ids) == len(set(ids))
        return {p.reading.event_id: (p.commodity, p.corridor) for p in self.points}


def in_event_order(items: list[Move | ReeferReading]) -> list[Move | ReeferReading]:
    """By event time, a move before a reading at the same time (as a track orders them)."""

    def key(item: Move | ReeferReading) -> tuple[datetime, int]:
        return (item.at, 0) if isinstance(item, Move) else (item.reading_time, 1)

    return sorted(items, key=key)


def pharma_trip() -> tuple[list[Move], list[ReeferReading]]:
    """A pharma reefer (band 2 to 8 °C) whose 144 readings, every 5 min from 00:05 to 12:00,
    name no commodity nor corridor: setpoint and supply air 16 °C until 06:00, then 5 °C.
    Gated in at 00:00, loaded at 01:00, discharged at the far end at 12:10."""
    moves = [
        Move("gate-in", TRIP, "pharma", "HHW-QZH", None),
        Move("load", TRIP + timedelta(hours=1), "pharma", "HHW-QZH", "X9001"),
        Move("disc", TRIP + timedelta(hours=12, minutes=10), None, None, None, leaves=True),
    ]
    stream = [
        ReeferReading(
            event_id=f"p{minute}",
            equipment_reference=PHARMA_BOX,
            reading_time=TRIP + timedelta(minutes=minute),
            setpoint_c=16.0 if minute <= 360 else 5.0,
            supply_air_c=16.0 if minute <= 360 else 5.0,
            power_on=True,
        )
        for minute in range(5, 721, 5)
    ]
    return moves, stream


def test_a_trip_read_readings_first_gives_the_in_order_exceptions_and_points() -> None:
    """Issue 10: after a crash, faust read all 144 readings of a pharma reefer 12 h of
    event time before its gate in and load; they were settled without a commodity, and the
    HIGH and SETPOINT_MISMATCH (16 °C against 2 to 8 °C) were never opened. Held until the
    moves up to their time are known, they are judged as in order."""
    moves, stream = pharma_trip()
    expected = Fed()
    for item in in_event_order([*moves, *stream]):
        expected.item(item, None)
    expected.finish()
    kinds = {(kind, id_.split(":")[1], goods) for kind, id_, *_, goods in expected.exceptions()}
    assert {("Open", "HIGH", "pharma"), ("Open", "SETPOINT_MISMATCH", "pharma")} <= kinds
    assert ("Close", "HIGH", "pharma") in kinds and ("Open", "CUMULATIVE", "pharma") in kinds

    fed = Fed()
    for reading in stream:  # the containers partition not read yet: nothing known
        fed.item(reading, NOTHING_KNOWN)
    assert len(fed.track.recent) == len(stream) == 144
    assert fed.decisions == [] and fed.points == []  # held, not settled without context
    for moved in moves:  # its moves, known up to each minus the lateness
        fed.item(moved, moved.at - LATENESS)
    fed.finish()  # caught up
    assert fed.exceptions() == expected.exceptions()
    assert fed.pointed() == expected.pointed()
    assert set(fed.pointed().values()) == {("pharma", "HHW-QZH")}
    assert "late" not in fed.verdicts

    # Without ``known`` (every move taken as read), the incident: no exception at all.
    blind, readings_first = Fed(), list[Move | ReeferReading]([*stream, *moves])
    for item in readings_first:
        blind.item(item, None)
    blind.finish()
    assert not any(kind == "Open" for kind, *_ in blind.exceptions())


@st.composite
def trips_and_interleavings(
    draw: st.DrawFn,
) -> tuple[list[Move], list[ReeferReading], list[bool]]:
    """A container's readings (some naming their commodity or corridor, most not) and its
    moves (gate in, train moves, leaves, at times that may equal a reading's), each topic in
    its own order, and an interleaving of the two (True: the next move is read)."""
    readings, minute = [], 0
    for n in range(draw(st.integers(1, 40))):
        minute += draw(st.sampled_from([1, 5, 5, 5, 9, 31]))
        readings.append(
            ReeferReading(
                event_id=f"r{n}",
                equipment_reference=PHARMA_BOX,
                reading_time=TRIP + timedelta(minutes=minute),
                setpoint_c=draw(st.sampled_from([5.0, 5.0, 16.0])),
                supply_air_c=draw(st.sampled_from([1.0, 5.0, 5.0, 9.0, 16.0])),
                power_on=draw(st.sampled_from([True, True, True, False])),
                commodity=draw(st.sampled_from([None, None, None, "pharma", "citrus"])),
                corridor=draw(st.sampled_from([None, None, "HHW-QZH"])),
            )
        )
    times = sorted(draw(st.lists(st.integers(-10, minute + 10), min_size=1, max_size=5)))
    moves = [
        Move(
            f"m{n}",
            TRIP + timedelta(minutes=at),
            draw(st.sampled_from(["pharma", "pharma", "citrus", None])),
            draw(st.sampled_from(["HHW-QZH", "HHW-VTE", None])),
            draw(st.sampled_from(["X9001", "X9002", None])),
            leaves=n > 0 and draw(st.booleans()),
        )
        for n, at in enumerate(times)
    ]
    order = draw(st.permutations([True] * len(moves) + [False] * len(readings)))
    return moves, readings, list(order)


@settings(deadline=None, max_examples=300)
@given(trips_and_interleavings())
def test_any_interleaving_of_moves_and_readings_gives_the_in_order_decisions_and_points(
    case: tuple[list[Move], list[ReeferReading], list[bool]],
) -> None:
    """``known`` follows the moves read: nothing before the first, the newest minus the
    lateness after each, None (no cap) once all are read."""
    moves, stream, order = case
    expected = Fed()
    for item in in_event_order([*moves, *stream]):
        expected.item(item, None)
    expected.finish()

    fed, next_move, next_reading = Fed(), 0, 0
    known: datetime | None = NOTHING_KNOWN
    for is_move in order:
        if is_move:
            moved = moves[next_move]
            next_move += 1
            known = None if next_move == len(moves) else moved.at - LATENESS
            fed.item(moved, known)
        else:
            fed.item(stream[next_reading], known)
            next_reading += 1
    fed.finish()
    assert fed.exceptions() == expected.exceptions()
    assert fed.pointed() == expected.pointed()
    assert len(fed.pointed()) == len(stream)
    assert fed.verdicts == expected.verdicts


def test_moves_known_follows_the_containers_partitions_read() -> None:
    """Without a highwater every partition is caught up (no cap); behind, moves are known
    up to the newest read minus the lateness, or not at all; a dead-lettered message counts
    as read; the committed offset tells a partition read to its end before a restart."""
    assert MovesKnown().until(0) is None
    highwater: dict[int, int | None] = {0: 5, 1: None, 2: 4}
    committed = {2: 4}
    known = MovesKnown(
        timedelta(minutes=10), highwater=highwater.get, committed=lambda p: committed.get(p)
    )
    assert known.until(0) == NOTHING_KNOWN
    known.read(0, 2, TRIP)
    known.read(0, 3, TRIP - timedelta(hours=1))  # out of order: the newest stays
    assert known.until(0) == TRIP - timedelta(minutes=10)
    known.read(0, 4)  # dead-lettered: read, no time
    assert known.until(0) is None
    assert known.until(1) == NOTHING_KNOWN  # no highwater known yet: behind
    assert known.until(2) is None  # nothing read since the restart, committed at its end


def test_moves_known_forgets_a_partition_taken_away() -> None:
    """What a worker read of a partition before a rebalance took it away says nothing of
    what it will hold when it gets it back (CI, two workers, one SIGKILLed: the survivor
    took its own old reads for caught up and settled readings before their load): from
    then on only the committed offset and what it reads again count."""
    highwater = {0: 10}
    committed = {0: 4}
    known = MovesKnown(
        timedelta(minutes=10), highwater=highwater.get, committed=lambda p: committed.get(p)
    )
    for offset in range(10):
        known.read(0, offset, TRIP)
    assert known.until(0) is None  # read to its end
    known.forget([0])  # taken away; the other worker committed 4 and died
    assert known.until(0) == NOTHING_KNOWN  # offsets 4..9 are to be read again
    known.read(0, 4, TRIP - timedelta(hours=2))
    assert known.until(0) == TRIP - timedelta(hours=2, minutes=10)
    known.forget([1])  # another partition: nothing changes here
    assert known.until(0) == TRIP - timedelta(hours=2, minutes=10)
