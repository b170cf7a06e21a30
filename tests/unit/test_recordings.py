"""The committed recordings and their hand-checked totals agree with Lugang's own rules."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from lugang.contract import ContainerEvent, InvalidEvent, ReeferReading, parse_event
from lugang.reference import default_reference
from producers.records import read_recording
from streams.domain import coldchain
from streams.domain.counts import DayTotals, fact_of

DATA = Path(__file__).resolve().parents[1] / "data"
REF = default_reference()


def expected(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((DATA / name).read_text())
    return loaded


@pytest.mark.parametrize("name", ["week", "coldchain"])
def test_day_totals_match_the_expected_file(name: str) -> None:
    days: dict[date, DayTotals] = {}
    dead = 0
    for record in read_recording(DATA / f"{name}.jsonl"):
        try:
            event = parse_event(record.topic, record.value)
        except InvalidEvent:
            dead += 1
            continue
        fact = fact_of(event, REF)
        if fact is not None:
            days.setdefault(fact.day, DayTotals(day=fact.day)).add(fact)

    want = expected(f"{name}.expected.json")
    got = {
        day.isoformat(): {
            "train_runs": totals.runs,
            "teu": totals.teu,
            "reefer_teu": sum(totals.reefer_teu.values()),
            "gross_weight_kg": round(totals.gross_weight_kg, 1),
        }
        for day, totals in sorted(days.items())
    }
    assert got == want["days"]
    assert dead == want.get("dead_letters", 0)


def test_the_cold_chain_recording_opens_exactly_the_expected_exception() -> None:
    states: dict[str, coldchain.ContainerState] = {}
    closed = []
    for record in read_recording(DATA / "coldchain.jsonl"):
        event = parse_event(record.topic, record.value)
        assert isinstance(event, ContainerEvent | ReeferReading)
        key = event.equipment_reference
        state = states.get(key) or coldchain.ContainerState(equipment_reference=key)
        if isinstance(event, ContainerEvent):
            state, decisions = coldchain.with_context(
                state, commodity=event.commodity, corridor=event.corridor, train_id=event.train_id
            )
        else:
            state, decisions = coldchain.step(state, event, REF.exception_rules, REF.commodities)
        states[key] = state
        closed += [d.exception for d in decisions if isinstance(d, coldchain.Close)]

    got = [json.loads(e.model_dump_json()) for e in closed]
    for exception in got:
        exception["peak_deviation_c"] = round(exception["peak_deviation_c"], 6)
    assert got == expected("coldchain.expected.json")["exceptions"]
