"""The cold-chain state machine: tables of readings and the decisions they must produce."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from lugang.contract import ColdChainException, ReeferReading
from lugang.reference import default_reference
from streams.domain.coldchain import (
    Close,
    ContainerState,
    Decision,
    Excursion,
    Open,
    Opened,
    band_deviation,
    check_silence,
    open_exceptions,
    step,
    with_context,
)

CST = timezone(timedelta(hours=8))
T0 = datetime(2026, 3, 15, 8, 0, tzinfo=CST)
BOX = "MSKU9070323"
REFERENCE = default_reference()
RULES = REFERENCE.exception_rules
PROFILES = REFERENCE.commodities


def at(minute: int) -> datetime:
    return T0 + timedelta(minutes=minute)


def reading(
    minute: int,
    supply_c: float,
    *,
    power_on: bool = True,
    setpoint_c: float | None = None,
    commodity: str | None = "citrus",
) -> ReeferReading:
    """A reading ``minute`` minutes after T0; the setpoint defaults to one inside the band
    of ``commodity`` (citrus when it has none)."""
    if setpoint_c is None:
        setpoint_c = PROFILES[commodity or "citrus"].band_high_c - 1.0
    return ReeferReading(
        event_id=f"r{minute}",
        equipment_reference=BOX,
        reading_time=at(minute),
        setpoint_c=setpoint_c,
        supply_air_c=supply_c,
        power_on=power_on,
        commodity=commodity,
        corridor="HHW-QZH",
    )


def series(
    first: int,
    last: int,
    supply_c: float,
    *,
    power_on: bool = True,
    commodity: str | None = "citrus",
) -> list[ReeferReading]:
    """Readings every 5 minutes from minute ``first`` to ``last``, both included."""
    return [
        reading(minute, supply_c, power_on=power_on, commodity=commodity)
        for minute in range(first, last + 1, 5)
    ]


Row = tuple[int, str, str, int, int | None, float | None]
"""A decision as (minute of the reading, Open/Close, kind, start, end, peak deviation)."""


def minutes(moment: datetime) -> int:
    return (moment - T0) // timedelta(minutes=1)


def row(moment: datetime, decision: Decision) -> Row:
    exception = decision.exception
    ended = None if exception.ended_at is None else minutes(exception.ended_at)
    peak = exception.peak_deviation_c
    return (
        minutes(moment),
        type(decision).__name__,
        exception.kind,
        minutes(exception.started_at),
        ended,
        None if peak is None else round(peak, 6),
    )


def feed(
    readings: Iterable[ReeferReading], state: ContainerState | None = None
) -> tuple[ContainerState, list[Row]]:
    state = state or ContainerState(BOX)
    rows: list[Row] = []
    for item in readings:
        state, decisions = step(state, item, RULES, PROFILES)
        rows.extend(row(item.reading_time, decision) for decision in decisions)
    return state, rows


CASES = {
    "a 29-minute excursion opens nothing": (
        [*series(0, 25, 10.0), *series(29, 49, 6.0)],
        [],
    ),
    "out of band 0-25 and in band at 30 is a 30-minute excursion (sample and hold)": (
        [*series(0, 25, 10.0), *series(30, 40, 6.0)],
        [(30, "Open", "HIGH", 0, None, 1.0), (40, "Close", "HIGH", 0, 30, 1.0)],
    ),
    "across the band at 30 after 0-25 out of band is a 30-minute excursion too": (
        [*series(0, 25, 3.0, commodity="kiwifruit"), reading(30, -2.0, commodity="kiwifruit")],
        [(30, "Open", "HIGH", 0, None, 1.0), (30, "Close", "HIGH", 0, 30, 1.0)],
    ),
    "a 30-minute excursion opens HIGH, and 10 minutes back in band close it": (
        [*series(0, 25, 10.0), reading(30, 11.5), *series(35, 45, 6.0)],
        [(30, "Open", "HIGH", 0, None, 2.5), (45, "Close", "HIGH", 0, 35, 2.5)],
    ),
    "a return shorter than 10 minutes continues the excursion": (
        [*series(0, 30, 10.0), reading(35, 6.0), reading(40, 12.0), *series(45, 55, 6.0)],
        [(30, "Open", "HIGH", 0, None, 1.0), (55, "Close", "HIGH", 0, 45, 3.0)],
    ),
    "a return shorter than 10 minutes does not restart the 30 minutes": (
        [*series(0, 20, 10.0), reading(25, 6.0), reading(30, 10.0)],
        [(30, "Open", "HIGH", 0, None, 1.0)],
    ),
    "10 minutes back in band end the excursion, the next one starts afresh": (
        [*series(0, 20, 10.0), *series(25, 35, 6.0), *series(40, 70, 10.0)],
        [(70, "Open", "HIGH", 40, None, 1.0)],
    ),
    "out of band again only after 10 minutes is a new excursion": (
        [*series(0, 20, 10.0), reading(25, 6.0), *series(35, 65, 10.0)],
        [(65, "Open", "HIGH", 35, None, 1.0)],
    ),
    "frozen goods have no lower bound": (series(0, 60, -40.0, commodity="frozen"), []),
    "frozen goods too warm": (
        [*series(0, 30, -12.0, commodity="frozen"), *series(35, 45, -18.0, commodity="frozen")],
        [(30, "Open", "HIGH", 0, None, 3.0), (45, "Close", "HIGH", 0, 35, 3.0)],
    ),
    "kiwifruit too cold": (
        [*series(0, 30, -2.5, commodity="kiwifruit"), *series(35, 45, 0.0, commodity="kiwifruit")],
        [(30, "Open", "LOW", 0, None, 1.5), (45, "Close", "LOW", 0, 35, 1.5)],
    ),
    "a swing across the band ends the excursion and starts one on the other side": (
        [*series(0, 30, 3.0, commodity="kiwifruit"), *series(35, 65, -2.0, commodity="kiwifruit")],
        [
            (30, "Open", "HIGH", 0, None, 1.0),
            (35, "Close", "HIGH", 0, 35, 1.0),
            (65, "Open", "CUMULATIVE", 65, None, 1.0),
            (65, "Open", "LOW", 35, None, 1.0),
        ],
    ),
    "20-minute excursions add up to CUMULATIVE once over 60 minutes": (
        [
            *series(0, 15, 10.0),
            *series(20, 35, 6.0),
            *series(40, 55, 10.0),
            *series(60, 75, 6.0),
            *series(80, 95, 11.0),
            *series(100, 115, 6.0),
            *series(120, 125, 10.0),
        ],
        [(125, "Open", "CUMULATIVE", 125, None, 2.0)],
    ),
    "power off for 14 minutes opens nothing": (
        [*series(0, 10, 6.0, power_on=False), reading(14, 6.0)],
        [],
    ),
    "off 0-10 and on at 15 is 15 minutes off (sample and hold)": (
        [*series(0, 10, 6.0, power_on=False), reading(15, 6.0)],
        [(15, "Open", "POWER_OFF", 0, None, None), (15, "Close", "POWER_OFF", 0, 15, None)],
    ),
    "power off for 15 minutes opens POWER_OFF until power comes back": (
        [*series(0, 15, 6.0, power_on=False), reading(20, 6.0)],
        [(15, "Open", "POWER_OFF", 0, None, None), (20, "Close", "POWER_OFF", 0, 20, None)],
    ),
    "35 minutes without a reading are a TELEMETRY_GAP": (
        [reading(0, 6.0), reading(5, 6.0), reading(40, 6.0)],
        [
            (40, "Open", "TELEMETRY_GAP", 5, None, None),
            (40, "Close", "TELEMETRY_GAP", 5, 40, None),
        ],
    ),
    "30 minutes without a reading are no gap": ([reading(0, 6.0), reading(30, 6.0)], []),
    "a setpoint outside the band opens SETPOINT_MISMATCH until it is back": (
        [
            reading(0, 6.0),
            reading(5, 6.0, setpoint_c=12.0),
            reading(10, 6.0, setpoint_c=13.0),
            reading(15, 6.0),
        ],
        [
            (5, "Open", "SETPOINT_MISMATCH", 5, None, 3.0),
            (15, "Close", "SETPOINT_MISMATCH", 5, 15, 4.0),
        ],
    ),
}


@pytest.mark.parametrize(("readings", "expected"), CASES.values(), ids=CASES.keys())
def test_decisions(readings: list[ReeferReading], expected: list[Row]) -> None:
    """Each sequence of readings produces exactly the decisions in the table."""
    assert feed(readings)[1] == expected


def test_closed_excursion_in_full() -> None:
    """The closed exception has the stable id, the end, the duration and the peak."""
    state = ContainerState(BOX)
    closes: list[Close] = []
    for item in [*series(0, 25, 10.0), reading(30, 11.5), *series(35, 45, 6.0)]:
        state, decisions = step(state, item, RULES, PROFILES)
        closes.extend(decision for decision in decisions if isinstance(decision, Close))
    assert closes == [
        Close(
            ColdChainException(
                exception_id="MSKU9070323:HIGH:2026-03-15T00:00:00+00:00",
                kind="HIGH",
                equipment_reference=BOX,
                commodity="citrus",
                corridor="HHW-QZH",
                started_at=T0,
                ended_at=at(35),
                peak_deviation_c=2.5,
                duration_s=35 * 60.0,
                status="CLOSED",
            )
        )
    ]
    assert open_exceptions(state) == []


def test_live_silence_check_gives_the_replay_gap() -> None:
    """A timer's check opens the gap the replay opens, with the same id, and the next
    reading closes it the same way on both paths."""
    state, _ = feed([reading(0, 6.0), reading(5, 6.0)])
    assert check_silence(state, at(35), RULES) == (state, [])
    live, opened = check_silence(state, at(36), RULES)
    assert check_silence(live, at(38), RULES) == (live, [])
    [gap] = open_exceptions(live)
    assert opened == [Open(gap)]
    _, live_closed = step(live, reading(40, 6.0), RULES, PROFILES)
    _, replayed = step(state, reading(40, 6.0), RULES, PROFILES)
    assert replayed == [Open(gap), *live_closed]
    [closed] = live_closed
    assert (
        closed.exception.exception_id
        == gap.exception_id
        == "MSKU9070323:TELEMETRY_GAP:2026-03-15T00:05:00+00:00"
    )
    assert closed.exception.duration_s == 35 * 60.0


def test_unknown_commodity_is_judged_once_a_move_supplies_it() -> None:
    """Without a commodity only power and gaps apply; a move's commodity then sets the band."""
    state, rows = feed(series(0, 20, 10.0, power_on=False, commodity=None))
    assert rows == [(15, "Open", "POWER_OFF", 0, None, None)]
    state, decisions = with_context(state, commodity="citrus", corridor="HHW-QZH", train_id="X1")
    assert decisions == []
    state, rows = feed(series(25, 55, 10.0, commodity=None), state)
    assert rows == [(25, "Close", "POWER_OFF", 0, 25, None), (55, "Open", "HIGH", 25, None, 1.0)]
    [high] = open_exceptions(state)
    assert (high.commodity, high.corridor) == ("citrus", "HHW-QZH")


