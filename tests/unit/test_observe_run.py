"""``observe_run`` (a container's readings of a batch taken at once) gives what ``observe``
gives reading by reading: the same track, decisions, verdicts and due points, whatever the
delivery order (in order, shuffled, duplicated, late) and wherever the runs are cut."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from lugang.contract import ReeferReading
from lugang.reference import default_reference
from streams.domain.coldchain import Decision
from streams.domain.items import Move
from streams.domain.reefer import ReeferTrack, move, observe
from streams.domain.run import Taken, observe_run

REF = default_reference()
RULES, PROFILES = REF.exception_rules, REF.commodities
LATENESS = timedelta(minutes=10)
START = datetime(2026, 3, 15, 8, 0, tzinfo=timezone(timedelta(hours=8)))
BOX = "MSKU9070323"


def _reading(n: int, minute: float, supply_c: float, power_on: bool, own: bool) -> ReeferReading:
    return ReeferReading(
        event_id=f"r{n}",
        equipment_reference=BOX,
        reading_time=START + timedelta(minutes=minute),
        setpoint_c=6.0,
        supply_air_c=supply_c,
        power_on=power_on,
        commodity="citrus" if own else None,
        corridor="HHW-QZH" if own else None,
    )


@st.composite
def deliveries(draw: st.DrawFn) -> tuple[list[ReeferReading], list[int], datetime | None]:
    """Readings as delivered (some again, some moved by up to twice the lateness, so some
    are late), where the runs are cut, and the moves' ``known`` time."""
    minute = 0.0
    stream = []
    for n in range(draw(st.integers(1, 50))):
        minute += draw(st.sampled_from([0.5, 1, 5, 5, 5, 9, 31]))
        supply = draw(st.sampled_from([1.0, 6.0, 6.0, 10.0, 12.0]))
        power = draw(st.sampled_from([True, True, True, False]))
        stream.append(_reading(n, minute, supply, power, draw(st.booleans())))
    again = [r for r in stream if draw(st.integers(0, 9)) == 0]
    delays = [draw(st.floats(0, 2 * LATENESS / timedelta(minutes=1))) for _ in stream + again]
    order = sorted(
        range(len(delays)),
        key=lambda i: ((stream + again)[i].reading_time + timedelta(minutes=delays[i]), i),
    )
    delivered = [(stream + again)[i] for i in order]
    cuts = sorted(draw(st.sets(st.integers(1, max(1, len(delivered) - 1)), max_size=6)))
    known = draw(st.sampled_from([None, START + timedelta(minutes=30), START + timedelta(hours=3)]))
    return delivered, cuts, known


def _loaded() -> ReeferTrack:
    loaded = Move("load", START - timedelta(minutes=1), "citrus", "HHW-QZH", "X9001")
    return move(ReeferTrack.new(BOX), loaded, LATENESS, RULES, PROFILES).track


def _ids(decisions: list[Decision]) -> list[tuple[str, str, str]]:
    return [
        (type(d).__name__, d.exception.exception_id, d.exception.model_dump_json())
        for d in decisions
    ]


@settings(deadline=None, max_examples=300)
@given(deliveries())
def test_a_run_gives_what_its_readings_give_one_by_one(
    case: tuple[list[ReeferReading], list[int], datetime | None],
) -> None:
    delivered, cuts, known = case
    one_by_one, decisions, taken = _loaded(), list[Decision](), list[Taken]()
    for reading in delivered:
        outcome = observe(one_by_one, reading, LATENESS, RULES, PROFILES, known=known)
        one_by_one, decisions = outcome.track, decisions + outcome.decisions
        left = outcome.track.settled.left_at if outcome.verdict == "late" else None
        taken.append(Taken(outcome.verdict, outcome.readings, left))

    in_runs, run_decisions, run_taken = _loaded(), list[Decision](), list[Taken]()
    for start, end in zip([0, *cuts], [*cuts, len(delivered)], strict=True):
        in_runs, made, results = observe_run(
            in_runs, delivered[start:end], LATENESS, RULES, PROFILES, known=known
        )
        run_decisions += made
        run_taken += results

    assert in_runs.to_json() == one_by_one.to_json()
    assert in_runs == one_by_one
    assert _ids(run_decisions) == _ids(decisions)
    assert run_taken == taken
    assert {t.verdict for t in taken} >= {"applied"}


def test_a_run_continues_a_track_read_back_from_its_json() -> None:
    stream = [_reading(n, 5 * n, 25.0 if 3 < n < 15 else 6.0, True, False) for n in range(30)]
    track = ReeferTrack.from_json(_loaded().to_json())
    direct, decisions, _ = observe_run(_loaded(), stream, LATENESS, RULES, PROFILES)
    read_back, again, _ = observe_run(track, stream, LATENESS, RULES, PROFILES)
    assert read_back.to_json() == direct.to_json()
    assert _ids(again) == _ids(decisions)
    assert any(type(d).__name__ == "Open" for d in decisions)
