"""The hand-checked recording of two corridors' moves (tests/data/balance.jsonl) through the
worker's agents in process: its /status balance and its corridor_balance_daily points match
balance.expected.json (tests/integration/test_balance.py does the same on the servers)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

from lugang.reference import default_reference
from streams.domain.status import compute_status
from streams.schema import points
from tests import balance_expected as expected
from tests.in_process import replay_in_process

REF = default_reference()
NOW = datetime(2026, 3, 5, tzinfo=UTC)


def test_the_recordings_balance_matches_the_expected_file() -> None:
    h, _ = replay_in_process(expected.RECORDING)
    days = h.book.year()
    assert {d.isoformat(): t.total_teu for d, t in sorted(days.items())} == expected.EXPECTED["teu"]

    got: dict[tuple[str, str], dict[str, Any]] = {}
    for day, period in expected.status_balances():
        status = json.loads(
            compute_status(days, REF, date.fromisoformat(day), NOW).model_dump_json()
        )
        got[day, period] = expected.status_balance(status, period)
    assert got == expected.status_balances()

    want = expected.expected_points(REF)
    written = expected.written(
        ((s.time, s.tags, s.fields) for s in h.metrics.measurement(points.CORRIDOR_BALANCE_DAILY)),
        REF,
    )
    assert {key: written.get(key) for key in want} == want
