"""Stream partitions sought to their committed offsets before they are resumed, not after.

When a rebalance's table recovery is done, faust 0.15.3's ``Recovery.on_recovery_completed``
resumes the stream partitions and then awaits a seek of every partition to its committed
offset. The flow is already active (recovery resumed it to read the changelogs), so the fetch
loop hands the stream partitions' records to the agents while the seek is on its way; the
seek then moves the read offset back to the committed one, and the records fetched again
from there arrive behind later ones already handed over. The agents' order gate saw a hole
in every such partition (two workers: a worker joining one that had run alone for 3 s found
"offset 2500 skipped by the consumer" in all four of its input partitions), and each seek
back to it dropped the rest of a fetched batch of up to 150,000 records (in one traced run a
partition was read to its end five times over, 389,228 records dropped in 33 s). Sought
while still paused, the partitions are resumed at their committed offsets and their first
records come in order; a partition with nothing committed is sought to its start
(:func:`seek_to_committed`). The fetch loop drops what comes meanwhile for a paused
partition (:class:`streams.faustfix.drain.SeekFence`).

Otherwise it is faust's ``on_recovery_completed``.
"""

from __future__ import annotations

import asyncio
from typing import Any

from faust.tables.recovery import Recovery

from streams.faustfix.commits import seek_on_consumer_thread


async def on_recovery_completed(self: Any, generation_id: int = 0) -> None:
    """faust 0.15.3's ``Recovery.on_recovery_completed``, with the stream partitions sought
    to their committed offsets (:func:`seek_to_committed`) before they are resumed (the
    module's docstring)."""
    consumer = self.app.consumer
    self.log.info("Restore complete!")
    await self.app.on_rebalance_complete.send()
    self._set_recovery_ended()
    # This needs to happen if all goes well
    callback_coros = [
        asyncio.ensure_future(
            table.on_recovery_completed(
                self.actives_for_table[table],
                self.standbys_for_table[table],
            )
        )
        for table in self.tables.values()
    ]
    if callback_coros:
        await asyncio.wait(callback_coros)
    assignment = consumer.assignment()
    if self.app.consumer_generation_id != generation_id:
        self.log.warning(
            f"Recovery rebalancing again app id "
            f"{self.app.consumer_generation_id} param {generation_id}"
        )
        return
    stream_tps = {tp for tp in assignment if not self._is_changelog_tp(tp)}
    if assignment:
        self.log.info("Seek stream partitions to committed offsets.")
        await self._wait(
            seek_to_committed(consumer, stream_tps), timeout=self.app.conf.broker_request_timeout
        )
    consumer.resume_partitions(stream_tps)
    self.completed.set()
    self.log.dev("Resume stream partitions")
    self.app.flow_control.resume()
    consumer.resume_flow()
    # finally make sure the fetcher is running.
    await self.app._fetcher.maybe_start()
    self.tables.on_actives_ready()
    if not self.app.assignor.assigned_standbys():
        self.tables.on_standbys_ready()
    self.app.on_rebalance_end()
    self.log.info("Worker ready")


async def seek_to_committed(consumer: Any, stream_tps: set[Any]) -> None:
    """faust's ``perform_seek`` (every partition to its committed offset), and each of
    ``stream_tps`` with nothing committed to its start, as the group's reset policy
    (earliest) reads it: aiokafka seeks only partitions with a committed offset, and one
    without kept the position its fetches had reached while it was paused, past records
    the fetch loop drops for a paused partition (:class:`~streams.faustfix.drain.SeekFence`)
    and no agent had (a worker restarted before its first commit: the test of a worker
    killed mid-replay waited two minutes at the end of every input partition)."""
    await consumer.perform_seek()
    committed = consumer._committed_offset
    for tp in stream_tps:
        if not committed.get(tp):
            await seek_on_consumer_thread(consumer, tp, 0)


def seek_before_resuming() -> None:
    """Install the seek-then-resume end of recovery on faust's tables (idempotent)."""
    Recovery.on_recovery_completed = on_recovery_completed  # type: ignore[method-assign]
