"""The hand-checked dwell recording (tests/data/dwell.jsonl) through the worker's agents in
process: its ``container_dwell`` points, each day's count, mean and 90th percentile per TEU
category and laden/empty, and ``/status`` ``dwell_longest`` match dwell.expected.json
(tests/integration/test_dwell_recording.py does the same on the servers)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import orjson

from lugang.reference import default_reference
from streams.agents.memory import MemoryTable
from streams.schema import points
from streams.state import LiveGaps
from streams.web import status_body
from tests import dwell_expected as expected
from tests.in_process import replay_in_process
from tests.unit.test_agents import Harness

REF = default_reference()


def test_the_expected_file_is_consistent() -> None:
    """Each hand-written dwell is its end less its start, on the local day of its end."""
    for d in expected.EXPECTED["dwells"]:
        start, end = (datetime.fromisoformat(d[k]) for k in ("started_at", "ended_at"))
        assert (end - start) / timedelta(hours=1) == d["dwell_h"], d
        assert end.astimezone(REF.home.tz).date().isoformat() == d["day"], d


def test_the_recordings_dwell_matches_the_expected_file() -> None:
    h, _ = replay_in_process(expected.RECORDING, dwell=True)
    written = expected.written_dwells(
        ((s.time, s.tags, s.fields) for s in h.metrics.measurement(points.CONTAINER_DWELL)), REF
    )
    assert written == expected.expected_dwells()
    assert expected.daily_of(written) == expected.expected_daily()
    assert dwell_longest(h) == expected.expected_longest()


def test_the_recording_replayed_again_changes_nothing() -> None:
    """Read twice (the same events at new offsets): the same points, no other, and the
    second pass writes none (its starts and ends are each box's last ones)."""
    once, _ = replay_in_process(expected.RECORDING, dwell=True)
    twice, _ = replay_in_process(expected.RECORDING, dwell=True, passes=2)
    lines = [s.to_line() for s in twice.metrics.measurement(points.CONTAINER_DWELL)]
    assert lines == [s.to_line() for s in once.metrics.measurement(points.CONTAINER_DWELL)]
    assert len(lines) == len(expected.expected_dwells())
    assert dwell_longest(twice) == expected.expected_longest()
    kept = [h.movements.dwell for h in (once, twice)]
    assert isinstance(kept[0], MemoryTable) and isinstance(kept[1], MemoryTable)
    assert kept[1].data == kept[0].data


def dwell_longest(h: Harness) -> list[dict[str, Any]]:
    """``/status`` ``dwell_longest`` at the expected file's clock, as the expectations are."""
    table = h.movements.dwell
    assert isinstance(table, MemoryTable)
    query = dict(expected.STATUS_QUERY)
    body = status_body(query, REF, h.book, MemoryTable(), LiveGaps(), dwell=table)
    listed = orjson.loads(orjson.dumps(body["dwell_longest"]))  # JSON all through
    return expected.longest(listed)