@pytest.mark.parametrize(
    ("commodity", "expected"),
    [("frozen", []), (None, [(30, "Open", "LOW", 0, None, 21.0)])],
)
def test_a_readings_own_commodity_comes_before_the_moves(
    commodity: str | None, expected: list[Row]
) -> None:
    """-18 °C is fine for frozen goods on the reading, too cold for the citrus of the move."""
    state, _ = with_context(
        ContainerState(BOX), commodity="citrus", corridor="HHW-QZH", train_id="X1"
    )
    readings = [reading(minute, -18.0, commodity=commodity) for minute in range(0, 31, 5)]
    assert feed(readings, state)[1] == expected


def _cumulative_trip() -> list[ReeferReading]:
    """Out of band 20 + 20 + 20 + 25 minutes: CUMULATIVE opens at 125."""
    return [
        *series(0, 15, 10.0),
        *series(20, 35, 6.0),
        *series(40, 55, 10.0),
        *series(60, 75, 6.0),
        *series(80, 95, 11.0),
        *series(100, 115, 6.0),
        *series(120, 140, 10.0),
    ]


def test_a_trip_is_dwell_and_journey_together() -> None:
    """Out of band 50 minutes at the port and 25 on the train is one trip's 75 minutes: a
    move onto a train starts no trip (domain §4, watch and trip)."""
    dwell = [*series(0, 45, 10.0), *series(50, 60, 6.0)]  # 50 minutes out of band
    journey = [*series(65, 85, 10.0), *series(90, 100, 6.0)]  # 25 more
    state, _ = with_context(
        ContainerState(BOX), commodity="citrus", corridor="HHW-QZH", train_id=None, at=at(-5)
    )
    state, rows = feed(dwell, state)
    state, _ = with_context(state, commodity="citrus", corridor="HHW-QZH", train_id="X1", at=at(62))
    state, more = feed(journey, state)
    assert [r[1:3] for r in rows + more if r[2] == "CUMULATIVE"] == [("Open", "CUMULATIVE")]


