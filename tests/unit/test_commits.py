"""The commit guard finds a message that reached no agent at the committed offset."""

from __future__ import annotations

from intervaltree import IntervalTree  # type: ignore[import-untyped]  # what faust keeps gaps in

from streams.faustfix.commits import hole_at_head


def test_a_skipped_first_message_is_a_hole() -> None:
    # Kafka's committed offset 179 is the next message to read: acknowledging 180 onwards
    # without 179 must not let the commit move past 179 (faust's own test let it).
    assert hole_at_head([180, 181, 182], 179, IntervalTree())


def test_acknowledgements_from_the_committed_offset_are_no_hole() -> None:
    assert not hole_at_head([179, 180], 179, IntervalTree())
    assert not hole_at_head([], 179, IntervalTree())
    assert not hole_at_head([5, 6], None, IntervalTree())


def test_offsets_kafka_skips_are_no_hole() -> None:
    gaps = IntervalTree()
    gaps.addi(179, 181)  # e.g. transaction markers
    assert not hole_at_head([181, 182], 179, gaps)
