"""The end of a rebalance's table recovery (streams/faustfix/recovery.py), on a stand-in of
the parts of faust's recovery service, app and consumer it uses: the stream partitions are
sought to their committed offsets while still paused, and only then resumed."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from types import SimpleNamespace
from typing import Any

import pytest

import streams.faustfix.recovery as recovery_module
from streams.faustfix.recovery import on_recovery_completed

STREAM, CHANGELOG = ("reefer", 0), ("lugang-reefer-tracks-changelog", 0)


class _Calls(list[str]):
    def record(self, name: str) -> Any:
        return lambda *args, **kwargs: self.append(name)

    def record_async(self, name: str) -> Any:
        async def call(*args: Any, **kwargs: Any) -> None:
            self.append(name)

        return call


def _recovery(calls: _Calls, generation: int = 1, committed: int | None = 5) -> Any:
    consumer = SimpleNamespace(
        _committed_offset={} if committed is None else {STREAM: committed},
        assignment=lambda: {STREAM, CHANGELOG},
        perform_seek=calls.record_async("seek"),
        resume_partitions=lambda tps: calls.append(f"resume {sorted(tps)}"),
        resume_flow=calls.record("resume flow"),
    )
    app = SimpleNamespace(
        consumer=consumer,
        consumer_generation_id=generation,
        on_rebalance_complete=SimpleNamespace(send=calls.record_async("rebalance complete")),
        conf=SimpleNamespace(broker_request_timeout=90.0),
        flow_control=SimpleNamespace(resume=calls.record("resume flow control")),
        _fetcher=SimpleNamespace(maybe_start=calls.record_async("fetcher")),
        assignor=SimpleNamespace(assigned_standbys=lambda: set()),
        on_rebalance_end=calls.record("rebalance end"),
    )

    async def wait(coroutine: Awaitable[None], timeout: float | None = None) -> None:
        await coroutine

    tables = SimpleNamespace(
        values=lambda: [],
        on_actives_ready=calls.record("actives ready"),
        on_standbys_ready=calls.record("standbys ready"),
    )
    return SimpleNamespace(
        app=app,
        tables=tables,
        log=SimpleNamespace(
            info=lambda *a: None, warning=calls.record("warning"), dev=lambda *a: None
        ),
        _set_recovery_ended=calls.record("recovery ended"),
        _wait=wait,
        _is_changelog_tp=lambda tp: tp == CHANGELOG,
        completed=asyncio.Event(),
    )


def test_stream_partitions_are_sought_before_they_are_resumed() -> None:
    """Resumed first, the partitions' records reached the agents while the seek was on its
    way, and the records read again after it came behind them (holes, seeks, dropped
    batches in every partition a joining worker took over)."""
    calls = _Calls()
    recovery = _recovery(calls)
    asyncio.run(on_recovery_completed(recovery, generation_id=1))
    assert calls.index("seek") < calls.index(f"resume {[STREAM]}")
    assert calls[-1] == "rebalance end"
    assert recovery.completed.is_set()


def test_a_stream_partition_with_nothing_committed_is_sought_to_its_start(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """aiokafka seeks only partitions with a committed offset; one without kept the
    position its fetches reached while paused, past records the fetch loop dropped."""
    calls = _Calls()

    async def seek(consumer: Any, tp: Any, offset: int) -> None:
        calls.append(f"seek {tp} to {offset}")

    monkeypatch.setattr(recovery_module, "seek_on_consumer_thread", seek)
    asyncio.run(on_recovery_completed(_recovery(calls, committed=None), generation_id=1))
    assert calls.index("seek") < calls.index(f"seek {STREAM} to 0")
    assert calls.index(f"seek {STREAM} to 0") < calls.index(f"resume {[STREAM]}")
    assert not any(call.startswith(f"seek {CHANGELOG}") for call in calls)


def test_a_rebalance_during_recovery_resumes_nothing() -> None:
    calls = _Calls()
    asyncio.run(on_recovery_completed(_recovery(calls, generation=2), generation_id=1))
    assert calls == ["rebalance complete", "recovery ended", "warning"]