def test_leaving_watch_closes_every_open_exception_and_ends_the_trip() -> None:
    """Gate out closes the open HIGH and CUMULATIVE at the move's time; the next trip
    counts from zero, and no gap is judged across the absence."""
    trip = [*_cumulative_trip(), reading(145, 10.0), reading(150, 10.0, setpoint_c=12.0)]
    state, rows = feed(trip)
    assert {r[2] for r in rows if r[1] == "Open"} == {"CUMULATIVE", "HIGH", "SETPOINT_MISMATCH"}
    state, decisions = with_context(
        state, commodity="citrus", corridor="HHW-QZH", train_id=None, at=at(155), leaves=True
    )
    assert sorted(row(at(155), d) for d in decisions) == [
        (155, "Close", "CUMULATIVE", 125, 155, 2.0),
        (155, "Close", "HIGH", 120, 155, 1.0),
        (155, "Close", "SETPOINT_MISMATCH", 150, 155, 3.0),
    ]
    assert open_exceptions(state) == [] and not state.watching
    # Readings of the ended trip change nothing; three days later a new trip starts afresh.
    assert step(state, reading(154, 20.0), RULES, PROFILES) == (state, [])
    back = 3 * 24 * 60
    assert feed(series(back, back + 25, 10.0), state)[1] == []


