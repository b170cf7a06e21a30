"""Per-partition counts on faust's consumer, and whether one moved since a moment."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from streams.faustfix.tally import MovedSince, per_partition, tally


def test_figures_are_kept_on_the_consumer_under_their_name() -> None:
    consumer = SimpleNamespace()
    seeks = per_partition(consumer, "_lugang_seeks")
    assert seeks == {}
    tally(seeks, ("reefer", 0))
    assert per_partition(consumer, "_lugang_seeks") is seeks
    assert per_partition(consumer, "_lugang_revocations") == {}


def test_moved_since_sees_a_partition_counted_after_it_was_made() -> None:
    counts: dict[Any, int] = {("reefer", 0): 2}
    since = MovedSince(counts)
    assert not since.any()
    assert not since.of(("reefer", 0))
    tally(counts, ("reefer", 1))
    assert since.any()
    assert since.of(("reefer", 1))
    assert not since.of(("reefer", 0))
    assert MovedSince(counts).any() is False