def test_a_silent_unit_is_no_gap_once_it_has_left() -> None:
    state, _ = feed([reading(0, 6.0), reading(5, 6.0)])
    assert check_silence(state, at(60), RULES)[1] != []
    left, closed = with_context(
        state, commodity="citrus", corridor="HHW-QZH", train_id=None, at=at(10), leaves=True
    )
    assert closed == []
    assert check_silence(left, at(60), RULES) == (left, [])


@pytest.mark.parametrize("minute", [10, 5])
def test_a_reading_not_after_the_last_is_ignored(minute: int) -> None:
    """Late or repeated readings change nothing (the agent dead-letters them)."""
    state, _ = feed([reading(0, 6.0), reading(10, 6.0)])
    assert step(state, reading(minute, 20.0, power_on=False), RULES, PROFILES) == (state, [])


def test_state_json_round_trip() -> None:
    """A busy state survives JSON intact and compact; times without an offset are refused."""
    readings = [
        *series(0, 30, 10.0),
        reading(35, 6.0, setpoint_c=12.0, power_on=False),
    ]
    state, _ = with_context(
        ContainerState(BOX), commodity="citrus", corridor="HHW-QZH", train_id="X1"
    )
    state, _ = feed(readings, state)
    state, _ = check_silence(state, at(80), RULES)
    assert state.excursion is not None
    assert state.power_off_since is not None
    assert len(state.opened) == 3
    data = state.to_json()
    assert ContainerState.from_json(data) == state
    assert ContainerState.from_json(data).to_json() == data
    assert len(data) < 1024
    with pytest.raises(ValidationError, match="timezone"):
        ContainerState.from_json(data.replace(b"+08:00", b"", 1))


@given(
    st.sampled_from(sorted(PROFILES)),
    st.floats(min_value=-40, max_value=40, allow_nan=False),
)
def test_band_deviation_agrees_with_the_profile(commodity: str, temperature_c: float) -> None:
    """A temperature has a side exactly when the profile calls it out of band."""
    profile = PROFILES[commodity]
    side, deviation = band_deviation(profile, temperature_c)
    assert (side is None) == profile.in_band(temperature_c)
    assert (deviation > 0) == (side is not None)


# --- Properties over generated timelines of readings, moves and silence checks. ---


@dataclass(frozen=True)
class Move:
    commodity: str | None
    corridor: str | None
    train_id: str | None


@dataclass(frozen=True)
class Check:
    now: datetime


Event = ReeferReading | Move | Check


def apply(state: ContainerState, event: Event) -> tuple[ContainerState, list[Decision]]:
    if isinstance(event, ReeferReading):
        return step(state, event, RULES, PROFILES)
    if isinstance(event, Move):
        return with_context(
            state, commodity=event.commodity, corridor=event.corridor, train_id=event.train_id
        )
    return check_silence(state, event.now, RULES)


def run(
    events: Sequence[Event], state: ContainerState | None = None
) -> tuple[ContainerState, list[Decision]]:
    state = state or ContainerState(BOX)
    decisions = []
    for event in events:
        state, taken = apply(state, event)
        decisions.extend(taken)
    return state, decisions


@st.composite
def timelines(draw: st.DrawFn) -> list[Event]:
    """Readings at irregular times (repeats and long silences included) with temperatures
    on both sides of the citrus, kiwifruit and frozen bands, moves and silence checks."""
    clock = T0
    events: list[Event] = []
    for choice in draw(st.lists(st.integers(0, 9), max_size=80)):
        clock += timedelta(minutes=draw(st.sampled_from([0, 1, 5, 5, 5, 10, 29, 31, 45])))
        if choice == 0:
            events.append(
                Move(
                    draw(st.sampled_from([None, "citrus", "frozen", "kiwifruit"])),
                    draw(st.sampled_from([None, "HHW-QZH", "HHW-VTE"])),
                    draw(st.sampled_from([None, "X1", "X2"])),
                )
            )
        elif choice == 1:
            events.append(Check(clock))
        else:
            events.append(
                ReeferReading(
                    event_id=f"r{len(events)}",
                    equipment_reference=BOX,
                    reading_time=clock,
                    setpoint_c=draw(st.sampled_from([0.0, 6.0, 6.0, -18.0])),
                    supply_air_c=draw(st.sampled_from([-20.0, -2.5, 0.5, 6.0, 6.0, 9.5, 14.0])),
                    power_on=draw(st.sampled_from([True, True, True, False])),
                    commodity=draw(st.sampled_from([None, None, "citrus", "kiwifruit"])),
                    corridor=draw(st.sampled_from([None, "HHW-QZH"])),
                )
            )
    return events


CHANGED_ON_CLOSE = {"ended_at", "duration_s", "peak_deviation_c", "status"}


@settings(deadline=None)
@given(timelines())
def test_every_exception_opens_once_and_closes_at_most_once(events: list[Event]) -> None:
    """No id opens twice, every Close matches an earlier Open, exceptions are valid, and
    what is left open is what the state reports as open."""
    state, decisions = run(events)
    opened: dict[str, ColdChainException] = {}
    closed: set[str] = set()
    for decision in decisions:
        exception = decision.exception
        ColdChainException.model_validate(exception.model_dump())
        key = exception.exception_id
        if isinstance(decision, Open):
            assert key not in opened
            opened[key] = exception
            continue
        assert key in opened
        assert key not in closed
        closed.add(key)
        assert exception.ended_at is not None
        assert exception.duration_s == (exception.ended_at - exception.started_at).total_seconds()
        assert exception.model_dump(exclude=CHANGED_ON_CLOSE) == opened[key].model_dump(
            exclude=CHANGED_ON_CLOSE
        )
    still_open = [exception.exception_id for exception in open_exceptions(state)]
    assert sorted(still_open) == sorted(set(opened) - closed)
    assert len({exception.kind for exception in open_exceptions(state)}) == len(still_open)


@settings(deadline=None)
@given(timelines(), st.data())
def test_replays_and_restores_are_exact(events: list[Event], data: st.DataObject) -> None:
    """Replaying gives the same decisions, and so does stopping anywhere, storing the
    state as JSON, restoring it and going on: crash recovery is exact."""
    state, decisions = run(events)
    assert run(events) == (state, decisions)
    split = data.draw(st.integers(0, len(events)))
    middle, first = run(events[:split])
    restored = ContainerState.from_json(middle.to_json())
    assert restored == middle
    assert run(events[split:], restored) == (state, decisions[len(first) :])


@settings(deadline=None)
@given(timelines())
def test_silence_checks_change_only_when_gaps_open(events: list[Event]) -> None:
    """Without the live checks the same exceptions close, identically; the checks only
    open gaps earlier (or ones the data has not yet ended)."""
    _, live = run(events)
    _, replay = run([event for event in events if not isinstance(event, Check)])
    assert [d for d in live if isinstance(d, Close)] == [d for d in replay if isinstance(d, Close)]
    live_ids = {d.exception.exception_id for d in live if isinstance(d, Open)}
    assert {d.exception.exception_id for d in replay if isinstance(d, Open)} <= live_ids


def test_a_move_keeps_every_part_of_the_state_it_does_not_set() -> None:
    """A move sets the context and the watch, and nothing else of the state (a field it
    reset would be lost at every move)."""
    at = T0
    state = ContainerState(
        equipment_reference="MSKU9070323",
        commodity="citrus",
        corridor="HHW-QZH",
        train_id="X9001",
        boarded_at=at,
        watching=True,
        reported=True,
        left_at=at - timedelta(days=3),
        last_reading_at=at + timedelta(hours=1),
        last_commodity="citrus",
        last_corridor="HHW-QZH",
        excursion=Excursion("HIGH", at, 3.0),
        power_off_since=at,
        trip_out_of_band_s=60.0,
        trip_peak_deviation_c=3.0,
        opened=(Opened("HIGH", at, "citrus", "HHW-QZH", 3.0),),
    )
    moved, decisions = with_context(
        state, commodity="durian", corridor="HHW-HAN", train_id="X9002", at=at + timedelta(hours=2)
    )
    expected = replace(
        state,
        commodity="durian",
        corridor="HHW-HAN",
        train_id="X9002",
        boarded_at=at + timedelta(hours=2),
    )
    assert (moved, decisions) == (expected, [])
